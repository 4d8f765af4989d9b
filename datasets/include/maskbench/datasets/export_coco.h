// Ground truth as COCO JSON: a data set (or one split of it) in the layout
// pycocotools reads, so any COCO-style scorer can consume maskbench data.
//
// Layout (see docs/datasets.md, "export-coco"):
//   {"info": {...}, "images": [{id, file_name, width, height}],
//    "annotations": [{id, image_id, category_id, bbox, area, iscrowd, difficult}],
//    "categories": [{id, name}]}
// image id = Frame::id, category_id = ClassInfo::id, annotation ids run from 1 in
// manifest order. `difficult` (0/1) is an extra field kept from VOC; COCO tools
// ignore it. Images appear in manifest order; file_name is the media path as
// stored in the manifest (relative to the data set directory unless absolute),
// so `dataset import coco --gt GT.json --images DS` reads the export back.
//
// Functions are pure (no I/O, no shared state) and thread-safe.
#pragma once

#include <string>

#include "maskbench/core/status.h"
#include "maskbench/datasets/manifest.h"

namespace maskbench::datasets {

// COCO JSON text of the frames of `split` (every frame when `split` is empty).
// InvalidArgument when `split` is not empty and not one of the manifest's splits.
Result<std::string> ExportCocoJson(const Dataset& ds, const std::string& split);

// Same, from a bare manifest (info.manifest_sha256 is then left empty).
Result<std::string> ExportCocoJson(const Manifest& m, const std::string& split);

}  // namespace maskbench::datasets
