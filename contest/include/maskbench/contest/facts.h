// The facts of one run: what a RunRecord and the data set's ground truth say,
// computed once, stored with the run, never re-derived from a judgement:
// accuracy (COCO mAP50 and AP, violation recall and precision), measured and
// modeled latency percentiles, the harness's overhead, a bootstrap interval of
// mAP50, and the precision-recall curves of the VOC evaluation at IoU 0.5.
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "maskbench/contest/rules.h"
#include "maskbench/contest/store.h"
#include "maskbench/core/status.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/harness/run_record.h"
#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/ground_truth.h"

namespace maskbench::contest {

// The ground truth of `split` ("" = every frame) restricted to `frame_ids`,
// built from the manifest directly: image ids are frame ids, annotation ids
// count from 1 in manifest order, boxes are the shortest decimal form of the
// manifest's floats (exactly what `dataset export-coco` writes and pycocotools
// would read).
Result<scoring::GroundTruth> GroundTruthForFrames(const datasets::Dataset& ds,
                                                  const std::string& split,
                                                  const std::vector<int64_t>& frame_ids);

// A run's detections as scoring reads them (image_id = frame id).
std::vector<scoring::Detection> RunDetections(const harness::RunRecord& record);

struct RunFacts {
  std::map<std::string, double> metrics;  // metric keys (metrics.h)
  std::vector<PrCurve> pr_curves;         // at most 200 points a class
  std::string pr_curves_metric;           // "VOC AP50 (all-point)"
};

// The facts of `record` under `rules` (headline percentile, uncertainty). `gt`
// may be null (no accuracy); accuracy is computed only for an ok run.
Result<RunFacts> ComputeFacts(const harness::RunRecord& record, const scoring::GroundTruth* gt,
                              const Rules& rules);

// Seeded bootstrap over frames: `samples` resamples of the frames with
// replacement; the (1 - confidence)/2 and (1 + confidence)/2 quantiles of the
// statistic. For mAP50, each resample is a COCO evaluation of the resampled
// frames (a frame drawn twice counts twice).
Result<std::pair<double, double>> BootstrapMap50(const scoring::GroundTruth& gt,
                                                 const std::vector<scoring::Detection>& dets,
                                                 int64_t samples, uint64_t seed, double confidence);
// For a latency percentile (nearest rank) of per-frame values.
std::optional<std::pair<double, double>> BootstrapPercentile(const std::vector<int64_t>& values,
                                                             double percentile, int64_t samples,
                                                             uint64_t seed, double confidence);

// Nearest-rank percentile; nullopt for no values.
std::optional<int64_t> PercentileOf(std::vector<int64_t> values, double percentile);

}  // namespace maskbench::contest
