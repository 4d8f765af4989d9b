// PASCAL VOC devkit evaluation (VOCevaldet / VOCap) of bounding boxes.
//
// Per class: detections of all images sorted by descending score (stable:
// ties keep input order); each is compared with every ground truth of its
// image and class, the one of highest IoU wins (first on ties); if that IoU
// >= the threshold: a difficult box -> ignored, an untaken box -> true
// positive (and taken), a taken box -> false positive; otherwise false
// positive. Boxes are integer pixel boxes: [x, y, w, h] spans x..x+w
// inclusive, area (w+1)(h+1). AP is all-point (VOC2010+) or 11-point
// (VOC2007). Crowd ground truth is treated as difficult. See docs/scoring.md.
//
// VocEvaluate is pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/ground_truth.h"

namespace maskbench::scoring {

enum class VocInterp { kAllPoint, kElevenPoint };

// "all" / "11".
const char* VocInterpName(VocInterp interp);

struct VocOptions {
  double iou_threshold = 0.5;               // a match needs IoU >= this. Default: 0.5.
  VocInterp interp = VocInterp::kAllPoint;  // Default: all-point (VOC2010+).
  // Keep each class's precision-recall curve (VocClassResult::curve). Default: false.
  bool keep_curves = false;
};

struct VocClassResult {
  int64_t category_id = 0;
  std::string name;
  double ap = -1;        // -1 when the class has no non-difficult ground truth
  double precision = 0;  // tp / (tp + fp) over all its detections (0 with none)
  double recall = 0;     // tp / non-difficult ground truth (0 when there is none)
  int64_t num_gt = 0;    // non-difficult ground truth boxes
  int64_t num_dets = 0;  // detections of the class (ignored ones included)
  int64_t tp = 0, fp = 0;
  // With VocOptions::keep_curves: (recall, precision) after each counted
  // detection in score order, from the cumulative true and false positives
  // of this same evaluation (ignored detections add no point).
  std::vector<std::pair<double, double>> curve;
};

struct VocResult {
  double iou_threshold = 0.5;
  VocInterp interp = VocInterp::kAllPoint;
  double map = -1;                        // mean AP over classes with ap >= 0; -1 when none
  std::vector<VocClassResult> per_class;  // ordered by category id
};

// Evaluates `dets` against `gt`. InvalidArgument for a threshold outside (0, 1]
// or a bad detection record ("detections: record i: ...").
Result<VocResult> VocEvaluate(const GroundTruth& gt, const std::vector<Detection>& dets,
                              const VocOptions& options = {});

// The `score --json` document of VOC mode (docs/cli.md), one line.
std::string VocResultToJson(const VocResult& r);
// Human-readable summary: mAP and a per-class table.
std::string VocResultToText(const VocResult& r);

}  // namespace maskbench::scoring
