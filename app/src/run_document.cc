#include "run_document.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "maskbench/contest/metrics.h"
#include "maskbench/core/files.h"
#include "maskbench/core/version.h"
#include "maskbench/web_export/report.h"

namespace maskbench::app {
namespace {

using J = nlohmann::ordered_json;
namespace metric = contest::metric;
namespace h = maskbench::harness;

J Opt(const std::map<std::string, double>& m, const char* key) {
  auto it = m.find(key);
  return it == m.end() ? J(nullptr) : J(it->second);
}

J Interval(const std::map<std::string, double>& m, const char* lo, const char* hi) {
  auto a = m.find(lo), b = m.find(hi);
  if (a == m.end() || b == m.end()) return nullptr;
  return J::array({a->second, b->second});
}

// What the gate compared: the metric, the entry's value, the gate reference's
// value, the ratio asked and the threshold they make (null when it is off).
J GateDoc(const contest::Rules& rules, const contest::BoardTrack& track,
          const contest::BoardEntry& entry) {
  const contest::Track* t = nullptr;
  for (const contest::Track& k : rules.tracks)
    if (k.name == track.name) t = &k;
  if (t == nullptr || !t->gate.enabled) return nullptr;
  J ref = track.gate_reference ? J(*track.gate_reference) : J(nullptr);
  J threshold = track.gate_reference ? J(t->gate.min_ratio * *track.gate_reference) : J(nullptr);
  return {
      {"metric", t->gate.metric},           {"value", Opt(entry.metrics, t->gate.metric.c_str())},
      {"reference", rules.references.gate}, {"reference_value", ref},
      {"min_ratio", t->gate.min_ratio},     {"threshold", threshold}};
}

}  // namespace

std::vector<TrackView> TrackViews(const contest::Board* board, const std::string& team_id) {
  std::vector<TrackView> out;
  if (board == nullptr) return out;
  for (const contest::BoardTrack& t : board->tracks) {
    TrackView v{&t, nullptr};
    for (const contest::BoardEntry& e : t.entries)
      if (e.team_id == team_id) v.entry = &e;
    out.push_back(v);
  }
  return out;
}

J RunDocument(const h::Submission& sub, const contest::Evaluation& e, const contest::Rules& rules,
              const datasets::Dataset& ds, const std::string& split,
              const std::vector<TrackView>& tracks) {
  const h::RunRecord& r = e.record;
  const auto& m = e.facts.metrics;
  const bool offline = r.in_effect.scenario == h::Scenario::kOffline;
  J latency = nullptr;
  if (!r.latency_ns.empty()) {
    const auto [lo, hi] = std::minmax_element(r.latency_ns.begin(), r.latency_ns.end());
    const long double sum =
        std::accumulate(r.latency_ns.begin(), r.latency_ns.end(), static_cast<long double>(0));
    latency = J{{"min", *lo / 1e6},
                {"mean", static_cast<double>(sum / r.latency_ns.size() / 1e6L)},
                {"p50", Opt(m, metric::kLatencyP50Ms)},
                {"p90", Opt(m, metric::kLatencyP90Ms)},
                {"p99", Opt(m, metric::kLatencyP99Ms)},
                {"max", *hi / 1e6}};
  }
  std::optional<double> headline;
  if (!offline && !r.latency_ns.empty())
    if (auto p = contest::PercentileOf(r.latency_ns, rules.headline_percentile))
      headline = static_cast<double>(*p) / 1e6;
  // The tracks: each one's latency kind, latency, speedup, gate and standing.
  J track_docs = J::array();
  const TrackView* own = nullptr;  // the track of the submission's own latency kind
  const TrackView* modeled = nullptr;
  for (const TrackView& v : tracks) {
    const char* kind = contest::LatencyKindName(v.track->latency_kind);
    if (v.entry == nullptr) {
      track_docs.push_back({{"name", v.track->name},
                            {"latency_kind", kind},
                            {"in_track", false},
                            {"why", v.track->latency_kind == contest::LatencyKind::kModeled
                                        ? "no cycles reported: not a hardware model"
                                        : "not on the board"}});
      continue;
    }
    const auto& em = v.entry->metrics;
    track_docs.push_back(
        {{"name", v.track->name},
         {"latency_kind", kind},
         {"in_track", true},
         {"latency_ms", Opt(em, metric::kLatencyMs)},
         {"latency_interval_ms", Interval(em, metric::kLatencyLoMs, metric::kLatencyHiMs)},
         {"speedup", Opt(em, metric::kSpeedup)},
         {"speedup_interval", Interval(em, metric::kSpeedupLo, metric::kSpeedupHi)},
         {"baseline_latency_ms",
          v.track->baseline_latency_ms ? J(*v.track->baseline_latency_ms) : J(nullptr)},
         {"gate_passed", v.entry->gate_passed ? J(*v.entry->gate_passed) : J(nullptr)},
         {"gate", GateDoc(rules, *v.track, *v.entry)},
         {"score", v.entry->score ? J(*v.entry->score) : J(nullptr)},
         {"unranked_reason", v.entry->rank ? J(nullptr) : J(v.entry->unranked_reason)}});
    if (own == nullptr && kind == sub.latency_kind) own = &v;
    if (modeled == nullptr && v.track->latency_kind == contest::LatencyKind::kModeled) modeled = &v;
  }
  if (own == nullptr)
    for (const TrackView& v : tracks)
      if (v.entry != nullptr && own == nullptr) own = &v;
  auto track_value = [](const TrackView* v, const char* key) -> J {
    if (v == nullptr || v->entry == nullptr) return nullptr;
    return Opt(v->entry->metrics, key);
  };
  J overhead = nullptr;
  if (m.count(metric::kOverheadP50Us)) overhead = J{{"p50", m.at(metric::kOverheadP50Us)}};
  J doc{
      {"schema_version", kRunDocumentSchemaVersion},
      {"status", h::RunStatusName(r.status)},
      {"message", r.message},
      {"frames", r.frames()},
      {"split_frames", e.split_frames},
      {"partial", e.partial},
      {"frame_selection", e.frame_selection},
      {"failing_frame", r.failing_frame < 0 ? J(nullptr) : J(r.failing_frame)},
      {"signal", r.signal_name.empty() ? J(nullptr) : J(r.signal_name)},
      {"scenario", h::ScenarioName(r.in_effect.scenario)},
      {"latency_ms", latency},
      {"latency_source", r.latency_source},
      {"headline_percentile", rules.headline_percentile},
      {"headline_latency_ms", headline ? J(*headline) : J(nullptr)},
      {"latency_interval_ms", nullptr},
      {"fps", Opt(m, metric::kFps)},
      {"modeled_latency_ms", Opt(m, metric::kModeledLatencyMs)},
      {"clock_hz", r.clock_hz == 0 ? J(nullptr) : J(r.clock_hz)},
      {"cycles_source", r.clock_hz == 0 ? J(nullptr)
                        : m.count(metric::kCyclesSimulated) && m.at(metric::kCyclesSimulated) > 0
                            ? J("simulated by the harness")
                            : J("self-reported")},
      {"energy_uj", Opt(m, metric::kEnergyUj)},
      {"edp_uj_ms", Opt(m, metric::kEdp)},
      {"resources", m.count(metric::kLuts) ? J{{"lut", Opt(m, metric::kLuts)},
                                               {"ff", Opt(m, metric::kFfs)},
                                               {"dsp", Opt(m, metric::kDsps)},
                                               {"bram36", Opt(m, metric::kBrams)}}
                                           : J(nullptr)},
      {"latency_kind", sub.latency_kind},
      {"speedup", track_value(own, metric::kSpeedup)},
      {"modeled_speedup", track_value(modeled, metric::kSpeedup)},
      {"gate_passed",
       own != nullptr && own->entry->gate_passed ? J(*own->entry->gate_passed) : J(nullptr)},
      {"overhead_us", overhead},
      {"accuracy",
       {{"mAP50", Opt(m, metric::kMap50)},
        {"mAP50_interval", Interval(m, metric::kMap50Lo, metric::kMap50Hi)},
        {"AP", Opt(m, metric::kAp)},
        {"violation_recall", Opt(m, metric::kViolationRecall)},
        {"violation_precision", Opt(m, metric::kViolationPrecision)}}},
      {"tracks", track_docs},
      {"noise",
       {{"load_per_cpu", Opt(m, metric::kNoiseLoad)}, {"noop_us", Opt(m, metric::kNoiseNoopUs)}}},
  };
  if (own != nullptr)
    doc["latency_interval_ms"] =
        Interval(own->entry->metrics, metric::kLatencyLoMs, metric::kLatencyHiMs);
  if (offline)
    doc["offline"] = {{"frames_per_s", Opt(m, metric::kFps)},
                      {"batches", r.batch_ns.size()},
                      {"batch_size", r.in_effect.batch_size},
                      {"batch_extension", r.batch_extension}};
  doc["submission"] = {{"name", sub.name},
                       {"team", sub.team},
                       {"version", sub.version},
                       {"plugin", r.plugin_path},
                       {"plugin_abi", r.plugin_abi},
                       {"description",
                        {{"name", r.description.name},
                         {"team", r.description.team},
                         {"version", r.description.version}}}};
  doc["seal"] = h::SealReportToJson(r.seal);
  doc["plugin_output"] = {{"bytes", r.stderr_bytes}, {"text", r.stderr_log}};
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  doc["context"] = {{"harness_version", HarnessVersion()},
                    {"harness_commit", HarnessCommit()},
                    {"host", host},
                    {"dataset", ds.dir.string()},
                    {"dataset_sha256", ds.manifest_sha256},
                    {"split", split},
                    {"rules", rules.source},
                    {"rules_sha256", rules.sha256},
                    {"mode", r.mode},
                    {"settings_requested", h::RunSettingsToJson(r.requested)},
                    {"settings_in_effect", h::RunSettingsToJson(r.in_effect)}};
  return doc;
}

Status WriteRunReport(const std::filesystem::path& dir, const h::Submission& sub,
                      const contest::Evaluation& e, const J& doc, bool staged) {
  web_export::ReportInput in;
  in.name = sub.name;
  in.team = sub.team;
  in.version = sub.version;
  in.record = &e.record;
  in.summary = doc;
  in.gt = &e.gt;
  in.pr_curves = e.facts.pr_curves;
  in.pr_curves_metric = e.facts.pr_curves_metric;
  in.frames = e.frames;
  if (e.dataset != nullptr)
    for (const datasets::Frame& f : e.dataset->manifest.frames) in.frame_names[f.id] = f.name;
  if (!staged) return web_export::WriteSubmissionReport(dir, in);
  Result<StagingDir> staging = StagingDir::Create(dir, "report.html");
  if (!staging.ok()) return staging.status();
  MB_RETURN_IF_ERROR(web_export::WriteSubmissionReport(staging->staging(), in));
  return staging->Commit();
}

std::function<std::string(const std::string&, const h::Submission&, const contest::Evaluation&)>
ReportOnRun(const std::filesystem::path& root) {
  return [root](const std::string& folder, const h::Submission& sub,
                const contest::Evaluation& e) -> std::string {
    const J doc = RunDocument(sub, e, *e.rules, *e.dataset, e.split, {});
    if (Status st = WriteRunReport(root / folder, sub, e, doc); !st.ok()) {
      std::fprintf(stderr, "maskbench judge: %s: report not written: %s\n", folder.c_str(),
                   st.message().c_str());
      return "";
    }
    return (root / folder / "report.html").string();
  };
}

}  // namespace maskbench::app
