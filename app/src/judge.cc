#include "judge.h"

#include <sched.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "commands.h"
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

// The audit run: a seeded random sequence of `k` fresh frames of the split with
// about k/2 of them repeated later (never right after their first showing),
// run with the rules' own settings, warm-up included, so that nothing tells it
// from a scored run. Two audits read it:
// - consistency: every frame's detections equal the scored run's for that
//   frame, and a repeat's equal its first showing's;
// - caching: repeats are not markedly faster than their own first showings
//   (median repeat < 0.5 x median first showing, and at least 0.2 ms apart).
// The seed and the sequence length are in the details, so the audit can be
// reproduced exactly.
std::vector<we::AuditResult> Audits(const h::Submission& sub, const h::FrameSource& frames,
                                    const h::RunRecord& scored, const h::RunSettings& settings,
                                    int k, uint64_t seed) {
  we::AuditResult consistency{"consistency", false, ""}, caching{"caching", false, ""};
  const size_t n = scored.detections.size();
  std::mt19937_64 rng(seed);
  std::vector<size_t> pool(n);
  for (size_t i = 0; i < n; ++i) pool[i] = i;
  for (size_t i = n; i > 1; --i) std::swap(pool[i - 1], pool[rng() % i]);  // Fisher-Yates
  const size_t fresh = std::min<size_t>(n, static_cast<size_t>(std::max(2, k)));
  pool.resize(fresh);
  // The sequence: fresh frames in the shuffled order, then each of the first
  // half inserted again at a random place at least two after its first showing.
  std::vector<size_t> order = pool;
  const size_t repeats = std::max<size_t>(1, fresh / 2);
  for (size_t r = 0; r < repeats && r < fresh; ++r) {
    const size_t frame = pool[r];
    const size_t first =
        static_cast<size_t>(std::find(order.begin(), order.end(), frame) - order.begin());
    const size_t lo = first + 2;
    const size_t at = lo >= order.size() ? order.size() : lo + rng() % (order.size() - lo + 1);
    order.insert(order.begin() + static_cast<std::ptrdiff_t>(at), frame);
  }
  char tag[96];
  std::snprintf(tag, sizeof tag, "seed %016llx, %zu frames + %zu repeats in random order",
                static_cast<unsigned long long>(seed), fresh, order.size() - fresh);
  SubsetSource subset(frames, order);
  h::RunSettings s = settings;
  s.max_frames = 0;
  h::RunRecord again = h::RunSubmission(sub, subset, s);
  if (!again.ok()) {
    const std::string why = std::string("audit run (") + tag + ") ended with " +
                            h::RunStatusName(again.status) + ": " + again.message;
    consistency.detail = caching.detail = why;
    return {consistency, caching};
  }
  // Consistency: against the scored run, and each repeat against its first showing.
  int differing = 0;
  std::string first_diff;
  std::map<size_t, size_t> first_seen;  // source frame -> position in `order`
  std::vector<int64_t> first_ns, repeat_ns;
  for (size_t i = 0; i < order.size(); ++i) {
    const size_t frame = order[i];
    auto seen = first_seen.find(frame);
    const bool repeat = seen != first_seen.end();
    const auto& reference = repeat ? again.detections[seen->second] : scored.detections[frame];
    if (!SameDetections(again.detections[i], reference) && differing++ == 0)
      first_diff = "frame " + std::to_string(frame) + (repeat ? " (repeated)" : "");
    if (repeat) {
      first_ns.push_back(again.latency_ns[seen->second]);
      repeat_ns.push_back(again.latency_ns[i]);
    } else {
      first_seen[frame] = i;
    }
  }
  consistency.passed = differing == 0;
  consistency.detail =
      consistency.passed
          ? std::to_string(order.size()) + " frames re-run, identical detections (" + tag + ")"
          : std::to_string(differing) + " of " + std::to_string(order.size()) +
                " re-run frames differ (first: " + first_diff + "; " + tag + ")";
  const int64_t m_first = Median(first_ns), m_repeat = Median(repeat_ns);
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "median %.3f ms on repeated frames vs %.3f ms on their first "
                "showings (%s)",
                m_repeat / 1e6, m_first / 1e6, tag);
  caching.passed = !(m_repeat * 2 < m_first && m_first - m_repeat > 200'000);
  caching.detail = buf;
  return {consistency, caching};
}

// The noop plugin's median round trip: the harness's own cost per frame, which
// every measured latency includes (0 when the build has no noop plugin).
std::optional<double> NoopRoundTripUs(const h::RunSettings& base) {
  Result<h::Submission> noop = h::LoadSubmission(ExeDir() / "submissions" / "testing" / "noop");
  if (!noop.ok()) return std::nullopt;
  auto frames = h::MakeSyntheticFrames(8, 640, 480);
  h::RunSettings s = base;
  s.warmup_frames = 50;
  s.max_frames = 0;
  h::MemoryFrameSource many;
  for (int i = 0; i < 400; ++i) {
    const h::FrameRef f = frames->Get(static_cast<size_t>(i % 8));
    many.Add(f.data, f.width, f.height, i);
  }
  h::RunRecord r = h::RunSubmission(*noop, many, s);
  if (!r.ok() || r.round_trip_ns.empty()) return std::nullopt;
  return Median(r.round_trip_ns) / 1e3;
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
  const h::SealSupport seal = h::ProbeSeal();
  if (!seal.full && !o.allow_unsealed)
    return Status::Unsupported(
        "judge", "the full seal cannot be made on this machine (" + seal.reason +
                     "): refusing to run untrusted submissions without it (--allow-unsealed "
                     "judges anyway; every run is then recorded with seal \"reduced\")");
  if (!seal.full) Log(o, "judging UNSEALED (reduced seal): " + seal.reason);

  // One judge per results file, for the whole judge: the lock comes before
  // anything is timed or written (and before the file is checked for damage).
  we::StoreOptions store_options;
  store_options.writer_lock = true;
  Result<std::unique_ptr<we::Store>> store = we::Store::Open(o.db, store_options);
  if (!store.ok() && o.wait && !we::WriterLock::Holder(o.db).empty()) {
    Log(o,
        "waiting for the judge that holds " + o.db.string() + ": " + we::WriterLock::Holder(o.db));
    store_options.wait_for_lock = true;
    store = we::Store::Open(o.db, store_options);
  }
  if (!store.ok()) return store.status();
  we::Store& db = **store;

  Log(o, "decoding frames (cached after the first run)");
  auto cache = datasets::FrameCache::Open(*ds, split);
  if (!cache.ok()) return cache.status();
  h::FrameCacheSource frames(std::move(*cache));
  if (frames.size() == 0) return Status::InvalidArgument(o.dataset.string(), "no frames to judge");

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
  h::RunSettings base_settings = h::SettingsFromRules(rules, ds->manifest);
  base_settings.seal = o.allow_unsealed ? h::SealPolicy::kBestEffort : h::SealPolicy::kRequire;
  uint64_t audit_seed = o.audit_seed;
  if (audit_seed == 0 && getrandom(&audit_seed, sizeof audit_seed, 0) != sizeof audit_seed)
    audit_seed = static_cast<uint64_t>(std::random_device{}()) << 32 | std::random_device{}();
  const std::optional<double> noop_us = NoopRoundTripUs(base_settings);
  if (noop_us)
    Log(o, "harness cost per frame (noop plugin, 640x480, median round trip): " +
               std::to_string(*noop_us) + " us, included in every measured latency");
  // Every submission's files, hashed now and again after its run and at the
  // end: a change means something outside the seal touched them.
  std::map<std::string, std::string> artifacts;

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
    artifacts[line.folder] = *artifact;
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
      // Secret per judge (so a submission cannot know the audit's order in
      // advance), distinct per submission, recorded in the details.
      const uint64_t seed = audit_seed ^ std::stoull(artifact->substr(0, 15), nullptr, 16);
      Log(o, line.folder + ": audits");
      for (we::AuditResult& a : Audits(*sub, frames, record, settings, o.audit_frames, seed))
        out.audits.push_back(std::move(a));
    }
    out.seal_json = h::SealReportToJson(record.seal).dump();
    if (noop_us) out.metrics["noop_round_trip_us"] = *noop_us;
    if (Result<std::string> after = ArtifactSha256(sub->dir); !after.ok() || *after != *artifact) {
      out.status = "harness_error";
      out.message = "the submission's files changed while it ran (" + artifact->substr(0, 12) +
                    " before, " + (after.ok() ? after->substr(0, 12) : after.status().message()) +
                    " after): not scored";
      out.metrics.clear();
      out.audits.clear();
      out.pr_curves.clear();
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
      // A report that cannot be written (a full disk, say) costs the report,
      // not the judge: the run is stored already.
      Status st = Status::Ok();
      Result<StagingDir> staging = StagingDir::Create(dir, "report.html");
      if (!staging.ok()) st = staging.status();
      if (st.ok()) st = web_export::WriteSubmissionReport(staging->staging(), in);
      if (st.ok()) st = staging->Commit();
      if (st.ok()) {
        line.report = (dir / "report.html").string();
      } else {
        Log(o, line.folder + ": report not written: " + st.message());
      }
    }
    Log(o, line.folder + ": " + line.status + (line.message.empty() ? "" : ": " + line.message));
    report.push_back(line);
  }
  // Nothing a run did may have reached another submission's files.
  for (JudgedSubmission& line : report) {
    auto it = artifacts.find(line.folder);
    if (it == artifacts.end()) continue;
    Result<std::string> now = ArtifactSha256(o.submissions / line.folder);
    if (!now.ok() || *now != it->second) {
      line.message += (line.message.empty() ? "" : "; ") +
                      std::string("WARNING: its files changed during the judge");
      Log(o, line.folder + ": WARNING: its files changed during the judge (hash " +
                 it->second.substr(0, 12) + " at its run)");
    }
  }
  return report;
}

}  // namespace maskbench::app
