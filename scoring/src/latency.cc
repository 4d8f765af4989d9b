#include "maskbench/scoring/latency.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace maskbench::scoring {
namespace {

// 1-based nearest rank ceil(p/100 * n), clamped to [1, n]; p/100*n within 1e-9
// of an integer counts as that integer so 90% of 10 is rank 9, not 10.
size_t NearestRank(double p, size_t n) {
  long double x = static_cast<long double>(p) / 100.0L * static_cast<long double>(n);
  long double r = std::round(x);
  long double rank = std::fabs(x - r) < 1e-9L ? r : std::ceil(x);
  if (rank < 1) rank = 1;
  if (rank > static_cast<long double>(n)) rank = static_cast<long double>(n);
  return static_cast<size_t>(rank);
}

}  // namespace

Result<int64_t> Percentile(const std::vector<int64_t>& ns, double p) {
  if (ns.empty()) return Status::InvalidArgument("latency", "no samples");
  if (!(p >= 0 && p <= 100))
    return Status::InvalidArgument("latency",
                                   "percentile must be in [0, 100], got " + std::to_string(p));
  std::vector<int64_t> v = ns;
  size_t idx = NearestRank(p, v.size()) - 1;
  std::nth_element(v.begin(), v.begin() + idx, v.end());
  return v[idx];
}

Result<LatencyStats> ComputeLatencyStats(const std::vector<int64_t>& ns) {
  if (ns.empty()) return Status::InvalidArgument("latency", "no samples");
  std::vector<int64_t> v = ns;
  std::sort(v.begin(), v.end());
  if (v.front() < 0)
    return Status::InvalidArgument("latency",
                                   "negative sample " + std::to_string(v.front()) + " ns");
  LatencyStats s;
  s.count = int64_t(v.size());
  s.min_ns = v.front();
  s.max_ns = v.back();
  long double sum = 0;
  for (int64_t x : v) sum += static_cast<long double>(x);
  s.mean_ns = static_cast<double>(sum / static_cast<long double>(v.size()));
  s.p50_ns = v[NearestRank(50, v.size()) - 1];
  s.p90_ns = v[NearestRank(90, v.size()) - 1];
  s.p99_ns = v[NearestRank(99, v.size()) - 1];
  s.fps = s.mean_ns > 0 ? 1e9 / s.mean_ns : 0.0;
  return s;
}

Result<double> Speedup(double baseline_latency, double submission_latency) {
  if (!(std::isfinite(baseline_latency) && baseline_latency > 0))
    return Status::InvalidArgument(
        "speedup", "baseline latency must be positive, got " + std::to_string(baseline_latency));
  if (!(std::isfinite(submission_latency) && submission_latency > 0))
    return Status::InvalidArgument("speedup", "submission latency must be positive, got " +
                                                  std::to_string(submission_latency));
  return baseline_latency / submission_latency;
}

bool GatePassed(double map50, double reference_map50, double min_ratio) {
  return std::isfinite(map50) && map50 >= min_ratio * reference_map50;
}

}  // namespace maskbench::scoring
