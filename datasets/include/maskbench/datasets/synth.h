// The embedded default data set: CCTV-like scenes drawn with OpenCV from a seed.
//
// SynthesizeDataset writes a complete data set (JPEG stills, or one MJPEG .avi
// clip, plus manifest.json) of people in perspective scenes whose faces wear a
// mask, no mask, or a mask below the nose (the FaceMaskClasses()). Nothing is
// read from outside files. The same options (seed included) give byte-identical
// files with the same build (see docs/synth.md for what the guarantee covers).
//
// Thread-safety: SynthesizeDataset has no shared state; concurrent calls must
// use different output folders.
#pragma once

#include <cstdint>
#include <filesystem>

#include "maskbench/core/status.h"
#include "maskbench/datasets/manifest.h"

namespace maskbench::datasets {

struct SynthOptions {
  // Number of frames: JPEG stills, or video frames with `video`. Default: 200.
  int frames = 200;
  // Seed of every random choice. Default: 1.
  uint64_t seed = 1;
  // Write one MJPEG .avi clip of people walking instead of stills. Default: false.
  bool video = false;
  // Frame size in pixels. Default: 640x480.
  int width = 640;
  int height = 480;
  // Frame rate of the clip (also sets how far people move per frame). Default: 10.
  double fps = 10;
  // Print "synth: frame i/N" progress on stderr. Default: false.
  bool progress = false;
};

// Frames in the "val" split: stills whose index i has i % 5 == 4; for a clip the
// last 20% of frames (a temporal split). The rest are "train".
bool SynthIsValFrame(const SynthOptions& options, int index);

// Writes the data set into `out` and returns it as LoadDataset would. `out` is
// created when absent; an earlier synth output there is replaced; any other
// non-empty folder is refused (InvalidArgument) so nothing of the user's is deleted.
Result<Dataset> SynthesizeDataset(const std::filesystem::path& out, const SynthOptions& options);

}  // namespace maskbench::datasets
