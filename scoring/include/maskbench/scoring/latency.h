// Latency statistics from raw per-frame nanoseconds, speedup and the accuracy gate.
//
// Percentiles use the nearest-rank method: the p-th percentile of n sorted
// samples is the sample of 1-based rank ceil(p/100 * n) (rank 1 for p = 0).
// It is always an observed value; p50 of {1, 2, 3, 4} is 2. fps is the
// SingleStream throughput n / sum(latencies) = 1e9 / mean. See docs/scoring.md.
//
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench::scoring {

struct LatencyStats {
  int64_t count = 0;
  int64_t min_ns = 0, max_ns = 0;
  double mean_ns = 0;
  int64_t p50_ns = 0, p90_ns = 0, p99_ns = 0;
  double fps = 0;  // 1e9 / mean_ns (0 when mean is 0)

  static double ToMs(double ns) { return ns / 1e6; }
};

// Statistics of `ns` (any order). InvalidArgument when empty or a value is negative.
Result<LatencyStats> ComputeLatencyStats(const std::vector<int64_t>& ns);

// Nearest-rank percentile p in [0, 100] of `ns` (any order); InvalidArgument
// when empty or p is out of range.
Result<int64_t> Percentile(const std::vector<int64_t>& ns, double p);

// baseline / submission latency (same kind, same machine); InvalidArgument
// unless both are positive and finite.
Result<double> Speedup(double baseline_latency, double submission_latency);

// True when map50 >= min_ratio * reference_map50 (the MLPerf-style gate).
bool GatePassed(double map50, double reference_map50, double min_ratio);

}  // namespace maskbench::scoring
