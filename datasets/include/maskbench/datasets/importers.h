// Importers: build a maskbench data set (a directory with manifest.json) from
// labels in PASCAL VOC XML, COCO JSON, YOLO txt, or a video plus a CSV of boxes.
//
// Media are not copied: the manifest stores each media path relative to the
// output directory (so a data set can point at ../shared), with its SHA-256 and
// size. Image sizes come from decoding the file. Frames get ids 0, 1, 2, … in
// a fixed order: the splits in the order given, each sorted by name, then the
// frames in no split (split "") sorted by name; COCO keeps its image ids.
// Every error names the file and the record (object index, line, annotation).
// The formats and rules are in docs/datasets.md and docs/dataset-format.md.
//
// Each call is independent and thread-safe as long as two calls do not write
// the same output directory.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/datasets/image_limits.h"
#include "maskbench/datasets/manifest.h"

namespace maskbench::datasets {

// One `--split NAME=FILE`: FILE lists image names (no extension), one a line.
struct SplitList {
  std::string name;
  std::filesystem::path file;
};

// Parses "NAME=FILE" flags; InvalidArgument names the bad flag.
Result<std::vector<SplitList>> ParseSplitFlags(const std::vector<std::string>& flags);

struct ImportOptions {
  // The data set directory to write (created when missing). Required.
  std::filesystem::path out;
  // Split lists. Default: none, every frame gets split "".
  std::vector<SplitList> splits;
  // A file with one class name a line; fixes the classes (ids 0..n-1 in file
  // order) and makes an unknown name an error. Required for YOLO.
  // Default: empty (VOC/video: the face-mask classes when every name is one of
  // them, otherwise the names seen, sorted, ids 0..n-1).
  std::filesystem::path classes_file;
  // Manifest "name". Default: the output directory's name.
  std::string name;
  // Print progress on stderr. Default: false.
  bool progress = false;
  // The largest image decoded (checked from the header first). Default: ImageLimits{}.
  ImageLimits image_limits;
  // Let an annotation's image path (VOC <filename>, COCO file_name) resolve
  // outside the images folder (absolute, or through ".."). Default: false: such
  // a path is an error naming the record.
  bool allow_outside_images = false;
};

struct ImportReport {
  int64_t frames = 0;
  int64_t boxes = 0;
  int64_t clipped_boxes = 0;  // boxes that ended past the frame and were clipped
  std::string manifest_sha256;
  std::filesystem::path manifest_path;
};

// PASCAL VOC: every *.xml in `annotations_dir`, each naming its image (in
// `images_dir`) in <filename>, or found as <xml stem>.{jpg,jpeg,png,bmp}.
Result<ImportReport> ImportVoc(const std::filesystem::path& images_dir,
                               const std::filesystem::path& annotations_dir,
                               const ImportOptions& options);

// COCO ground truth JSON; images are `images_dir`/file_name. Keeps image ids
// (frame ids), category ids (class ids), bbox, area and iscrowd.
Result<ImportReport> ImportCoco(const std::filesystem::path& gt_json,
                                const std::filesystem::path& images_dir,
                                const ImportOptions& options);

// YOLO: every image in `images_dir`, labels in `labels_dir`/<stem>.txt with
// lines "class cx cy w h" (relative); options.classes_file is required.
Result<ImportReport> ImportYolo(const std::filesystem::path& images_dir,
                                const std::filesystem::path& labels_dir,
                                const ImportOptions& options);

// A video OpenCV decodes plus a CSV "frame,class,x,y,w,h[,difficult]" (header
// line, 0-based frame index, class name, pixel box). Every decoded frame is a
// frame of the data set. Splits are not used.
Result<ImportReport> ImportVideo(const std::filesystem::path& video,
                                 const std::filesystem::path& annotations_csv,
                                 const ImportOptions& options);

}  // namespace maskbench::datasets
