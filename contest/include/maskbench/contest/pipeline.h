// One pipeline for every command that runs a submission (`run`, `judge`,
// `demo`): Evaluate() takes a submission and the context
// it is judged in (data set split, frames, rules, seal, scenario) and returns
// the run's record and facts, with the measurement protocol applied (host
// noise sampled, waited out and recorded) and, when asked, the audits.
// Thread-safety: Evaluate() may run in several threads on different contexts.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "maskbench/contest/facts.h"
#include "maskbench/contest/machine.h"
#include "maskbench/contest/rtl_build.h"
#include "maskbench/contest/rules.h"
#include "maskbench/contest/store.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/harness/frame_source.h"
#include "maskbench/harness/run_record.h"
#include "maskbench/harness/submission.h"
#include "maskbench/scoring/ground_truth.h"

namespace maskbench::contest {

// RunSettings from contest rules: limits, warm-up; class ids from the manifest.
harness::RunSettings SettingsFromRules(const Rules& rules, const datasets::Manifest& manifest);

// "all" for every frame of the split, else "first:N".
std::string FrameSelection(int64_t max_frames, int64_t split_frames);

struct EvaluationContext {
  const datasets::Dataset* dataset = nullptr;    // required
  std::string split;                             // "" = every frame
  const harness::FrameSource* frames = nullptr;  // the split's frames, required
  const Rules* rules = nullptr;                  // required
  int64_t max_frames = 0;                        // frames measured; 0 = all. Default: 0.
  harness::SealPolicy seal = harness::SealPolicy::kBestEffort;
  harness::Scenario scenario = harness::Scenario::kSingleStream;
  uint32_t batch_size = 0;  // Offline
  bool in_process = false;
  // Sample the host's noise before the timed run, wait while it is above the
  // rules' thresholds (Rules::measurement) and record it. Default: true.
  bool sample_noise = true;
  // The noop plugin for the noise probe (none: the probe is skipped).
  std::optional<harness::Submission> noop;
  // Run the audits (docs/contest.md, "Audits") after an ok run. Default: false.
  bool audits = false;
  int audit_frames = 8;
  uint64_t audit_seed = 1;                      // secret per judge; mixed with the artifact hash
  std::function<void(const std::string&)> log;  // progress lines (may be empty)
  // The submission was built from RTL sources by this harness (PrepareFolder,
  // PlanJudge): its cycles are the simulation's (metric cycles_simulated = 1)
  // and `resources` are Yosys's for it. Otherwise reported cycles count as
  // self-reported. Default: false, none.
  bool rtl_built = false;
  std::optional<FpgaResources> resources;
};

struct Evaluation {
  harness::RunRecord record;
  RunFacts facts;
  std::vector<AuditResult> audits;
  Noise noise;
  std::string frame_selection;  // RunKey::frame_selection
  int64_t split_frames = 0;     // frames in the split
  bool partial = false;         // fewer frames asked for than the split holds
  scoring::GroundTruth gt;      // of the frames that ran
  // The context's (not owned): for reports written after the run.
  const harness::FrameSource* frames = nullptr;
  const datasets::Dataset* dataset = nullptr;
  const Rules* rules = nullptr;
  std::string split;
};

// Runs `submission` in `context`: noise protocol, the timed run, facts against
// the ground truth, audits when asked. Fails only when the context itself is
// unusable (the ground truth, a facts computation); a submission's failure is
// in the record's status.
Result<Evaluation> Evaluate(const harness::Submission& submission, const EvaluationContext& ctx);

// What the store keeps of an evaluation (frames, metrics, audits, curves, seal).
RunOutcome ToOutcome(const Evaluation& e, const Rules& rules);

// The run's audits (consistency and caching) from one seeded audit run that a
// submission cannot tell from a scored run. `seed` is recorded in the details.
std::vector<AuditResult> RunAudits(const harness::Submission& sub,
                                   const harness::FrameSource& frames,
                                   const harness::RunRecord& scored,
                                   const harness::RunSettings& settings, int k, uint64_t seed);

// The SHA-256 over every regular file of a submission folder (sorted relative
// paths and their hashes): any change to the plugin or its files is a new artifact.
Result<std::string> ArtifactSha256(const std::filesystem::path& dir);

// The store rows a run key needs: this machine, the data set split, the rules.
struct StoreContext {
  int64_t machine_id = 0;
  int64_t dataset_id = 0;
  int64_t split_frames = 0;
};
Result<StoreContext> PrepareStore(Store& store, const datasets::Dataset& ds,
                                  const std::string& split, int64_t split_frames,
                                  const Rules& rules, const std::string& rules_text);

// The run key of `submission_id` in `ctx` (docs/contest.md, "The run key").
RunKey KeyFor(int64_t submission_id, const StoreContext& sc, const EvaluationContext& ctx,
              int64_t trial);

// Records who entered what and returns the submission's row id. `rtl_built`:
// the harness built it from RTL sources itself (stored as kind "rtl": its
// cycles are shown as simulated by the harness).
Result<int64_t> StoreEntry(Store& store, const harness::Submission& sub,
                           const std::string& artifact_sha256, const std::string& team_id,
                           const std::string& display_name, bool reference,
                           const std::string& track, bool rtl_built = false);

// Evaluates `sub` into the started run `run_id` (Store::BeginRun) and commits
// it: the timing cross-check (a flagged run is invalid_output), the artifact
// re-hashed after the run (a changed one is harness_error, unscored), the ABI
// the plugin reported. Returns the evaluation; `committed` gets what was stored.
Result<Evaluation> EvaluateAndCommit(Store& store, int64_t run_id, const harness::Submission& sub,
                                     const std::string& artifact_sha256,
                                     const EvaluationContext& ctx, RunOutcome* committed);

}  // namespace maskbench::contest
