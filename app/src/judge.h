// Judging: every submission in a folder validated, run isolated, audited, scored
// and stored in a results database, idempotently and resumably.
//
// A submission is every direct sub-folder of the submissions folder that holds a
// plugin (.so); folders without one (e.g. `testing/`) are skipped. The reference
// baseline and the fp32 golden (named by the rules' gate and
// kBaselineSubmissionName) are judged first, because speedup divides by the
// baseline's latency and the gate compares with the golden's mAP@0.5. Runs are
// sequential, in this process's CPU affinity (pinned to one CPU by default).
//
// Resumability comes from the store (web_export::Store): a run is keyed by
// (artifact hash, data set hash, rules hash, harness version, machine); a key
// that already has a complete run is not run again, and everything of a run is
// committed in one transaction. See docs/judging.md.
//
// Not thread-safe: one Judge() at a time per results file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench::app {

inline constexpr const char* kBaselineSubmissionName = "reference-baseline";

struct JudgeOptions {
  std::filesystem::path submissions;  // folder of submission folders
  std::filesystem::path dataset;      // data set directory
  std::filesystem::path db;           // results SQLite file (created if missing)
  std::string split;                  // "" = the rules' split
  std::filesystem::path rules;        // "" = the built-in rules
  int64_t max_frames = 0;             // measured frames per run; 0 = all. Default: 0.
  int cpu = -2;                       // CPU to pin to; -1 = no pinning; -2 = the last CPU
  int audit_frames = 8;               // frames re-run by each audit. Default: 8.
  bool audits = true;                 // run the audits. Default: true.
  bool quiet = false;                 // no progress lines on stderr
  // Judge even where the full seal cannot be made (runs are then recorded with
  // seal "reduced"). Default: false: such a machine refuses to judge.
  bool allow_unsealed = false;
  // When another judge holds the results file: wait for it (true) or fail
  // naming it (false). Default: false.
  bool wait = false;
  // The audits' secret seed; 0 = a random one per judge (recorded in each
  // audit's detail). Default: 0.
  uint64_t audit_seed = 0;
  // Where to write a per-submission report (web_export::WriteSubmissionReport)
  // of every run made by this call, as DIR/<folder>/report.html; "" = none.
  // Reused runs (already stored) get none: their frames are not in memory.
  std::filesystem::path reports;
};

// One line of the judge's report.
struct JudgedSubmission {
  std::string folder;  // the sub-folder name
  std::string name;    // submission name
  std::string status;  // run status, or "skipped: <why>" for a folder that is not a submission
  std::string message;
  bool reused = false;  // an identical complete run was already stored
  int64_t run_id = 0;
  std::string report;  // the report written for this run (options.reports), else ""
};

// Judges every submission; fails only when the judge itself cannot work (bad
// data set, rules or results file), never because a submission misbehaves.
Result<std::vector<JudgedSubmission>> Judge(const JudgeOptions& options);

}  // namespace maskbench::app
