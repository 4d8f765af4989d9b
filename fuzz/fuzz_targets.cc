// libFuzzer targets for every parser of outside input: the importers' text
// formats (VOC XML, YOLO labels, the video CSV, class lists, COCO ground truth
// through the real importer), the manifest reader, the detections and
// ground-truth parsers, the rules parser, and the image decoder. One source,
// one target per FUZZ_TARGET_<name> define (fuzz/CMakeLists.txt). A target
// passes when no input crashes, aborts, leaks through an uncaught exception or
// trips ASan/UBSan; every input must come back as a value or a Status.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include "image_decode.h"
#include "import_util.h"
#include "maskbench/contest/rules.h"
#include "maskbench/core/files.h"
#include "maskbench/core/text.h"
#include "maskbench/datasets/importers.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/ground_truth.h"

namespace {

namespace fs = std::filesystem;
namespace ds = maskbench::datasets;
namespace internal = maskbench::datasets::internal;

// Every message a parser returns must be printable after sanitizing.
void Use(const maskbench::Status& s) {
  if (!s.ok() && !maskbench::IsValidUtf8(maskbench::SanitizeText(s.message()))) __builtin_trap();
}

// A private scratch folder for the targets that go through files.
const fs::path& Scratch() {
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("maskbench-fuzz-" + std::to_string(getpid()));
    fs::create_directories(d / "images");
    return d;
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
#if defined(FUZZ_TARGET_voc)
  Use(internal::ParseVocText(text, "a.xml").status());
#elif defined(FUZZ_TARGET_yolo)
  int64_t clipped = 0;
  Use(internal::ParseYoloLabels(text, "a.txt", 3, "classes.txt", 640, 480, &clipped).status());
#elif defined(FUZZ_TARGET_video_csv)
  Use(internal::ParseVideoCsv(text, "boxes.csv").status());
#elif defined(FUZZ_TARGET_class_names)
  Use(internal::ParseClassNames(text, "classes.txt").status());
#elif defined(FUZZ_TARGET_coco_import)
  // The real importer, end to end: the JSON and the image paths it names.
  const fs::path gt = Scratch() / "gt.json";
  if (!maskbench::WriteFileAtomic(gt, text).ok()) return 0;
  ds::ImportOptions o;
  o.out = Scratch() / "out";
  Use(ds::ImportCoco(gt, Scratch() / "images", o).status());
#elif defined(FUZZ_TARGET_manifest)
  Use(ds::ManifestFromJson(std::string(text), "manifest.json").status());
#elif defined(FUZZ_TARGET_detections)
  Use(maskbench::scoring::ParseCocoDetections(text, "dets.json").status());
#elif defined(FUZZ_TARGET_ground_truth)
  Use(maskbench::scoring::ParseCocoGroundTruth(text, "gt.json").status());
#elif defined(FUZZ_TARGET_rules)
  Use(maskbench::contest::ParseRules(text, "rules.json").status());
#elif defined(FUZZ_TARGET_image)
  ds::ImageLimits small;
  small.max_side = 4096;
  small.max_pixels = 4'000'000;
  Use(internal::DecodeImage(text, "x.img", small).status());
#else
#error "define FUZZ_TARGET_<name>"
#endif
  return 0;
}
