#include "maskbench/contest/facts.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "maskbench/contest/metrics.h"
#include "maskbench/scoring/coco_eval.h"
#include "maskbench/scoring/latency.h"
#include "maskbench/scoring/task_metrics.h"
#include "maskbench/scoring/voc_eval.h"

namespace maskbench::contest {
namespace {

// The double whose shortest decimal form is `v`'s shortest form as a float:
// what the COCO export writes, so both routes give the same ground truth.
double ShortestFloat(float v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf) - 1, v);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

// `values` sorted ascending; the q-quantile as nearest rank (q in [0, 1]).
double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = std::ceil(q * static_cast<double>(sorted.size()));
  const size_t i =
      static_cast<size_t>(std::clamp<double>(pos, 1, static_cast<double>(sorted.size())));
  return sorted[i - 1];
}

// Thins a curve to at most `max_points`, evenly, keeping the last point.
std::vector<std::pair<double, double>> Thin(const std::vector<std::pair<double, double>>& c,
                                            size_t max_points) {
  if (c.size() <= max_points) return c;
  std::vector<std::pair<double, double>> out;
  out.reserve(max_points);
  for (size_t k = 0; k + 1 < max_points; ++k)
    out.push_back(c[k * (c.size() - 1) / (max_points - 1)]);
  out.push_back(c.back());
  return out;
}

}  // namespace

std::optional<int64_t> PercentileOf(std::vector<int64_t> values, double percentile) {
  Result<int64_t> r = scoring::Percentile(values, percentile);
  if (!r.ok()) return std::nullopt;
  return *r;
}

Result<scoring::GroundTruth> GroundTruthForFrames(const datasets::Dataset& ds,
                                                  const std::string& split,
                                                  const std::vector<int64_t>& frame_ids) {
  const std::unordered_set<int64_t> keep(frame_ids.begin(), frame_ids.end());
  scoring::GroundTruth gt;
  for (const datasets::ClassInfo& c : ds.manifest.classes) gt.categories.push_back({c.id, c.name});
  int64_t next_id = 1;
  for (const datasets::Frame* f : ds.manifest.FramesOfSplit(split)) {
    const bool kept = keep.count(f->id) > 0;
    if (kept) gt.image_ids.push_back(f->id);
    for (const datasets::Annotation& a : f->annotations) {
      const int64_t id = next_id++;  // numbered over the whole split, as the export does
      if (!kept) continue;
      scoring::GtBox b;
      b.id = id;
      b.image_id = f->id;
      b.category_id = a.class_id;
      b.bbox[0] = ShortestFloat(a.x);
      b.bbox[1] = ShortestFloat(a.y);
      b.bbox[2] = ShortestFloat(a.w);
      b.bbox[3] = ShortestFloat(a.h);
      b.area = a.area;
      b.iscrowd = a.crowd;
      b.difficult = a.difficult;
      gt.boxes.push_back(b);
    }
  }
  gt.BuildIndex();
  return gt;
}

std::vector<scoring::Detection> RunDetections(const harness::RunRecord& record) {
  std::vector<scoring::Detection> out;
  for (size_t i = 0; i < record.detections.size(); ++i) {
    for (const mb_detection_t& d : record.detections[i]) {
      scoring::Detection s;
      s.image_id = record.frame_ids[i];
      s.category_id = d.class_id;
      s.bbox[0] = d.x;
      s.bbox[1] = d.y;
      s.bbox[2] = d.w;
      s.bbox[3] = d.h;
      s.score = d.score;
      out.push_back(s);
    }
  }
  return out;
}

Result<std::pair<double, double>> BootstrapMap50(const scoring::GroundTruth& gt,
                                                 const std::vector<scoring::Detection>& dets,
                                                 int64_t samples, uint64_t seed,
                                                 double confidence) {
  const size_t n = gt.image_ids.size();
  if (n == 0 || samples <= 0) return Status::InvalidArgument("bootstrap", "no frames");
  std::unordered_map<int64_t, std::vector<const scoring::GtBox*>> boxes_of;
  for (const scoring::GtBox& b : gt.boxes) boxes_of[b.image_id].push_back(&b);
  std::unordered_map<int64_t, std::vector<const scoring::Detection*>> dets_of;
  for (const scoring::Detection& d : dets) dets_of[d.image_id].push_back(&d);
  std::mt19937_64 rng(seed);
  std::vector<double> values;
  values.reserve(static_cast<size_t>(samples));
  for (int64_t s = 0; s < samples; ++s) {
    // Resampled frame k becomes image k (a frame drawn twice is two images).
    scoring::GroundTruth g;
    g.categories = gt.categories;
    std::vector<scoring::Detection> d;
    int64_t next_box = 1;
    for (size_t k = 0; k < n; ++k) {
      const int64_t src = gt.image_ids[rng() % n];
      const int64_t image = static_cast<int64_t>(k);
      g.image_ids.push_back(image);
      for (const scoring::GtBox* b : boxes_of[src]) {
        scoring::GtBox c = *b;
        c.id = next_box++;
        c.image_id = image;
        g.boxes.push_back(c);
      }
      for (const scoring::Detection* x : dets_of[src]) {
        scoring::Detection c = *x;
        c.image_id = image;
        d.push_back(c);
      }
    }
    g.BuildIndex();
    Result<scoring::CocoResult> r = scoring::CocoEvaluate(g, d);
    if (!r.ok()) return r.status();
    values.push_back(r->stats[scoring::kAP50]);
  }
  std::sort(values.begin(), values.end());
  return std::make_pair(Quantile(values, (1 - confidence) / 2),
                        Quantile(values, (1 + confidence) / 2));
}

std::optional<std::pair<double, double>> BootstrapPercentile(const std::vector<int64_t>& values,
                                                             double percentile, int64_t samples,
                                                             uint64_t seed, double confidence) {
  const size_t n = values.size();
  if (n == 0 || samples <= 0) return std::nullopt;
  std::mt19937_64 rng(seed);
  std::vector<double> stats;
  stats.reserve(static_cast<size_t>(samples));
  std::vector<int64_t> draw(n);
  for (int64_t s = 0; s < samples; ++s) {
    for (size_t k = 0; k < n; ++k) draw[k] = values[rng() % n];
    stats.push_back(static_cast<double>(*PercentileOf(draw, percentile)));
  }
  std::sort(stats.begin(), stats.end());
  return std::make_pair(Quantile(stats, (1 - confidence) / 2),
                        Quantile(stats, (1 + confidence) / 2));
}

Result<RunFacts> ComputeFacts(const harness::RunRecord& record, const scoring::GroundTruth* gt,
                              const Rules& rules) {
  RunFacts f;
  auto& m = f.metrics;
  const bool offline = record.in_effect.scenario == harness::Scenario::kOffline;
  if (!record.latency_ns.empty()) {
    const double p = rules.headline_percentile;
    (void)p;
    m[metric::kLatencyP50Ms] = *PercentileOf(record.latency_ns, 50) / 1e6;
    m[metric::kLatencyP90Ms] = *PercentileOf(record.latency_ns, 90) / 1e6;
    m[metric::kLatencyP99Ms] = *PercentileOf(record.latency_ns, 99) / 1e6;
    if (offline) {
      if (auto fps = harness::OfflineFramesPerSecond(record)) m[metric::kFps] = *fps;
    } else if (Result<scoring::LatencyStats> s = scoring::ComputeLatencyStats(record.latency_ns);
               s.ok()) {
      m[metric::kFps] = s->fps;
    }
    if (record.child_latency_ns.size() == record.latency_ns.size()) {
      std::vector<int64_t> overhead(record.latency_ns.size());
      for (size_t i = 0; i < overhead.size(); ++i)
        overhead[i] = record.round_trip_ns[i] - record.child_latency_ns[i];
      m[metric::kOverheadP50Us] = *PercentileOf(overhead, 50) / 1e3;
    }
    if (record.clock_hz != 0 && record.cycles.size() == record.latency_ns.size()) {
      std::vector<int64_t> modeled(record.cycles.size());
      for (size_t i = 0; i < modeled.size(); ++i)
        modeled[i] = static_cast<int64_t>(static_cast<long double>(record.cycles[i]) * 1e9L /
                                          static_cast<long double>(record.clock_hz));
      m[metric::kModeledLatencyMs] = *PercentileOf(modeled, rules.headline_percentile) / 1e6;
      // Energy per frame (mean; every frame must have reported it).
      if (record.energy_extension && record.energy_pj.size() == record.cycles.size() &&
          std::all_of(record.energy_pj.begin(), record.energy_pj.end(),
                      [](double v) { return v >= 0; })) {
        double sum = 0;
        for (double v : record.energy_pj) sum += v;
        const double uj = sum / static_cast<double>(record.energy_pj.size()) / 1e6;
        m[metric::kEnergyUj] = uj;
        m[metric::kEdp] = uj * m[metric::kModeledLatencyMs];
      }
    }
  }
  if (record.ok() && gt != nullptr && record.frames() > 0) {
    const std::vector<scoring::Detection> dets = RunDetections(record);
    Result<scoring::CocoResult> coco = scoring::CocoEvaluate(*gt, dets);
    if (!coco.ok()) return coco.status();
    m[metric::kAp] = coco->stats[scoring::kAP];
    m[metric::kMap50] = coco->stats[scoring::kAP50];
    Result<scoring::TaskMetrics> task = scoring::ComputeTaskMetrics(*gt, dets);
    if (!task.ok()) return task.status();
    if (task->violation) {
      m[metric::kViolationRecall] = task->violation->recall;
      m[metric::kViolationPrecision] = task->violation->precision;
    }
    if (rules.uncertainty.bootstrap_samples > 0) {
      Result<std::pair<double, double>> ci =
          BootstrapMap50(*gt, dets, rules.uncertainty.bootstrap_samples, rules.uncertainty.seed,
                         rules.uncertainty.confidence);
      if (ci.ok()) {
        m[metric::kMap50Lo] = ci->first;
        m[metric::kMap50Hi] = ci->second;
      }
    }
    // One VOC evaluation at IoU 0.5 gives the curves, from its own cumulative TP/FP.
    scoring::VocOptions vo;
    vo.keep_curves = true;
    Result<scoring::VocResult> voc = scoring::VocEvaluate(*gt, dets, vo);
    if (!voc.ok()) return voc.status();
    f.pr_curves_metric = "VOC AP50 (all-point)";
    for (const scoring::VocClassResult& c : voc->per_class) {
      if (c.num_gt == 0) continue;
      f.pr_curves.push_back({c.category_id, c.name, Thin(c.curve, 200)});
    }
  }
  return f;
}

}  // namespace maskbench::contest
