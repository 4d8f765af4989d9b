// The maskbench command line: each file adds its subcommands to the CLI11 app.
// A command's callback stores its exit code in *exit_code (0 = success).
// Errors go to stderr as one line "maskbench: <where>: <what>"; --json output
// goes to stdout and nothing else does.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "maskbench/core/status.h"
#include "maskbench/harness/run_record.h"

namespace maskbench::app {

// One line about how a run was sealed, e.g. "full: namespaces, uid 65534,
// seccomp on 3 threads, Landlock ABI 7; start-up 11.5 ms" or
// "REDUCED: <why>: the plugin is not in its own namespaces".
std::string SealText(const harness::SealReport& seal);

// Prints "maskbench: <message>" to stderr and returns 1.
int Fail(const Status& s);
int Fail(const std::string& message);

// The folder of the running executable (<build>): it holds submissions/.
// The current folder when /proc/self/exe cannot be read.
std::filesystem::path ExeDir();

// The first argument CLI11 could not place, as a message naming it and the
// command ("unknown flag \"--bogus\" for `maskbench run`"); "" when none.
std::string UnknownArgument(CLI::App& app);
// Examples and a pointer to docs/cli.md at the end of each command's --help.
void AddHelpFooters(CLI::App& app);

// `pack` (pack_command.cc).
void AddPackCommand(CLI::App& app, int* exit_code);

// `maskbench build`: an RTL submission into a plugin folder (build_command.cc).
void AddBuildCommand(CLI::App& app, int* exit_code);

// `new` (new_command.cc).
void AddNewCommand(CLI::App& app, int* exit_code);

// `dataset import|verify|stats|export-coco` (dataset_commands.cc).
void AddDatasetCommands(CLI::App& dataset, int* exit_code);

// `dataset synth` (synth_command.cc).
void AddDatasetSynthCommand(CLI::App& dataset, int* exit_code);

// `demo` (demo_command.cc).
void AddDemoCommand(CLI::App& app, int* exit_code);

// `score` (score_command.cc).
void AddScoreCommand(CLI::App& app, int* exit_code);

// `validate` (validate_command.cc).
void AddValidateCommand(CLI::App& app, int* exit_code);

// `run` (run_command.cc).
void AddRunCommand(CLI::App& app, int* exit_code);

// `scores import|list` (scores_command.cc).
void AddScoresCommand(CLI::App& app, int* exit_code);

// `judge` (judge_command.cc).
void AddJudgeCommand(CLI::App& app, int* exit_code);

// `leaderboard` (leaderboard_command.cc).
void AddLeaderboardCommand(CLI::App& app, int* exit_code);

}  // namespace maskbench::app
