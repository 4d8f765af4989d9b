// FrameSource: the frames a run feeds to a submission, pixels only.
//
// The runner asks a source for its size and for one frame at a time; a frame is
// a borrowed view valid while the source lives. Labels are never part of a
// source, so nothing about ground truth can reach the child process.
// Sources here are read-only after construction: Get() is safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench::harness {

// One frame: 8-bit interleaved pixels.
struct FrameRef {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  size_t stride = 0;          // bytes per row, >= 3 * width
  uint32_t pixel_format = 1;  // MB_PIXEL_FORMAT_BGR8 (1) or MB_PIXEL_FORMAT_RGB8 (2)
  int64_t frame_id = 0;       // the COCO image_id of the frame
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual size_t size() const = 0;
  // Frame `i` (< size()).
  virtual FrameRef Get(size_t i) const = 0;
  // Checks frame `i` before a run uses it (e.g. its pixels against a stored
  // checksum); the runner ends the run with harness_error when it fails.
  // Default: always ok.
  virtual Status Check(size_t i) const {
    (void)i;
    return Status::Ok();
  }
};

// Frames held in memory (owned copies).
class MemoryFrameSource : public FrameSource {
 public:
  // Appends a copy of a tightly packed BGR frame.
  void Add(const uint8_t* bgr, int width, int height, int64_t frame_id);
  size_t size() const override { return frames_.size(); }
  FrameRef Get(size_t i) const override;

 private:
  struct Owned {
    std::vector<uint8_t> pixels;
    int width, height;
    int64_t frame_id;
  };
  std::vector<Owned> frames_;
};

// `count` deterministic synthetic BGR frames (gradients plus a few solid
// face-sized blobs), ids 0..count-1. Used by `validate` and the benchmarks.
std::unique_ptr<MemoryFrameSource> MakeSyntheticFrames(size_t count, int width, int height,
                                                       uint32_t seed = 1);

}  // namespace maskbench::harness
