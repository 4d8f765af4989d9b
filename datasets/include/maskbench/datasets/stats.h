// Stats: counts that describe a data set, overall and per split.
//
// Box sizes follow COCO's ranges on the annotation's area: small < 32^2,
// medium 32^2 to < 96^2, large >= 96^2 (px^2). Details: docs/datasets.md.
//
// Functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/datasets/manifest.h"

namespace maskbench::datasets {

struct SplitStats {
  std::string split;   // "" = every frame
  int64_t images = 0;  // frames
  int64_t boxes = 0;
  int64_t empty_images = 0;  // frames without a box
  int64_t difficult = 0;
  int64_t crowd = 0;
  int64_t small = 0, medium = 0, large = 0;
  std::vector<std::pair<std::string, int64_t>> classes;  // every class, in manifest order
};

struct DatasetStats {
  std::string name;
  std::string manifest_sha256;
  SplitStats selected;  // the split asked for (all frames when none)
  std::vector<SplitStats>
      splits;  // each manifest split (plus "(none)" for split "" when present), when none asked
};

// Stats of frames of `split` (every frame when empty) in `m`.
SplitStats ComputeSplitStats(const Manifest& m, const std::string& split);

// Stats of a data set; InvalidArgument when `split` is not a split of it.
Result<DatasetStats> ComputeStats(const Dataset& ds, const std::string& split);

// The `stats --json` document: {"images", "boxes", "classes": {name: n}, "sizes":
// {"small","medium","large"}, "difficult", "crowd", "empty_images", "split",
// "name", "manifest_sha256", "splits": {name: {same counts}}}.
std::string StatsToJson(const DatasetStats& s);

// A human-readable table.
std::string StatsToText(const DatasetStats& s);

}  // namespace maskbench::datasets
