#include "judge.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "maskbench/core/files.h"
#include "maskbench/core/version.h"
#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/harness/frame_source.h"
#include "maskbench/harness/run_summary.h"
#include "maskbench/harness/runner.h"
#include "maskbench/harness/submission.h"
#include "maskbench/reference/baseline_calibration.h"
#include "maskbench/scoring/rules.h"
#include "maskbench/web_export/leaderboard.h"
#include "maskbench/web_export/pr_curves.h"
#include "maskbench/web_export/report.h"
#include "maskbench/web_export/store.h"

namespace maskbench::app {
namespace {

namespace fs = std::filesystem;
namespace h = maskbench::harness;
namespace we = maskbench::web_export;

// The frames of `base` at `indices`, in that order (used by the audits).
class SubsetSource : public h::FrameSource {
 public:
  SubsetSource(const h::FrameSource& base, std::vector<size_t> indices)
      : base_(base), indices_(std::move(indices)) {}
  size_t size() const override { return indices_.size(); }
  h::FrameRef Get(size_t i) const override { return base_.Get(indices_[i]); }

 private:
  const h::FrameSource& base_;
  std::vector<size_t> indices_;
};

// SHA-256 over every regular file of a submission folder: sorted relative
// paths and their hashes, so any change to the plugin or its weights is a new artifact.
Result<std::string> ArtifactSha256(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(fs::relative(it->path(), dir));
  }
  if (ec) return Status::IOError(dir.string(), "cannot list: " + ec.message());
  std::sort(files.begin(), files.end());
  std::string manifest;
  for (const auto& rel : files) {
    Result<std::string> sha = Sha256File(dir / rel);
    if (!sha.ok()) return sha.status();
    manifest += rel.generic_string() + "\t" + *sha + "\n";
  }
  return Sha256Hex(manifest);
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

bool SameDetections(const std::vector<h::Detection>& a, const std::vector<h::Detection>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].class_id != b[i].class_id) return false;
    if (std::fabs(a[i].x - b[i].x) > 1e-3f || std::fabs(a[i].y - b[i].y) > 1e-3f ||
        std::fabs(a[i].w - b[i].w) > 1e-3f || std::fabs(a[i].h - b[i].h) > 1e-3f ||
        std::fabs(a[i].score - b[i].score) > 1e-5f)
      return false;
  }
  return true;
}

int64_t Median(std::vector<int64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}

// Consistency audit: a seeded random subset of the frames, run again in a new
// child, must give the same detections as in the scored run.
we::AuditResult ConsistencyAudit(const h::Submission& sub, const h::FrameSource& frames,
                                 const h::RunRecord& scored, h::RunSettings settings, int k,
                                 uint64_t seed) {
  we::AuditResult a{"consistency", false, ""};
  const size_t n = scored.detections.size();
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 rng(seed);
  for (size_t i = n; i > 1; --i) std::swap(order[i - 1], order[rng() % i]);  // Fisher-Yates
  order.resize(std::min<size_t>(n, static_cast<size_t>(k)));
  std::sort(order.begin(), order.end());
  // The scored run's frame i is source frame i (runs start at frame 0 after warm-up frames
  // taken from the start of the source).
  SubsetSource subset(frames, order);
  settings.warmup_frames = 1;
  settings.max_frames = 0;
  h::RunRecord again = h::RunSubmission(sub, subset, settings);
  if (!again.ok()) {
    a.detail =
        std::string("re-run ended with ") + h::RunStatusName(again.status) + ": " + again.message;
    return a;
  }
  int differing = 0;
  std::string first;
  for (size_t i = 0; i < order.size(); ++i) {
    if (!SameDetections(again.detections[i], scored.detections[order[i]])) {
      if (differing++ == 0) first = "frame " + std::to_string(order[i]);
    }
  }
  a.passed = differing == 0;
  a.detail = a.passed ? std::to_string(order.size()) + " frames re-run, identical detections"
                      : std::to_string(differing) + " of " + std::to_string(order.size()) +
                            " re-run frames differ (first: " + first + ")";
  return a;
}

// Caching audit: the same frame fed k times must not be markedly faster than k
// fresh frames (median repeated < 0.5 x median fresh, and at least 0.2 ms apart).
we::AuditResult CachingAudit(const h::Submission& sub, const h::FrameSource& frames,
                             h::RunSettings settings, int k) {
  we::AuditResult a{"caching", false, ""};
  const size_t n = std::min<size_t>(frames.size(), static_cast<size_t>(k));
  std::vector<size_t> fresh_idx, same_idx;
  for (size_t i = 0; i < n; ++i) {
    fresh_idx.push_back(i);
    same_idx.push_back(0);
  }
  settings.warmup_frames = 1;
  settings.max_frames = 0;
  SubsetSource same(frames, same_idx), fresh(frames, fresh_idx);
  h::RunRecord r_same = h::RunSubmission(sub, same, settings);
  h::RunRecord r_fresh = h::RunSubmission(sub, fresh, settings);
  if (!r_same.ok() || !r_fresh.ok()) {
    const h::RunRecord& bad = r_same.ok() ? r_fresh : r_same;
    a.detail =
        std::string("audit run ended with ") + h::RunStatusName(bad.status) + ": " + bad.message;
    return a;
  }
  const int64_t m_same = Median(r_same.latency_ns), m_fresh = Median(r_fresh.latency_ns);
  char buf[160];
  std::snprintf(buf, sizeof buf, "median %.3f ms on one repeated frame vs %.3f ms on fresh frames",
                m_same / 1e6, m_fresh / 1e6);
  a.passed = !(m_same * 2 < m_fresh && m_fresh - m_same > 200'000);
  a.detail = buf;
  return a;
}

void Log(const JudgeOptions& o, const std::string& line) {
  if (!o.quiet) std::fprintf(stderr, "maskbench judge: %s\n", line.c_str());
}

std::optional<double> Metric(const std::map<std::string, std::optional<double>>& m,
                             const char* key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

}  // namespace

Result<std::vector<JudgedSubmission>> Judge(const JudgeOptions& o) {
  // Rules, data set, frames, store: the judge's own inputs must all be sound.
  scoring::Rules rules = scoring::DefaultRules();
  std::string rules_text(scoring::DefaultRulesJson());
  if (!o.rules.empty()) {
    Result<scoring::Rules> loaded = scoring::LoadRules(o.rules);
    if (!loaded.ok()) return loaded.status();
    rules = *loaded;
    Result<std::string> text = ReadFile(o.rules);
    if (!text.ok()) return text.status();
    rules_text = *text;
  }
  Result<datasets::Dataset> ds = datasets::LoadDataset(o.dataset);
  if (!ds.ok()) return ds.status();
  std::string split = o.split.empty() ? rules.split : o.split;
  const auto& splits = ds->manifest.splits;
  if (std::find(splits.begin(), splits.end(), split) == splits.end()) {
    if (!o.split.empty())
      return Status::InvalidArgument(o.dataset.string(),
                                     "no split \"" + split + "\" in the manifest");
    Log(o, "the data set has no split \"" + split + "\" (the rules' split): judging all frames");
    split.clear();
  }
  if (!fs::is_directory(o.submissions))
    return Status::NotFound(o.submissions.string(), "not a folder of submissions");

  Log(o, "decoding frames (cached after the first run)");
  auto cache = datasets::FrameCache::Open(*ds, split);
  if (!cache.ok()) return cache.status();
  h::FrameCacheSource frames(std::move(*cache));
  if (frames.size() == 0) return Status::InvalidArgument(o.dataset.string(), "no frames to judge");

  Result<std::unique_ptr<we::Store>> store = we::Store::Open(o.db);
  if (!store.ok()) return store.status();
  we::Store& db = **store;

  const std::string fingerprint = reference::MachineFingerprint();
  Result<int64_t> machine_id =
      db.UpsertMachine({fingerprint, CpuModel(), static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN))});
  if (!machine_id.ok()) return machine_id.status();
  Result<int64_t> dataset_id = db.UpsertDataset({ds->manifest_sha256, ds->manifest.name, split});
  if (!dataset_id.ok()) return dataset_id.status();
  Result<int64_t> rules_id = db.UpsertRules({rules.sha256, rules_text});
  if (!rules_id.ok()) return rules_id.status();

  // Sequential runs on one CPU for fair timing (children inherit the affinity).
  const long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  int cpu = o.cpu == -2 ? static_cast<int>(ncpu - 1) : o.cpu;
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
      Log(o, "could not pin to CPU " + std::to_string(cpu) + "; running unpinned");
      cpu = -1;
    }
  }

  // Discover: every direct sub-folder holding a plugin; the references first.
  std::vector<fs::path> folders;
  for (const auto& e : fs::directory_iterator(o.submissions))
    if (e.is_directory()) folders.push_back(e.path());
  std::sort(folders.begin(), folders.end());
  auto priority = [&](const fs::path& p) {
    const std::string n = p.filename().string();
    if (n == kBaselineSubmissionName) return 0;
    if (n == rules.gate.reference) return 1;
    return 2;
  };
  std::stable_sort(folders.begin(), folders.end(),
                   [&](const fs::path& a, const fs::path& b) { return priority(a) < priority(b); });

  std::vector<JudgedSubmission> report;
  std::optional<double> baseline_latency_ms, baseline_modeled_ms, reference_map50;
  const h::RunSettings base_settings = h::SettingsFromRules(rules, ds->manifest);

  for (const fs::path& folder : folders) {
    JudgedSubmission line;
    line.folder = folder.filename().string();
    bool has_plugin = false;
    for (const auto& e : fs::directory_iterator(folder))
      if (e.is_regular_file() && e.path().extension() == ".so") has_plugin = true;
    if (!has_plugin) continue;  // not a submission (e.g. testing/)
    Result<h::Submission> sub = h::LoadSubmission(folder);
    if (!sub.ok()) {
      line.status = "skipped";
      line.message = sub.status().message();
      Log(o, line.folder + ": skipped: " + line.message);
      report.push_back(line);
      continue;
    }
    line.name = sub->name;
    Result<std::string> artifact = ArtifactSha256(sub->dir);
    if (!artifact.ok()) return artifact.status();
    we::SubmissionInfo info{sub->name, sub->team, sub->version, *artifact, "", sub->latency_kind};
    Result<int64_t> sub_id = db.UpsertSubmission(info);
    if (!sub_id.ok()) return sub_id.status();
    we::RunKey key{*sub_id, *dataset_id, *rules_id, *machine_id, HarnessVersion()};
    Result<we::RunTicket> ticket = db.BeginRun(key);
    if (!ticket.ok()) return ticket.status();
    line.run_id = ticket->run_id;

    const bool is_baseline = sub->name == kBaselineSubmissionName;
    const bool is_reference = sub->name == rules.gate.reference;
    if (ticket->already_complete) {
      // Reuse the stored run, and its numbers when it is a reference.
      we::RunFilter filter;
      filter.dataset_manifest_sha256 = ds->manifest_sha256;
      filter.split = split;
      filter.rules_sha256 = rules.sha256;
      filter.machine_fingerprint = fingerprint;
      filter.harness_version = HarnessVersion();
      Result<std::vector<we::StoredRun>> runs = db.ListRuns(filter);
      if (!runs.ok()) return runs.status();
      for (const we::StoredRun& r : *runs) {
        if (r.id != ticket->run_id) continue;
        line.status = r.status;
        line.message = r.message;
        if (is_baseline && r.status == "ok") {
          baseline_latency_ms = Metric(r.metrics, we::metric::kHeadlineLatencyMs);
          baseline_modeled_ms = Metric(r.metrics, we::metric::kModeledLatencyMs);
        }
        if (is_reference && r.status == "ok")
          reference_map50 = Metric(r.metrics, we::metric::kMap50);
      }
      line.reused = true;
      Log(o, line.folder + ": already judged (run " + std::to_string(line.run_id) + ", " +
                 line.status + ")");
      report.push_back(line);
      continue;
    }

    Log(o, line.folder + ": running" +
               (ticket->attempts > 1 ? " (attempt " + std::to_string(ticket->attempts) + ")" : ""));
    h::RunSettings settings = base_settings;
    settings.max_frames = o.max_frames;
    h::RunRecord record = h::RunSubmission(*sub, frames, settings);

    Result<scoring::GroundTruth> gt = h::GroundTruthForFrames(*ds, split, record.frame_ids);
    if (!gt.ok()) return gt.status();
    std::optional<double> baseline_for_kind = rules.latency_kind == scoring::LatencyKind::kModeled
                                                  ? baseline_modeled_ms
                                                  : baseline_latency_ms;
    if (is_baseline) baseline_for_kind.reset();  // its own numbers, set below
    Result<h::RunSummary> summary = h::SummarizeRun(record, &*gt, rules, baseline_for_kind,
                                                    reference_map50, baseline_modeled_ms);
    if (!summary.ok()) return summary.status();
    if (is_baseline && record.ok()) {
      baseline_latency_ms = summary->headline_latency_ms;
      baseline_modeled_ms = summary->modeled_latency_ms;
      summary = h::SummarizeRun(record, &*gt, rules,
                                rules.latency_kind == scoring::LatencyKind::kModeled
                                    ? baseline_modeled_ms
                                    : baseline_latency_ms,
                                reference_map50, baseline_modeled_ms);
      if (!summary.ok()) return summary.status();
    }
    if (is_reference && record.ok()) {
      reference_map50 = summary->map50;
      if (rules.gate.enabled && reference_map50)
        summary->gate_passed =
            scoring::GatePassed(*summary->map50, *reference_map50, rules.gate.min_ratio);
    }

    we::RunOutcome out;
    out.status = h::RunStatusName(record.status);
    out.message = record.message;
    if (record.timing_flagged && record.ok()) {
      out.status = "invalid_output";
      out.message = "the runner's timed call exceeded the parent's round trip";
    }
    out.requested_settings_json = h::RunSettingsToJson(record.requested).dump();
    out.effective_settings_json = h::RunSettingsToJson(record.in_effect).dump();
    for (size_t i = 0; i < record.latency_ns.size(); ++i) {
      we::FrameResult fr;
      fr.frame_index = static_cast<int64_t>(i);
      fr.frame_id = std::to_string(record.frame_ids[i]);
      fr.latency_ns = record.latency_ns[i];
      fr.round_trip_ns = record.round_trip_ns[i];
      fr.detections = static_cast<int64_t>(record.detections[i].size());
      out.frames.push_back(fr);
    }
    auto put = [&](const char* name, const std::optional<double>& v) {
      if (v) out.metrics[name] = *v;
    };
    put(we::metric::kMap50, summary->map50);
    put(we::metric::kAp, summary->ap);
    put(we::metric::kViolationRecall, summary->violation_recall);
    put(we::metric::kViolationPrecision, summary->violation_precision);
    if (summary->latency) {
      out.metrics[we::metric::kLatencyP50Ms] = summary->latency->p50_ns / 1e6;
      out.metrics[we::metric::kLatencyP90Ms] = summary->latency->p90_ns / 1e6;
      out.metrics[we::metric::kLatencyP99Ms] = summary->latency->p99_ns / 1e6;
      out.metrics[we::metric::kFps] = summary->latency->fps;
    }
    put(we::metric::kHeadlineLatencyMs, summary->headline_latency_ms);
    put(we::metric::kModeledLatencyMs, summary->modeled_latency_ms);
    put(we::metric::kSpeedup, summary->speedup);
    put("modeled_speedup", summary->modeled_speedup);
    if (summary->gate_passed) out.metrics[we::metric::kGatePassed] = *summary->gate_passed ? 1 : 0;
    if (summary->overhead_p50_us) out.metrics["overhead_p50_us"] = *summary->overhead_p50_us;

    if (out.status == "ok") {
      Result<std::vector<we::PrCurve>> curves = we::ComputePrCurves(*gt, h::RunDetections(record));
      if (curves.ok()) out.pr_curves = std::move(*curves);
    }
    if (o.audits && out.status == "ok") {
      const uint64_t seed = std::stoull(artifact->substr(0, 15), nullptr, 16);
      Log(o, line.folder + ": audits");
      out.audits.push_back(ConsistencyAudit(*sub, frames, record, settings, o.audit_frames, seed));
      out.audits.push_back(CachingAudit(*sub, frames, settings, o.audit_frames));
    }
    Status committed = db.CommitRun(ticket->run_id, out);
    if (!committed.ok()) return committed;
    if (!record.plugin_abi.empty()) {
      info.abi_version = record.plugin_abi;
      (void)db.UpsertSubmission(info);
    }
    line.status = out.status;
    line.message = out.message;
    if (!o.reports.empty()) {
      web_export::ReportInput in;
      in.name = sub->name;
      in.team = sub->team;
      in.version = sub->version;
      in.record = &record;
      in.summary = h::RunSummaryToJson(*summary);
      in.summary["status"] = out.status;  // a flagged timing is invalid_output here too
      in.gt = &*gt;
      in.frames = &frames;
      const fs::path dir = o.reports / line.folder;
      if (Status st = web_export::WriteSubmissionReport(dir, in); !st.ok()) return st;
      line.report = (dir / "report.html").string();
    }
    Log(o, line.folder + ": " + line.status + (line.message.empty() ? "" : ": " + line.message));
    report.push_back(line);
  }
  return report;
}

}  // namespace maskbench::app
