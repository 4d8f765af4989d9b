// systolic-16x16: a cycle-level model of a 16x16 weight-stationary int8 NPU
// (systolic_model.h) running the reference network bit-exactly with
// reference-baseline. Reports the modeled cycles of each frame and the 800 MHz
// clock through maskbench.cycles/1 (latency_kind "modeled").
//
// Config (submission.json "config", all optional): the decode options
// "score_threshold" (0.05), "nms_iou" (0.5), "max_detections" (100).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "maskbench/accelerator.hpp"
#include "maskbench/reference/int8_model.h"
#include "maskbench/reference/model_files.h"
#include "maskbench/reference/postprocess.h"
#include "systolic_model.h"

namespace {

namespace ref = maskbench::reference;

ref::DecodeOptions ParseConfig(const std::string& text) {
  ref::DecodeOptions d;
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.empty() ? "{}" : text);
  } catch (const nlohmann::json::exception& e) {
    throw maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT,
                                std::string("systolic-16x16: config is not JSON: ") + e.what());
  }
  if (!j.is_object())
    throw maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT,
                                "systolic-16x16: config must be a JSON object");
  auto bad = [](const std::string& why) {
    return maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT, "systolic-16x16: config: " + why);
  };
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    if (k == "score_threshold" && it->is_number()) {
      d.score_threshold = it->get<float>();
      if (!(d.score_threshold >= 0 && d.score_threshold <= 1))
        throw bad("score_threshold must be in [0, 1]");
    } else if (k == "nms_iou" && it->is_number()) {
      d.nms_iou = it->get<float>();
      if (!(d.nms_iou > 0)) throw bad("nms_iou must be > 0");
    } else if (k == "max_detections" && it->is_number_integer()) {
      d.max_detections = it->get<int>();
      if (d.max_detections < 1) throw bad("max_detections must be >= 1");
    } else {
      throw bad("unknown key or wrong type: \"" + k + "\"");
    }
  }
  return d;
}

ref::Int8Model LoadModel(const std::filesystem::path& dir) {
  maskbench::Result<ref::Int8Model> m = ref::LoadInt8Model(dir / ref::kInt8ParamsFileName);
  if (!m.ok()) throw maskbench::abi::Error(MB_ERR_IO, m.status().message());
  return std::move(m).value();
}

class Systolic16x16 {
 public:
  static constexpr const char* kName = "systolic-16x16";
  static constexpr const char* kTeam = "maskbench-examples";
  static constexpr const char* kVersion = "1.0.0";

  Systolic16x16(const std::string& config_json, const std::filesystem::path& dir)
      : decode_(ParseConfig(config_json)), model_(LoadModel(dir)), npu_(&model_) {
    rgb_.resize(3 * ref::kInputSize * ref::kInputSize);
  }

  std::span<const mb_detection_t> Infer(const maskbench::abi::Frame& frame) {
    if (frame.pixel_format != MB_PIXEL_FORMAT_BGR8 && frame.pixel_format != MB_PIXEL_FORMAT_RGB8)
      throw maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT,
                                  "systolic-16x16: unsupported pixel format");
    ref::ResizeToInput(frame.pixels, frame.width, frame.height, frame.stride,
                       frame.pixel_format == MB_PIXEL_FORMAT_BGR8, &rgb_);
    npu_.Run(rgb_.data());
    const std::vector<ref::Detection> dets =
        ref::Decode(npu_.logits().data(), frame.width, frame.height, decode_);
    result_.clear();
    for (const ref::Detection& d : dets)
      result_.push_back({d.x, d.y, d.w, d.h, d.class_id, d.score});
    return result_;
  }

  uint64_t Cycles() const { return npu_.cycles(); }
  uint64_t ClockHz() const { return npu_.hardware().clock_hz; }
  double EnergyPicojoules() const { return maskbench::rtl::Energy(npu_.Events()).total_pj(); }

 private:
  ref::DecodeOptions decode_;
  ref::Int8Model model_;
  maskbench::systolic::SystolicModel npu_;
  std::vector<uint8_t> rgb_;
  std::vector<mb_detection_t> result_;
};

}  // namespace

MASKBENCH_EXPORT_ACCELERATOR(Systolic16x16)
