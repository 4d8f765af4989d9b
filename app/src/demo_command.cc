// `maskbench demo`: the main job on the embedded default data (what exists so far).
// See docs/synth.md ("maskbench demo").
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/stats.h"
#include "maskbench/datasets/synth.h"
#include "maskbench/datasets/verify.h"

namespace maskbench::app {

void AddDemoCommand(CLI::App& app, int* exit_code) {
  auto out = std::make_shared<std::string>("maskbench-demo");
  auto* cmd = app.add_subcommand(
      "demo", "Synthesize the default data set, verify it, cache its frames and print its stats");
  cmd->add_option("--out", *out, "Folder for the demo data set")->default_val("maskbench-demo");
  cmd->callback([out, exit_code] {
    namespace ds = maskbench::datasets;
    ds::SynthOptions o;  // the embedded default: 200 stills, seed 1, 640x480
    o.progress = ::isatty(STDERR_FILENO) != 0;
    std::printf("[1/4] dataset synth --out %s --frames %d --seed %llu\n", out->c_str(), o.frames,
                static_cast<unsigned long long>(o.seed));
    std::fflush(stdout);
    auto data = ds::SynthesizeDataset(*out, o);
    if (!data.ok()) {
      *exit_code = Fail(data.status());
      return;
    }
    std::printf("      wrote %s, manifest sha256 %s\n", data->dir.string().c_str(),
                data->manifest_sha256.c_str());

    std::printf("[2/4] dataset verify %s\n", out->c_str());
    std::fflush(stdout);
    ds::VerifyOptions vo;
    vo.progress = o.progress;
    ds::VerifyReport report;
    Status s = ds::VerifyDataset(*data, vo, &report);
    if (!s.ok()) {
      for (const auto& p : report.problems) std::fprintf(stderr, "maskbench: %s\n", p.c_str());
      *exit_code = Fail(s);
      return;
    }
    std::printf("      ok: %lld media files, %lld frames, %lld boxes checked\n",
                static_cast<long long>(report.media_checked),
                static_cast<long long>(report.frames_checked),
                static_cast<long long>(report.boxes_checked));

    std::printf("[3/4] frame cache (decode once for the runner)\n");
    std::fflush(stdout);
    auto cache = ds::FrameCache::Open(*data, "");
    if (!cache.ok()) {
      *exit_code = Fail(cache.status());
      return;
    }
    std::printf("      %zu frames %s %s\n", (*cache)->size(),
                (*cache)->decoded() ? "decoded into" : "mapped from",
                (*cache)->cache_path().empty() ? "memory" : (*cache)->cache_path().c_str());

    std::printf("[4/4] dataset stats %s\n", out->c_str());
    auto stats = ds::ComputeStats(*data, "");
    if (!stats.ok()) {
      *exit_code = Fail(stats.status());
      return;
    }
    std::printf("%s", ds::StatsToText(*stats).c_str());
    std::printf(
        "\nNot in this demo yet: running a submission on this data, judging all submissions and "
        "the "
        "leaderboard. The demo covers the data set steps only.\n");
    *exit_code = 0;
  });
}

}  // namespace maskbench::app
