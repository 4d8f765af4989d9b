// RunCommand: run a program as a child process, no shell, and capture its output.
//
// Used for the outside tools the harness drives (Slurm's sbatch/squeue,
// verilator, make, the C++ compiler, yosys). Thread-safe: every call is its own
// child.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace maskbench {

struct CommandResult {
  int exit_code = -1;  // the exit status; 128 + signal when killed; -1 when it never started
  std::string out, err;
};

// Runs argv (argv[0] looked up on PATH, then in /usr/sbin and /usr/bin) with
// stdin from /dev/null, in `cwd` when given; captures stdout and stderr (the
// first 4 MiB of each). A
// program that cannot start gives exit_code -1 and the reason in `err`.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::filesystem::path& cwd = {});

}  // namespace maskbench
