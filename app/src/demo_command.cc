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
#include "judge.h"
#include "maskbench/datasets/synth.h"
#include "maskbench/datasets/verify.h"
#include "maskbench/web_export/leaderboard.h"
#include "maskbench/web_export/store.h"

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
  JudgeOptions jo;
  jo.submissions = subs;
  jo.dataset = data_dir;
  jo.db = db;
  jo.split = "val";
  jo.max_frames = frames;
  jo.reports = reports;
  Result<std::vector<JudgedSubmission>> judged = Judge(jo);
  if (!judged.ok()) return Fail(judged.status());
  for (const auto& l : *judged)
    std::printf("      %-22s %s%s%s%s\n", l.folder.c_str(), l.status.c_str(),
                l.reused ? " (already judged)" : "", l.message.empty() ? "" : ": ",
                l.message.c_str());

  std::printf("[3/4] leaderboard --db %s --out %s --html %s\n", db.c_str(),
              (out / "leaderboard.json").c_str(), (out / "web").c_str());
  auto store = web_export::Store::Open(db);
  if (!store.ok()) return Fail(store.status());
  auto doc = web_export::BuildLeaderboard(**store);
  if (!doc.ok()) return Fail(doc.status());
  if (Status s = web_export::WriteLeaderboardJson(*doc, out / "leaderboard.json"); !s.ok())
    return Fail(s);
  if (Status s = web_export::WriteLeaderboardPage(*doc, out / "web"); !s.ok()) return Fail(s);
  std::printf("      %-5s %-22s %8s %10s %10s %9s\n", "rank", "submission", "mAP50", "p90 ms",
              "modeled ms", "speedup");
  for (const auto& e : (*doc)["entries"]) {
    std::string rank = e["rank"].is_number() ? std::to_string(e["rank"].get<int>()) : "-";
    std::string name = e.value("name", "");
    std::printf(
        "      %-5s %-22s %8s %10s %10s %9s  %s\n", rank.c_str(), name.c_str(),
        Opt(e["accuracy"]["mAP50"], "%.4f").c_str(), Opt(e["latency_ms"]["p90"], "%.3f").c_str(),
        Opt(e["modeled_latency_ms"], "%.3f").c_str(), Opt(e["speedup"], "%.1fx").c_str(),
        e["unranked_reason"].is_string() ? e["unranked_reason"].get<std::string>().c_str() : "");
  }

  std::printf("[4/4] done\n");
  std::printf("      data set          %s\n", fs::absolute(data_dir).c_str());
  std::printf("      results database  %s\n", fs::absolute(db).c_str());
  std::printf("      leaderboard.json  %s\n", fs::absolute(out / "leaderboard.json").c_str());
  std::printf("      index.html        %s\n", fs::absolute(out / "web" / "index.html").c_str());
  std::printf("      reports           %s/<submission>/report.html (runs made by this demo)\n",
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
