// maskbench: the command-line entry point. See docs/cli.md.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "commands.h"
#include "maskbench/core/version.h"

namespace maskbench::app {

int Fail(const Status& s) { return Fail(s.message()); }

std::filesystem::path ExeDir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::current_path() : exe.parent_path();
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "maskbench: %s\n", message.c_str());
  return 1;
}

}  // namespace maskbench::app

int main(int argc, char** argv) {
  using namespace maskbench;
  CLI::App app{"maskbench: the harness for AI-chip design contests (mask detection)"};
  app.set_version_flag("--version", std::string("maskbench ") + HarnessVersion() + " (" +
                                        HarnessCommit() + ")");
  app.require_subcommand(1);
  app.fallthrough(false);
  int exit_code = 0;

  CLI::App* dataset = app.add_subcommand("dataset", "Import, synthesize, verify and describe data sets");
  dataset->require_subcommand(1);
  app::AddDatasetCommands(*dataset, &exit_code);
  app::AddDatasetSynthCommand(*dataset, &exit_code);
  app::AddDemoCommand(app, &exit_code);
  app::AddScoreCommand(app, &exit_code);
  app::AddValidateCommand(app, &exit_code);
  app::AddRunCommand(app, &exit_code);
  app::AddJudgeCommand(app, &exit_code);
  app::AddLeaderboardCommand(app, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
