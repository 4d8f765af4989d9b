#include "maskbench/contest/pipeline.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <thread>

#include "maskbench/contest/frames.h"
#include "maskbench/contest/metrics.h"
#include "maskbench/core/files.h"
#include "maskbench/core/version.h"
#include "maskbench/harness/runner.h"

namespace maskbench::contest {
namespace {

namespace h = maskbench::harness;

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

void Log(const EvaluationContext& ctx, const std::string& line) {
  if (ctx.log) ctx.log(line);
}

// The noop plugin's median round trip over a short run: the harness's cost
// per frame right now (it grows when the host is busy).
std::optional<double> NoopProbeUs(const h::Submission& noop, const h::RunSettings& base) {
  auto frames = h::MakeSyntheticFrames(4, 640, 480);
  h::MemoryFrameSource many;
  for (int i = 0; i < 200; ++i) {
    const h::FrameRef f = frames->Get(static_cast<size_t>(i % 4));
    many.Add(f.data, f.width, f.height, i);
  }
  h::RunSettings s = base;
  s.warmup_frames = 20;
  s.max_frames = 0;
  s.config_json = "{}";
  s.scenario = h::Scenario::kSingleStream;
  h::RunRecord r = h::RunSubmission(noop, many, s);
  if (!r.ok() || r.round_trip_ns.empty()) return std::nullopt;
  return static_cast<double>(Median(r.round_trip_ns)) / 1e3;
}

}  // namespace

h::RunSettings SettingsFromRules(const Rules& rules, const datasets::Manifest& manifest) {
  h::RunSettings s;
  s.warmup_frames = static_cast<int>(rules.warmup_frames);
  s.frame_timeout_s = static_cast<double>(rules.limits.per_frame_timeout_ms) / 1000.0;
  s.total_timeout_s = static_cast<double>(rules.limits.total_timeout_s);
  s.memory_limit_bytes = static_cast<uint64_t>(rules.limits.memory_mb) << 20;
  s.max_detections = static_cast<uint32_t>(rules.limits.max_detections_per_frame);
  for (const datasets::ClassInfo& c : manifest.classes) s.class_ids.push_back(c.id);
  return s;
}

std::string FrameSelection(int64_t max_frames, int64_t split_frames) {
  if (max_frames <= 0 || max_frames >= split_frames) return "all";
  return "first:" + std::to_string(max_frames);
}

std::vector<AuditResult> RunAudits(const h::Submission& sub, const h::FrameSource& frames,
                                   const h::RunRecord& scored, const h::RunSettings& settings,
                                   int k, uint64_t seed) {
  AuditResult consistency{"consistency", false, ""}, caching{"caching", false, ""};
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
      // The frame's fresh latency: the faster of its first showing here and its
      // scored run's, so one stall of the machine on a first showing does not
      // make an honest entry look like one that remembers answers (the scored
      // run's frames are all distinct: nothing there can be remembered).
      int64_t fresh_ns = again.latency_ns[seen->second];
      if (frame < scored.latency_ns.size()) fresh_ns = std::min(fresh_ns, scored.latency_ns[frame]);
      first_ns.push_back(fresh_ns);
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
                "median %.3f ms on repeated frames vs %.3f ms on their first showings "
                "(the faster of the audit's and the scored run's) (%s)",
                static_cast<double>(m_repeat) / 1e6, static_cast<double>(m_first) / 1e6, tag);
  caching.passed = !(m_repeat * 2 < m_first && m_first - m_repeat > 200'000);
  caching.detail = buf;
  return {consistency, caching};
}

Result<Evaluation> Evaluate(const h::Submission& submission, const EvaluationContext& ctx) {
  if (ctx.dataset == nullptr || ctx.frames == nullptr || ctx.rules == nullptr)
    return Status::InvalidArgument("Evaluate", "the context needs a data set, frames and rules");
  const Rules& rules = *ctx.rules;
  Evaluation e;
  e.frames = ctx.frames;
  e.dataset = ctx.dataset;
  e.rules = ctx.rules;
  e.split = ctx.split;
  e.split_frames = static_cast<int64_t>(ctx.frames->size());
  e.frame_selection = FrameSelection(ctx.max_frames, e.split_frames);
  h::RunSettings settings = SettingsFromRules(rules, ctx.dataset->manifest);
  settings.max_frames = ctx.max_frames;
  settings.seal = ctx.seal;
  settings.scenario = ctx.scenario;
  settings.batch_size = ctx.batch_size;
  settings.in_process = ctx.in_process;

  // The measurement protocol: sample the host, wait while it is noisy.
  if (ctx.sample_noise && !ctx.in_process) {
    const Rules::Measurement& m = rules.measurement;
    for (int64_t attempt = 0;; ++attempt) {
      e.noise = SampleLoad();
      if (ctx.noop) e.noise.noop_p50_us = NoopProbeUs(*ctx.noop, settings);
      const bool loaded = e.noise.load_per_cpu > m.max_load_per_cpu;
      const bool slow = e.noise.noop_p50_us && *e.noise.noop_p50_us > m.max_noop_us;
      if ((!loaded && !slow) || attempt >= m.retries) break;
      char b[200];
      std::snprintf(b, sizeof b,
                    "host is noisy (load %.2f per CPU, noop %.1f us): waiting %.0f s before the "
                    "timed run",
                    e.noise.load_per_cpu, e.noise.noop_p50_us.value_or(0), m.wait_s);
      Log(ctx, b);
      std::this_thread::sleep_for(std::chrono::duration<double>(m.wait_s));
    }
  }
  e.record = h::RunSubmission(submission, *ctx.frames, settings);
  // Partial: fewer frames asked for than the split holds (a failed run is not partial).
  e.partial = e.frame_selection != "all";
  Result<scoring::GroundTruth> gt =
      GroundTruthForFrames(*ctx.dataset, ctx.split, e.record.frame_ids);
  if (!gt.ok()) return gt.status();
  e.gt = std::move(*gt);
  Result<RunFacts> facts = ComputeFacts(e.record, &e.gt, rules);
  if (!facts.ok()) return facts.status();
  e.facts = std::move(*facts);
  if (ctx.sample_noise && !ctx.in_process) {
    e.facts.metrics[metric::kNoiseLoad] = e.noise.load_per_cpu;
    if (e.noise.noop_p50_us) e.facts.metrics[metric::kNoiseNoopUs] = *e.noise.noop_p50_us;
  }
  if (e.record.clock_hz != 0) {
    e.facts.metrics[metric::kClockHz] = static_cast<double>(e.record.clock_hz);
    e.facts.metrics[metric::kCyclesSimulated] = ctx.rtl_built ? 1 : 0;
  }
  if (ctx.rtl_built && ctx.resources) {
    e.facts.metrics[metric::kLuts] = static_cast<double>(ctx.resources->lut);
    e.facts.metrics[metric::kFfs] = static_cast<double>(ctx.resources->ff);
    e.facts.metrics[metric::kDsps] = static_cast<double>(ctx.resources->dsp);
    e.facts.metrics[metric::kBrams] = static_cast<double>(ctx.resources->bram36);
  }
  if (ctx.audits && e.record.ok() && !e.record.timing_flagged) {
    Log(ctx, "audits");
    e.audits =
        RunAudits(submission, *ctx.frames, e.record, settings, ctx.audit_frames, ctx.audit_seed);
  }
  return e;
}

RunOutcome ToOutcome(const Evaluation& e, const Rules& rules) {
  const h::RunRecord& r = e.record;
  RunOutcome out;
  out.status = h::RunStatusName(r.status);
  out.message = r.message;
  out.requested_settings_json = h::RunSettingsToJson(r.requested).dump();
  out.effective_settings_json = h::RunSettingsToJson(r.in_effect).dump();
  out.seal_json = h::SealReportToJson(r.seal).dump();
  out.rules_sha256 = rules.sha256;
  out.partial = e.partial;
  for (size_t i = 0; i < r.latency_ns.size(); ++i) {
    FrameFacts f;
    f.frame_index = static_cast<int64_t>(i);
    f.frame_id = r.frame_ids[i];
    f.latency_ns = r.latency_ns[i];
    f.round_trip_ns = r.round_trip_ns[i];
    if (i < r.child_latency_ns.size()) f.child_ns = r.child_latency_ns[i];
    if (r.clock_hz != 0 && i < r.cycles.size()) f.cycles = r.cycles[i];
    f.detections = r.detections[i];
    out.frames.push_back(std::move(f));
  }
  out.metrics = e.facts.metrics;
  out.audits = e.audits;
  out.pr_curves = e.facts.pr_curves;
  out.pr_curves_metric = e.facts.pr_curves_metric;
  return out;
}

Result<std::string> ArtifactSha256(const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
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

Result<StoreContext> PrepareStore(Store& store, const datasets::Dataset& ds,
                                  const std::string& split, int64_t split_frames,
                                  const Rules& rules, const std::string& rules_text) {
  StoreContext sc;
  sc.split_frames = split_frames;
  Result<int64_t> machine_id = store.UpsertMachine(ThisMachine());
  if (!machine_id.ok()) return machine_id.status();
  sc.machine_id = *machine_id;
  Result<int64_t> dataset_id =
      store.UpsertDataset({ds.manifest_sha256, ds.manifest.name, split, split_frames});
  if (!dataset_id.ok()) return dataset_id.status();
  sc.dataset_id = *dataset_id;
  if (Result<int64_t> r = store.UpsertRules({rules.sha256, rules_text}); !r.ok()) return r.status();
  return sc;
}

RunKey KeyFor(int64_t submission_id, const StoreContext& sc, const EvaluationContext& ctx,
              int64_t trial) {
  RunKey key;
  key.submission_id = submission_id;
  key.dataset_id = sc.dataset_id;
  key.machine_id = sc.machine_id;
  key.frame_selection = FrameSelection(ctx.max_frames, sc.split_frames);
  key.scenario = h::ScenarioName(ctx.scenario);
  key.warmup = ctx.rules->warmup_frames;
  key.harness_version = HarnessVersion();
  key.trial = trial;
  return key;
}

Result<int64_t> StoreEntry(Store& store, const h::Submission& sub,
                           const std::string& artifact_sha256, const std::string& team_id,
                           const std::string& display_name, bool reference,
                           const std::string& track, bool rtl_built) {
  SubmissionInfo info{sub.name,
                      sub.team,
                      sub.version,
                      artifact_sha256,
                      "",
                      sub.latency_kind,
                      rtl_built ? "rtl" : "plugin"};
  Result<int64_t> id = store.UpsertSubmission(info);
  if (!id.ok()) return id.status();
  MB_RETURN_IF_ERROR(store.UpsertEntry({team_id, display_name.empty() ? sub.name : display_name,
                                        *id, reference, sub.dir.string(), track, ""}));
  return id;
}

Result<Evaluation> EvaluateAndCommit(Store& store, int64_t run_id, const h::Submission& sub,
                                     const std::string& artifact, const EvaluationContext& ctx,
                                     RunOutcome* committed) {
  Result<Evaluation> e = Evaluate(sub, ctx);
  if (!e.ok()) return e.status();
  RunOutcome out = ToOutcome(*e, *ctx.rules);
  if (e->record.timing_flagged && e->record.ok()) {
    out.status = "invalid_output";
    out.message = "the runner's clock disagreed with the parent's (timing flagged)";
  }
  if (Result<std::string> after = ArtifactSha256(sub.dir); !after.ok() || *after != artifact) {
    out.status = kStatusHarnessError;
    out.message = "the submission's files changed while it ran (" + artifact.substr(0, 12) +
                  " before, " + (after.ok() ? after->substr(0, 12) : after.status().message()) +
                  " after): not scored";
    out.metrics.clear();
    out.audits.clear();
    out.pr_curves.clear();
  }
  MB_RETURN_IF_ERROR(store.CommitRun(run_id, out));
  if (!e->record.plugin_abi.empty()) {
    SubmissionInfo info{sub.name,
                        sub.team,
                        sub.version,
                        artifact,
                        e->record.plugin_abi,
                        sub.latency_kind,
                        ctx.rtl_built ? "rtl" : "plugin"};
    (void)store.UpsertSubmission(info);
  }
  if (committed != nullptr) *committed = std::move(out);
  return e;
}

}  // namespace maskbench::contest
