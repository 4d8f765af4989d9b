// Ground truth for scoring: images, categories and boxes, read from COCO JSON.
//
// The COCO ground-truth layout (the one pycocotools reads and `dataset
// export-coco` writes) is: {"images": [{"id"}], "annotations": [{"id",
// "image_id", "category_id", "bbox": [x, y, w, h], "area", "iscrowd",
// "difficult"}], "categories": [{"id", "name"}]}; other keys are ignored.
// `area` defaults to w*h when absent, `iscrowd` and `difficult` to 0, `id` to
// the annotation's index + 1. Errors name the file and the record
// ("gt.json: annotations[3]: bbox must be 4 numbers"). See docs/scoring.md.
//
// A GroundTruth is an immutable value after loading; concurrent reads are safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench::scoring {

struct GtCategory {
  int64_t id = 0;
  std::string name;  // may be empty
};

struct GtBox {
  int64_t id = 0;        // annotation id (pycocotools records matches by it)
  int64_t image_id = 0;  // an id of GroundTruth::image_ids
  int64_t category_id = 0;
  double bbox[4] = {0, 0, 0, 0};  // x, y, w, h in pixels
  double area = 0;                // COCO size-bucket area (w*h when absent in the file)
  bool iscrowd = false;           // COCO: matched as ignore, IoU = inter / area(det)
  bool difficult = false;         // VOC: ignored (neither true nor false positive)
};

struct GroundTruth {
  std::vector<int64_t> image_ids;      // in file order, unique
  std::vector<GtCategory> categories;  // in file order, unique ids
  std::vector<GtBox> boxes;            // in file order

  // Index into image_ids / categories, or -1 when the id is unknown.
  int64_t ImageIndex(int64_t image_id) const;
  int CategoryIndex(int64_t category_id) const;
  // Category name for an id ("" when unknown or unnamed).
  std::string CategoryName(int64_t category_id) const;
  // Rebuilds the id lookups; call after filling the vectors by hand.
  void BuildIndex();

 private:
  std::unordered_map<int64_t, int64_t> image_index_;
  std::unordered_map<int64_t, int> category_index_;
};

// Parses COCO ground-truth JSON text; `where` names the source in errors.
// Checks: unique image / category / annotation ids, known image_id and
// category_id, bbox of 4 finite numbers with w, h >= 0, finite area >= 0.
Result<GroundTruth> ParseCocoGroundTruth(std::string_view json, const std::string& where);

// Reads and parses a COCO ground-truth file (errors name the path).
Result<GroundTruth> LoadCocoGroundTruth(const std::filesystem::path& path);

}  // namespace maskbench::scoring
