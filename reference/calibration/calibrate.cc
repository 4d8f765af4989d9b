#include "maskbench/reference/calibrate.h"

#include <ctime>

#include "maskbench/core/files.h"
#include "maskbench/harness/runner.h"
#include "maskbench/reference/model_files.h"

namespace maskbench::reference {

namespace {

std::string NowUtc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

Result<BaselineCalibration> CalibrateBaseline(const harness::Submission& baseline,
                                              const harness::FrameSource& source,
                                              const datasets::Dataset& ds, const std::string& split,
                                              int frames, int warmup) {
  if (frames < 1 || warmup < 0)
    return Status::InvalidArgument("baseline calibration", "needs frames >= 1 and warmup >= 0");
  if (source.size() < static_cast<size_t>(frames + warmup))
    return Status::InvalidArgument(
        ds.dir.string(), "split \"" + split + "\" has " + std::to_string(source.size()) +
                             " frames; calibration needs " + std::to_string(frames + warmup));
  Result<std::string> model_sha = Sha256File(baseline.dir / kInt8ParamsFileName);
  if (!model_sha.ok()) return model_sha.status();
  harness::RunSettings settings;
  settings.warmup_frames = warmup;
  settings.max_frames = frames;
  settings.frame_timeout_s = 600;
  const harness::RunRecord rec = harness::RunSubmission(baseline, source, settings);
  if (!rec.ok())
    return Status::IOError(baseline.plugin.string(),
                           std::string("baseline calibration run failed: ") +
                               harness::RunStatusName(rec.status) + ": " + rec.message);
  BaselineCalibration c;
  c.machine_fingerprint = MachineFingerprint();
  c.submission = baseline.name;
  c.model_sha256 = *model_sha;
  c.dataset_manifest_sha256 = ds.manifest_sha256;
  c.split = split;
  c.frame_ids = rec.frame_ids;
  c.warmup_frames = warmup;
  c.latency_ns = rec.latency_ns;
  uint64_t cycles = 0;
  for (uint64_t v : rec.cycles) cycles += v;
  c.modeled_cycles_per_frame = rec.cycles.empty() ? 0 : cycles / rec.cycles.size();
  c.clock_hz = rec.clock_hz;
  c.created_utc = NowUtc();
  Summarize(&c);
  return c;
}

}  // namespace maskbench::reference
