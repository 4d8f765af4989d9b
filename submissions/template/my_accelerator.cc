// A maskbench submission: one class and one macro (see docs/first-submission.md).
//
// The harness calls the constructor once (not timed: load weights here), then
// Infer() once per frame (timed by the harness), from one thread. Return
// detections as boxes in pixels of the frame with a class id from the data set
// (0 with_mask, 1 without_mask, 2 mask_weared_incorrect) and a score in [0, 1].
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "maskbench/accelerator.hpp"

class MyAccelerator {
 public:
  // config_json: the "config" object of submission.json; dir: this submission's folder.
  MyAccelerator(const std::string& config_json, const std::filesystem::path& dir)
      : config_(config_json), dir_(dir) {
    // Load weights from dir_ here; throw std::runtime_error("...") to fail init.
  }

  std::vector<mb_detection_t> Infer(const maskbench::abi::Frame& frame) {
    std::vector<mb_detection_t> detections;
    // Replace this with the model: read frame.Row(y)[3 * x + c] (BGR), fill detections.
    // This placeholder finds nothing, so it scores mAP 0 and runs in microseconds.
    cycles_ = static_cast<uint64_t>(frame.width) * static_cast<uint64_t>(frame.height);
    return detections;
  }

  // Optional, for hardware models: cycles spent on the last frame and the
  // modeled clock. Delete both if the submission reports measured time only.
  uint64_t Cycles() const { return cycles_; }
  uint64_t ClockHz() const { return 200'000'000; }

  static constexpr const char* kName = "template";
  static constexpr const char* kTeam = "your-team";
  static constexpr const char* kVersion = "0.1.0";

 private:
  std::string config_;
  std::filesystem::path dir_;
  uint64_t cycles_ = 0;
};

MASKBENCH_EXPORT_ACCELERATOR(MyAccelerator)
