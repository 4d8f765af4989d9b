// reference-baseline: the baseline design environment. Runs refnet-int8.json on
// the naive int8 executor (a minimal modeled NPU), reports its modeled cycles
// through maskbench.cycles/1, and decodes with the shared post-processing.
#include <vector>

#include "maskbench/accelerator.hpp"
#include "maskbench/reference/int8_executor.h"
#include "maskbench/reference/model_files.h"
#include "maskbench/reference/postprocess.h"
#include "plugin_config.h"

namespace {

using maskbench::reference::Detection;
namespace ref = maskbench::reference;

ref::Int8Model LoadOrThrow(const std::filesystem::path& dir) {
  maskbench::Result<ref::Int8Model> m = ref::LoadInt8Model(dir / ref::kInt8ParamsFileName);
  if (!m.ok()) throw maskbench::abi::Error(MB_ERR_IO, m.status().message());
  maskbench::Result<std::string> sha = ref::ReadExpectedOnnxSha256(dir);
  if (sha.ok() && *sha != m->onnx_sha256)
    throw maskbench::abi::Error(MB_ERR_IO, (dir / ref::kInt8ParamsFileName).string() +
                                               ": derived from ONNX " + m->onnx_sha256 +
                                               ", but the submission's refnet.onnx is " + *sha);
  return std::move(m).value();
}

class ReferenceBaseline {
 public:
  static constexpr const char* kName = "reference-baseline";
  static constexpr const char* kTeam = "organisers";
  static constexpr const char* kVersion = "1.0.0";

  ReferenceBaseline(const std::string& config_json, const std::filesystem::path& dir)
      : config_(ref::internal::ParsePluginConfig(config_json)),
        model_(LoadOrThrow(dir)),
        executor_(&model_) {}

  std::vector<mb_detection_t> Infer(const maskbench::abi::Frame& frame) {
    if (frame.pixel_format != MB_PIXEL_FORMAT_BGR8 && frame.pixel_format != MB_PIXEL_FORMAT_RGB8)
      throw maskbench::abi::Error(MB_ERR_INVALID_ARGUMENT, "unsupported pixel format");
    ref::ResizeToInput(frame.pixels, frame.width, frame.height, frame.stride,
                       frame.pixel_format == MB_PIXEL_FORMAT_BGR8, &rgb_);
    executor_.Run(rgb_.data(), &out_);
    const std::vector<float> head = out_.Dequantize();
    std::vector<Detection> dets =
        ref::Decode(head.data(), frame.width, frame.height, config_.decode);
    std::vector<mb_detection_t> result;
    result.reserve(dets.size());
    for (const Detection& d : dets) result.push_back({d.x, d.y, d.w, d.h, d.class_id, d.score});
    return result;
  }

  uint64_t Cycles() const { return out_.cycles; }
  uint64_t ClockHz() const { return executor_.cycle_model().clock_hz; }

 private:
  ref::internal::PluginConfig config_;
  ref::Int8Model model_;
  ref::Int8Executor executor_;
  ref::Int8Output out_;
  std::vector<uint8_t> rgb_;
};

}  // namespace

MASKBENCH_EXPORT_ACCELERATOR(ReferenceBaseline)
