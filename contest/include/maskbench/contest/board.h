// The board: judgements derived from the stored facts under the rules given
// now. For each track of the rules, every entry of the store with its run on
// the data set split (the latest complete one; the median of its trials), its
// track latency (measured: the rules' percentile of the parent-clock per-frame
// latencies; modeled: of cycles / clock), its speedup against the baseline run
// on the same frames (and, for measured latency, the same machine), the gate
// against the gate reference on the same frames, bootstrap intervals, outside
// scores, and its rank or the reason it has none. Nothing is re-run: a late
// baseline or new rules re-rank what is stored. See docs/contest.md.
//
// Thread-safety: BuildBoard reads `store` only; one Store per thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "maskbench/contest/rules.h"
#include "maskbench/contest/store.h"
#include "maskbench/core/status.h"

namespace maskbench::contest {

struct BoardOptions {
  // Manifest SHA-256 (or a unique prefix) of the data set. Default: empty =
  // the data set of the most recently finished run.
  std::string dataset_sha256;
  // The split. Default: empty = the rules' split when the store has runs on
  // it, else the split of the most recent run.
  std::string split;
  // Show partial runs (fewer frames than the split), unranked. Default: false.
  bool include_partial = false;
};

struct BoardEntry {
  std::string team_id;
  std::string display_name;
  SubmissionInfo submission;
  bool reference = false;  // an organiser reference: shown, never ranked
  int64_t run_id = 0;
  std::string status;
  std::string message;
  int64_t frames = 0;
  bool partial = false;
  std::string frame_selection;
  std::string machine_fingerprint;
  std::string node_class;
  std::string seal_level = "unknown";
  std::string seal_reason;
  // Where the cycles come from: "self-reported" (a C++ model), "simulated by
  // the harness" (RTL), or "" (none).
  std::string cycles_source;
  int64_t trials = 1;
  std::optional<double> trial_spread;  // (max - min) / median of the trials' latency
  // Stored facts and derived values by metric key (metrics.h) and outside scores.
  std::map<std::string, double> metrics;
  std::optional<int> rank;
  std::string unranked_reason;  // empty when ranked
  std::optional<bool> gate_passed;
  std::optional<double> score;  // the track's composite
  // Entries whose intervals on the primary key overlap share a tie group (> 0).
  int tie_group = 0;
  std::vector<AuditResult> audits;
  std::vector<double> latency_ms;  // per frame, the track's latency kind
  std::vector<PrCurve> pr_curves;
  std::string pr_curves_metric;
};

struct BoardTrack {
  std::string name;
  LatencyKind latency_kind = LatencyKind::kMeasured;
  RankKey primary;
  std::optional<std::string> composite;
  std::optional<BoardBudget> board;
  std::vector<BoardEntry> entries;  // ranked by rank, then unranked
  std::optional<double> baseline_latency_ms;
  std::optional<double> gate_reference;  // the gate reference's value on the track's frames
};

struct Board {
  Rules rules;
  std::string harness_version;  // of the runs shown
  DatasetInfo dataset;
  std::vector<MachineInfo> machines;  // every machine a shown run came from
  std::vector<BoardTrack> tracks;
  std::vector<std::string> notes;  // what a reader should know (e.g. "no baseline run")
};

// Builds the board. Fails when the store has no complete run (for the data
// set asked), or when a hash prefix matches nothing or is ambiguous.
Result<Board> BuildBoard(Store& store, const Rules& rules, const BoardOptions& options = {});

}  // namespace maskbench::contest
