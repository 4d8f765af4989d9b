// maskbench: the command-line entry point. See docs/cli.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "maskbench/core/text.h"
#include "maskbench/core/version.h"

namespace maskbench::app {

int Fail(const Status& s) { return Fail(s.message()); }

std::filesystem::path ExeDir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : exe.parent_path();
}

std::string SealText(const harness::SealReport& s) {
  char tail[160];
  std::snprintf(tail, sizeof tail,
                "uid %lld, seccomp on %lld thread%s, Landlock %s; start-up %.1f ms",
                static_cast<long long>(s.uid), static_cast<long long>(s.threads_checked),
                s.threads_checked == 1 ? "" : "s",
                s.landlock_abi > 0 ? ("ABI " + std::to_string(s.landlock_abi)).c_str() : "none",
                s.startup_ns / 1e6);
  if (s.level == "full") return std::string("full: own namespaces, ") + tail;
  if (s.level == "reduced")
    return "REDUCED (" + s.reason +
           "): no namespaces of its own, so it shares the judge's "
           "processes, network and file system view (within seccomp and Landlock); " +
           tail;
  return "OFF (" + s.reason + "): the plugin runs unconfined";
}

int Fail(const std::string& message) {
  // Messages quote inputs (file names, class names, a plugin's text): never
  // let them carry invalid UTF-8 or terminal escapes to the terminal.
  std::fprintf(stderr, "maskbench: %s\n", SanitizeText(message, {.max_bytes = 8192}).c_str());
  return 1;
}

std::string UnknownArgument(CLI::App& app) {
  std::vector<std::string> extra = app.remaining(true);
  if (extra.empty()) return "";
  // The command being parsed: the deepest subcommand given.
  CLI::App* at = &app;
  std::string path = "maskbench";
  for (;;) {
    std::vector<CLI::App*> subs = at->get_subcommands();
    if (subs.empty()) break;
    at = subs.front();
    path += " " + at->get_name();
  }
  const std::string& first = extra.front();
  if (!first.empty() && first[0] == '-')
    return "unknown flag \"" + first + "\" for `" + path + "` (see `" + path + " --help`)";
  if (!at->get_subcommands({}).empty() && at->get_subcommands().empty()) {
    std::string names;
    for (const CLI::App* c : at->get_subcommands({}))
      names += (names.empty() ? "" : ", ") + c->get_name();
    return "unknown command \"" + first + "\" for `" + path + "` (commands: " + names + "; see `" +
           path + " --help`)";
  }
  return "unexpected argument \"" + first + "\" for `" + path + "` (see `" + path + " --help`)";
}

void AddHelpFooters(CLI::App& app) {
  const std::string docs = "\nEvery command and flag: docs/cli.md (in the source tree).";
  app.footer(
      "\nExamples:\n"
      "  maskbench demo                                  # synthesize, judge, rank, write the "
      "page\n"
      "  maskbench dataset synth --out ds                # the default synthetic data set\n"
      "  maskbench validate build/submissions/int8-fast\n"
      "  maskbench run build/submissions/int8-fast --dataset ds\n"
      "  maskbench judge --submissions subs --dataset ds --db results.sqlite\n"
      "  maskbench leaderboard --db results.sqlite --out leaderboard.json --html web" +
      docs);
  const std::pair<const char*, const char*> examples[] = {
      {"run",
       "  maskbench run build/submissions/int8-fast --dataset ds\n"
       "  maskbench run my-npu --dataset ds --frames 20 --out report  # report.html and more\n"
       "  maskbench run my-npu --dataset ds --require-gate            # exit 3 on a failed gate"},
      {"validate",
       "  maskbench validate build/submissions/int8-fast\n  maskbench validate my-npu --json"},
      {"judge",
       "  maskbench judge --submissions subs --dataset ds --db results.sqlite\n"
       "  maskbench judge --submissions subs --dataset ds --db results.sqlite --executor slurm\n"
       "  maskbench judge --status --db results.sqlite"},
      {"leaderboard",
       "  maskbench leaderboard --db results.sqlite --out leaderboard.json --html web"},
      {"score",
       "  maskbench score --gt gt.json --detections dets.json\n  maskbench score --dataset ds "
       "--split val --detections report/detections.json"},
      {"dataset",
       "  maskbench dataset synth --out ds\n  maskbench dataset verify ds\n  maskbench dataset "
       "stats ds"},
  };
  for (const auto& [name, text] : examples) {
    try {
      app.get_subcommand(name)->footer("\nExamples:\n" + std::string(text) + docs);
    } catch (const CLI::OptionNotFound&) {
    }
  }
}

}  // namespace maskbench::app

int main(int argc, char** argv) {
  using namespace maskbench;
  CLI::App app{"maskbench: the harness for AI-chip design contests (mask detection)"};
  app.set_version_flag("--version",
                       std::string("maskbench ") + HarnessVersion() + " (" + HarnessCommit() + ")");
  app.require_subcommand(1);
  app.fallthrough(false);
  int exit_code = 0;

  CLI::App* dataset =
      app.add_subcommand("dataset", "Import, synthesize, verify and describe data sets");
  dataset->require_subcommand(1);
  app::AddDatasetCommands(*dataset, &exit_code);
  app::AddDatasetSynthCommand(*dataset, &exit_code);
  app::AddDemoCommand(app, &exit_code);
  app::AddScoreCommand(app, &exit_code);
  app::AddValidateCommand(app, &exit_code);
  app::AddRunCommand(app, &exit_code);
  app::AddJudgeCommand(app, &exit_code);
  app::AddLeaderboardCommand(app, &exit_code);
  app::AddScoresCommand(app, &exit_code);
  app::AddNewCommand(app, &exit_code);
  app::AddPackCommand(app, &exit_code);
  app::AddBuildCommand(app, &exit_code);

  app::AddHelpFooters(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0) {
      // CLI11 reports a missing required option before an unknown one: name
      // what is unknown first, since it is usually why the rest is "missing".
      if (std::string why = app::UnknownArgument(app); !why.empty()) {
        app::Fail(why);
        return 2;
      }
    }
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  } catch (const std::exception& e) {
    // A backstop only: every known bad input is a Status with its own message.
    return app::Fail(std::string("internal error (please report it): ") + e.what());
  } catch (...) {
    return app::Fail("internal error (please report it): an unknown exception");
  }
  return exit_code;
}
