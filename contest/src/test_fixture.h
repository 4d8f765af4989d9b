// Test data for the contest and web-export tests: a judge-like loop that writes
// runs of made-up entries (the two references, ok ones, a tie, a modeled
// hardware model with cycles, a caching cheat, a gate failure, a crash and a
// hang) through the real Store API. Deterministic: the same call gives the same
// rows (timestamps aside), so a resumed fill can be compared to a clean one.
// Thread-safety: none needed (test-only, single-threaded).
#pragma once

#include <string>
#include <vector>

#include "maskbench/contest/store.h"

namespace maskbench::contest::testing {

struct FixtureOptions {
  int frames = 40;  // timed frames per ok run
  std::string harness_version = "0.1.0";
  std::string manifest_sha256 = std::string(64, 'd');
  std::string split = "test";
  std::string machine_fingerprint = "fp-test-machine";
  std::string frame_selection = "all";  // "first:N" makes every run partial
  // Leave the baseline out (a late baseline can be added by a second fill).
  bool without_baseline = false;
  // Only the baseline (the late one).
  bool only_baseline = false;
  // Called after each BeginRun that starts a run (not for skipped complete runs).
  void (*after_begin)(int index) = nullptr;
};

struct FillReport {
  int started = 0;  // runs begun (and committed) by this call
  int skipped = 0;  // runs already complete
};

// The made-up entries' team ids, in fill order.
std::vector<std::string> FixtureTeamIds();

// Writes (or resumes) one run per fixture entry. Stops at the first error.
Result<FillReport> FillFixtureStore(Store& store, const FixtureOptions& options = {});

}  // namespace maskbench::contest::testing
