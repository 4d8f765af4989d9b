// echo: written with the C++ helper. Returns "count" (config, default 1) fixed,
// valid detections in the middle of the frame (class 0, score 0.9), reports
// modeled cycles (one per 4 pixels at 1 GHz) and describes itself. It also
// answers Offline batches through the helper (MaxBatch: config "max_batch",
// default 4), so the helper's maskbench.batch/1 glue is exercised.
#include <algorithm>
#include <string>
#include <vector>

#include "maskbench/accelerator.hpp"
#include "test_config.h"

class Echo {
 public:
  Echo(const std::string& config, const std::filesystem::path&)
      : count_(static_cast<size_t>(std::max(0L, mb_test_config_int(config.c_str(), "count", 1)))),
        max_batch_(static_cast<uint32_t>(
            std::max(0L, mb_test_config_int(config.c_str(), "max_batch", 4)))) {}

  const std::vector<mb_detection_t>& Infer(const maskbench::abi::Frame& frame) {
    out_.clear();
    const float w = frame.width / 4.0f, h = frame.height / 4.0f;
    for (size_t i = 0; i < count_; ++i)
      out_.push_back(
          mb_detection_t{frame.width / 2.0f - w / 2, frame.height / 2.0f - h / 2, w, h, 0, 0.9f});
    cycles_ = static_cast<uint64_t>(frame.width) * static_cast<uint64_t>(frame.height) / 4;
    return out_;
  }
  uint32_t MaxBatch() const { return max_batch_; }
  std::vector<std::vector<mb_detection_t>> InferBatch(
      std::span<const maskbench::abi::Frame> frames) {
    std::vector<std::vector<mb_detection_t>> out;
    for (const maskbench::abi::Frame& f : frames) out.push_back(Infer(f));
    return out;
  }

  uint64_t Cycles() const { return cycles_; }
  uint64_t ClockHz() const { return 1'000'000'000; }

  static constexpr const char* kName = "echo";
  static constexpr const char* kTeam = "maskbench";
  static constexpr const char* kVersion = "1.0.0";

 private:
  size_t count_;
  uint32_t max_batch_;
  uint64_t cycles_ = 0;
  std::vector<mb_detection_t> out_;
};

MASKBENCH_EXPORT_ACCELERATOR(Echo)
