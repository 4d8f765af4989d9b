// Baseline calibration: the reference-baseline's measured per-frame latency on a
// fixed subset of frames on one machine, stored with that machine's fingerprint
// so `run` can report speedup = baseline latency / submission latency with both
// measured on the same machine (design.md §4). File format: docs/reference.md,
// "Baseline calibration file" (JSON, format "maskbench.baseline-calibration").
//
// Plain values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench::reference {

struct BaselineCalibration {
  std::string machine_fingerprint;     // whoever measures names the machine (non-empty)
  std::string submission = "reference-baseline";
  std::string model_sha256;            // SHA-256 of the int8 params file that ran
  std::string dataset_manifest_sha256;  // the frames' data set
  std::string split;                   // the split the subset came from
  std::vector<int64_t> frame_ids;      // the fixed subset, in the order run
  int warmup_frames = 0;               // untimed frames run first
  std::vector<int64_t> latency_ns;     // one per frame_ids entry
  double mean_ms = 0, p50_ms = 0, p90_ms = 0;  // over latency_ns (p: nearest rank)
  uint64_t modeled_cycles_per_frame = 0;       // mean modeled cycles (0 if not recorded)
  uint64_t clock_hz = 0;                       // modeled clock
  std::string created_utc;                     // ISO 8601
};

// Fills mean_ms, p50_ms and p90_ms from latency_ns (nearest-rank percentiles).
void Summarize(BaselineCalibration* calibration);

// Reads and checks a calibration file; errors name the file and the field.
Result<BaselineCalibration> LoadBaselineCalibration(const std::filesystem::path& path);

// Writes the file atomically (checks the value first).
Status SaveBaselineCalibration(const std::filesystem::path& path, const BaselineCalibration& c);

// A stable fingerprint of this machine: the first 16 hex digits of the SHA-256 of
// "<cpu model name>|<logical cpus>|<total memory, GiB>|<machine arch>" (from
// /proc/cpuinfo, sysconf and uname). Same hardware and OS image, same value.
std::string MachineFingerprint();

// Where a build keeps its calibration: <build_dir>/calibration/reference-baseline.json.
std::filesystem::path DefaultBaselineCalibrationPath(const std::filesystem::path& build_dir);

// LoadBaselineCalibration, then NotFound unless its fingerprint is `machine_fingerprint`.
Result<BaselineCalibration> LoadBaselineCalibrationFor(const std::filesystem::path& path,
                                                       const std::string& machine_fingerprint);

}  // namespace maskbench::reference
