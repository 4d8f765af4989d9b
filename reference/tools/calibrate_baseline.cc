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
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "maskbench/core/files.h"
#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/harness/frame_source.h"
#include "maskbench/harness/runner.h"
#include "maskbench/harness/submission.h"
#include "maskbench/reference/baseline_calibration.h"
#include "maskbench/reference/model_files.h"

namespace fs = std::filesystem;
using namespace maskbench;

namespace {

int Fail(const Status& s) {
  std::fprintf(stderr, "maskbench-calibrate-baseline: %s\n", s.message().c_str());
  return 1;
}

std::string NowUtc() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
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
  Result<std::string> model_sha = Sha256File(sub->dir / reference::kInt8ParamsFileName);
  if (!model_sha.ok()) return Fail(model_sha.status());
  auto cache = datasets::FrameCache::Open(*ds, split);
  if (!cache.ok()) return Fail(cache.status());
  harness::FrameCacheSource source(std::move(*cache));
  if (source.size() < static_cast<size_t>(frames + warmup))
    return Fail(Status::InvalidArgument(dataset, "split \"" + split + "\" has " + std::to_string(source.size()) +
                                                     " frames; calibration needs " + std::to_string(frames + warmup)));
  harness::RunSettings settings;
  settings.warmup_frames = warmup;
  settings.max_frames = frames;
  settings.frame_timeout_s = 600;
  std::fprintf(stderr, "calibrating %s on %d frames of %s (%s)...\n", sub->name.c_str(), frames,
               ds->dir.string().c_str(), split.c_str());
  harness::RunRecord rec = harness::RunSubmission(*sub, source, settings);
  if (!rec.ok())
    return Fail(Status::IOError(sub->plugin.string(), std::string("run failed: ") +
                                                          harness::RunStatusName(rec.status) + ": " + rec.message));
  reference::BaselineCalibration c;
  c.machine_fingerprint = reference::MachineFingerprint();
  c.submission = sub->name;
  c.model_sha256 = *model_sha;
  c.dataset_manifest_sha256 = ds->manifest_sha256;
  c.split = split;
  c.frame_ids = rec.frame_ids;
  c.warmup_frames = warmup;
  c.latency_ns = rec.latency_ns;
  uint64_t cycles = 0;
  for (uint64_t v : rec.cycles) cycles += v;
  c.modeled_cycles_per_frame = rec.cycles.empty() ? 0 : cycles / rec.cycles.size();
  c.clock_hz = rec.clock_hz;
  c.created_utc = NowUtc();
  if (Status st = reference::SaveBaselineCalibration(out, c); !st.ok()) return Fail(st);
  reference::Summarize(&c);
  std::printf("machine %s: %s p50 %.1f ms, p90 %.1f ms, mean %.1f ms over %d frames; modeled %llu cycles/frame\nwrote %s\n",
              c.machine_fingerprint.c_str(), c.submission.c_str(), c.p50_ms, c.p90_ms, c.mean_ms, frames,
              static_cast<unsigned long long>(c.modeled_cycles_per_frame), out.c_str());
  return 0;
}
