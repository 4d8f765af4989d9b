// Judging: every entry of a submissions folder evaluated (pipeline.h) and
// stored in a results database, idempotently and resumably, under the one-
// writer lock. Entries are the folder's direct sub-folders that hold a plugin
// (team id = folder name), or a roster's teams; the rules' references are
// judged first (from the folder, else from the build) and stored as
// references. Judgements (speedup, gate, ranks) are not made here: a board
// derives them from the stored facts (board.h). See docs/judging.md.
//
// Not thread-safe: one Judge() at a time per results file (the lock enforces it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "maskbench/contest/pipeline.h"
#include "maskbench/contest/rules.h"
#include "maskbench/core/status.h"
#include "maskbench/datasets/manifest.h"

namespace maskbench::contest {

struct JudgeOptions {
  std::filesystem::path submissions;  // folder of submission folders
  std::filesystem::path dataset;      // data set directory
  std::filesystem::path db;           // results SQLite file (created if missing)
  std::string split;                  // "" = the rules' split
  std::filesystem::path rules;        // "" = the built-in rules
  std::filesystem::path roster;       // teams.json; "" = one entry per folder
  // Where the build's own references are (used when the folder has none): the
  // folder that holds reference-baseline/ and reference-fp32/. "" = none.
  std::filesystem::path build_submissions;
  // Where RTL entries are built (docs/rtl.md): <rtl_builds>/<source hash>.
  // "" = <db>.rtl beside the results file. Slurm tasks share the head's.
  std::filesystem::path rtl_builds;
  int64_t max_frames = 0;  // measured frames per run; 0 = all (a smaller run is partial)
  int64_t trials = 0;      // timed runs per entry; 0 = the rules' measurement.trials
  int cpu = -2;            // CPU to pin to; -1 = no pinning; -2 = the last CPU this process may use
  // Judge only these team ids (folder names, or a roster's ids) besides the
  // references; empty = every entry. A task of the Slurm executor judges one.
  std::vector<std::string> only;
  // Judge the rules' references (first). Default: true. A Slurm task whose node
  // already measured them leaves them out.
  bool references = true;
  // With `references`: judge only these of the rules' references (empty = both).
  std::vector<std::string> only_references;
  int audit_frames = 8;  // distinct frames in the audit run. Default: 8.
  bool audits = true;    // run the audits. Default: true.
  bool quiet = false;    // no progress lines on stderr
  // Judge even where the full seal cannot be made (runs are then recorded with
  // seal "reduced"). Default: false: such a machine refuses to judge.
  bool allow_unsealed = false;
  // When another judge holds the results file: wait for it (true) or fail.
  bool wait = false;
  // The audits' secret seed; 0 = a random one per judge (recorded in each audit).
  uint64_t audit_seed = 0;
  // Sample the host's noise before each timed run (Rules::measurement). Default: true.
  bool sample_noise = true;
  // Called after each run this call made is stored (e.g. to write its report);
  // returns what to put in JudgedEntry::report ("" = nothing).
  std::function<std::string(const std::string& folder, const harness::Submission&,
                            const Evaluation&)>
      on_run;
};

// One line of the judge's report.
struct JudgedEntry {
  std::string folder;   // the sub-folder
  std::string team_id;  // the entry's identity
  std::string name;     // the submission's display name
  bool reference = false;
  std::string status;  // run status, or "skipped"
  std::string message;
  bool reused = false;  // an identical complete run was already stored
  bool partial = false;
  int64_t run_id = 0;  // the first trial's run
  int64_t trials = 0;
  std::string report;  // what on_run returned for the first trial
};

// One entry to judge: where it is and who it is.
struct PlannedEntry {
  std::filesystem::path folder;  // what runs: for an RTL entry, the judge's own build of it
  std::string team_id;
  std::string display_name;  // "" = the submission's own name
  bool reference = false;
  std::string track;
  // An RTL entry (docs/rtl.md): built by this judge from the sources in
  // `source` into <db>.rtl/<source hash>; its cycles are simulated.
  bool rtl = false;
  std::filesystem::path source;
};

// What a judge will do, before anything runs: its inputs checked (rules, data
// set and split, roster, the references found) and its entries in order (the
// references first), with every folder it skips and why.
struct JudgePlan {
  Rules rules;
  std::string rules_text;
  datasets::Dataset dataset;
  std::string split;  // "" = every frame
  std::vector<PlannedEntry> entries;
  std::vector<JudgedEntry> skipped;
};
Result<JudgePlan> PlanJudge(const JudgeOptions& options);

// Judges every entry; fails only when the judge itself cannot work (bad data
// set, rules, roster or results file, no seal, no references), never because
// a submission misbehaves. The report also lists every folder skipped, and why.
Result<std::vector<JudgedEntry>> Judge(const JudgeOptions& options);

}  // namespace maskbench::contest
