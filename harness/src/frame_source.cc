#include "maskbench/harness/frame_source.h"

#include <algorithm>
#include <cstring>

namespace maskbench::harness {

void MemoryFrameSource::Add(const uint8_t* bgr, int width, int height, int64_t frame_id) {
  Owned f;
  f.pixels.assign(bgr, bgr + static_cast<size_t>(width) * height * 3);
  f.width = width;
  f.height = height;
  f.frame_id = frame_id;
  frames_.push_back(std::move(f));
}

FrameRef MemoryFrameSource::Get(size_t i) const {
  const Owned& f = frames_.at(i);
  FrameRef r;
  r.data = f.pixels.data();
  r.width = f.width;
  r.height = f.height;
  r.stride = static_cast<size_t>(f.width) * 3;
  r.pixel_format = 1;
  r.frame_id = f.frame_id;
  return r;
}

std::unique_ptr<MemoryFrameSource> MakeSyntheticFrames(size_t count, int width, int height,
                                                       uint32_t seed) {
  auto source = std::make_unique<MemoryFrameSource>();
  std::vector<uint8_t> pixels(static_cast<size_t>(width) * height * 3);
  uint32_t state = seed * 2654435761u + 1;
  auto next = [&state]() {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  for (size_t n = 0; n < count; ++n) {
    for (int y = 0; y < height; ++y) {
      uint8_t* row = pixels.data() + static_cast<size_t>(y) * width * 3;
      for (int x = 0; x < width; ++x) {
        row[3 * x + 0] = static_cast<uint8_t>((x + n * 7) & 0xff);
        row[3 * x + 1] = static_cast<uint8_t>((y + n * 13) & 0xff);
        row[3 * x + 2] = static_cast<uint8_t>(((x + y) / 2) & 0xff);
      }
    }
    // A few solid "face" blobs.
    for (int b = 0; b < 3; ++b) {
      const int bw = std::max(1, width / 8), bh = std::max(1, height / 6);
      const int bx = static_cast<int>(next() % static_cast<uint32_t>(std::max(1, width - bw)));
      const int by = static_cast<int>(next() % static_cast<uint32_t>(std::max(1, height - bh)));
      const uint8_t c[3] = {static_cast<uint8_t>(next()), static_cast<uint8_t>(next()),
                            static_cast<uint8_t>(next())};
      for (int y = by; y < std::min(height, by + bh); ++y)
        for (int x = bx; x < std::min(width, bx + bw); ++x)
          std::memcpy(pixels.data() + (static_cast<size_t>(y) * width + x) * 3, c, 3);
    }
    source->Add(pixels.data(), width, height, static_cast<int64_t>(n));
  }
  return source;
}

}  // namespace maskbench::harness
