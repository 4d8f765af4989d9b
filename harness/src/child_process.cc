#include "child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sandbox.h"
#include "shm_protocol.h"

extern char** environ;

namespace maskbench::harness::internal {
namespace {

// The fd numbers a child finds its inputs at (kChildShmFd 3 and
// kChildPixelsFd 5 are in shm_protocol.h), and where the forked child finds
// the socket it sends its seccomp listener over (closed before exec).
constexpr int kInfoFd = 4;
constexpr int kNotifySocketFd = 6;
constexpr int kMaxChildFd = 6;
static_assert(kChildShmFd == 3 && kChildPixelsFd == 5);

// The open-supervision filter (OpenSupervisor, child_process.h): every call
// that opens a file by name or handle goes to the parent (SECCOMP_RET_USER_NOTIF),
// every other call is left to the later filters. A foreign architecture's
// calls kill the process; on x86-64 so do x32 calls (the runner's allowlist
// traps them anyway; none of the harness's own programs makes one).
std::vector<sock_filter> OpenNotifyFilter() {
#if defined(__x86_64__)
  constexpr uint32_t kArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  constexpr uint32_t kArch = AUDIT_ARCH_AARCH64;
#else
#error "the open-supervision filter needs this architecture's AUDIT_ARCH"
#endif
  const std::vector<uint32_t> opens = {
#ifdef __NR_open
      __NR_open,
#endif
#ifdef __NR_creat
      __NR_creat,
#endif
      __NR_openat, __NR_openat2, __NR_open_by_handle_at};
  std::vector<sock_filter> f;
  f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kArch, 1, 0));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
  f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
#if defined(__x86_64__)
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u /* __X32_SYSCALL_BIT */, 0, 1));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#endif
  // One test per call, jumping to the notify return at the end.
  for (size_t i = 0; i < opens.size(); ++i) {
    const auto to_notify = static_cast<uint8_t>(opens.size() - i);
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, opens[i], to_notify, 0));
  }
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
  return f;
}

// What the forked child does before exec, prepared before the fork (only
// async-signal-safe calls happen in between).
struct ExecPlan {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;  // empty: inherit
  bool inherit_env = false;
  bool drop_to_nobody = false;
  int shm_fd = -1;     // becomes fd 3 (-1: none)
  int info_fd = -1;    // becomes fd 4 (-1: none)
  int pixels_fd = -1;  // becomes fd 5 (-1: none)
  int out_fd = -1;     // becomes fds 1 and 2
  // Set: the child installs this filter with a new listener just before exec
  // and sends the listener over notify_fd (which becomes fd 6 until then).
  const sock_fprog* notify_filter = nullptr;
  int notify_fd = -1;
};

// Sends `fd` (or none, when < 0) and `err` over the socket at kNotifySocketFd.
// Async-signal-safe.
void SendListener(int fd, int32_t err) {
  iovec iov{&err, sizeof err};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd >= 0) {
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  while (sendmsg(kNotifySocketFd, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

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
  if (p.pixels_fd >= 0 && dup2(p.pixels_fd, kChildPixelsFd) < 0) _exit(126);
  if (p.notify_fd >= 0 && dup2(p.notify_fd, kNotifySocketFd) < 0) _exit(126);
  const int wanted[] = {p.shm_fd, p.info_fd, p.pixels_fd, p.notify_fd};
  for (int fd = kChildShmFd; fd <= kMaxChildFd; ++fd)
    if (wanted[fd - kChildShmFd] < 0) close(fd);
  close_range(kMaxChildFd + 1, ~0U, 0);
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
  if (p.notify_filter != nullptr) {
    // The open-supervision filter, from harness code before anything else
    // runs; its listener goes to the parent and is closed here (it is
    // close-on-exec too), so nothing after the exec holds it.
    const long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                  SECCOMP_FILTER_FLAG_NEW_LISTENER, p.notify_filter);
    SendListener(static_cast<int>(listener), listener < 0 ? errno : 0);
    if (listener < 0) _exit(124);
    close(static_cast<int>(listener));
    close(kNotifySocketFd);
  }
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

// Moves fd out of the 0..6 range the child's fds are mapped onto.
int HighFd(int fd) {
  if (fd > kMaxChildFd) return fd;
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

namespace {

// Receives the listener the forked child sends (SendListener) within
// `timeout_ms`: the fd, or why there is none.
Result<int> ReceiveListener(int sock, int timeout_ms) {
  pollfd pf{sock, POLLIN, 0};
  int r;
  while ((r = poll(&pf, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  if (r == 0) return Status::IOError("open supervisor", "the child sent no seccomp listener");
  int32_t err = 0;
  iovec iov{&err, sizeof err};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  while ((n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR) {
  }
  int fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); n > 0 && c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int)))
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  }
  if (fd >= 0 && n == static_cast<ssize_t>(sizeof err) && err == 0) return fd;
  if (fd >= 0) close(fd);
  if (n != static_cast<ssize_t>(sizeof err))
    return Status::IOError("open supervisor",
                           "the child ended before it sent its seccomp listener");
  return Status::IOError(
      "open supervisor",
      std::string("cannot install the open-supervision seccomp filter (needs Linux 5.5 and no "
                  "seccomp listener of the judge's own): ") +
          strerror(err));
}

}  // namespace

Status OpenSupervisor::Start(int listener) {
  wake_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_ < 0) return Status::IOError("eventfd", strerror(errno));
  listener_ = listener;
  started_ = true;
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void OpenSupervisor::Loop() {
  // The kernel's sizes (a newer kernel's structs may be larger than this
  // header's); RECV wants its buffer zeroed.
  seccomp_notif_sizes sizes{};
  if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
    sizes.seccomp_notif = sizeof(seccomp_notif);
    sizes.seccomp_notif_resp = sizeof(seccomp_notif_resp);
  }
  std::vector<uint64_t> req_buf((std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)) + 7) /
                                8);
  std::vector<uint64_t> resp_buf(
      (std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)) + 7) / 8);
  // Linux 6.6: wake the caller and this thread on the CPU of the waker (an
  // open round trip is then a switch, not two cross-CPU wake-ups). Older
  // kernels refuse it: still correct, only slower.
  {
    constexpr unsigned long kSetFlags = SECCOMP_IOW(4, uint64_t);  // SECCOMP_IOCTL_NOTIF_SET_FLAGS
    ioctl(listener_, kSetFlags, 1ul /* SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP */);
  }
  auto* req = reinterpret_cast<seccomp_notif*>(req_buf.data());
  auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf.data());
  for (;;) {
    pollfd p[2] = {{listener_, POLLIN, 0}, {wake_, POLLIN, 0}};
    const int r = poll(p, 2, -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (p[1].revents != 0) break;  // Stop()
    if ((p[0].revents & POLLIN) != 0) {
      std::fill(req_buf.begin(), req_buf.end(), 0);
      if (ioctl(listener_, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
        // ENOENT: the caller was interrupted or killed before we read it.
        if (errno == EINTR || errno == ENOENT) continue;
        break;
      }
      std::fill(resp_buf.begin(), resp_buf.end(), 0);
      resp->id = req->id;
      if (open_phase_.load(std::memory_order_seq_cst)) {
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;  // as if unfiltered (error, val 0)
        allowed_.fetch_add(1);
      } else {
        resp->error = -EACCES;
        refused_.fetch_add(1);
      }
      // ENOENT: the caller went away meanwhile (a signal, or it died).
      ioctl(listener_, SECCOMP_IOCTL_NOTIF_SEND, resp);
      continue;
    }
    // POLLHUP: no task uses the filter any more (the child is gone).
    if ((p[0].revents & (POLLHUP | POLLERR | POLLNVAL)) != 0) break;
  }
}

void OpenSupervisor::Stop() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    if (write(wake_, &one, sizeof one) < 0) {
      // A full counter still wakes poll.
    }
    thread_.join();
  }
  // Closing the listener fails any open still waiting with ENOSYS.
  for (int* fd : {&listener_, &wake_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

Status ChildProcess::Spawn(const SealPlan& plan, const Stage* stage, const std::string& runner,
                           int shm_fd, int pixels_fd, uint64_t stderr_cap) {
  level_ = plan.level;
  int err_pipe[2];
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return Status::IOError("pipe", strerror(errno));
  ExecPlan p;
  p.shm_fd = HighFd(shm_fd);
  p.pixels_fd = HighFd(pixels_fd);
  p.out_fd = HighFd(err_pipe[1]);
  p.drop_to_nobody = plan.level != SealLevel::kOff && plan.drop_to_nobody;
  const std::vector<std::string> runner_args = {"--shm-fd", std::to_string(kChildShmFd),
                                                "--pixels-fd", std::to_string(kChildPixelsFd)};
  int info_pipe[2] = {-1, -1};
  if (plan.level == SealLevel::kFull) {
    if (pipe2(info_pipe, O_CLOEXEC) != 0) return Status::IOError("pipe", strerror(errno));
    p.info_fd = HighFd(info_pipe[1]);
    p.path = plan.bwrap;
    p.args = BwrapArguments(*stage, kInfoFd);
    p.args.insert(p.args.end(), runner_args.begin(), runner_args.end());
    p.env = MinimalEnvironment();
  } else {
    p.path = plan.level == SealLevel::kReduced ? stage->runner().string() : runner;
    p.args = runner_args;
    if (plan.level == SealLevel::kReduced) {
      p.env = MinimalEnvironment();
    } else {
      p.inherit_env = true;
    }
  }
  // Sealed: the child's opens are the parent's to answer (OpenSupervisor).
  int notify_socket[2] = {-1, -1};
  const std::vector<sock_filter> filter = OpenNotifyFilter();
  const sock_fprog program{static_cast<unsigned short>(filter.size()),
                           const_cast<sock_filter*>(filter.data())};
  if (plan.level != SealLevel::kOff) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, notify_socket) != 0)
      return Status::IOError("socketpair", strerror(errno));
    p.notify_fd = HighFd(notify_socket[1]);
    p.notify_filter = &program;
  }
  Result<pid_t> pid = ForkExec(p);
  auto close_fd = [](int fd) {
    if (fd >= 0) close(fd);
  };
  if (p.out_fd != err_pipe[1]) close_fd(p.out_fd);
  close_fd(err_pipe[1]);
  if (p.shm_fd != shm_fd) close_fd(p.shm_fd);
  if (p.pixels_fd != pixels_fd) close_fd(p.pixels_fd);
  if (p.info_fd != info_pipe[1]) close_fd(p.info_fd);
  close_fd(info_pipe[1]);
  if (p.notify_fd != notify_socket[1]) close_fd(p.notify_fd);
  close_fd(notify_socket[1]);
  if (!pid.ok()) {
    close_fd(err_pipe[0]);
    close_fd(info_pipe[0]);
    close_fd(notify_socket[0]);
    return pid.status();
  }
  pid_ = *pid;
  runner_pid_ = pid_;
  stderr_.Start(err_pipe[0], stderr_cap);
  if (notify_socket[0] >= 0) {
    // Before anything waits on the child: its next open (the exec's loader)
    // blocks until the supervisor answers.
    Result<int> listener = ReceiveListener(notify_socket[0], 10'000);
    close(notify_socket[0]);
    Status started = listener.ok() ? opens_.Start(*listener) : listener.status();
    if (!started.ok()) {
      if (listener.ok() && !opens_.started()) close(*listener);
      close_fd(info_pipe[0]);
      Kill();
      return started;
    }
  }
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
