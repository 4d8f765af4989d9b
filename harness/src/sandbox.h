// The child's seccomp filter. Internal: installed by maskbench-runner after
// create() (weights are loaded) and before the first infer(). See docs/runner.md.
#pragma once

#include <string>

namespace maskbench::harness::internal {

// Installs the filter; the process is killed (SIGSYS) on a forbidden call.
// Returns "" on success, else why it could not be installed.
std::string InstallSandbox();

}  // namespace maskbench::harness::internal
