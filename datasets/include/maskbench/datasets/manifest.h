// The data set manifest: classes, splits, frames, annotations and media hashes.
//
// A data set is a directory holding `manifest.json` (format documented in
// docs/dataset-format.md) next to, or pointing at, its media. Media paths are
// relative to the manifest's directory unless absolute. The manifest's own hash
// is the SHA-256 of the bytes of manifest.json as written by SaveManifest,
// which writes canonically (sorted keys, fixed indentation), so equal content
// gives an equal hash.
//
// A Manifest is a plain value; it is not internally synchronised.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench::datasets {

// Current manifest format version. Readers accept this major version only.
inline constexpr int kManifestFormatVersion = 1;
inline constexpr const char* kManifestFileName = "manifest.json";

struct ClassInfo {
  int id = 0;        // stable integer id; the COCO category_id of this class
  std::string name;  // e.g. "with_mask"
};

// One media file (an image, or a video holding many frames).
struct Media {
  enum class Kind { kImage, kVideo };
  Kind kind = Kind::kImage;
  std::string path;    // relative to the manifest's directory, or absolute
  std::string sha256;  // lower-case hex of the file's bytes
  uint64_t bytes = 0;  // file size
};

struct Annotation {
  float x = 0, y = 0, w = 0, h = 0;  // box in float pixels of the frame, origin top-left
  int class_id = 0;                  // a ClassInfo::id
  bool difficult = false;            // VOC "difficult": ignored by VOC scoring
  bool crowd = false;                // COCO "iscrowd": matched as ignore by COCO scoring
  double area = 0;                   // COCO "area" (w*h for imported VOC/YOLO/video)
};

struct Frame {
  int64_t id = 0;           // stable frame id; the COCO image_id
  std::string name;         // human name, e.g. the image file stem or "clip.mp4#17"
  int media = 0;            // index into Manifest::media
  int64_t frame_index = 0;  // frame number inside a video; 0 for an image
  int width = 0, height = 0;
  std::string split;  // one of Manifest::splits, or empty
  std::vector<Annotation> annotations;
};

struct Manifest {
  int format_version = kManifestFormatVersion;
  std::string name;                 // free text, e.g. "face-mask"
  std::string source;               // how it was made, e.g. "import voc", "synth seed=1"
  std::vector<ClassInfo> classes;   // in the data set's fixed order
  std::vector<std::string> splits;  // split names in order, e.g. {"train", "val"}
  std::vector<Media> media;
  std::vector<Frame> frames;

  // The class with this id, or nullptr.
  const ClassInfo* FindClass(int id) const;
  // The class with this name, or nullptr.
  const ClassInfo* FindClassByName(const std::string& name) const;
  // Frames of one split (all frames when `split` is empty), in manifest order.
  std::vector<const Frame*> FramesOfSplit(const std::string& split) const;
};

// The face-mask task's classes in their fixed order, ids 0, 1, 2.
std::vector<ClassInfo> FaceMaskClasses();

// Serialises canonically (the bytes whose hash is the manifest hash).
std::string ManifestToJson(const Manifest& m);
// Parses and checks structure (types, ids, references); errors name `origin`.
Result<Manifest> ManifestFromJson(const std::string& text, const std::string& origin);

// Writes `dir/manifest.json` atomically and returns its hash.
Result<std::string> SaveManifest(const std::filesystem::path& dir, const Manifest& m);

// A manifest loaded from disk with where it came from and its hash.
struct Dataset {
  std::filesystem::path dir;  // the data set directory
  Manifest manifest;
  std::string manifest_sha256;  // hash of manifest.json's bytes
  // Absolute path of a media file.
  std::filesystem::path MediaPath(const Media& m) const;
  std::filesystem::path MediaPath(const Frame& f) const {
    return MediaPath(manifest.media[f.media]);
  }
};

// Loads `dir/manifest.json` (or `dir` itself when it names a .json file).
Result<Dataset> LoadDataset(const std::filesystem::path& dir_or_file);

}  // namespace maskbench::datasets
