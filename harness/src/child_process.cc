#include "child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sandbox.h"
#include "shm_protocol.h"

extern char** environ;

namespace maskbench::harness::internal {
namespace {

// The fd numbers a child finds its inputs at.
constexpr int kInfoFd = 4;

// What the forked child does before exec, prepared before the fork (only
// async-signal-safe calls happen in between).
struct ExecPlan {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;  // empty: inherit
  bool inherit_env = false;
  bool drop_to_nobody = false;
  int shm_fd = -1;   // becomes fd 3 (-1: none)
  int info_fd = -1;  // becomes fd 4 (-1: none)
  int out_fd = -1;   // becomes fds 1 and 2
};

[[noreturn]] void ChildExec(const ExecPlan& p, char* const* argv, char* const* envp, int devnull,
                            pid_t parent) {
  // Default dispositions and an empty mask: an ignored signal would survive exec.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig)
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (dup2(devnull, 0) < 0) _exit(126);
  if (dup2(p.out_fd, 1) < 0 || dup2(p.out_fd, 2) < 0) _exit(126);
  if (p.shm_fd >= 0 && dup2(p.shm_fd, kChildShmFd) < 0) _exit(126);
  if (p.info_fd >= 0 && dup2(p.info_fd, kInfoFd) < 0) _exit(126);
  close_range(p.info_fd >= 0 ? kInfoFd + 1 : p.shm_fd >= 0 ? kChildShmFd + 1 : kChildShmFd, ~0U, 0);
  setsid();  // no controlling terminal
  if (p.drop_to_nobody) {
    if (setgroups(0, nullptr) != 0) _exit(125);
    if (setresgid(kSandboxGid, kSandboxGid, kSandboxGid) != 0) _exit(125);
    if (setresuid(kSandboxUid, kSandboxUid, kSandboxUid) != 0) _exit(125);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(125);
  // After the uid change (which clears it): die with the harness.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(126);
  execve(p.path.c_str(), argv, envp);
  _exit(127);
}

// Forks and execs `p`; returns the child's pid.
Result<pid_t> ForkExec(const ExecPlan& p) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(p.path.c_str()));
  for (const std::string& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) return Status::IOError("/dev/null", strerror(errno));
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(devnull);
    return Status::IOError("fork", strerror(errno));
  }
  if (pid == 0) ChildExec(p, argv.data(), p.inherit_env ? environ : envp.data(), devnull, parent);
  close(devnull);
  return pid;
}

// Moves fd out of the 0..4 range the child's fds are mapped onto.
int HighFd(int fd) {
  if (fd > kInfoFd) return fd;
  const int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  return high;
}

int64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

const std::vector<std::string>& MinimalEnvironment() {
  static const std::vector<std::string> env = {"PATH=/usr/bin:/bin", "HOME=/", "LANG=C.UTF-8"};
  return env;
}

}  // namespace

void StderrCapture::Start(int fd, uint64_t cap) {
  fd_ = fd;
  cap_ = cap;
  thread_ = std::thread([this] {
    char buf[65536];
    for (;;) {
      if (stop_.load()) break;
      pollfd p{fd_, POLLIN, 0};
      const int r = poll(&p, 1, 50);
      if (r < 0 && errno != EINTR) break;
      if (r <= 0) continue;
      const ssize_t n = read(fd_, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) break;
      const uint64_t before = total_.fetch_add(static_cast<uint64_t>(n));
      if (before < cap_)
        text_.append(buf, static_cast<size_t>(std::min<uint64_t>(cap_ - before, n)));
    }
    eof_.store(true);
  });
}

void StderrCapture::Finish(int timeout_ms) {
  if (!thread_.joinable()) return;
  const int64_t until = MonotonicMs() + timeout_ms;
  while (!eof_.load() && MonotonicMs() < until) usleep(1000);
  Stop();
}

void StderrCapture::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Status ChildProcess::Spawn(const SealPlan& plan, const Stage* stage, const std::string& runner,
                           int shm_fd, uint64_t stderr_cap) {
  level_ = plan.level;
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return Status::IOError("pipe", strerror(errno));
  ExecPlan p;
  p.shm_fd = HighFd(shm_fd);
  p.out_fd = HighFd(err_pipe[1]);
  p.drop_to_nobody = plan.level != SealLevel::kOff && plan.drop_to_nobody;
  int info_pipe[2] = {-1, -1};
  if (plan.level == SealLevel::kFull) {
    if (pipe2(info_pipe, O_CLOEXEC) != 0) return Status::IOError("pipe", strerror(errno));
    p.info_fd = HighFd(info_pipe[1]);
    p.path = plan.bwrap;
    p.args = BwrapArguments(*stage, kChildShmFd, kInfoFd);
    p.env = MinimalEnvironment();
  } else {
    p.path = plan.level == SealLevel::kReduced ? stage->runner().string() : runner;
    p.args = {"--shm-fd", std::to_string(kChildShmFd)};
    if (plan.level == SealLevel::kReduced) {
      p.env = MinimalEnvironment();
    } else {
      p.inherit_env = true;
    }
  }
  Result<pid_t> pid = ForkExec(p);
  auto close_fd = [](int fd) {
    if (fd >= 0) close(fd);
  };
  if (p.out_fd != err_pipe[1]) close_fd(p.out_fd);
  close_fd(err_pipe[1]);
  if (p.shm_fd != shm_fd) close_fd(p.shm_fd);
  if (p.info_fd != info_pipe[1]) close_fd(p.info_fd);
  close_fd(info_pipe[1]);
  if (!pid.ok()) {
    close_fd(err_pipe[0]);
    close_fd(info_pipe[0]);
    return pid.status();
  }
  pid_ = *pid;
  runner_pid_ = pid_;
  stderr_.Start(err_pipe[0], stderr_cap);
  if (plan.level != SealLevel::kFull) return Status::Ok();

  // bubblewrap tells the runner's pid on the info fd before it starts it.
  std::string info;
  const int64_t until = MonotonicMs() + 10'000;
  char buf[4096];
  for (;;) {
    const int64_t left = until - MonotonicMs();
    if (left <= 0) break;
    pollfd pf{info_pipe[0], POLLIN, 0};
    const int r = poll(&pf, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    const ssize_t n = read(info_pipe[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    info.append(buf, static_cast<size_t>(n));
  }
  close(info_pipe[0]);
  int64_t child_pid = -1;
  try {
    child_pid = nlohmann::json::parse(info).at("child-pid").get<int64_t>();
  } catch (const nlohmann::json::exception&) {
  }
  if (child_pid <= 0) {
    int status = 0;
    Reap(2'000'000'000, &status);
    stderr_.Finish(500);
    return Status::IOError("bubblewrap",
                           "the sandbox did not start" +
                               (stderr_.text().empty() ? std::string() : ": " + stderr_.text()));
  }
  // The sandbox's pid 1 is bubblewrap's small init (so the runner keeps the
  // usual signal semantics: pid 1 ignores signals it has no handler for); the
  // runner is its one child.
  const std::string children =
      "/proc/" + std::to_string(child_pid) + "/task/" + std::to_string(child_pid) + "/children";
  pid_t runner_child = -1;
  while (runner_child <= 0 && MonotonicMs() < until) {
    std::ifstream in(children);
    long long p = -1;
    if (in >> p && p > 0) {
      runner_child = static_cast<pid_t>(p);
      break;
    }
    int status = 0;
    if (Ended(&status)) break;
    usleep(200);
  }
  if (runner_child <= 0) {
    int status = 0;
    Reap(2'000'000'000, &status);
    stderr_.Finish(500);
    return Status::IOError("bubblewrap",
                           "the sandbox started no runner" +
                               (stderr_.text().empty() ? std::string() : ": " + stderr_.text()));
  }
  init_pid_ = static_cast<pid_t>(child_pid);
  runner_pid_ = runner_child;
  pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, runner_pid_, 0));
  init_pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, init_pid_, 0));
  return Status::Ok();
}

bool ChildProcess::Ended(int* wait_status) {
  if (pid_ <= 0) {
    *wait_status = wait_status_;
    return true;
  }
  const pid_t r = waitpid(pid_, wait_status, WNOHANG);
  if (r == pid_) {
    wait_status_ = *wait_status;
    pid_ = -1;
    for (int* fd : {&init_pidfd_, &pidfd_}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
    return true;
  }
  return false;
}

void ChildProcess::Reap(int64_t timeout_ns, int* wait_status) {
  const int64_t until = MonotonicMs() + timeout_ns / 1'000'000;
  while (!Ended(wait_status)) {
    if (MonotonicMs() > until) {
      Kill();
      *wait_status = wait_status_;
      return;
    }
    usleep(1000);
  }
}

void ChildProcess::Kill() {
  // The sandbox's init first: its pid namespace, runner included, dies with it.
  for (int* fd : {&init_pidfd_, &pidfd_}) {
    if (*fd >= 0) {
      syscall(SYS_pidfd_send_signal, *fd, SIGKILL, nullptr, 0);
      close(*fd);
      *fd = -1;
    }
  }
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &wait_status_, 0);
    pid_ = -1;
  }
}

ChildProcess::End ChildProcess::Decode(int wait_status) const {
  End e;
  if (WIFSIGNALED(wait_status)) {
    e.signal = WTERMSIG(wait_status);
  } else if (WIFEXITED(wait_status)) {
    e.exit_code = WEXITSTATUS(wait_status);
    if (level_ != SealLevel::kOff && e.exit_code == kSandboxViolationExitCode) {
      e.signal = SIGSYS;
    } else if (level_ == SealLevel::kFull && e.exit_code > 128 && e.exit_code < 128 + NSIG) {
      e.signal = e.exit_code - 128;
    }
  }
  return e;
}

Result<std::string> RunToCompletion(const std::vector<std::string>& argv, bool drop_to_nobody,
                                    int timeout_ms) {
  if (argv.empty()) return Status::InvalidArgument("RunToCompletion", "no command");
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return Status::IOError("pipe", strerror(errno));
  ExecPlan p;
  p.path = argv[0];
  p.args.assign(argv.begin() + 1, argv.end());
  p.env = MinimalEnvironment();
  p.drop_to_nobody = drop_to_nobody;
  p.out_fd = HighFd(out[1]);
  Result<pid_t> pid = ForkExec(p);
  if (p.out_fd != out[1]) close(p.out_fd);
  close(out[1]);
  if (!pid.ok()) {
    close(out[0]);
    return pid.status();
  }
  StderrCapture capture;
  capture.Start(out[0], 64 * 1024);
  int status = 0;
  const int64_t until = MonotonicMs() + timeout_ms;
  bool ended = false;
  while (MonotonicMs() < until) {
    if (waitpid(*pid, &status, WNOHANG) == *pid) {
      ended = true;
      break;
    }
    usleep(1000);
  }
  if (!ended) {
    kill(*pid, SIGKILL);
    waitpid(*pid, &status, 0);
  }
  capture.Finish(1000);
  std::string text = capture.text();
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (!ended)
    return Status::IOError(argv[0], "no answer within " + std::to_string(timeout_ms) + " ms");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return Status::IOError(argv[0],
                           text.empty() ? "exited with status " + std::to_string(status) : text);
  return text;
}

}  // namespace maskbench::harness::internal
