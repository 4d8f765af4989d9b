// maskbench-calibrate-baseline: measures the reference-baseline's per-frame
// latency on a fixed subset of frames through the real isolated runner and
// writes the baseline calibration file for this machine (docs/reference.md).
//
//   maskbench-calibrate-baseline --dataset DS [--split val] [--frames 8] [--warmup 1]
//       [--baseline <build>/submissions/reference-baseline]
//       [--out <build>/calibration/reference-baseline.json]
//
// The subset is the first `--frames` frames of the split in manifest order,
// after `--warmup` untimed frames.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "maskbench/core/files.h"
#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/harness/frame_source.h"
#include "maskbench/harness/submission.h"
#include "maskbench/reference/baseline_calibration.h"
#include "maskbench/reference/calibrate.h"

namespace fs = std::filesystem;
using namespace maskbench;

namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "maskbench-calibrate-baseline: %s\n", s.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Measure reference-baseline on a fixed frame subset and store the calibration"};
  std::string dataset, split = "val", baseline, out;
  int frames = 8, warmup = 1;
  const fs::path self_dir = fs::weakly_canonical(fs::absolute(argv[0])).parent_path();
  app.add_option("--dataset", dataset, "data set directory (or manifest.json)")->required();
  app.add_option("--split", split, "split the subset comes from");
  app.add_option("--frames", frames, "frames measured")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", warmup, "untimed frames first")->check(CLI::Range(0, 1000));
  app.add_option("--baseline", baseline, "the reference-baseline submission folder");
  app.add_option("--out", out, "calibration file to write");
  CLI11_PARSE(app, argc, argv);
  if (baseline.empty()) baseline = (self_dir / "submissions" / "reference-baseline").string();
  if (out.empty()) out = reference::DefaultBaselineCalibrationPath(self_dir).string();

  Result<datasets::Dataset> ds = datasets::LoadDataset(dataset);
  if (!ds.ok()) return Fail(ds.status());
  Result<harness::Submission> sub = harness::LoadSubmission(baseline);
  if (!sub.ok()) return Fail(sub.status());
  auto cache = datasets::FrameCache::Open(*ds, split);
  if (!cache.ok()) return Fail(cache.status());
  harness::FrameCacheSource source(std::move(*cache));
  std::fprintf(stderr, "calibrating %s on %d frames of %s (%s)...\n", sub->name.c_str(), frames,
               ds->dir.string().c_str(), split.c_str());
  Result<reference::BaselineCalibration> cal =
      reference::CalibrateBaseline(*sub, source, *ds, split, frames, warmup);
  if (!cal.ok()) return Fail(cal.status());
  const reference::BaselineCalibration& c = *cal;
  if (Status st = reference::SaveBaselineCalibration(out, c); !st.ok()) return Fail(st);
  std::printf(
      "machine %s: %s p50 %.1f ms, p90 %.1f ms, mean %.1f ms over %d frames; modeled %llu "
      "cycles/frame\nwrote %s\n",
      c.machine_fingerprint.c_str(), c.submission.c_str(), c.p50_ms, c.p90_ms, c.mean_ms, frames,
      static_cast<unsigned long long>(c.modeled_cycles_per_frame), out.c_str());
  return 0;
}
