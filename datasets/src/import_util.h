// Internals shared by the importers and verify (not a public header).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/datasets/importers.h"
#include "maskbench/datasets/manifest.h"

namespace maskbench::datasets::internal {

// Tolerance (px) for a box edge past the frame in verify and the COCO importer.
inline constexpr float kBoxTolerancePx = 0.5f;

// A media file read once: its hash, size and, for an image, decoded size.
struct ImageFileInfo {
  std::string sha256;
  uint64_t bytes = 0;
  int width = 0, height = 0;
};

// Empty when `data` looks complete; otherwise why not (JPEG without the EOI
// marker FF D9 at its end, PNG without its IEND chunk at its end).
std::string ImageTruncationProblem(const std::string& data);

// Reads, hashes, checks the header against `limits` and completeness, and
// decodes one image file (image_decode.h).
Result<ImageFileInfo> ReadImageFile(const std::filesystem::path& path, const ImageLimits& limits);

// `name` (an annotation's image path) resolved inside `images_dir`: an absolute
// path, one that climbs out through "..", an empty one or one naming a folder is
// InvalidArgument naming `where`, unless `allow_outside`.
Result<std::filesystem::path> ImagePathInside(const std::filesystem::path& images_dir,
                                              const std::string& name, bool allow_outside,
                                              const std::string& where);

// `path` relative to `dir` (both made absolute and canonical where they exist).
std::string RelativeTo(const std::filesystem::path& path, const std::filesystem::path& dir);

// Split lists read into name -> split; errors name the file and line.
Result<std::map<std::string, std::string>> ReadSplitLists(const std::vector<SplitList>& lists);

// One class name a line (blank lines skipped); errors name the file and line.
Result<std::vector<ClassInfo>> ReadClassesFile(const std::filesystem::path& file);

// The classes for names seen when no class file was given: the face-mask
// classes when every name is one of them, otherwise the names sorted, ids 0..n-1.
std::vector<ClassInfo> ClassesForNames(const std::set<std::string>& names);

// Clips the box [x0,x1]x[y0,y1] to [0,width]x[0,height]. Error text (empty when
// fine) when it lies fully outside or has no positive size after clipping.
std::string ClipBox(float* x0, float* y0, float* x1, float* y1, int width, int height,
                    bool* clipped);

// Orders frames (splits in order, each by name, then split "" by name), checks
// that every name in a split list was found, optionally renumbers ids from 0,
// and writes the manifest. `lists` are the split lists (for error messages).
Result<ImportReport> FinishImport(Manifest m, const ImportOptions& options,
                                  const std::map<std::string, std::string>& split_of,
                                  const std::set<std::string>& found_names, bool renumber);

// Image files (by extension) directly in `dir`, sorted by file name.
Result<std::vector<std::filesystem::path>> ListFiles(const std::filesystem::path& dir,
                                                     const std::set<std::string>& extensions);

// Progress on stderr ("\r<what> i/n"), only when enabled and stderr is a tty.
class Progress {
 public:
  Progress(std::string what, int64_t total, bool enabled);
  ~Progress();
  void Step();

 private:
  std::string what_;
  int64_t total_, done_ = 0;
  bool enabled_;
};

// ---- Text parsers of the importers (also the fuzz targets' entry points) ----

// One box of a video's CSV (docs/dataset-format.md).
struct CsvBox {
  int line = 0;
  int64_t frame = 0;
  std::string cls;
  float x = 0, y = 0, w = 0, h = 0;
  bool difficult = false;
};
// The CSV of `import video`; `csv` names it in errors.
Result<std::vector<CsvBox>> ParseVideoCsv(std::string_view text, const std::filesystem::path& csv);

struct VocObject {
  std::string name;
  float xmin = 0, ymin = 0, xmax = 0, ymax = 0;
  bool difficult = false;
};
struct VocFile {
  std::filesystem::path xml;
  std::string stem;
  std::string filename;       // <filename>, may be empty
  int width = 0, height = 0;  // <size>, 0 when absent
  std::vector<VocObject> objects;
};
// One PASCAL VOC annotation file's text; `xml` names it (and gives the stem).
Result<VocFile> ParseVocText(std::string_view text, const std::filesystem::path& xml);

// The boxes of one YOLO label file (`where` names it) for an image of
// width x height, with `class_count` classes; *clipped counts clipped boxes.
Result<std::vector<Annotation>> ParseYoloLabels(std::string_view text, const std::string& where,
                                                size_t class_count, const std::string& classes_file,
                                                int width, int height, int64_t* clipped);

// One class name a line (blank lines skipped), as ReadClassesFile reads them.
Result<std::vector<ClassInfo>> ParseClassNames(std::string_view text, const std::string& where);

// Trims ASCII whitespace on both ends.
std::string Trim(const std::string& s);

// Parses a float; false when `s` is not entirely a finite number.
bool ParseFloat(const std::string& s, float* out);

}  // namespace maskbench::datasets::internal
