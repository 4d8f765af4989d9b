// Task metrics reported beside mAP: per-class precision / recall / F1 at an
// operating point, and violation recall / precision.
//
// At the operating point (score >= score_threshold, IoU >= iou_threshold,
// plain COCO IoU without the +1): per image and class, detections in
// descending score order (stable) each take the untaken non-ignored ground
// truth of highest IoU (first on ties); failing that, a detection that
// overlaps a crowd or difficult box by the threshold is ignored; anything
// else is a false positive. Untaken non-ignored ground truth are false negatives. Violation
// metrics pool the classes named in `violation_classes` into one class
// (a without_mask face found as mask_weared_incorrect counts as found).
// Ratios with a zero denominator are 0. See docs/scoring.md.
//
// ComputeTaskMetrics is pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/ground_truth.h"

namespace maskbench::scoring {

struct TaskMetricsOptions {
  double score_threshold = 0.5;  // detections below are dropped. Default: 0.5.
  double iou_threshold = 0.5;    // a match needs IoU >= this. Default: 0.5.
  // Category names pooled as "violation". Default: without_mask, mask_weared_incorrect.
  std::vector<std::string> violation_classes = {"without_mask", "mask_weared_incorrect"};
};

struct PrfCounts {
  int64_t tp = 0, fp = 0, fn = 0;
  double precision = 0;  // tp / (tp + fp)
  double recall = 0;     // tp / (tp + fn)
  double f1 = 0;         // 2PR / (P + R)
};

struct TaskClassMetrics {
  int64_t category_id = 0;
  std::string name;
  PrfCounts counts;
};

struct TaskMetrics {
  std::vector<TaskClassMetrics> per_class;  // ordered by category id
  // Pooled violation classes; empty when the ground truth names none of them.
  std::optional<PrfCounts> violation;
};

// Computes the task metrics; InvalidArgument for bad options or detections.
Result<TaskMetrics> ComputeTaskMetrics(const GroundTruth& gt, const std::vector<Detection>& dets,
                                       const TaskMetricsOptions& options = {});

}  // namespace maskbench::scoring
