// Detections in the COCO "results" format: [{image_id, category_id, bbox, score}].
//
// Parsing is strict and fast (a purpose-built reader, ~250 MB/s): every
// record must be an object with integer image_id and category_id, a bbox of 4
// finite numbers with w, h >= 0, and a finite score (the reader accepts the
// tokens NaN / Infinity that some writers emit, only to report them). Other
// keys (e.g. "segmentation") are skipped. Errors name the source and the
// record index: "dets.json: record 17: bbox must be 4 numbers".
//
// Functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/scoring/ground_truth.h"

namespace maskbench::scoring {

// The largest box coordinate (|x|, |y|, w, h, in pixels) a detection or a
// ground-truth box may have: far past any frame, small enough that areas and
// intersections stay exact in double and no IoU is ever inf/inf = NaN.
inline constexpr double kMaxBoxCoordinate = 1e7;

struct Detection {
  int64_t image_id = 0;
  int64_t category_id = 0;
  double bbox[4] = {0, 0, 0, 0};  // x, y, w, h in pixels
  double score = 0;
};

// Parses COCO results JSON text (a top-level array); `where` names it in errors.
Result<std::vector<Detection>> ParseCocoDetections(std::string_view json, const std::string& where);

// Reads and parses a results file, then checks it against `gt` (ValidateDetections).
Result<std::vector<Detection>> LoadCocoDetections(const std::filesystem::path& path,
                                                  const GroundTruth& gt);

// Checks every record: known image_id and category_id, 4 finite bbox numbers
// with w, h >= 0, finite score. Errors: "<where>: record <i>: <problem>".
Status ValidateDetections(const GroundTruth& gt, const std::vector<Detection>& dets,
                          const std::string& where);

// COCO results JSON text of `dets` (numbers printed round-trip exact).
std::string DetectionsToCocoJson(const std::vector<Detection>& dets);

}  // namespace maskbench::scoring
