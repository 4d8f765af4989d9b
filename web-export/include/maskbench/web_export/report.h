// The per-submission report: one self-contained HTML page (no network, no
// script) that explains the score: the run's context (data set, split, rules,
// harness version), a summary with the gate and its threshold per track, a
// per-class table (AP, AP50, precision, recall, F1), PNG plots drawn in C++
// with OpenCV (a latency histogram and latency over the run, when there are
// latencies; the precision-recall curves per class), the worst frames (most
// missed ground truth, most false positives) with the run's detections (score
// >= kReportMinScore, thick, "class score" label) against the ground truth
// (thin, "GT"), both in their class colour, and crops of missed objects.
// Written by `maskbench run --out` and `judge --reports`; files and layout in
// docs/runner.md.
//
// Thread-safety: WriteSubmissionReport only reads its inputs; concurrent calls
// writing to different directories are safe.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
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
  // Frame id -> the data set's name for it (the image file); missing ids show as "frame <id>".
  std::map<int64_t, std::string> frame_names;
};

// What the report counts per frame: ground truth missed and false positives,
// detections with score >= kReportCountScore matched greedily (highest score
// first) to unmatched ground truth of the same class with IoU >= 0.5.
inline constexpr float kReportCountScore = 0.5f;
struct FrameErrors {
  int64_t frame_id = 0;
  int missed = 0, false_positives = 0;
  std::vector<size_t> missed_boxes;  // indices into GroundTruth::boxes
};
std::vector<FrameErrors> ReportFrameErrors(const harness::RunRecord& record,
                                           const scoring::GroundTruth& gt);
// The frames shown: up to 3 with the most missed ground truth, then up to 3
// with the most false positives, then the busiest (ReportSampleFrames) up to
// kReportMaxFrames; each with why it was chosen ("most missed", "most false
// positives", "most ground truth").
std::vector<std::pair<int64_t, std::string>> ReportWorstFrames(const harness::RunRecord& record,
                                                               const scoring::GroundTruth* gt);
// At most this many crops of missed objects.
inline constexpr int kReportMaxCrops = 12;

// The drawing colour (BGR) of class `class_id` (cycles over a palette), for
// its ground truth and its detections alike.
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
