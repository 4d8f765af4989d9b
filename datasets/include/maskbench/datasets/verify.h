// Verify: check that a data set is what its manifest says, end to end.
//
// For every media file: it exists, its size and SHA-256 match, and it decodes
// (an image must also be complete: a JPEG must end with its EOI marker FF D9,
// a PNG with its IEND chunk, because OpenCV returns a partly decoded image for
// a truncated file). A video is decoded to its end and its frames counted.
// For every frame: its media index and frame index exist, its size matches
// the decoded frame, and every box has a positive, finite size, lies inside
// the frame (0.5 px tolerance), has a known class and a finite non-negative
// area; split names and frame ids are valid and no two frames address the
// same picture. Every problem is reported (up to a cap), not only the first.
// Details: docs/datasets.md, "verify".
//
// VerifyDataset only reads files; calls on different data sets are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/datasets/image_limits.h"
#include "maskbench/datasets/manifest.h"

namespace maskbench::datasets {

struct VerifyOptions {
  // Stop collecting problems after this many (the count still grows). Default: 100.
  size_t max_problems = 100;
  // Print progress on stderr when it is a terminal. Default: false.
  bool progress = false;
  // The largest image decoded (checked from the header first). Default: ImageLimits{}.
  ImageLimits image_limits;
};

struct VerifyReport {
  int64_t media_checked = 0;
  int64_t frames_checked = 0;  // frames of the data set (including decoded video frames)
  int64_t boxes_checked = 0;
  int64_t problem_count = 0;          // every problem found
  std::vector<std::string> problems;  // the first max_problems, each "file: what"
  bool ok() const { return problem_count == 0; }
};

// Checks `ds` and fills `report`; returns Ok when there is no problem, else a
// Corruption naming the first problem and the total count.
Status VerifyDataset(const Dataset& ds, const VerifyOptions& options, VerifyReport* report);

}  // namespace maskbench::datasets
