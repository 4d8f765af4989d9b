// RunSummary: what `maskbench run` (and `judge`) report about a RunRecord —
// latency statistics, modeled latency, harness overhead, accuracy against the
// data set's ground truth, speedup and the accuracy gate — and the shared
// mapping from contest rules to RunSettings.
//
// Functions are pure apart from reading nothing but their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/harness/run_record.h"
#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/ground_truth.h"
#include "maskbench/scoring/latency.h"
#include "maskbench/scoring/rules.h"

namespace maskbench::harness {

// The JSON document version of RunSummaryToJson (run --json, summary.json).
inline constexpr int kRunSummarySchemaVersion = 1;

struct RunSummary {
  RunStatus status = RunStatus::kOk;
  std::string message;
  int64_t frames = 0;
  int64_t failing_frame = -1;
  std::string signal_name;
  std::optional<scoring::LatencyStats> latency;  // measured, ns; empty with no frames
  double headline_percentile = 90;               // from the rules
  std::optional<double> headline_latency_ms;     // measured at the headline percentile
  std::optional<double> modeled_latency_ms;      // cycles / clock at the headline percentile
  std::optional<scoring::LatencyStats> modeled;  // modeled, ns
  std::optional<double> overhead_p50_us, overhead_p99_us;
  // Accuracy over the frames run; empty when the run is not ok or there is no ground truth.
  std::optional<double> map50, ap, violation_recall, violation_precision;
  std::optional<double> speedup;          // baseline / submission, same latency kind
  std::optional<double> modeled_speedup;  // baseline modeled / submission modeled, when both report cycles
  std::optional<bool> gate_passed;        // empty without a reference value or with the gate off
  std::string latency_kind = "measured";  // the kind speedup uses (rules)
  // Offline (design.md §4): throughput is the headline; latency stats are the
  // amortised per-frame times, and there is no headline latency or speedup.
  Scenario scenario = Scenario::kSingleStream;
  std::optional<double> offline_frames_per_s;  // frames / summed batch time
  int64_t offline_batches = 0;
  uint32_t batch_size = 0;       // in effect
  bool batch_extension = false;  // the plugin has maskbench.batch/1
};

// RunSettings from contest rules: limits, warm-up; class ids from the manifest.
RunSettings SettingsFromRules(const scoring::Rules& rules, const datasets::Manifest& manifest);

// The detections of a run in COCO results form (image_id = frame id).
std::vector<scoring::Detection> RunDetections(const RunRecord& record);

// Ground truth of `split` ("" = all frames) restricted to `frame_ids`.
Result<scoring::GroundTruth> GroundTruthForFrames(const datasets::Dataset& ds,
                                                  const std::string& split,
                                                  const std::vector<int64_t>& frame_ids);

// Summarises `record`. `gt` may be null (no accuracy). `baseline_latency_ms`
// (same kind as rules.latency_kind) gives the speedup; `reference_map50` the gate;
// `baseline_modeled_ms` (the baseline's modeled latency) the modeled speedup of a
// submission that reports cycles, whatever kind the rules rank by.
Result<RunSummary> SummarizeRun(const RunRecord& record, const scoring::GroundTruth* gt,
                                const scoring::Rules& rules,
                                std::optional<double> baseline_latency_ms = std::nullopt,
                                std::optional<double> reference_map50 = std::nullopt,
                                std::optional<double> baseline_modeled_ms = std::nullopt);

// The `run --json` document (cli.md) plus submission and context blocks.
nlohmann::ordered_json RunSummaryToJson(const RunSummary& s);

}  // namespace maskbench::harness
