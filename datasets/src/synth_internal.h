// Internals of the synthetic data set, shared by synth.cc and its tests.
// Not installed; include only from datasets/src.
#pragma once

#include <cstdint>
#include <memory>
#include <opencv2/core.hpp>
#include <random>
#include <vector>

#include "maskbench/datasets/manifest.h"
#include "maskbench/datasets/synth.h"

namespace maskbench::datasets::internal {

// A deterministic random source. std::mt19937_64's output sequence is fixed by
// the C++ standard; the distributions below are written out here because the
// standard library's distributions differ between implementations.
class SynthRng {
 public:
  explicit SynthRng(uint64_t seed) : engine_(seed) {}
  uint64_t Bits() { return engine_(); }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [lo, hi] (modulo bias below 2^-40 for the ranges used here).
  int Int(int lo, int hi) {
    return lo + static_cast<int>(engine_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return Uniform() < p; }
  // Approximately normal: the Irwin-Hall sum of 12 uniforms (exact arithmetic only).
  double Normal(double mean, double sd) {
    double s = 0;
    for (int i = 0; i < 12; ++i) s += Uniform();
    return mean + sd * (s - 6.0);
  }
  // An index drawn with the given (non-negative, not all zero) weights.
  int Pick(const std::vector<double>& weights) {
    double total = 0;
    for (double w : weights) total += w;
    double u = Uniform() * total;
    for (size_t i = 0; i < weights.size(); ++i) {
      if (u < weights[i]) return static_cast<int>(i);
      u -= weights[i];
    }
    return static_cast<int>(weights.size()) - 1;
  }

 private:
  std::mt19937_64 engine_;
};

// Mixes a seed with a stream id and an index into an independent seed (SplitMix64).
uint64_t MixSeed(uint64_t seed, uint64_t stream, uint64_t index);

// Faces whose visible fraction (not hidden by people, occluders or the frame
// edge) is below this are annotated difficult.
inline constexpr double kDifficultVisibleFraction = 0.4;
// Faces whose visible fraction is below this are not annotated at all.
inline constexpr double kOmitVisibleFraction = 0.15;
// Consecutive stills share one camera (background) this many at a time.
inline constexpr int kStillsPerCamera = 4;
// The MJPEG quality of clips.
inline constexpr int kVideoJpegQuality = 80;

// One rendered frame before encoding, with its annotations.
struct SynthFrame {
  cv::Mat bgr;  // CV_8UC3, width x height
  std::vector<Annotation> annotations;
  int jpeg_quality = 90;  // the quality the still is encoded with
};

// Still number `index`: depends only on (seed, index, width, height).
SynthFrame RenderStill(const SynthOptions& options, int index);

// The clip: one camera, people walking; Next() renders frames 0, 1, 2, ... in order.
class VideoSimulation {
 public:
  explicit VideoSimulation(const SynthOptions& options);
  ~VideoSimulation();
  SynthFrame Next();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace maskbench::datasets::internal
