// `maskbench run SUBMISSION --dataset DS [--split NAME] [--frames N] [--rules RULES.json]
//  [--out DIR] [--json] [--scenario single-stream|offline] [--batch N] [--in-process]`: runs one
//  submission isolated over a data
// set's frames, scores it and reports. See docs/cli.md and docs/runner.md.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "commands.h"
#include "maskbench/core/files.h"
#include "maskbench/core/version.h"
#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/harness/run_summary.h"
#include "maskbench/harness/runner.h"
#include "maskbench/harness/submission.h"
#include "maskbench/reference/baseline_calibration.h"
#include "maskbench/reference/calibrate.h"
#include "maskbench/scoring/detections.h"
#include "maskbench/scoring/rules.h"
#include "maskbench/web_export/report.h"
#include "maskbench/web_export/store.h"

namespace maskbench::app {
namespace {

namespace fs = std::filesystem;
namespace h = maskbench::harness;

struct RunFlags {
  std::string submission, dataset, split, rules, out;
  int64_t frames = 0;
  bool json = false;
  bool in_process = false;
  std::string scenario = "single-stream";
  uint32_t batch = 0;
};

std::string Ms(const std::optional<double>& v) {
  if (!v) return "n/a";
  char b[64];
  std::snprintf(b, sizeof b, "%.3f ms", *v);
  return b;
}

std::string Num(const std::optional<double>& v, const char* fmt = "%.4f") {
  if (!v) return "n/a";
  char b[64];
  std::snprintf(b, sizeof b, fmt, *v);
  return b;
}

void PrintHuman(const h::Submission& sub, const h::RunRecord& r, const h::RunSummary& s,
                const std::string& split, const datasets::Dataset& ds) {
  std::printf("submission   %s (team %s, version %s) %s\n", sub.name.c_str(),
              sub.team.empty() ? "?" : sub.team.c_str(),
              sub.version.empty() ? "?" : sub.version.c_str(), r.plugin_path.c_str());
  std::printf("data set     %s split %s, %lld frames run (%s, %d warm-up)\n",
              ds.dir.string().c_str(), split.empty() ? "(all)" : split.c_str(),
              static_cast<long long>(s.frames), r.mode.c_str(), r.in_effect.warmup_frames);
  std::printf("status       %s%s%s\n", h::RunStatusName(s.status), s.message.empty() ? "" : ": ",
              s.message.c_str());
  std::printf("seal         %s\n", SealText(r.seal).c_str());
  if (s.latency) {
    const auto& l = *s.latency;
    std::printf(
        "latency      p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  (min %.3f, mean %.3f, max %.3f)  %.1f "
        "fps\n",
        l.p50_ns / 1e6, l.p90_ns / 1e6, l.p99_ns / 1e6, l.min_ns / 1e6, l.mean_ns / 1e6,
        l.max_ns / 1e6, l.fps);
    if (s.scenario == h::Scenario::kOffline) {
      std::printf(
          "offline      %s frames/s (%lld batches of up to %u frames, %s; latencies above are "
          "per-batch "
          "time / frames)\n",
          Num(s.offline_frames_per_s, "%.1f").c_str(), static_cast<long long>(s.offline_batches),
          s.batch_size,
          s.batch_extension ? "maskbench.batch/1" : "no batch extension: infer() per frame");
    } else {
      std::printf("headline     p%g %s (%s)\n", s.headline_percentile,
                  Ms(s.headline_latency_ms).c_str(), "measured");
    }
  }
  if (s.modeled_latency_ms)
    std::printf("modeled      p%g %s at %.0f MHz (reported cycles; not mixed with measured)\n",
                s.headline_percentile, Ms(s.modeled_latency_ms).c_str(), r.clock_hz / 1e6);
  if (s.overhead_p50_us)
    std::printf("overhead     p50 %.2f us  p99 %.2f us (round trip minus the timed call)\n",
                *s.overhead_p50_us, *s.overhead_p99_us);
  std::printf("accuracy     mAP50 %s  AP %s  violation recall %s  precision %s\n",
              Num(s.map50).c_str(), Num(s.ap).c_str(), Num(s.violation_recall).c_str(),
              Num(s.violation_precision).c_str());
  std::printf("speedup      %s\n", s.speedup ? Num(s.speedup, "%.2fx").c_str()
                                   : s.scenario == h::Scenario::kOffline
                                       ? "n/a (speedup compares SingleStream latencies)"
                                       : "n/a (no reference baseline in this build to calibrate)");
  if (s.modeled_speedup)
    std::printf(
        "modeled      speedup %s (the baseline's modeled latency / this one; cycles / clock)\n",
        Num(s.modeled_speedup, "%.1fx").c_str());
  std::printf("gate         %s\n", s.gate_passed ? (*s.gate_passed ? "passed" : "FAILED")
                                                 : "n/a (no gate reference in this build)");
}

// The baseline's latencies on this machine: measured (the rules' headline
// percentile) and modeled (cycles / clock).
struct BaselineLatencies {
  std::optional<double> measured_ms, modeled_ms;
  // The one the rules rank by.
  std::optional<double> ForRules(const scoring::Rules& rules) const {
    return rules.latency_kind == scoring::LatencyKind::kModeled ? modeled_ms : measured_ms;
  }
};

// The baseline's latencies from the stored calibration; calibrates once (first
// 8 frames of `frames`, 1 warm-up) when the build holds the reference baseline
// and no calibration of this machine exists.
BaselineLatencies BaselineLatencyMs(const scoring::Rules& rules, const h::FrameSource& frames,
                                    const datasets::Dataset& ds, const std::string& split,
                                    bool quiet) {
  const fs::path path = reference::DefaultBaselineCalibrationPath(ExeDir());
  const std::string fingerprint = reference::MachineFingerprint();
  Result<reference::BaselineCalibration> cal =
      reference::LoadBaselineCalibrationFor(path, fingerprint);
  if (!cal.ok()) {
    Result<h::Submission> base = h::LoadSubmission(ExeDir() / "submissions" / "reference-baseline");
    if (!base.ok() || frames.size() < 2) return {};
    const int n = static_cast<int>(std::min<size_t>(8, frames.size() - 1));
    if (!quiet)
      std::fprintf(stderr,
                   "maskbench: run: calibrating reference-baseline on this machine (%d frames, "
                   "once; stored in %s)\n",
                   n, path.c_str());
    Result<reference::BaselineCalibration> c =
        reference::CalibrateBaseline(*base, frames, ds, split, n, 1);
    if (!c.ok()) {
      std::fprintf(stderr, "maskbench: run: %s\n", c.status().message().c_str());
      return {};
    }
    if (Status st = reference::SaveBaselineCalibration(path, *c); !st.ok())
      std::fprintf(stderr, "maskbench: run: %s\n", st.message().c_str());
    cal = std::move(c);
  }
  BaselineLatencies out;
  if (cal->clock_hz != 0 && cal->modeled_cycles_per_frame != 0)
    out.modeled_ms = static_cast<double>(cal->modeled_cycles_per_frame) * 1e3 /
                     static_cast<double>(cal->clock_hz);
  if (Result<int64_t> p = scoring::Percentile(cal->latency_ns, rules.headline_percentile); p.ok())
    out.measured_ms = *p / 1e6;
  return out;
}

// The gate reference's mAP@0.5 on the same frames: cached beside the data set,
// computed once by running the reference (isolated) when the build holds it.
std::optional<double> ReferenceMap50(const scoring::Rules& rules, const h::FrameSource& frames,
                                     const datasets::Dataset& ds, const std::string& split,
                                     const std::vector<int64_t>& frame_ids, bool quiet) {
  Result<h::Submission> ref = h::LoadSubmission(ExeDir() / "submissions" / rules.gate.reference);
  if (!ref.ok() || frame_ids.empty()) return std::nullopt;
  Result<std::string> plugin_sha = Sha256File(ref->plugin);
  Result<std::string> model_sha = Sha256File(ref->dir / "refnet.onnx");
  std::string key =
      Sha256Hex((plugin_sha.ok() ? *plugin_sha : "") + (model_sha.ok() ? *model_sha : "") +
                ds.manifest_sha256 + split + std::to_string(frame_ids.size()));
  const fs::path cache = ds.dir / ".cache" / ("reference-" + key.substr(0, 16) + ".json");
  if (Result<std::string> text = ReadFile(cache); text.ok()) {
    try {
      return nlohmann::json::parse(*text).at("mAP50").get<double>();
    } catch (const nlohmann::json::exception&) {
    }
  }
  if (!quiet)
    std::fprintf(
        stderr, "maskbench: run: scoring %s on the same frames for the gate (once; cached in %s)\n",
        ref->name.c_str(), cache.c_str());
  h::RunSettings settings = h::SettingsFromRules(rules, ds.manifest);
  settings.max_frames = static_cast<int64_t>(frame_ids.size());
  h::RunRecord rec = h::RunSubmission(*ref, frames, settings);
  if (!rec.ok()) return std::nullopt;
  Result<scoring::GroundTruth> gt = h::GroundTruthForFrames(ds, split, rec.frame_ids);
  if (!gt.ok()) return std::nullopt;
  Result<h::RunSummary> s = h::SummarizeRun(rec, &*gt, rules);
  if (!s.ok() || !s->map50) return std::nullopt;
  (void)WriteFileAtomic(
      cache, nlohmann::json{{"submission", ref->name}, {"mAP50", *s->map50}}.dump() + "\n");
  return s->map50;
}

int RunCommand(const RunFlags& f) {
  Result<h::Submission> sub = h::LoadSubmission(f.submission);
  if (!sub.ok()) return Fail(sub.status());
  scoring::Rules rules = scoring::DefaultRules();
  if (!f.rules.empty()) {
    Result<scoring::Rules> loaded = scoring::LoadRules(f.rules);
    if (!loaded.ok()) return Fail(loaded.status());
    rules = *loaded;
  }
  if (f.frames < 0)
    return Fail(
        Status::InvalidArgument("--frames", "must be >= 0, got " + std::to_string(f.frames)));
  Result<datasets::Dataset> ds = datasets::LoadDataset(f.dataset);
  if (!ds.ok()) return Fail(ds.status());
  std::string split = f.split;
  if (split.empty()) {
    split = rules.split;
    const auto& splits = ds->manifest.splits;
    if (std::find(splits.begin(), splits.end(), split) == splits.end()) {
      std::fprintf(
          stderr, "maskbench: run: %s has no split \"%s\" (the rules' split); running all frames\n",
          ds->dir.string().c_str(), split.c_str());
      split.clear();
    }
  } else {
    const auto& splits = ds->manifest.splits;
    if (std::find(splits.begin(), splits.end(), split) == splits.end())
      return Fail(Status::InvalidArgument(f.dataset, "no split \"" + split + "\" in the manifest"));
  }
  if (isatty(STDERR_FILENO))
    std::fprintf(stderr, "maskbench: run: decoding frames (cached after the first run)...\n");
  auto cache = datasets::FrameCache::Open(*ds, split);
  if (!cache.ok()) return Fail(cache.status());
  h::FrameCacheSource frames(std::move(*cache));
  if (frames.size() == 0)
    return Fail(Status::InvalidArgument(f.dataset, "split \"" + split + "\" has no frames"));

  h::RunSettings settings = h::SettingsFromRules(rules, ds->manifest);
  settings.max_frames = f.frames;
  settings.in_process = f.in_process;
  std::optional<h::Scenario> scenario = h::ParseScenario(f.scenario);
  if (!scenario)
    return Fail(Status::InvalidArgument(
        "--scenario", "must be single-stream or offline, got \"" + f.scenario + "\""));
  settings.scenario = *scenario;
  settings.batch_size = f.batch;
  if (isatty(STDERR_FILENO))
    std::fprintf(stderr, "maskbench: run: %s on %zu frames...\n", sub->name.c_str(),
                 f.frames > 0 ? std::min<size_t>(frames.size(), f.frames) : frames.size());
  h::RunRecord record = h::RunSubmission(*sub, frames, settings);

  Result<scoring::GroundTruth> gt = h::GroundTruthForFrames(*ds, split, record.frame_ids);
  if (!gt.ok()) return Fail(gt.status());
  // Speedup against the reference baseline calibrated on this machine (the
  // baseline itself: its own latency), the gate against the reference's mAP@0.5.
  const bool quiet = f.json || !isatty(STDERR_FILENO);
  std::optional<double> reference_map50;
  BaselineLatencies baseline;
  if (record.ok()) {
    if (sub->name != "reference-baseline" && settings.scenario == h::Scenario::kSingleStream)
      baseline = BaselineLatencyMs(rules, frames, *ds, split, quiet);
    if (sub->name != rules.gate.reference && rules.gate.enabled)
      reference_map50 = ReferenceMap50(rules, frames, *ds, split, record.frame_ids, quiet);
  }
  Result<h::RunSummary> summary = h::SummarizeRun(record, &*gt, rules, baseline.ForRules(rules),
                                                  reference_map50, baseline.modeled_ms);
  if (!summary.ok()) return Fail(summary.status());
  if (record.ok() && sub->name == "reference-baseline" &&
      settings.scenario == h::Scenario::kSingleStream) {
    // speedup = baseline latency / its own latency, both from this run.
    summary = h::SummarizeRun(record, &*gt, rules,
                              rules.latency_kind == scoring::LatencyKind::kModeled
                                  ? summary->modeled_latency_ms
                                  : summary->headline_latency_ms,
                              reference_map50, summary->modeled_latency_ms);
    if (!summary.ok()) return Fail(summary.status());
  }
  if (record.ok() && sub->name == rules.gate.reference && rules.gate.enabled && summary->map50) {
    summary->gate_passed =
        scoring::GatePassed(*summary->map50, *summary->map50, rules.gate.min_ratio);
  }

  nlohmann::ordered_json doc = h::RunSummaryToJson(*summary);
  doc["submission"] = {{"name", sub->name},
                       {"team", sub->team},
                       {"version", sub->version},
                       {"plugin", record.plugin_path},
                       {"plugin_abi", record.plugin_abi},
                       {"description",
                        {{"name", record.description.name},
                         {"team", record.description.team},
                         {"version", record.description.version}}}};
  doc["seal"] = h::SealReportToJson(record.seal);
  doc["latency_source"] = record.latency_source;
  doc["plugin_output"] = {{"bytes", record.stderr_bytes}, {"text", record.stderr_log}};
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  doc["context"] = {{"harness_version", HarnessVersion()},
                    {"harness_commit", HarnessCommit()},
                    {"host", host},
                    {"dataset", ds->dir.string()},
                    {"dataset_sha256", ds->manifest_sha256},
                    {"split", split},
                    {"rules", rules.source},
                    {"rules_sha256", rules.sha256},
                    {"mode", record.mode},
                    {"settings_requested", h::RunSettingsToJson(record.requested)},
                    {"settings_in_effect", h::RunSettingsToJson(record.in_effect)}};

  if (!f.out.empty()) {
    // The folder is written whole beside --out and swapped in at the end.
    Result<StagingDir> staging = StagingDir::Create(f.out, "summary.json");
    if (!staging.ok()) return Fail(staging.status());
    const fs::path out = staging->staging();
    if (Status st = WriteFileAtomic(out / "detections.json",
                                    scoring::DetectionsToCocoJson(h::RunDetections(record)));
        !st.ok())
      return Fail(st);
    std::ostringstream csv;
    csv << "frame,ns,image_id,round_trip_ns\n";
    for (size_t i = 0; i < record.latency_ns.size(); ++i)
      csv << i << ',' << record.latency_ns[i] << ',' << record.frame_ids[i] << ','
          << record.round_trip_ns[i] << '\n';
    if (Status st = WriteFileAtomic(out / "latencies.csv", csv.str()); !st.ok()) return Fail(st);
    if (Status st = WriteFileAtomic(out / "summary.json", doc.dump(2) + "\n"); !st.ok())
      return Fail(st);
    if (Status st =
            WriteFileAtomic(out / "run_record.json", h::RunRecordToJson(record).dump() + "\n");
        !st.ok())
      return Fail(st);
    web_export::ReportInput report;
    report.name = sub->name;
    report.team = sub->team;
    report.version = sub->version;
    report.record = &record;
    report.summary = doc;
    report.gt = &*gt;
    report.frames = &frames;
    if (Status st = web_export::WriteSubmissionReport(out, report); !st.ok()) return Fail(st);
    if (Status st = staging->Commit(); !st.ok()) return Fail(st);
  }
  if (f.json) {
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    PrintHuman(*sub, record, *summary, split, *ds);
    if (!f.out.empty())
      std::printf(
          "wrote        "
          "%s/{detections.json,latencies.csv,summary.json,run_record.json,report.html}\n",
          f.out.c_str());
  }
  if (record.seal.level != "full")
    std::fprintf(stderr, "maskbench: run: WARNING: not fully sealed: %s\n",
                 SealText(record.seal).c_str());
  if (!f.json && record.stderr_bytes > 0)
    std::fprintf(stderr, "maskbench: run: the plugin's output (%llu bytes%s):\n%s\n",
                 static_cast<unsigned long long>(record.stderr_bytes),
                 record.stderr_bytes > record.stderr_log.size() ? ", first part" : "",
                 record.stderr_log.c_str());
  if (!record.ok()) {
    std::fprintf(stderr, "maskbench: run: %s: %s%s%s\n", sub->name.c_str(),
                 h::RunStatusName(record.status), record.message.empty() ? "" : ": ",
                 record.message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

void AddRunCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* cmd =
      app.add_subcommand("run", "Run a submission isolated on a data set, time and score it");
  cmd->add_option("submission", f->submission,
                  "A plugin .so, or a folder holding one (and submission.json)")
      ->required();
  cmd->add_option("--dataset", f->dataset, "Data set directory (manifest.json)")->required();
  cmd->add_option("--split", f->split, "Split to run (default: the rules' split, else all frames)");
  cmd->add_option("--frames", f->frames, "Measure at most N frames (default: all)");
  cmd->add_option("--rules", f->rules, "Rules JSON (default: the built-in rules)");
  cmd->add_option("--out", f->out,
                  "Write detections.json, latencies.csv, summary.json, run_record.json, "
                  "report.html (+ PNGs) here");
  cmd->add_flag("--json", f->json, "Print the summary as one JSON document on stdout");
  cmd->add_option(
      "--scenario", f->scenario,
      "single-stream (default: one frame at a time, p90 latency headline) or offline (frames in "
      "batches through maskbench.batch/1, frames/s headline)");
  cmd->add_option("--batch", f->batch,
                  "Offline: most frames per batch (default 16; capped by the plugin's max_batch)");
  cmd->add_flag("--in-process", f->in_process,
                "Load the plugin in this process (debugging/profiling only: no isolation, limits "
                "or sandbox)");
  cmd->callback([f, exit_code]() { *exit_code = RunCommand(*f); });
}

}  // namespace maskbench::app
