#include "maskbench/harness/run_summary.h"

#include <algorithm>
#include <unordered_set>

#include "maskbench/datasets/export_coco.h"
#include "maskbench/scoring/coco_eval.h"
#include "maskbench/scoring/task_metrics.h"

namespace maskbench::harness {

RunSettings SettingsFromRules(const scoring::Rules& rules, const datasets::Manifest& manifest) {
  RunSettings s;
  s.warmup_frames = static_cast<int>(rules.warmup_frames);
  s.frame_timeout_s = rules.limits.per_frame_timeout_ms / 1000.0;
  s.total_timeout_s = static_cast<double>(rules.limits.total_timeout_s);
  s.memory_limit_bytes = static_cast<uint64_t>(rules.limits.memory_mb) << 20;
  s.max_detections = static_cast<uint32_t>(rules.limits.max_detections_per_frame);
  for (const datasets::ClassInfo& c : manifest.classes) s.class_ids.push_back(c.id);
  return s;
}

std::vector<scoring::Detection> RunDetections(const RunRecord& record) {
  std::vector<scoring::Detection> out;
  for (size_t i = 0; i < record.detections.size(); ++i) {
    for (const Detection& d : record.detections[i]) {
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

Result<scoring::GroundTruth> GroundTruthForFrames(const datasets::Dataset& ds,
                                                  const std::string& split,
                                                  const std::vector<int64_t>& frame_ids) {
  Result<std::string> json = datasets::ExportCocoJson(ds, split);
  if (!json.ok()) return json.status();
  Result<scoring::GroundTruth> all =
      scoring::ParseCocoGroundTruth(*json, (ds.dir / "manifest.json").string());
  if (!all.ok()) return all.status();
  const std::unordered_set<int64_t> keep(frame_ids.begin(), frame_ids.end());
  scoring::GroundTruth gt;
  gt.categories = all->categories;
  for (int64_t id : all->image_ids)
    if (keep.count(id)) gt.image_ids.push_back(id);
  for (const scoring::GtBox& b : all->boxes)
    if (keep.count(b.image_id)) gt.boxes.push_back(b);
  gt.BuildIndex();
  return gt;
}

namespace {

int64_t NearestRank(std::vector<int64_t> v, double p) {
  Result<int64_t> r = scoring::Percentile(v, p);
  return r.ok() ? *r : 0;
}

}  // namespace

Result<RunSummary> SummarizeRun(const RunRecord& record, const scoring::GroundTruth* gt,
                                const scoring::Rules& rules,
                                std::optional<double> baseline_latency_ms,
                                std::optional<double> reference_map50,
                                std::optional<double> baseline_modeled_ms) {
  RunSummary s;
  s.status = record.status;
  s.message = record.message;
  s.frames = record.frames();
  s.failing_frame = record.failing_frame;
  s.signal_name = record.signal_name;
  s.headline_percentile = rules.headline_percentile;
  s.latency_kind = scoring::LatencyKindName(rules.latency_kind);
  s.scenario = record.in_effect.scenario;
  const bool offline = s.scenario == Scenario::kOffline;
  if (offline) {
    s.offline_frames_per_s = OfflineFramesPerSecond(record);
    s.offline_batches = static_cast<int64_t>(record.batch_ns.size());
    s.batch_size = record.in_effect.batch_size;
    s.batch_extension = record.batch_extension;
  }
  if (!record.latency_ns.empty()) {
    Result<scoring::LatencyStats> stats = scoring::ComputeLatencyStats(record.latency_ns);
    if (!stats.ok()) return stats.status();
    s.latency = *stats;
    if (!offline)
      s.headline_latency_ms = NearestRank(record.latency_ns, rules.headline_percentile) / 1e6;
    // The harness's own cost per frame: the parent's round trip minus the
    // runner's timing of the call (its clock is a cross-check, not the ranking).
    std::vector<int64_t> overhead(record.latency_ns.size());
    const bool has_child = record.child_latency_ns.size() == overhead.size();
    for (size_t i = 0; i < overhead.size(); ++i)
      overhead[i] =
          record.round_trip_ns[i] - (has_child ? record.child_latency_ns[i] : record.latency_ns[i]);
    s.overhead_p50_us = NearestRank(overhead, 50) / 1e3;
    s.overhead_p99_us = NearestRank(overhead, 99) / 1e3;
    if (record.clock_hz != 0 && record.cycles.size() == record.latency_ns.size()) {
      std::vector<int64_t> modeled(record.cycles.size());
      for (size_t i = 0; i < modeled.size(); ++i)
        modeled[i] = static_cast<int64_t>(static_cast<long double>(record.cycles[i]) * 1e9L /
                                          record.clock_hz);
      Result<scoring::LatencyStats> m = scoring::ComputeLatencyStats(modeled);
      if (m.ok()) {
        s.modeled = *m;
        s.modeled_latency_ms = NearestRank(modeled, rules.headline_percentile) / 1e6;
      }
    }
  }
  if (record.ok() && gt != nullptr && s.frames > 0) {
    const std::vector<scoring::Detection> dets = RunDetections(record);
    Result<scoring::CocoResult> coco = scoring::CocoEvaluate(*gt, dets);
    if (!coco.ok()) return coco.status();
    s.ap = coco->stats[scoring::kAP];
    s.map50 = coco->stats[scoring::kAP50];
    Result<scoring::TaskMetrics> task = scoring::ComputeTaskMetrics(*gt, dets);
    if (!task.ok()) return task.status();
    if (task->violation) {
      s.violation_recall = task->violation->recall;
      s.violation_precision = task->violation->precision;
    }
  }
  if (record.ok() && baseline_latency_ms && !offline) {
    std::optional<double> mine = rules.latency_kind == scoring::LatencyKind::kModeled
                                     ? s.modeled_latency_ms
                                     : s.headline_latency_ms;
    if (mine) {
      Result<double> sp = scoring::Speedup(*baseline_latency_ms, *mine);
      if (sp.ok()) s.speedup = *sp;
    }
  }
  if (record.ok() && baseline_modeled_ms && s.modeled_latency_ms && !offline) {
    Result<double> sp = scoring::Speedup(*baseline_modeled_ms, *s.modeled_latency_ms);
    if (sp.ok()) s.modeled_speedup = *sp;
  }
  if (rules.gate.enabled && reference_map50 && s.map50) {
    s.gate_passed = scoring::GatePassed(*s.map50, *reference_map50, rules.gate.min_ratio);
  }
  return s;
}

nlohmann::ordered_json RunSummaryToJson(const RunSummary& s) {
  using J = nlohmann::ordered_json;
  auto opt = [](const auto& v) -> J { return v ? J(*v) : J(nullptr); };
  J latency = nullptr;
  J fps = nullptr;
  if (s.latency) {
    latency = J{{"min", s.latency->min_ns / 1e6}, {"mean", s.latency->mean_ns / 1e6},
                {"p50", s.latency->p50_ns / 1e6}, {"p90", s.latency->p90_ns / 1e6},
                {"p99", s.latency->p99_ns / 1e6}, {"max", s.latency->max_ns / 1e6}};
    fps = s.latency->fps;
  }
  if (s.scenario == Scenario::kOffline)
    fps = s.offline_frames_per_s ? J(*s.offline_frames_per_s) : J(nullptr);
  J overhead = nullptr;
  if (s.overhead_p50_us) overhead = J{{"p50", *s.overhead_p50_us}, {"p99", *s.overhead_p99_us}};
  J j{
      {"schema_version", kRunSummarySchemaVersion},
      {"status", RunStatusName(s.status)},
      {"message", s.message},
      {"frames", s.frames},
      {"failing_frame", s.failing_frame < 0 ? J(nullptr) : J(s.failing_frame)},
      {"signal", s.signal_name.empty() ? J(nullptr) : J(s.signal_name)},
      {"latency_ms", latency},
      {"headline_percentile", s.headline_percentile},
      {"headline_latency_ms", opt(s.headline_latency_ms)},
      {"fps", fps},
      {"modeled_latency_ms", opt(s.modeled_latency_ms)},
      {"latency_kind", s.latency_kind},
      {"speedup", opt(s.speedup)},
      {"modeled_speedup", opt(s.modeled_speedup)},
      {"overhead_us", overhead},
      {"accuracy", J{{"mAP50", opt(s.map50)},
                     {"AP", opt(s.ap)},
                     {"violation_recall", opt(s.violation_recall)},
                     {"violation_precision", opt(s.violation_precision)}}},
      {"gate_passed", opt(s.gate_passed)},
      {"scenario", ScenarioName(s.scenario)},
  };
  if (s.scenario == Scenario::kOffline)
    j["offline"] = J{{"frames_per_s", opt(s.offline_frames_per_s)},
                     {"batches", s.offline_batches},
                     {"batch_size", s.batch_size},
                     {"batch_extension", s.batch_extension}};
  return j;
}

}  // namespace maskbench::harness
