// FrameCache: decoded frames of a data set, decoded once and memory-mapped.
//
// The first Open() of a (data set, split) decodes every frame (images with
// cv::imread, videos with cv::VideoCapture in order) into one flat file
// `<ds>/.cache/frames-<manifest sha256 prefix>-<split>.bin` and maps it; later
// Opens map that file without decoding. Building checks every source file
// against its SHA-256 in the manifest; the cache file is written atomically,
// carries a header with the manifest hash (a changed manifest never reads
// stale pixels), each source's size and modification time (a changed source
// rebuilds, and so is checked again) and a SHA-256 of each frame's pixels
// (Verify). All frames are 8-bit BGR, interleaved.
//
// Thread-safety: after Open, Get(), Verify() and size() are safe from any
// thread. The mapping lives as long as the FrameCache object.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/datasets/image_limits.h"
#include "maskbench/datasets/manifest.h"

namespace maskbench::datasets {

// A borrowed view of one decoded frame; valid while its FrameCache lives.
struct FrameView {
  const uint8_t* data = nullptr;  // BGR, row-major
  int width = 0;
  int height = 0;
  size_t stride = 0;     // bytes per row
  int64_t frame_id = 0;  // Frame::id in the manifest
};

struct FrameCacheOptions {
  // Decode into memory only, never read or write a cache file. Default: false.
  bool in_memory = false;
  // Where cache files go. Default: empty, meaning `<data set dir>/.cache`.
  std::string cache_dir;
  // Threads decoding images (videos are read in order by one thread each).
  // Default: 0, meaning std::thread::hardware_concurrency().
  int threads = 0;
  // The largest image decoded (checked from its header first). Default: ImageLimits{}.
  ImageLimits image_limits;
};

// The cache file Open uses for (`ds`, `split`) with `options` (format: docs/frame-cache.md).
std::string FrameCachePath(const Dataset& ds, const std::string& split,
                           const FrameCacheOptions& options = {});

class FrameCache {
 public:
  // Opens (building when absent, stale or damaged) the cache of `split` ("" = all
  // frames). A frame that cannot be decoded fails with a Status naming its file;
  // an unknown split is InvalidArgument. When the cache folder cannot be written
  // the frames are decoded into memory instead (cache_path() is then empty).
  static Result<std::unique_ptr<FrameCache>> Open(const Dataset& ds, const std::string& split,
                                                  const FrameCacheOptions& options = {});
  virtual ~FrameCache() = default;
  virtual size_t size() const = 0;
  virtual FrameView Get(size_t i) const = 0;
  // Checks frame i's pixels against the SHA-256 recorded when they were decoded
  // (once per frame and object; later calls are free). Corruption names the
  // cache file and the frame when they differ.
  virtual Status Verify(size_t i) const = 0;
  // True when this Open decoded the frames (no usable cache file existed).
  virtual bool decoded() const = 0;
  // The mapped cache file; empty when the frames live in memory (in_memory, or
  // the cache folder could not be written).
  virtual std::string cache_path() const { return {}; }
};

}  // namespace maskbench::datasets
