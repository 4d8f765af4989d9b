// The metrics registry: every metric a run stores, a track ranks by or a page
// shows, with its unit, its better direction and what it means. The rules
// (rules.h), the store (store.h), the board (board.h), the leaderboard JSON and
// the page all read these keys from here, and nowhere else.
//
// Plain constants; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace maskbench::contest {

// The stable keys (also the leaderboard JSON's metric names).
namespace metric {
// Accuracy, stored with a run.
inline constexpr const char* kMap50 = "mAP50";  // COCO AP at IoU 0.5
inline constexpr const char* kAp = "AP";        // COCO AP at IoU .50:.95
inline constexpr const char* kViolationRecall = "violation_recall";
inline constexpr const char* kViolationPrecision = "violation_precision";
inline constexpr const char* kMap50Lo = "mAP50_lo";  // bootstrap interval of mAP50
inline constexpr const char* kMap50Hi = "mAP50_hi";
// Measured latency (the parent's clock), stored with a run.
inline constexpr const char* kLatencyP50Ms = "latency_p50_ms";
inline constexpr const char* kLatencyP90Ms = "latency_p90_ms";
inline constexpr const char* kLatencyP99Ms = "latency_p99_ms";
inline constexpr const char* kFps = "fps";
inline constexpr const char* kOverheadP50Us = "overhead_p50_us";
// Modeled latency (cycles / clock) at the rules' headline percentile.
inline constexpr const char* kModeledLatencyMs = "modeled_latency_ms";
inline constexpr const char* kClockHz = "clock_hz";  // the modeled clock (cycles / clock_hz = s)
// Hardware facts (RTL and cycle models).
inline constexpr const char* kEnergyUj = "energy_uj";  // energy per frame, microjoules
inline constexpr const char* kEdp = "edp";             // energy x modeled latency, uJ x ms
inline constexpr const char* kLuts = "luts";
inline constexpr const char* kFfs = "ffs";
inline constexpr const char* kDsps = "dsps";
inline constexpr const char* kBrams = "brams";
// 1: the cycles (and energy) were counted by the harness's simulation of an RTL
// entry it built itself; 0: the plugin reported them (self-reported).
inline constexpr const char* kCyclesSimulated = "cycles_simulated";
// The measurement's conditions, stored with a run.
inline constexpr const char* kNoopRoundTripUs = "noop_round_trip_us";
inline constexpr const char* kNoiseLoad = "noise_load";
inline constexpr const char* kNoiseNoopUs = "noise_noop_us";
// Derived when a board is built, from stored facts and the rules given then.
inline constexpr const char* kLatencyMs = "latency_ms";  // the track's headline latency
inline constexpr const char* kLatencyLoMs = "latency_lo_ms";
inline constexpr const char* kLatencyHiMs = "latency_hi_ms";
inline constexpr const char* kSpeedup = "speedup";  // baseline latency / latency, same kind
inline constexpr const char* kSpeedupLo = "speedup_lo";
inline constexpr const char* kSpeedupHi = "speedup_hi";
inline constexpr const char* kComposite = "composite";  // the track's composite formula
}  // namespace metric

enum class Direction { kHigherIsBetter, kLowerIsBetter };

struct MetricInfo {
  std::string_view key;
  std::string_view unit;  // "ms", "x", "" (a ratio in [0, 1]), …
  Direction direction;
  std::string_view description;
  bool derived = false;  // computed when a board is built, never stored with a run
  bool rankable = true;  // a track may rank by it
};

// Every metric, in display order.
const std::vector<MetricInfo>& Metrics();
// The metric with this key, or nullptr.
const MetricInfo* FindMetric(std::string_view key);
// "mAP50, AP, …": the rankable keys, for error messages.
std::string RankableKeyList();

}  // namespace maskbench::contest
