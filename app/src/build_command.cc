// `maskbench build SUB`: build an RTL submission into a runnable plugin folder
// (docs/rtl.md; contest/rtl_build.h). `validate`, `run` and `judge` take the
// same step themselves for a folder whose submission.json says "kind": "rtl".
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "commands.h"
#include "maskbench/contest/rtl_build.h"

namespace maskbench::app {
namespace {

namespace fs = std::filesystem;

struct BuildFlags {
  std::string submission, out, kit;
  int threads = 1;
  int jobs = 2;
  bool no_synth = false;
  bool force = false;
  bool unsealed = false;
  bool verbose = false;
};

int Build(const BuildFlags& f) {
  std::string kit_path = f.kit;
  if (kit_path.empty()) {
    Result<fs::path> p = contest::DefaultRtlKitPath();
    if (!p.ok()) {
      std::fprintf(stderr, "maskbench build: %s\n", p.status().ToString().c_str());
      return 1;
    }
    kit_path = p->string();
  }
  Result<contest::RtlKit> kit = contest::LoadRtlKit(kit_path);
  if (!kit.ok()) {
    std::fprintf(stderr, "maskbench build: %s\n", kit.status().ToString().c_str());
    return 1;
  }
  const fs::path out = f.out.empty() ? fs::path(f.submission) / "build" : fs::path(f.out);
  contest::RtlBuildOptions o;
  o.verilator_threads = f.threads;
  o.jobs = f.jobs;
  o.synthesize = !f.no_synth;
  o.reuse = !f.force;
  o.sandbox = f.unsealed ? contest::RtlBuildOptions::Sandbox::kOff
                         : contest::RtlBuildOptions::Sandbox::kBestEffort;
  Result<contest::RtlBuildResult> r = contest::BuildRtl(f.submission, out, *kit, o);
  if (!r.ok()) {
    std::fprintf(stderr, "maskbench build: %s\n", r.status().ToString().c_str());
    return 1;
  }
  if (f.verbose) std::fputs(r->log.c_str(), stdout);
  if (r->reused) {
    std::printf("up to date: %s (sources %s)\n", r->out.c_str(),
                r->build.value("source_sha256", std::string()).substr(0, 12).c_str());
  } else {
    std::printf("built %s: %s\n", r->build.value("name", std::string()).c_str(), r->out.c_str());
    const size_t y = r->log.rfind("yosys: ");
    if (y != std::string::npos) std::printf("%s", r->log.substr(y).c_str());
  }
  std::printf("next: maskbench run %s --dataset DS --frames 3\n", f.submission.c_str());
  return 0;
}

}  // namespace

void AddBuildCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<BuildFlags>();
  CLI::App* cmd = app.add_subcommand(
      "build", "Build an RTL submission: Verilator model + the harness's driver, Yosys resources");
  cmd->add_option("submission", f->submission,
                  "The RTL submission folder (submission.json with \"kind\": \"rtl\")")
      ->required();
  cmd->add_option("-o,--out", f->out, "The built plugin folder (default: SUBMISSION/build)");
  cmd->add_option("--threads", f->threads, "Verilator --threads for the model (default 1)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("-j,--jobs", f->jobs, "Parallel compile jobs (default 2)")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--no-synth", f->no_synth,
                "Skip Yosys (no resources.json; the judge always runs it)");
  cmd->add_flag("--force", f->force, "Rebuild even when the build is up to date");
  cmd->add_flag("--unsealed", f->unsealed,
                "Run the tools outside the sandbox (by default they are sealed when this machine "
                "can seal them)");
  cmd->add_flag("-v,--verbose", f->verbose, "Print the tools' output");
  cmd->add_option("--kit", f->kit, "The RTL kit (default: rtl-kit/kit.json next to maskbench)");
  cmd->footer(
      "\nExamples:\n  maskbench build submissions/rtl-npu -o build/my-npu\n"
      "  maskbench run build/my-npu --dataset ds --frames 3\n"
      "\nThe interface, DRAM and energy models: docs/rtl.md. Every command: docs/cli.md.");
  cmd->callback([f, exit_code] { *exit_code = Build(*f); });
}

}  // namespace maskbench::app
