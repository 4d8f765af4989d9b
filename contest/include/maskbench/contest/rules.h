// Contest rules: the split scored, the references, one or more tracks (each
// with its latency kind, ranking keys, gate, optional composite formula and
// board budget), the outside scores composites may use, limits, frame counts,
// uncertainty and measurement protocol. Read from a versioned JSON file
// (docs/rules.md); the defaults ship embedded (contest/rules/default.json), a
// measured and a modeled track, so no file is needed at run time. Format 1
// files (one latency kind, one ranking) still load, as a single track.
// Every run records Rules::sha256, the SHA-256 of the file's bytes.
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

namespace maskbench::contest {

// The newest rules format this build reads (1 and 2).
inline constexpr int kRulesFormatVersion = 2;

enum class LatencyKind { kMeasured, kModeled };
const char* LatencyKindName(LatencyKind kind);  // "measured" / "modeled"

struct RankKey {
  std::string key;  // a rankable metric key (metrics.h), an outside score, or "composite"
  bool higher_is_better = true;
};

struct Gate {
  bool enabled = true;           // Default: on.
  std::string metric = "mAP50";  // compared metric. Default: mAP50.
  double min_ratio = 0.99;       // of the gate reference's value, in (0, 1]. Default: 0.99.
};

// An FPGA board's resources; a design over any of them does not fit (0 = no limit).
struct BoardBudget {
  std::string part;  // e.g. "xc7z020"
  int64_t luts = 0, ffs = 0, dsps = 0, brams = 0;
};

struct Track {
  std::string name;
  LatencyKind latency_kind = LatencyKind::kMeasured;
  RankKey primary{"speedup", true};
  std::vector<RankKey> tie_breaks;
  std::optional<std::string> composite;  // rankable as key "composite"
  Gate gate;
  // Measured tracks: rank entries that report cycles (hardware models) by their
  // wall time too. Default: false: they are shown unranked, with the reason.
  bool rank_hardware_models_by_wall_time = false;
  // All ranked runs of the track must come from one machine class. Default: false.
  bool one_node_class = false;
  std::optional<BoardBudget> board;  // modeled tracks: entries must fit
};

struct Rules {
  int format_version = kRulesFormatVersion;
  std::string name;
  std::string split = "val";        // Default: "val".
  double headline_percentile = 90;  // in (0, 100]. Default: 90.
  struct References {
    std::string baseline = "reference-baseline";  // speedup divides by its latency
    std::string gate = "reference-fp32";          // the gate compares with its accuracy
  } references;
  std::vector<Track> tracks;                // at least one; names unique
  std::vector<std::string> outside_scores;  // metric names imported with `scores import`
  struct Limits {
    int64_t per_frame_timeout_ms = 10000;
    int64_t total_timeout_s = 3600;
    int64_t memory_mb = 4096;
    int64_t max_detections_per_frame = 100;
    int64_t max_image_side = 16384;
    int64_t max_image_pixels = 64'000'000;
  } limits;
  int64_t warmup_frames = 5;  // Default: 5.
  int64_t min_frames = 1;     // fewer measured frames: not ranked. Default: 1.
  struct Uncertainty {
    int64_t bootstrap_samples = 200;  // 0 = no intervals
    uint64_t seed = 1;
    double confidence = 0.95;
  } uncertainty;
  struct Measurement {
    int64_t trials = 1;              // timed runs per entry; the median trial ranks
    double max_load_per_cpu = 0.75;  // 1-minute load average per CPU above which a run waits
    double max_noop_us = 50;         // a noop probe's median round trip above which it waits
    double wait_s = 2;               // how long it waits before sampling again
    int64_t retries = 1;             // how often; then it runs anyway, the noise recorded
  } measurement;

  std::string sha256;  // of the bytes the rules were read from
  std::string source;  // the file path, or "<default>"

  const Track* FindTrack(std::string_view name) const;
};

// Parses rules JSON; `where` names the source in errors, e.g.
// "rules.json: tracks[1].gate.min_ratio: must be in (0, 1], got 1.5". Unknown keys are errors.
Result<Rules> ParseRules(std::string_view json, const std::string& where);
// Reads and parses a rules file.
Result<Rules> LoadRules(const std::filesystem::path& path);
// The embedded default rules and their exact bytes.
const Rules& DefaultRules();
std::string_view DefaultRulesJson();
// Canonical JSON of the rules in effect (format 2; not the hashed bytes).
std::string RulesToJson(const Rules& rules);

// True when `value` >= min_ratio x `reference`.
bool GatePassed(double value, double reference, double min_ratio);

}  // namespace maskbench::contest
