// Ranking the entries of one track: entries already excluded (a reference, a
// partial run, …) and entries that did not complete are unranked with their
// reason; then the accuracy gate; then the primary key and the tie-breaks in
// order. Entries equal on every key share a rank (competition ranking: 1, 1, 3).
//
// RankTrack is pure and thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "maskbench/contest/rules.h"

namespace maskbench::contest {

struct RankInput {
  std::string id;                         // the entry's team id
  bool completed = true;                  // false when the run did not end ok
  std::string status;                     // the run status when not completed
  std::string excluded;                   // a reason to leave it unranked, "" = none
  std::map<std::string, double> metrics;  // stored and derived values by metric key
  // The gate reference's value on this entry's frames (overrides RankTrack's).
  std::optional<double> gate_reference;
};

struct RankOutput {
  std::string id;
  std::optional<int> rank;  // 1-based; empty when unranked
  std::string reason;       // why unranked ("" when ranked)
  // Empty when the gate is off or not evaluable; set for excluded entries too.
  std::optional<bool> gate_passed;
  std::optional<double> composite;  // the track's composite score, when it has one
};

// Ranks `entries` under `track`. `gate_reference` is the gate metric of the
// gate reference on the same frames; without it the gate is not applied.
// Output: ranked entries by rank (ties in input order), then unranked ones in
// input order.
std::vector<RankOutput> RankTrack(const std::vector<RankInput>& entries, const Track& track,
                                  std::optional<double> gate_reference);

// A number for reasons and messages: at most 4 significant digits ("0.9912").
std::string RoundedNumber(double v);

}  // namespace maskbench::contest
