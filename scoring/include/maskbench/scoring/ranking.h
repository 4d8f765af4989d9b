// Ranking of judged entries under a Rules: the accuracy gate, then the
// primary key, then tie-breaks in order. Entries equal on every key share a
// rank (competition ranking: 1, 1, 3). Entries that did not complete, miss a
// ranking metric, or fail the gate are unranked with a reason.
//
// Rank is pure and thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/scoring/rules.h"

namespace maskbench::scoring {

struct RankEntry {
  std::string name;                       // submission name
  bool completed = true;                  // false when the run crashed, timed out, ...
  std::string status;                     // the run status when not completed, e.g. "timeout"
  std::map<std::string, double> metrics;  // keys of KnownMetricKeys()
};

struct RankedEntry {
  std::string name;
  std::optional<int> rank;          // 1-based; empty when unranked
  std::string reason;               // why unranked ("" when ranked)
  std::optional<bool> gate_passed;  // empty when the gate is off or not evaluable
  std::optional<double> composite;  // the composite score when the rules define one
};

// Ranks `entries`. `reference_value` is the gate metric of the reference
// (Rules::gate.reference); when absent the gate is not applied (gate_passed
// stays empty). Output: ranked entries by rank (ties in input order), then
// unranked ones in input order.
std::vector<RankedEntry> Rank(const std::vector<RankEntry>& entries, const Rules& rules,
                              std::optional<double> reference_value);

// Evaluates a composite expression against metric values. InvalidArgument on
// a syntax error, an unknown or missing key, or a non-finite result.
Result<double> EvaluateComposite(const std::string& expression,
                                 const std::map<std::string, double>& metrics);

}  // namespace maskbench::scoring
