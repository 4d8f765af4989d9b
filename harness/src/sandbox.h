// The child's side of the seal: resource limits, Landlock and the seccomp
// allowlist. Internal: maskbench-runner applies them to itself before it loads
// any submission code (dlopen runs the plugin's constructors), so everything a
// plugin ever runs, on any thread, is inside them. The namespaces around the
// runner are made by the parent (bubblewrap); see seal.h and docs/runner.md.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace maskbench::harness::internal {

// The runner's exit code after the SIGSYS handler caught a forbidden system
// call (128 + SIGSYS, the code bubblewrap reports for a child killed by SIGSYS).
inline constexpr int kSandboxViolationExitCode = 128 + 31;

struct ChildLimits {
  uint64_t memory_bytes = 0;  // RLIMIT_AS; 0 = unchanged
  uint64_t max_threads = 0;   // RLIMIT_NPROC (threads and processes of the uid); 0 = unchanged
  uint64_t cpu_seconds = 0;   // RLIMIT_CPU; 0 = unchanged
  uint64_t max_fds = 256;     // RLIMIT_NOFILE
};

// setrlimit for every limit (soft = hard, so none can be raised again), plus
// no core files, no file writes (RLIMIT_FSIZE 0), no locked memory, no POSIX
// message queues and no raised priority (RLIMIT_NICE, RLIMIT_RTPRIO 0).
// Returns "" or what failed.
std::string ApplyLimits(const ChildLimits& limits);

// The Landlock ABI version of the running kernel, or <= 0 when unavailable.
int LandlockAbi();

// Restricts the file system to reading (and executing) beneath `read_paths`, and
// (ABI >= 4) TCP bind/connect, and (ABI >= 6) abstract UNIX sockets and signals
// outside the domain. Needs no_new_privs. Returns "" on success (or when
// Landlock is unavailable: *abi <= 0 then), else why it failed.
std::string InstallLandlock(const std::vector<std::string>& read_paths, int* abi);

// The seccomp allowlist (docs/runner.md lists it), loaded with TSYNC so every
// thread of the process is covered; `self` is this process's pid as it sees it
// (signals are allowed to it only). A forbidden call raises SIGSYS, which the
// handler installed here turns into _exit(kSandboxViolationExitCode) after
// storing the call's number in *violation_syscall. Returns "" or why not.
std::string InstallAllowlist(pid_t self, int32_t* violation_syscall);

// The second filter, stacked after create(): no file is opened any more
// (open/openat/creat fail with EACCES). Returns "" or why not (a thread whose
// filters diverged makes TSYNC fail). It runs after dlopen, so the plugin can
// patch it away: the real guarantee is the parent's open supervisor
// (child_process.h), which refuses every open once create() has answered;
// this filter is a second line whose presence the parent counts.
std::string InstallNoOpenFilter();

}  // namespace maskbench::harness::internal
