// The `run --json` document (summary.json) and the per-run report, shared by
// `run`, `judge --reports` and `demo`: one evaluation (contest/pipeline.h)
// and, when the run was stored beside its references, its judgement per track
// (contest/board.h). Format: docs/cli.md, "run --json".
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "maskbench/contest/board.h"
#include "maskbench/contest/pipeline.h"
#include "maskbench/core/status.h"
#include "maskbench/harness/submission.h"

namespace maskbench::app {

// The version of the `run --json` document ("schema_version").
inline constexpr int kRunDocumentSchemaVersion = 2;

// One track's view of the run: its entry on a board built from the store the
// run was written to (null when the run is not in that track).
struct TrackView {
  const contest::BoardTrack* track = nullptr;
  const contest::BoardEntry* entry = nullptr;
};

// The entry of `team_id` in each track of `board` (board may be null: no views).
std::vector<TrackView> TrackViews(const contest::Board* board, const std::string& team_id);

// The document: status, frames, latency (measured, modeled), accuracy, the
// tracks' judgements, the submission, the seal and the context.
nlohmann::ordered_json RunDocument(const harness::Submission& sub, const contest::Evaluation& e,
                                   const contest::Rules& rules, const datasets::Dataset& ds,
                                   const std::string& split, const std::vector<TrackView>& tracks);

// Writes report.html (+ PNGs) for the evaluation into `dir`: whole (a sibling
// staged and swapped in) when `staged`, else straight into `dir` (which the
// caller is staging itself).
Status WriteRunReport(const std::filesystem::path& dir, const harness::Submission& sub,
                      const contest::Evaluation& e, const nlohmann::ordered_json& doc,
                      bool staged = true);

// A JudgeOptions::on_run that writes each run's report to ROOT/<folder>/ and
// returns its path ("" and a line on stderr when it cannot be written: the run
// is stored already, so a report costs only itself).
std::function<std::string(const std::string&, const harness::Submission&,
                          const contest::Evaluation&)>
ReportOnRun(const std::filesystem::path& root);

}  // namespace maskbench::app
