#include "maskbench/contest/metrics.h"

namespace maskbench::contest {

const std::vector<MetricInfo>& Metrics() {
  using D = Direction;
  static const std::vector<MetricInfo> kMetrics = {
      {metric::kSpeedup, "x", D::kHigherIsBetter,
       "baseline latency / this latency, both of the track's kind, measured ones on one machine "
       "over the same frames",
       true},
      {metric::kLatencyMs, "ms", D::kLowerIsBetter,
       "the track's headline latency: the rules' percentile of the measured (parent clock) or "
       "modeled (cycles / clock) per-frame latencies",
       true},
      {metric::kComposite, "", D::kHigherIsBetter, "the track's composite formula", true},
      {metric::kMap50, "", D::kHigherIsBetter, "COCO AP at IoU 0.5 (the gate's metric)"},
      {metric::kAp, "", D::kHigherIsBetter, "COCO AP at IoU .50:.95"},
      {metric::kViolationRecall, "", D::kHigherIsBetter,
       "recall of faces without a mask or wearing it wrong, at score >= 0.5 and IoU >= 0.5"},
      {metric::kViolationPrecision, "", D::kHigherIsBetter, "precision of the same"},
      {metric::kFps, "1/s", D::kHigherIsBetter, "frames per second, SingleStream, parent clock"},
      {metric::kModeledLatencyMs, "ms", D::kLowerIsBetter,
       "cycles / clock at the rules' headline percentile (hardware models)"},
      {metric::kClockHz, "Hz", D::kHigherIsBetter, "the hardware model's declared clock", false,
       false},
      {metric::kEnergyUj, "uJ", D::kLowerIsBetter, "energy per frame from the energy model"},
      {metric::kEdp, "uJ*ms", D::kLowerIsBetter, "energy per frame x modeled latency"},
      {metric::kLatencyP50Ms, "ms", D::kLowerIsBetter, "measured latency, 50th percentile"},
      {metric::kLatencyP90Ms, "ms", D::kLowerIsBetter, "measured latency, 90th percentile"},
      {metric::kLatencyP99Ms, "ms", D::kLowerIsBetter, "measured latency, 99th percentile"},
      {metric::kLuts, "", D::kLowerIsBetter, "FPGA LUTs (Yosys)"},
      {metric::kFfs, "", D::kLowerIsBetter, "FPGA flip-flops (Yosys)"},
      {metric::kDsps, "", D::kLowerIsBetter, "FPGA DSP blocks (Yosys)"},
      {metric::kBrams, "", D::kLowerIsBetter, "FPGA block RAMs (Yosys)"},
      {metric::kCyclesSimulated, "", D::kHigherIsBetter,
       "1: cycles counted by the harness simulating RTL it built; 0: self-reported", false, false},
      {metric::kMap50Lo, "", D::kHigherIsBetter, "bootstrap interval of mAP50, lower end", false,
       false},
      {metric::kMap50Hi, "", D::kHigherIsBetter, "bootstrap interval of mAP50, upper end", false,
       false},
      {metric::kLatencyLoMs, "ms", D::kLowerIsBetter,
       "bootstrap interval of the headline latency, lower end", true, false},
      {metric::kLatencyHiMs, "ms", D::kLowerIsBetter,
       "bootstrap interval of the headline latency, upper end", true, false},
      {metric::kSpeedupLo, "x", D::kHigherIsBetter, "speedup from the latency interval, lower end",
       true, false},
      {metric::kSpeedupHi, "x", D::kHigherIsBetter, "speedup from the latency interval, upper end",
       true, false},
      {metric::kOverheadP50Us, "us", D::kLowerIsBetter,
       "the harness's own cost per frame: round trip minus the runner's timing", false, false},
      {metric::kNoopRoundTripUs, "us", D::kLowerIsBetter,
       "the noop plugin's median round trip when the judge started", false, false},
      {metric::kNoiseLoad, "", D::kLowerIsBetter,
       "host load (1-minute load average per CPU) sampled before the timed run", false, false},
      {metric::kNoiseNoopUs, "us", D::kLowerIsBetter,
       "a short noop probe's median round trip before the timed run", false, false},
  };
  return kMetrics;
}

const MetricInfo* FindMetric(std::string_view key) {
  for (const MetricInfo& m : Metrics())
    if (m.key == key) return &m;
  return nullptr;
}

std::string RankableKeyList() {
  std::string out;
  for (const MetricInfo& m : Metrics())
    if (m.rankable) out += (out.empty() ? "" : ", ") + std::string(m.key);
  return out;
}

}  // namespace maskbench::contest
