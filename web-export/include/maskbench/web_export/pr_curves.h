// Precision-recall curves for the leaderboard's detail view. The points are
// computed with the scoring library's VOC evaluation (IoU >= 0.5, the matching
// behind mAP50) on the detections at or above a series of score thresholds, so
// each point is exactly a point of the class's precision-recall curve (raw, not
// the monotone envelope) and agrees with the stored mAP50.
//
// Thread-safety: pure function.
#pragma once

#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/ground_truth.h"
#include "maskbench/web_export/store.h"

namespace maskbench::web_export {

// One curve per class with ground truth, points in increasing recall (and
// decreasing score threshold), at most `max_points` thresholds taken evenly
// over the distinct detection scores (the lowest score always included).
// Cost: max_points VOC evaluations. Default max_points: 41.
Result<std::vector<PrCurve>> ComputePrCurves(const scoring::GroundTruth& gt,
                                             const std::vector<scoring::Detection>& dets,
                                             int max_points = 41);

}  // namespace maskbench::web_export
