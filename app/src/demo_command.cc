// `maskbench demo [--out DIR]`: the main job on the embedded default data:
// synthesize and verify the data set, judge every built submission (the
// reference baseline, the fp32 golden, the examples) into a results database,
// export the leaderboard JSON and page, and print where each is.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.h"
#include "maskbench/contest/judge.h"
#include "maskbench/datasets/synth.h"
#include "maskbench/datasets/verify.h"
#include "maskbench/harness/runner.h"
#include "maskbench/web_export/leaderboard.h"
#include "run_document.h"

namespace maskbench::app {
namespace {

namespace fs = std::filesystem;

std::string Opt(const nlohmann::json& j, const char* fmt) {
  if (!j.is_number()) return "-";
  char b[64];
  std::snprintf(b, sizeof b, fmt, j.get<double>());
  return b;
}

int Demo(const fs::path& out, int64_t frames) {
  namespace ds = maskbench::datasets;
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const fs::path data_dir = out / "dataset";
  ds::SynthOptions so;  // the embedded default: 200 stills, seed 1, 640x480
  so.progress = tty;
  std::printf("[1/4] dataset synth --out %s --frames %d --seed %llu\n", data_dir.c_str(), so.frames,
              static_cast<unsigned long long>(so.seed));
  std::fflush(stdout);
  auto data = ds::SynthesizeDataset(data_dir, so);
  if (!data.ok()) return Fail(data.status());
  ds::VerifyOptions vo;
  vo.progress = tty;
  ds::VerifyReport vr;
  if (Status s = ds::VerifyDataset(*data, vo, &vr); !s.ok()) {
    for (const auto& p : vr.problems) std::fprintf(stderr, "maskbench: %s\n", p.c_str());
    return Fail(s);
  }
  std::printf("      verified: %lld frames, %lld boxes; manifest sha256 %s\n",
              static_cast<long long>(vr.frames_checked), static_cast<long long>(vr.boxes_checked),
              data->manifest_sha256.c_str());

  const fs::path subs = ExeDir() / "submissions";  // where the build puts every submission
  const fs::path db = out / "results.sqlite";
  const fs::path reports = out / "reports";
  std::printf("[2/4] judge --submissions %s --dataset %s --db %s --split val --reports %s%s\n",
              subs.c_str(), data_dir.c_str(), db.c_str(), reports.c_str(),
              frames > 0 ? (" --frames " + std::to_string(frames)).c_str() : "");
  std::fflush(stdout);
  contest::JudgeOptions jo;
  jo.submissions = subs;
  jo.dataset = data_dir;
  jo.db = db;
  jo.split = "val";
  jo.max_frames = frames;
  jo.build_submissions = subs;
  jo.on_run = ReportOnRun(reports);
  // A demo on a laptop judges what the laptop can seal.
  jo.allow_unsealed = !harness::ProbeSeal().full;
  Result<std::vector<contest::JudgedEntry>> judged = contest::Judge(jo);
  if (!judged.ok()) return Fail(judged.status());
  for (const auto& l : *judged) {
    // The build folder's other sub-folders (CMakeFiles, testing, …) are not entries.
    if (l.status == "skipped" && l.message.rfind("no plugin", 0) == 0) continue;
    std::printf("      %-22s %s%s%s%s%s\n", l.team_id.c_str(), l.status.c_str(),
                l.reference ? " (reference)" : "", l.reused ? " (already judged)" : "",
                l.message.empty() ? "" : ": ", l.message.c_str());
  }

  std::printf("[3/4] leaderboard --db %s --out %s --html %s%s\n", db.c_str(),
              (out / "leaderboard.json").c_str(), (out / "web").c_str(),
              frames > 0 ? " --include-partial" : "");
  contest::StoreOptions store_options;
  store_options.create_if_missing = false;
  auto store = contest::Store::Open(db, store_options);
  if (!store.ok()) return Fail(store.status());
  web_export::LeaderboardOptions lo;
  lo.board.include_partial = frames > 0;  // a demo on fewer frames shows them, unranked
  lo.report_link = [reports](const std::string& team) -> std::optional<std::string> {
    std::error_code ec;
    if (fs::exists(reports / team / "report.html", ec))
      return "../reports/" + team + "/report.html";
    return std::nullopt;
  };
  auto doc = web_export::BuildLeaderboard(**store, contest::DefaultRules(), lo);
  if (!doc.ok()) return Fail(doc.status());
  if (Status s = web_export::WriteLeaderboardJson(*doc, out / "leaderboard.json"); !s.ok())
    return Fail(s);
  if (Status s = web_export::WriteLeaderboardPage(*doc, out / "web"); !s.ok()) return Fail(s);
  for (const auto& t : (*doc)["tracks"]) {
    std::printf("      track %s (%s latency)\n", t["name"].get<std::string>().c_str(),
                t["latency_kind"].get<std::string>().c_str());
    std::printf("      %-5s %-22s %8s %11s %9s\n", "rank", "entry", "mAP50", "latency ms",
                "speedup");
    for (const auto& e : t["entries"]) {
      std::string rank = e["rank"].is_number() ? std::to_string(e["rank"].template get<int>())
                         : e["reference"].get<bool>() ? "ref"
                                                      : "-";
      std::printf("      %-5s %-22s %8s %11s %9s  %s\n", rank.c_str(),
                  e["team_id"].get<std::string>().c_str(),
                  Opt(e["accuracy"]["mAP50"], "%.4f").c_str(), Opt(e["latency_ms"], "%.3f").c_str(),
                  Opt(e["speedup"], "%.1fx").c_str(),
                  e["unranked_reason"].is_string() && !e["reference"].get<bool>()
                      ? e["unranked_reason"].get<std::string>().c_str()
                      : "");
    }
  }
  for (const auto& n : (*doc)["context"]["notes"])
    std::printf("      note: %s\n", n.get<std::string>().c_str());

  std::printf("[4/4] done\n");
  std::printf("      data set          %s\n", fs::absolute(data_dir).c_str());
  std::printf("      results database  %s\n", fs::absolute(db).c_str());
  std::printf("      leaderboard.json  %s\n", fs::absolute(out / "leaderboard.json").c_str());
  std::printf("      index.html        %s\n", fs::absolute(out / "web" / "index.html").c_str());
  std::printf("      reports           %s/<entry>/report.html (runs made by this demo)\n",
              fs::absolute(reports).c_str());
  return 0;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto out = std::make_shared<std::string>("maskbench-demo");
  auto frames = std::make_shared<int64_t>(0);
  auto* cmd = app.add_subcommand(
      "demo",
      "The main job on the embedded default data: synthesize, judge every built submission, "
      "export the leaderboard");
  cmd->add_option("--out", *out, "Folder for the data set, results and leaderboard")
      ->default_val("maskbench-demo");
  cmd->add_option("--frames", *frames,
                  "Measure at most N frames per submission (default: the whole val split)");
  cmd->callback([out, frames, exit_code] { *exit_code = Demo(*out, *frames); });
}

}  // namespace maskbench::app
