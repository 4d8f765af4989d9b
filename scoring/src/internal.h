// Internals shared by the scoring sources and their tests; not a public API.
// Everything here is pure and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/ground_truth.h"
#include "maskbench/scoring/voc_eval.h"

namespace maskbench::scoring::internal {

// A number for messages, %g-style ("1e+300").
std::string FormatNumber(double v);

// What np.sum / np.mean compute for float64: numpy's pairwise summation within
// blocks of 8192 elements (the reduction's buffer), the blocks added in order.
double PairwiseSum(const double* a, size_t n);

// pycocotools' parameters, computed as numpy.linspace computes them.
std::vector<double> CocoIouThresholds();     // 0.50, 0.55, ..., 0.95 (10)
std::vector<double> CocoRecallThresholds();  // 0.00, 0.01, ..., 1.00 (101)

// pycocotools maskApi bbIou of one detection and one ground-truth box [x, y, w, h].
double CocoIou(const double* det, const double* gt, bool gt_crowd);

// The VOC devkit's overlap of two [x, y, w, h] boxes with the +1 pixel convention,
// or a negative value when the boxes do not overlap (iw <= 0 or ih <= 0).
double VocIou(const double* det, const double* gt);

// Per detection: index of its image in GroundTruth::image_ids and of its category in
// GroundTruth::categories. InvalidArgument "<where>: record i: ..." on a bad record.
Status IndexDetections(const GroundTruth& gt, const std::vector<Detection>& dets,
                       const std::string& where, std::vector<int64_t>* image_index,
                       std::vector<int>* category_index);

// Category indices of `gt` sorted by category id.
std::vector<int> CategoriesById(const GroundTruth& gt);

// VOC AP of one class from per-detection outcomes in descending score order
// (+1 true positive, -1 false positive, 0 ignored) and npos > 0 non-difficult boxes.
double VocAveragePrecision(const std::vector<int8_t>& outcome, int64_t npos, VocInterp interp);

// Formats a double for JSON round-trip exactly (shortest representation).
std::string JsonNumber(double v);

}  // namespace maskbench::scoring::internal
