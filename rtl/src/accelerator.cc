#include "maskbench/rtl/accelerator.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "maskbench/reference/model_files.h"

namespace maskbench::rtl {
namespace {

abi::Error ConfigError(const std::string& why) {
  return abi::Error(MB_ERR_INVALID_ARGUMENT, "rtl: config: " + why);
}

}  // namespace

RtlAccelerator::RtlAccelerator(const std::string& config_json, const std::filesystem::path& dir) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(config_json.empty() ? "{}" : config_json);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(std::string("not JSON: ") + e.what());
  }
  if (!j.is_object()) throw ConfigError("must be a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "clock_mhz" && it->is_number()) {
      const double mhz = it->get<double>();
      if (!(mhz > 0 && mhz <= 100000)) throw ConfigError("clock_mhz must be in (0, 100000]");
      clock_hz_ = static_cast<uint64_t>(std::llround(mhz * 1e6));
    } else if (k == "score_threshold" && it->is_number()) {
      decode_.score_threshold = it->get<float>();
    } else if (k == "nms_iou" && it->is_number()) {
      decode_.nms_iou = it->get<float>();
    } else if (k == "max_detections" && it->is_number_integer()) {
      decode_.max_detections = it->get<int>();
    } else {
      throw ConfigError("unknown key or wrong type: \"" + k + "\"");
    }
  }
  if (clock_hz_ == 0) throw ConfigError("clock_mhz is missing (maskbench build sets it)");
  Result<reference::Int8Model> m = reference::LoadInt8Model(dir / reference::kInt8ParamsFileName);
  if (!m.ok()) throw abi::Error(MB_ERR_IO, m.status().message());
  model_ = std::move(m).value();
  sim_ = MakeSim();
  try {
    npu_ = std::make_unique<RtlNpu>(&model_, sim_.get());
  } catch (const std::exception& e) {
    throw abi::Error(MB_ERR_INVALID_ARGUMENT, e.what());
  }
  rgb_.resize(3 * reference::kInputSize * reference::kInputSize);
}

std::span<const mb_detection_t> RtlAccelerator::Infer(const abi::Frame& frame) {
  if (frame.pixel_format != MB_PIXEL_FORMAT_BGR8 && frame.pixel_format != MB_PIXEL_FORMAT_RGB8)
    throw abi::Error(MB_ERR_INVALID_ARGUMENT, "rtl: unsupported pixel format");
  reference::ResizeToInput(frame.pixels, frame.width, frame.height, frame.stride,
                           frame.pixel_format == MB_PIXEL_FORMAT_BGR8, &rgb_);
  npu_->Run(rgb_.data());
  const std::vector<reference::Detection> dets =
      reference::Decode(npu_->logits().data(), frame.width, frame.height, decode_);
  result_.clear();
  for (const reference::Detection& d : dets)
    result_.push_back({d.x, d.y, d.w, d.h, d.class_id, d.score});
  return result_;
}

}  // namespace maskbench::rtl
