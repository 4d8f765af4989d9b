// ImageLimits: how large an image the data set tools will decode. Checked from
// the file's header before any pixel is decoded, so a small file declaring a
// huge picture (a decompression bomb) costs nothing. Used by the importers,
// `dataset verify` and the frame cache (run, judge); import flags and the
// rules raise them (docs/datasets.md, "Input limits").
// Plain values; thread-safe.
#pragma once

#include <cstdint>

namespace maskbench::datasets {

struct ImageLimits {
  // Most pixels per side. Default: 16,384.
  int64_t max_side = 16384;
  // Most pixels in all (width x height). Default: 64,000,000 (64 MP).
  int64_t max_pixels = 64'000'000;
};

}  // namespace maskbench::datasets
