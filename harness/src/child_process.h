// ChildProcess: starts maskbench-runner under a SealPlan (inside bubblewrap for
// the full seal, directly otherwise), drains its stderr into a capped log, and
// tells how it ended. Internal to maskbench::harness.
//
// Not thread-safe: one ChildProcess per run, driven by one thread (its stderr
// reader and its open supervisor are threads of their own).
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

// The parent's answer to every open(2) of a sealed child. The child's first
// seccomp filter, installed by the harness's own code between fork and exec
// (before bubblewrap, the runner or the plugin exist), sends open, openat,
// openat2, creat and open_by_handle_at to this listener (SECCOMP_RET_USER_NOTIF);
// the filter's listener fd is sent to the parent at once and closed in the
// child, so nothing in the child can answer for it, and no later filter can
// have a listener of its own (the kernel refuses a second one: EBUSY). While the
// open phase lasts (setup, dlopen, create()) each open continues as if
// unfiltered (the later filters and Landlock still apply); after
// EndOpenPhase() each one fails with EACCES. The decision depends only on the
// parent's own state, never on the child's memory (so no ID_VALID race: no
// argument is read). Thread-safe: its thread answers, any thread may end the
// phase or read the counts.
class OpenSupervisor {
 public:
  OpenSupervisor() = default;
  OpenSupervisor(const OpenSupervisor&) = delete;
  OpenSupervisor& operator=(const OpenSupervisor&) = delete;
  ~OpenSupervisor() { Stop(); }
  // Starts answering the notifications of `listener` (taken over).
  Status Start(int listener);
  // From now on every open is refused.
  void EndOpenPhase() { open_phase_.store(false, std::memory_order_seq_cst); }
  // Stops the thread (the child need not have ended) and closes the listener.
  void Stop();
  bool started() const { return started_; }
  int64_t allowed() const { return allowed_.load(); }
  int64_t refused() const { return refused_.load(); }

 private:
  void Loop();
  int listener_ = -1;
  int wake_ = -1;  // an eventfd: Stop() writes it
  bool started_ = false;
  std::atomic<bool> open_phase_{true};
  std::atomic<int64_t> allowed_{0}, refused_{0};
  std::thread thread_;
};

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { Kill(); }

  // Starts the runner: `stage` holds the copies it runs from (unused when the
  // plan is off, which runs `runner` in place); the control memfd is its fd 3,
  // the pixels memfd its fd 5. Sealed (reduced or full), its opens go to an
  // OpenSupervisor from before the exec on.
  Status Spawn(const SealPlan& plan, const Stage* stage, const std::string& runner, int shm_fd,
               int pixels_fd, uint64_t stderr_cap);

  // load and create() are over: every later open of the child is refused.
  void EndOpenPhase() { opens_.EndOpenPhase(); }
  bool supervising_opens() const { return opens_.started(); }
  int64_t opens_refused() const { return opens_.refused(); }

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
  OpenSupervisor opens_;
};

// Runs argv[0] with argv to completion under the same identity a sealed child
// gets (a drop to 65534 when `drop_to_nobody`), stdout and stderr captured.
// Ok (the output) on exit 0; else the output or why it could not run.
Result<std::string> RunToCompletion(const std::vector<std::string>& argv, bool drop_to_nobody,
                                    int timeout_ms);

}  // namespace maskbench::harness::internal
