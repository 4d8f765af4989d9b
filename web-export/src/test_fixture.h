// Test data for the web-export tests: a judge-like loop that writes runs of
// made-up submissions (ok, crashed, timeout, audit failure, gate failure, a tie,
// a modeled one) through the real Store API. Deterministic: the same call gives
// the same rows (timestamps aside), so a resumed fill can be compared to a clean one.
// Thread-safety: none needed (test-only, single-threaded).
#pragma once

#include <string>
#include <vector>

#include "maskbench/web_export/store.h"

namespace maskbench::web_export::testing {

// scoring::DefaultRulesJson() as a string.
std::string DefaultRulesText();

struct FixtureOptions {
  int frames = 40;               // timed frames per ok run
  std::string harness_version = "0.1.0";
  std::string manifest_sha256 = std::string(64, 'd');
  // The rules file's text. Default: scoring's embedded default rules (speedup,
  // then mAP50, then latency; gate 0.99 x reference-fp32 mAP50).
  std::string rules_json = DefaultRulesText();
  // Called after each BeginRun that starts a run (not for skipped complete runs).
  void (*after_begin)(int index) = nullptr;
};

struct FillReport {
  int started = 0;  // runs begun (and committed) by this call
  int skipped = 0;  // runs already complete
};

// The made-up submissions' names, in fill order.
std::vector<std::string> FixtureSubmissionNames();

// Writes (or resumes) one run per fixture submission. Stops at the first error.
Result<FillReport> FillFixtureStore(Store& store, const FixtureOptions& options = {});

}  // namespace maskbench::web_export::testing
