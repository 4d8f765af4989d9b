// COCO-style bounding-box evaluation, identical to pycocotools COCOeval(iouType='bbox').
//
// IoU thresholds .50:.05:.95, 101 recall points, maxDets 1/10/100, area
// ranges all / small (<32^2) / medium (32^2..96^2) / large (>96^2) from the
// ground truth's `area`, crowd ground truth matched as ignore, stable score
// sorts, -1 where a cell has no ground truth. Every category of
// GroundTruth::categories and every image of GroundTruth::image_ids is
// evaluated. Definitions in docs/scoring.md.
//
// CocoEvaluate is pure and thread-safe (single-threaded inside).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/ground_truth.h"

namespace maskbench::scoring {

// The 12 summary stats in pycocotools order.
enum CocoStat : int {
  kAP = 0,
  kAP50,
  kAP75,
  kAPSmall,
  kAPMedium,
  kAPLarge,
  kAR1,
  kAR10,
  kAR100,
  kARSmall,
  kARMedium,
  kARLarge,
  kNumCocoStats
};

// "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl".
const char* CocoStatName(int stat);

struct CocoClassResult {
  int64_t category_id = 0;
  std::string name;
  double ap = -1;    // mean precision over IoU .50:.95 and 101 recall points (area all, 100 dets)
  double ap50 = -1;  // the same at IoU .50 only; -1 when the class has no ground truth
};

struct CocoResult {
  std::array<double, kNumCocoStats> stats{};  // indexed by CocoStat
  std::vector<CocoClassResult> per_class;     // ordered by category id
};

// Evaluates `dets` against `gt`. InvalidArgument ("detections: record i: ...")
// when a detection names an unknown image or category or has a bad box/score.
Result<CocoResult> CocoEvaluate(const GroundTruth& gt, const std::vector<Detection>& dets);

// The `score --json` document of COCO mode (docs/cli.md), one line.
std::string CocoResultToJson(const CocoResult& r);
// Human-readable summary: pycocotools' 12 lines plus a per-class table.
std::string CocoResultToText(const CocoResult& r);

}  // namespace maskbench::scoring
