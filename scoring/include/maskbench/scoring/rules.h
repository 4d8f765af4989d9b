// Contest rules: which split is scored, which latency ranks, the accuracy
// gate, the ranking keys, limits and frame counts. Read from a versioned
// JSON file (format in docs/rules.md); the defaults ship embedded in the
// library (scoring/rules/default.json), so no file is needed at run time.
// Every run records Rules::sha256, the SHA-256 of the rules file's bytes.
//
// Rules are plain values; the functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench::scoring {

// The rules format version this build reads.
inline constexpr int kRulesFormatVersion = 1;

enum class LatencyKind { kMeasured, kModeled };
const char* LatencyKindName(LatencyKind kind);  // "measured" / "modeled"

// Metric keys an entry may carry and rules may rank by (docs/rules.md):
// speedup, latency_ms, fps, mAP50, AP, violation_recall, violation_precision.
const std::vector<std::string>& KnownMetricKeys();
// True when a larger value of `key` is better (false for latency_ms).
bool HigherIsBetterByDefault(const std::string& key);

struct RankKey {
  std::string key;  // a known metric key, or "composite"
  bool higher_is_better = true;
};

struct Rules {
  int format_version = kRulesFormatVersion;
  std::string name;                                   // free text
  std::string split = "val";                          // the split scored. Default: "val".
  LatencyKind latency_kind = LatencyKind::kMeasured;  // which latency ranks. Default: measured.
  double headline_percentile = 90;  // the headline latency percentile, in (0, 100]. Default: 90.

  struct Gate {
    bool enabled = true;           // Default: on.
    std::string metric = "mAP50";  // compared metric. Default: mAP50.
    double min_ratio = 0.99;       // of the reference's value, in (0, 1]. Default: 0.99.
    std::string reference = "reference-fp32";  // the submission whose fp32 value is the bar.
  } gate;

  RankKey primary{"speedup", true};                  // Default: speedup, higher is better.
  std::vector<RankKey> tie_breaks{{"mAP50", true}};  // Default: mAP50, higher is better.
  // Optional composite score expression over metric keys (docs/rules.md),
  // e.g. "mAP50 * speedup ^ 0.5"; rankable as key "composite".
  std::optional<std::string> composite;

  struct Limits {
    int64_t per_frame_timeout_ms = 10000;    // Default: 10 s per frame.
    int64_t total_timeout_s = 3600;          // Default: 1 h per run.
    int64_t memory_mb = 4096;                // address-space cap of the child. Default: 4096.
    int64_t max_detections_per_frame = 100;  // more is invalid output. Default: 100.
  } limits;

  int64_t warmup_frames = 5;  // run first, not timed. Default: 5.
  int64_t min_frames = 1;     // fewer scored frames fail the run. Default: 1.

  std::string sha256;  // SHA-256 (lower-case hex) of the bytes the rules were read from
  std::string source;  // the file path, or "<default>" for the embedded defaults
};

// Parses rules JSON; `where` names the source in errors, e.g.
// "rules.json: gate.min_ratio: must be in (0, 1], got 1.5". Unknown keys are errors.
Result<Rules> ParseRules(std::string_view json, const std::string& where);

// Reads and parses a rules file.
Result<Rules> LoadRules(const std::filesystem::path& path);

// The embedded default rules (scoring/rules/default.json at build time).
const Rules& DefaultRules();
// The exact bytes of the embedded default rules file.
std::string_view DefaultRulesJson();

// Canonical JSON of the rules in effect (sorted keys; not the hashed bytes).
std::string RulesToJson(const Rules& rules);

}  // namespace maskbench::scoring
