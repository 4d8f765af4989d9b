// maskbench: the command-line entry point. See docs/cli.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
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
