// RtlAccelerator: the plugin that `maskbench build` makes of an RTL submission.
//
// The harness's driver (npu.h) around the Verilated design, behind the
// accelerator ABI: it loads the reference int8 network from the built folder,
// runs each frame through the simulated design, decodes the head and reports
// the harness-counted cycles (maskbench.cycles/1) and energy
// (maskbench.energy/1). Everything but the design itself is harness code.
//
// Config (the built submission.json "config"): "clock_mhz" (set by the build
// from the submission's declaration) and the decode options "score_threshold",
// "nms_iou", "max_detections".
//
// Thread-safety: one instance per runner thread (the ABI's rule).
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "maskbench/accelerator.hpp"
#include "maskbench/reference/int8_model.h"
#include "maskbench/reference/postprocess.h"
#include "maskbench/rtl/npu.h"

namespace maskbench::rtl {

// Defined by the per-design glue (rtl/kit/verilated_npu.cc): the Verilated model.
std::unique_ptr<NpuSim> MakeSim();

class RtlAccelerator {
 public:
  RtlAccelerator(const std::string& config_json, const std::filesystem::path& dir);

  std::span<const mb_detection_t> Infer(const maskbench::abi::Frame& frame);
  uint64_t Cycles() const { return npu_->cycles(); }
  uint64_t ClockHz() const { return clock_hz_; }
  double EnergyPicojoules() const { return Energy(npu_->Events()).total_pj(); }

 private:
  reference::DecodeOptions decode_;
  uint64_t clock_hz_ = 0;
  reference::Int8Model model_;
  std::unique_ptr<NpuSim> sim_;
  std::unique_ptr<RtlNpu> npu_;
  std::vector<uint8_t> rgb_;
  std::vector<mb_detection_t> result_;
};

}  // namespace maskbench::rtl
