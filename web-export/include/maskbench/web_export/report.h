// The per-submission report: one self-contained HTML page (no network, no
// script) with PNG plots drawn in C++ with OpenCV — a latency histogram, the
// precision-recall curves per class, and up to six sample frames showing the
// run's detections (score >= kReportMinScore, class colour, "class score"
// label) against the ground truth (green). Written by `maskbench run --out`;
// files and layout in docs/runner.md.
//
// Thread-safety: WriteSubmissionReport only reads its inputs; concurrent calls
// writing to different directories are safe.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "maskbench/contest/store.h"
#include "maskbench/core/status.h"
#include "maskbench/harness/frame_source.h"
#include "maskbench/harness/run_record.h"
#include "maskbench/scoring/ground_truth.h"

namespace maskbench::web_export {

// Detections below this score are not drawn on the sample frames.
inline constexpr float kReportMinScore = 0.3f;
// At most this many sample frames.
inline constexpr int kReportMaxFrames = 6;
// Plot size (latency_histogram.png, pr_curves.png).
inline constexpr int kReportPlotWidth = 640;
inline constexpr int kReportPlotHeight = 360;
// Height of the legend strip added below each sample frame.
inline constexpr int kReportLegendHeight = 28;

struct ReportInput {
  std::string name, team, version;             // the submission
  const harness::RunRecord* record = nullptr;  // required
  nlohmann::ordered_json summary;            // the `run --json` document (+ anything); may be empty
  const scoring::GroundTruth* gt = nullptr;  // null = no accuracy, no GT boxes
  std::vector<contest::PrCurve> pr_curves;   // the run's curves (contest::RunFacts); may be empty
  std::string pr_curves_metric;              // what produced them, for the plot's title
  const harness::FrameSource* frames = nullptr;  // null = no sample frames
};

// Ground truth drawing colour (BGR): pure green.
inline constexpr std::array<uint8_t, 3> kReportGtColorBgr = {0, 255, 0};
// The drawing colour (BGR) of class `class_id` (never green; cycles over a palette).
std::array<uint8_t, 3> ReportClassColorBgr(int64_t class_id);
// The integer factor a frame of `width` pixels is enlarged by in the report (>= 1).
int ReportFrameScale(int width);
// The frame ids drawn as samples: the record's frames with the most ground-truth
// boxes (most detections when gt is null), ties by smaller id, at most kReportMaxFrames.
std::vector<int64_t> ReportSampleFrames(const harness::RunRecord& record,
                                        const scoring::GroundTruth* gt);

// Writes report.html, latency_histogram.png, pr_curves.png (only for an ok run
// with ground truth) and frames/frame_<id>.png into `dir` (created if missing).
// A failed run still gets a report of what exists. Errors name the file.
Status WriteSubmissionReport(const std::filesystem::path& dir, const ReportInput& in);

}  // namespace maskbench::web_export
