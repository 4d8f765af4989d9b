// ChildProcess: starts maskbench-runner under a SealPlan (inside bubblewrap for
// the full seal, directly otherwise), drains its stderr into a capped log, and
// tells how it ended. Internal to maskbench::harness.
//
// Not thread-safe: one ChildProcess per run, driven by one thread (its stderr
// reader is its own thread).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "maskbench/core/status.h"
#include "seal.h"

namespace maskbench::harness::internal {

// The first `cap` bytes of a pipe, and how many bytes came in all.
class StderrCapture {
 public:
  StderrCapture() = default;
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  ~StderrCapture() { Stop(); }
  // Starts the reader thread on `fd` (taken over).
  void Start(int fd, uint64_t cap);
  // Waits up to `timeout_ms` for end of file, then stops reading.
  void Finish(int timeout_ms);
  const std::string& text() const { return text_; }
  uint64_t bytes() const { return total_; }

 private:
  void Stop();
  int fd_ = -1;
  uint64_t cap_ = 0;
  std::string text_;
  std::atomic<uint64_t> total_{0};
  std::atomic<bool> stop_{false}, eof_{false};
  std::thread thread_;
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Kill(); }

  // Starts the runner: `stage` holds the copies it runs from (unused when the
  // plan is off, which runs `runner` in place); the shared memory is its fd 3.
  Status Spawn(const SealPlan& plan, const Stage* stage, const std::string& runner, int shm_fd,
               uint64_t stderr_cap);

  // The runner's pid in the judge's pid namespace.
  pid_t runner_pid() const { return runner_pid_; }
  // Non-blocking: true (and the wait status) once the child has ended.
  bool Ended(int* wait_status);
  // Waits up to timeout_ns for the child to end by itself; then kills it.
  void Reap(int64_t timeout_ns, int* wait_status);
  // SIGKILL to the runner (its pid namespace dies with it) and the child.
  void Kill();

  // How a wait status reads: the signal that ended the runner (bubblewrap
  // reports it as exit code 128 + n; the runner's SIGSYS handler exits with
  // 128 + SIGSYS), else its exit code.
  struct End {
    int signal = 0;
    int exit_code = -1;
  };
  End Decode(int wait_status) const;

  StderrCapture& stderr_log() { return stderr_; }

 private:
  SealLevel level_ = SealLevel::kOff;
  pid_t pid_ = -1;         // the direct child (bubblewrap, or the runner)
  pid_t runner_pid_ = -1;  // the runner
  pid_t init_pid_ = -1;    // the sandbox's pid 1 (bubblewrap's init), full seal only
  int pidfd_ = -1;         // a pidfd of the runner, when it is not the direct child
  int init_pidfd_ = -1;    // a pidfd of the sandbox's init
  int wait_status_ = 0;
  StderrCapture stderr_;
};

// Runs argv[0] with argv to completion under the same identity a sealed child
// gets (a drop to 65534 when `drop_to_nobody`), stdout and stderr captured.
// Ok (the output) on exit 0; else the output or why it could not run.
Result<std::string> RunToCompletion(const std::vector<std::string>& argv, bool drop_to_nobody,
                                    int timeout_ms);

}  // namespace maskbench::harness::internal
