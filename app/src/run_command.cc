// `maskbench run SUBMISSION --dataset DS [--split NAME] [--frames N] [--rules RULES.json]
//  [--db FILE | --no-db] [--out DIR] [--json] [--scenario single-stream|offline] [--batch N]
//  [--in-process]`: runs one submission sealed over a data set's frames through the
// contest pipeline (the one `judge` uses), stores it beside the build's references
// measured on the same frames and machine, and reports its judgement per track.
// See docs/cli.md and docs/contest.md.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "commands.h"
#include "maskbench/contest/board.h"
#include "maskbench/contest/facts.h"
#include "maskbench/contest/frames.h"
#include "maskbench/contest/identity.h"
#include "maskbench/contest/metrics.h"
#include "maskbench/contest/pipeline.h"
#include "maskbench/core/files.h"
#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/harness/runner.h"
#include "maskbench/harness/submission.h"
#include "maskbench/scoring/detections.h"
#include "run_document.h"

namespace maskbench::app {
namespace {

namespace fs = std::filesystem;
namespace h = maskbench::harness;
namespace c = maskbench::contest;
namespace metric = maskbench::contest::metric;

struct RunFlags {
  std::string submission, dataset, split, rules, out, db;
  int64_t frames = -1;  // -1 = all (not given)
  bool json = false;
  bool require_gate = false;
  bool in_process = false;
  bool no_db = false;
  std::string scenario = "single-stream";
  uint32_t batch = 0;
};

std::string Num(const nlohmann::ordered_json& v, const char* fmt = "%.4f") {
  if (!v.is_number()) return "n/a";
  char b[64];
  std::snprintf(b, sizeof b, fmt, v.get<double>());
  return b;
}

std::string WithInterval(const nlohmann::ordered_json& v, const nlohmann::ordered_json& ci,
                         const char* fmt) {
  std::string s = Num(v, fmt);
  if (ci.is_array() && ci.size() == 2) s += " [" + Num(ci[0], fmt) + ", " + Num(ci[1], fmt) + "]";
  return s;
}

// "gate passed: mAP50 0.8123 >= 0.99 x reference-fp32's 0.8200 = 0.8118".
std::string GateText(const nlohmann::ordered_json& t) {
  const auto& g = t["gate"];
  if (!g.is_object()) return "gate off in this track";
  const std::string metric_name = g["metric"].get<std::string>();
  if (!t["gate_passed"].is_boolean())
    return "gate n/a: " + std::string(g["reference_value"].is_number()
                                          ? "this run has no " + metric_name
                                          : "no " + g["reference"].get<std::string>() +
                                                " run over these frames to compare with");
  const bool passed = t["gate_passed"].get<bool>();
  return std::string(passed ? "gate passed: " : "gate FAILED: ") + metric_name + " " +
         Num(g["value"]) + (passed ? " >= " : " < ") + Num(g["min_ratio"], "%.2f") + " x " +
         g["reference"].get<std::string>() + "'s " + Num(g["reference_value"]) + " = " +
         Num(g["threshold"]);
}

void PrintHuman(const h::Submission& sub, const h::RunRecord& r, const nlohmann::ordered_json& d,
                const std::string& split, const datasets::Dataset& ds, const std::string& db) {
  std::printf("submission   %s (team %s, version %s) %s\n", sub.name.c_str(),
              sub.team.empty() ? "?" : sub.team.c_str(),
              sub.version.empty() ? "?" : sub.version.c_str(), r.plugin_path.c_str());
  std::printf("data set     %s split %s, %lld of %lld frames run (%s, %d warm-up)%s\n",
              ds.dir.string().c_str(), split.empty() ? "(all)" : split.c_str(),
              static_cast<long long>(r.frames()), d["split_frames"].get<long long>(),
              r.mode.c_str(), r.in_effect.warmup_frames,
              d["partial"].get<bool>() ? ", partial" : "");
  std::printf("status       %s%s%s\n", h::RunStatusName(r.status), r.message.empty() ? "" : ": ",
              r.message.c_str());
  std::printf("seal         %s\n", SealText(r.seal).c_str());
  const auto& l = d["latency_ms"];
  if (!r.ok()) {
    std::printf(
        "latency      n/a: the run ended %s, so no latency, fps or speedup is given%s\n",
        h::RunStatusName(r.status),
        r.latency_ns.empty()
            ? ""
            : (" (" + std::to_string(r.latency_ns.size()) + " frames timed before it)").c_str());
  } else if (l.is_object()) {
    std::printf(
        "latency      p50 %s ms  p90 %s ms  p99 %s ms  (min %s, mean %s, max %s)  %s fps "
        "(parent clock)\n",
        Num(l["p50"], "%.3f").c_str(), Num(l["p90"], "%.3f").c_str(), Num(l["p99"], "%.3f").c_str(),
        Num(l["min"], "%.3f").c_str(), Num(l["mean"], "%.3f").c_str(),
        Num(l["max"], "%.3f").c_str(), Num(d["fps"], "%.1f").c_str());
  }
  if (d.contains("offline"))
    std::printf(
        "offline      %s frames/s (%s batches of up to %s frames, %s; latencies above are "
        "per-batch time / frames)\n",
        Num(d["offline"]["frames_per_s"], "%.1f").c_str(), d["offline"]["batches"].dump().c_str(),
        d["offline"]["batch_size"].dump().c_str(),
        d["offline"]["batch_extension"].get<bool>() ? "maskbench.batch/1"
                                                    : "no batch extension: infer() per frame");
  if (d["modeled_latency_ms"].is_number()) {
    const bool simulated = d["cycles_source"] == "simulated by the harness";
    std::printf("modeled      p%g %s ms at %.0f MHz (%s cycles / clock; cycles %s)\n",
                d["headline_percentile"].get<double>(),
                Num(d["modeled_latency_ms"], "%.3f").c_str(), r.clock_hz / 1e6,
                simulated ? "simulated" : "reported",
                d["cycles_source"].get<std::string>().c_str());
    if (!r.cycles.empty())
      std::printf("cycles       %llu per frame (first frame)\n",
                  static_cast<unsigned long long>(r.cycles.front()));
  }
  if (d["energy_uj"].is_number())
    std::printf("energy       %s uJ per frame, EDP %s uJ*ms (%s)\n",
                Num(d["energy_uj"], "%.1f").c_str(), Num(d["edp_uj_ms"], "%.1f").c_str(),
                d["cycles_source"] == "simulated by the harness"
                    ? "harness-counted events x the energy table, docs/rtl.md"
                    : "self-reported");
  if (d["resources"].is_object())
    std::printf(
        "resources    %s LUT, %s FF, %s DSP, %s BRAM36 (Yosys, docs/rtl.md)\n",
        Num(d["resources"]["lut"], "%.0f").c_str(), Num(d["resources"]["ff"], "%.0f").c_str(),
        Num(d["resources"]["dsp"], "%.0f").c_str(), Num(d["resources"]["bram36"], "%.0f").c_str());
  if (d["overhead_us"].is_object())
    std::printf("overhead     p50 %s us (round trip minus the timed call)\n",
                Num(d["overhead_us"]["p50"], "%.2f").c_str());
  const auto& a = d["accuracy"];
  std::printf("accuracy     mAP50 %s  AP %s  violation recall %s  precision %s\n",
              WithInterval(a["mAP50"], a["mAP50_interval"], "%.4f").c_str(), Num(a["AP"]).c_str(),
              Num(a["violation_recall"]).c_str(), Num(a["violation_precision"]).c_str());
  for (const auto& t : d["tracks"]) {
    const std::string name =
        t["name"].get<std::string>() + " (" + t["latency_kind"].get<std::string>() + ")";
    if (!t["in_track"].get<bool>()) {
      std::printf("track        %-20s not in this track: %s\n", name.c_str(),
                  t["why"].get<std::string>().c_str());
      continue;
    }
    if (!r.ok()) {
      std::printf("track        %-20s not judged: the run ended %s\n", name.c_str(),
                  h::RunStatusName(r.status));
      continue;
    }
    std::printf("track        %-20s latency %s ms  speedup %s%s\n", name.c_str(),
                WithInterval(t["latency_ms"], t["latency_interval_ms"], "%.3f").c_str(),
                WithInterval(t["speedup"], t["speedup_interval"], "%.2fx").c_str(),
                t["baseline_latency_ms"].is_number()
                    ? ("  (vs the baseline's " + Num(t["baseline_latency_ms"], "%.3f") +
                       " ms, measured on this machine over the same frames)")
                          .c_str()
                    : "  (no baseline run on this machine over these frames)");
    std::printf("             %-20s %s\n", "", GateText(t).c_str());
    if (t["unranked_reason"].is_string())
      std::printf("             %-20s unranked here: %s\n", "",
                  t["unranked_reason"].get<std::string>().c_str());
  }
  if (d["tracks"].empty())
    std::printf("speedup      n/a (%s)\n",
                d.contains("offline") ? "speedup compares SingleStream latencies"
                : db.empty()          ? "no results store: --no-db, or it could not be opened"
                                      : "no judgement");
  if (!db.empty()) std::printf("stored       %s\n", db.c_str());
}

// Evaluates the rules' references from the build on the same frames when the
// store has no complete run of theirs with the same key (once per machine,
// frames and harness version).
std::vector<std::string> EnsureReferences(c::Store& store, const c::StoreContext& sc,
                                          const c::EvaluationContext& ctx,
                                          const std::string& own_team, bool quiet) {
  const c::Rules& rules = *ctx.rules;
  std::vector<std::string> measured;
  for (const std::string& ref : {rules.references.baseline, rules.references.gate}) {
    if (ref == own_team) continue;
    Result<h::Submission> sub = h::LoadSubmission(ExeDir() / "submissions" / ref);
    if (!sub.ok()) {
      if (!quiet)
        std::fprintf(stderr, "maskbench: run: the build has no %s (%s): no %s\n", ref.c_str(),
                     sub.status().message().c_str(),
                     ref == rules.references.baseline ? "speedup" : "accuracy gate");
      continue;
    }
    Result<std::string> artifact = c::ArtifactSha256(sub->dir);
    if (!artifact.ok()) continue;
    Result<int64_t> id = c::StoreEntry(store, *sub, *artifact, ref, "", true, "");
    if (!id.ok()) continue;
    Result<c::RunTicket> ticket = store.BeginRun(c::KeyFor(*id, sc, ctx, 0));
    if (!ticket.ok() || ticket->already_complete) continue;
    if (!quiet)
      std::fprintf(stderr,
                   "maskbench: run: measuring %s on the same frames (once per machine and frame "
                   "selection; kept in %s)\n",
                   ref.c_str(), store.path().c_str());
    c::EvaluationContext rc = ctx;
    rc.log = nullptr;
    Result<c::Evaluation> e =
        c::EvaluateAndCommit(store, ticket->run_id, *sub, *artifact, rc, nullptr);
    if (!e.ok()) {
      std::fprintf(stderr, "maskbench: run: %s: %s\n", ref.c_str(), e.status().message().c_str());
      continue;
    }
    measured.push_back(ref);
  }
  return measured;
}

int RunCommand(const RunFlags& f) {
  if (f.frames == 0 || f.frames < -1)
    return Fail(
        Status::InvalidArgument("--frames", "must be at least 1, got " + std::to_string(f.frames) +
                                                " (leave --frames out to run every frame)"));
  // An RTL folder is built first (reused when up to date): docs/rtl.md.
  Result<c::PreparedFolder> prepared =
      c::PrepareFolder(f.submission, c::DefaultRtlOut(f.submission),
                       {.sandbox = c::RtlBuildOptions::Sandbox::kBestEffort});
  if (!prepared.ok()) return Fail(prepared.status());
  if (prepared->rtl && !f.json)
    std::fprintf(stderr, "maskbench: run: RTL %s in %s\n",
                 prepared->reused ? "build up to date" : "built", prepared->folder.c_str());
  Result<h::Submission> sub = h::LoadSubmission(prepared->folder);
  if (!sub.ok()) return Fail(sub.status());
  c::Rules rules = c::DefaultRules();
  std::string rules_text(c::DefaultRulesJson());
  if (!f.rules.empty()) {
    Result<c::Rules> loaded = c::LoadRules(f.rules);
    if (!loaded.ok()) return Fail(loaded.status());
    rules = *loaded;
    Result<std::string> text = ReadFile(f.rules);
    if (!text.ok()) return Fail(text.status());
    rules_text = *text;
  }
  std::optional<h::Scenario> scenario = h::ParseScenario(f.scenario);
  if (!scenario)
    return Fail(Status::InvalidArgument(
        "--scenario", "must be single-stream or offline, got \"" + f.scenario + "\""));
  Result<datasets::Dataset> ds = datasets::LoadDataset(f.dataset);
  if (!ds.ok()) return Fail(ds.status());
  std::string split = f.split;
  const auto& splits = ds->manifest.splits;
  if (split.empty()) {
    split = rules.split;
    if (std::find(splits.begin(), splits.end(), split) == splits.end()) {
      std::fprintf(
          stderr, "maskbench: run: %s has no split \"%s\" (the rules' split); running all frames\n",
          ds->dir.string().c_str(), split.c_str());
      split.clear();
    }
  } else if (std::find(splits.begin(), splits.end(), split) == splits.end()) {
    std::string list;
    for (const std::string& sp : splits) list += (list.empty() ? "" : ", ") + sp;
    return Fail(Status::InvalidArgument(
        f.dataset, "no split \"" + split +
                       "\" in the manifest (it has: " + (list.empty() ? "none" : list) + ")"));
  }
  const bool quiet = f.json || !isatty(STDERR_FILENO);
  if (!quiet)
    std::fprintf(stderr, "maskbench: run: decoding frames (cached after the first run)...\n");
  datasets::FrameCacheOptions cache_options;
  cache_options.image_limits.max_side = rules.limits.max_image_side;
  cache_options.image_limits.max_pixels = rules.limits.max_image_pixels;
  auto cache = datasets::FrameCache::Open(*ds, split, cache_options);
  if (!cache.ok()) return Fail(cache.status());
  c::FrameCacheSource frames(std::move(*cache));
  if (frames.size() == 0)
    return Fail(Status::InvalidArgument(f.dataset, "split \"" + split + "\" has no frames"));

  c::EvaluationContext ctx;
  ctx.dataset = &*ds;
  ctx.split = split;
  ctx.frames = &frames;
  ctx.rules = &rules;
  ctx.max_frames = f.frames > 0 ? f.frames : 0;
  ctx.seal = h::SealPolicy::kBestEffort;
  ctx.scenario = *scenario;
  ctx.batch_size = f.batch;
  ctx.in_process = f.in_process;
  ctx.rtl_built = prepared->rtl;
  if (prepared->rtl) ctx.resources = c::LoadResources(prepared->folder);

  if (Result<h::Submission> noop = h::LoadSubmission(ExeDir() / "submissions/testing/noop");
      noop.ok())
    ctx.noop = *noop;
  ctx.log = [quiet](const std::string& line) {
    if (!quiet) std::fprintf(stderr, "maskbench: run: %s\n", line.c_str());
  };

  // The team id the run is stored under: the folder's name (a reference's own
  // name makes it a reference row).
  // A name outside the team-id alphabet keeps its valid characters (others
  // become '-'), so two such folders stay apart in the local store.
  std::string team_id = (prepared->rtl ? fs::absolute(f.submission).lexically_normal() : sub->dir)
                            .filename()
                            .string();
  if (team_id.empty()) team_id = fs::absolute(f.submission).parent_path().filename().string();
  if (!c::ValidTeamId(team_id)) {
    std::string clean;
    for (unsigned char ch : team_id)
      clean +=
          (std::isalnum(ch) && ch < 0x80) || ch == '-' || ch == '_' || ch == '.' ? char(ch) : '-';
    while (!clean.empty() && clean.front() == '.') clean.erase(0, 1);
    if (clean.size() > 64) clean.resize(64);
    team_id = c::ValidTeamId(clean) ? clean : "local";
  }
  const bool is_reference =
      team_id == rules.references.baseline || team_id == rules.references.gate;

  // Stored beside the references (same frames, machine, harness): what gives a
  // speedup and a gate. Offline and in-process runs are not judged.
  const bool judged = !f.no_db && !f.in_process && *scenario == h::Scenario::kSingleStream;
  std::string db_path = f.db.empty() ? (ds->dir / ".cache" / "runs.sqlite").string() : f.db;
  std::unique_ptr<c::Store> store;
  c::StoreContext sc;
  if (judged) {
    std::error_code ec;
    fs::create_directories(fs::path(db_path).parent_path(), ec);
    c::StoreOptions so;
    so.writer_lock = true;
    so.wait_for_lock = true;
    Result<std::unique_ptr<c::Store>> opened = c::Store::Open(db_path, so);
    Result<c::StoreContext> prepared =
        opened.ok() ? c::PrepareStore(**opened, *ds, split, static_cast<int64_t>(frames.size()),
                                      rules, rules_text)
                    : Result<c::StoreContext>(opened.status());
    if (!prepared.ok()) {
      std::fprintf(stderr, "maskbench: run: WARNING: no results store (%s): no speedup or gate\n",
                   prepared.status().message().c_str());
    } else {
      store = std::move(*opened);
      sc = *prepared;
    }
  }
  if (!store) db_path.clear();

  if (!quiet)
    std::fprintf(stderr, "maskbench: run: %s on %zu frames...\n", sub->name.c_str(),
                 f.frames > 0 ? std::min<size_t>(frames.size(), static_cast<size_t>(f.frames))
                              : frames.size());
  Result<c::Evaluation> e = Status::InvalidArgument("run", "not evaluated");
  std::optional<c::Board> board;
  std::vector<std::string> references_run;
  if (store) {
    Result<std::string> artifact = c::ArtifactSha256(sub->dir);
    if (!artifact.ok()) return Fail(artifact.status());
    Result<int64_t> id =
        c::StoreEntry(*store, *sub, *artifact, team_id, "", is_reference, "", prepared->rtl);
    if (!id.ok()) return Fail(id.status());
    Result<c::RunTicket> ticket = store->BeginRun(c::KeyFor(*id, sc, ctx, 0), true);
    if (!ticket.ok()) return Fail(ticket.status());
    e = c::EvaluateAndCommit(*store, ticket->run_id, *sub, *artifact, ctx, nullptr);
    if (!e.ok()) return Fail(e.status());
    if (e->record.ok()) references_run = EnsureReferences(*store, sc, ctx, team_id, quiet);
    c::BoardOptions bo;
    bo.dataset_sha256 = ds->manifest_sha256;
    bo.split = split;
    bo.include_partial = true;
    Result<c::Board> b = c::BuildBoard(*store, rules, bo);
    if (b.ok()) {
      board = std::move(*b);
    } else {
      std::fprintf(stderr, "maskbench: run: %s\n", b.status().message().c_str());
    }
  } else {
    e = c::Evaluate(*sub, ctx);
    if (!e.ok()) return Fail(e.status());
  }
  const h::RunRecord& record = e->record;
  nlohmann::ordered_json doc =
      RunDocument(*sub, *e, rules, *ds, split, TrackViews(board ? &*board : nullptr, team_id));
  doc["db"] = db_path.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(db_path);
  doc["team_id"] = team_id;
  doc["references_run"] = references_run;  // measured by this call (once per key)

  if (!f.out.empty()) {
    // The folder is written whole beside --out and swapped in at the end.
    Result<StagingDir> staging = StagingDir::Create(f.out, "summary.json");
    if (!staging.ok()) return Fail(staging.status());
    const fs::path out = staging->staging();
    if (Status st = WriteFileAtomic(out / "detections.json",
                                    scoring::DetectionsToCocoJson(c::RunDetections(record)));
        !st.ok())
      return Fail(st);
    std::ostringstream csv;
    csv << "frame,ns,image_id,round_trip_ns,child_ns,cycles\n";
    for (size_t i = 0; i < record.latency_ns.size(); ++i) {
      csv << i << ',' << record.latency_ns[i] << ',' << record.frame_ids[i] << ','
          << record.round_trip_ns[i] << ',';
      if (i < record.child_latency_ns.size()) csv << record.child_latency_ns[i];
      csv << ',';
      if (record.clock_hz != 0 && i < record.cycles.size()) csv << record.cycles[i];
      csv << '\n';
    }
    if (Status st = WriteFileAtomic(out / "latencies.csv", csv.str()); !st.ok()) return Fail(st);
    if (Status st = WriteFileAtomic(out / "summary.json", doc.dump(2) + "\n"); !st.ok())
      return Fail(st);
    if (Status st =
            WriteFileAtomic(out / "run_record.json", h::RunRecordToJson(record).dump() + "\n");
        !st.ok())
      return Fail(st);
    if (Status st = WriteRunReport(out, *sub, *e, doc, false); !st.ok()) return Fail(st);
    if (Status st = staging->Commit(); !st.ok()) return Fail(st);
  }
  if (f.json) {
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    PrintHuman(*sub, record, doc, split, *ds, db_path);
    if (!record.ok())
      std::printf("note         the references are measured after an ok run only\n");
    else if (board)
      for (const std::string& note : board->notes) std::printf("note         %s\n", note.c_str());
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
  if (f.require_gate)
    for (const auto& t : doc["tracks"])
      if (t["in_track"].get<bool>() && t["gate_passed"].is_boolean() &&
          !t["gate_passed"].get<bool>()) {
        std::fprintf(stderr, "maskbench: run: --require-gate: track %s: %s\n",
                     t["name"].get<std::string>().c_str(), GateText(t).c_str());
        return 3;
      }
  return 0;
}

}  // namespace

void AddRunCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* cmd =
      app.add_subcommand("run", "Run a submission sealed on a data set, time, score and judge it");
  cmd->add_option("submission", f->submission,
                  "A plugin .so, or a folder holding one (and submission.json)")
      ->required();
  cmd->add_option("--dataset", f->dataset, "Data set directory (manifest.json)")->required();
  cmd->add_option("--split", f->split, "Split to run (default: the rules' split, else all frames)");
  cmd->add_option("--frames", f->frames, "Measure at most N frames, N >= 1 (default: all)");
  cmd->add_flag("--require-gate", f->require_gate,
                "Exit 3 when the run fails the accuracy gate of a track it is in (for a team's "
                "own CI)");
  cmd->add_option("--rules", f->rules, "Rules JSON (default: the built-in rules)");
  cmd->add_option("--db", f->db,
                  "Results SQLite file the run and the references' runs are kept in (default: "
                  "DATASET/.cache/runs.sqlite)");
  cmd->add_flag("--no-db", f->no_db, "Store nothing (no references measured: no speedup, no gate)");
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
