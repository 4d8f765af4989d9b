#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <initializer_list>
#include <string>

namespace maskbench::harness::internal {
namespace {

// ---- Landlock (uapi constants, defined here so older headers build) --------
struct LandlockRulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};
struct __attribute__((packed)) LandlockPathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};
constexpr long kNrLandlockCreateRuleset = 444;
constexpr long kNrLandlockAddRule = 445;
constexpr long kNrLandlockRestrictSelf = 446;
constexpr uint32_t kLandlockCreateRulesetVersion = 1u << 0;
constexpr int kLandlockRulePathBeneath = 1;
constexpr uint64_t kFsExecute = 1ull << 0;
constexpr uint64_t kFsReadFile = 1ull << 2;
constexpr uint64_t kFsReadDir = 1ull << 3;
constexpr uint64_t kFsAbi1 = (1ull << 13) - 1;      // EXECUTE .. MAKE_SYM
constexpr uint64_t kFsRefer = 1ull << 13;           // ABI 2
constexpr uint64_t kFsTruncate = 1ull << 14;        // ABI 3
constexpr uint64_t kFsIoctlDev = 1ull << 15;        // ABI 5
constexpr uint64_t kNetBindTcp = 1ull << 0;         // ABI 4
constexpr uint64_t kNetConnectTcp = 1ull << 1;      // ABI 4
constexpr uint64_t kScopeAbstractUnix = 1ull << 0;  // ABI 6
constexpr uint64_t kScopeSignal = 1ull << 1;        // ABI 6

// ---- SIGSYS ------------------------------------------------------------------
int32_t* g_violation_syscall = nullptr;

void OnSigsys(int, siginfo_t* info, void*) {
  if (g_violation_syscall != nullptr) *g_violation_syscall = info->si_syscall;
  _exit(kSandboxViolationExitCode);
}

std::string Errno(const char* what, int err) { return std::string(what) + ": " + strerror(err); }

}  // namespace

std::string ApplyLimits(const ChildLimits& limits) {
  auto set = [](int resource, rlim_t value, const char* name) -> std::string {
    rlimit r{value, value};
    if (setrlimit(resource, &r) != 0) {
      // A limit may already be lower than asked; lowering is all that matters.
      rlimit cur{};
      if (getrlimit(resource, &cur) == 0 && cur.rlim_max <= value) {
        cur.rlim_cur = cur.rlim_max;
        if (setrlimit(resource, &cur) == 0) return "";
      }
      return Errno(name, errno);
    }
    return "";
  };
  std::string why;
  auto add = [&](std::string e) {
    if (why.empty()) why = std::move(e);
  };
  add(set(RLIMIT_CORE, 0, "RLIMIT_CORE"));
  add(set(RLIMIT_FSIZE, 0, "RLIMIT_FSIZE"));
  add(set(RLIMIT_MEMLOCK, 0, "RLIMIT_MEMLOCK"));
  add(set(RLIMIT_MSGQUEUE, 0, "RLIMIT_MSGQUEUE"));
  add(set(RLIMIT_NICE, 0, "RLIMIT_NICE"));
  add(set(RLIMIT_RTPRIO, 0, "RLIMIT_RTPRIO"));
  add(set(RLIMIT_NOFILE, limits.max_fds, "RLIMIT_NOFILE"));
  if (limits.memory_bytes != 0) add(set(RLIMIT_AS, limits.memory_bytes, "RLIMIT_AS"));
  if (limits.max_threads != 0) add(set(RLIMIT_NPROC, limits.max_threads, "RLIMIT_NPROC"));
  if (limits.cpu_seconds != 0) {
    // SIGXCPU at the soft limit, SIGKILL at the hard one.
    rlimit r{limits.cpu_seconds, limits.cpu_seconds + 5};
    if (setrlimit(RLIMIT_CPU, &r) != 0) add(Errno("RLIMIT_CPU", errno));
  }
  return why;
}

int LandlockAbi() {
  return static_cast<int>(
      syscall(kNrLandlockCreateRuleset, nullptr, 0, kLandlockCreateRulesetVersion));
}

std::string InstallLandlock(const std::vector<std::string>& read_paths, int* abi) {
  *abi = LandlockAbi();
  if (*abi <= 0) return "";
  LandlockRulesetAttr attr{};
  attr.handled_access_fs = kFsAbi1;
  if (*abi >= 2) attr.handled_access_fs |= kFsRefer;
  if (*abi >= 3) attr.handled_access_fs |= kFsTruncate;
  if (*abi >= 5) attr.handled_access_fs |= kFsIoctlDev;
  if (*abi >= 4) attr.handled_access_net = kNetBindTcp | kNetConnectTcp;
  if (*abi >= 6) attr.scoped = kScopeAbstractUnix | kScopeSignal;
  const int ruleset = static_cast<int>(syscall(kNrLandlockCreateRuleset, &attr, sizeof attr, 0));
  if (ruleset < 0) return Errno("landlock_create_ruleset", errno);
  for (const std::string& path : read_paths) {
    const int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
    if (fd < 0) continue;  // not on this system: nothing to allow
    struct stat st;
    if (fstat(fd, &st) != 0) {
      close(fd);
      continue;
    }
    LandlockPathBeneathAttr rule{};
    rule.parent_fd = fd;
    rule.allowed_access = S_ISDIR(st.st_mode)
                              ? (kFsExecute | kFsReadFile | kFsReadDir)
                              : (S_ISREG(st.st_mode) ? kFsExecute | kFsReadFile : kFsReadFile);
    const long rc = syscall(kNrLandlockAddRule, ruleset, kLandlockRulePathBeneath, &rule, 0);
    const int err = errno;
    close(fd);
    if (rc != 0) {
      close(ruleset);
      return Errno(("landlock_add_rule " + path).c_str(), err);
    }
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    close(ruleset);
    return Errno("PR_SET_NO_NEW_PRIVS", errno);
  }
  const long rc = syscall(kNrLandlockRestrictSelf, ruleset, 0);
  const int err = errno;
  close(ruleset);
  if (rc != 0) return Errno("landlock_restrict_self", err);
  return "";
}

std::string InstallAllowlist(pid_t self, int32_t* violation_syscall) {
  g_violation_syscall = violation_syscall;
  struct sigaction sa {};
  sa.sa_sigaction = OnSigsys;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSYS, &sa, nullptr) != 0) return Errno("sigaction(SIGSYS)", errno);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Errno("PR_SET_NO_NEW_PRIVS", errno);

  // Anything not listed raises SIGSYS (a sandbox_violation naming the call).
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
  if (ctx == nullptr) return "seccomp_init failed";
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  if (rc != 0) {
    seccomp_release(ctx);
    return std::string("seccomp TSYNC: ") + strerror(-rc);
  }
  auto rule = [&](uint32_t action, int nr, std::initializer_list<scmp_arg_cmp> args) {
    if (nr < 0) return;  // not on this architecture
    const int r = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(args.size()),
                                         args.size() ? args.begin() : nullptr);
    if (r != 0 && rc == 0) rc = r;
  };
  auto allow = [&](std::initializer_list<int> nrs) {
    for (int nr : nrs) rule(SCMP_ACT_ALLOW, nr, {});
  };
  auto fail = [&](int err, std::initializer_list<int> nrs) {
    for (int nr : nrs) rule(SCMP_ACT_ERRNO(err), nr, {});
  };

  // Memory.
  allow({SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
         SCMP_SYS(madvise), SCMP_SYS(mincore), SCMP_SYS(msync), SCMP_SYS(membarrier),
         SCMP_SYS(get_mempolicy), SCMP_SYS(set_mempolicy), SCMP_SYS(mbind)});
  // Threads and their synchronisation (clone below).
  allow({SCMP_SYS(futex),
         SCMP_SYS(futex_waitv),
         SCMP_SYS(set_robust_list),
         SCMP_SYS(rseq),
         SCMP_SYS(set_tid_address),
         SCMP_SYS(gettid),
         SCMP_SYS(sched_yield),
         SCMP_SYS(sched_getaffinity),
         SCMP_SYS(sched_setaffinity),
         SCMP_SYS(sched_getparam),
         SCMP_SYS(sched_getscheduler),
         SCMP_SYS(sched_getattr),
         SCMP_SYS(sched_get_priority_max),
         SCMP_SYS(sched_get_priority_min),
         SCMP_SYS(sched_rr_get_interval),
         SCMP_SYS(getpriority),
         SCMP_SYS(getcpu),
         SCMP_SYS(exit),
         SCMP_SYS(exit_group),
         SCMP_SYS(restart_syscall)});
  // Reading descriptors that are open; opening files read-only (only until
  // create() returns: InstallNoOpenFilter; an open for writing is a violation);
  // stat and directory reads.
  allow({SCMP_SYS(read),      SCMP_SYS(pread64),    SCMP_SYS(readv),       SCMP_SYS(preadv),
         SCMP_SYS(preadv2),   SCMP_SYS(lseek),      SCMP_SYS(close),       SCMP_SYS(close_range),
         SCMP_SYS(fstat),     SCMP_SYS(newfstatat), SCMP_SYS(statx),       SCMP_SYS(stat),
         SCMP_SYS(lstat),     SCMP_SYS(access),     SCMP_SYS(faccessat),   SCMP_SYS(faccessat2),
         SCMP_SYS(readlink),  SCMP_SYS(readlinkat), SCMP_SYS(getcwd),      SCMP_SYS(getdents64),
         SCMP_SYS(fstatfs),   SCMP_SYS(statfs),     SCMP_SYS(fadvise64),   SCMP_SYS(fcntl),
         SCMP_SYS(dup),       SCMP_SYS(dup2),       SCMP_SYS(dup3),        SCMP_SYS(poll),
         SCMP_SYS(ppoll),     SCMP_SYS(select),     SCMP_SYS(pselect6),    SCMP_SYS(epoll_create1),
         SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(eventfd2),
         SCMP_SYS(umask)});
  // O_TMPFILE is __O_TMPFILE | O_DIRECTORY: only its own bit may count, or
  // opening a folder (opendir) would look like a write.
  const scmp_datum_t write_flags =
      O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND | (O_TMPFILE & ~O_DIRECTORY);
  rule(SCMP_ACT_ALLOW, SCMP_SYS(openat), {SCMP_A2(SCMP_CMP_MASKED_EQ, write_flags, 0)});
  rule(SCMP_ACT_ALLOW, SCMP_SYS(open), {SCMP_A1(SCMP_CMP_MASKED_EQ, write_flags, 0)});
  // openat2 and clone3 pass their flags in structs a filter cannot read: glibc
  // falls back to openat and clone.
  fail(ENOSYS, {SCMP_SYS(openat2), SCMP_SYS(clone3)});
  // Writing: stdout and stderr only (a pipe into the parent's capped log).
  for (scmp_datum_t fd : {1, 2}) {
    rule(SCMP_ACT_ALLOW, SCMP_SYS(write), {SCMP_A0(SCMP_CMP_EQ, fd)});
    rule(SCMP_ACT_ALLOW, SCMP_SYS(writev), {SCMP_A0(SCMP_CMP_EQ, fd)});
  }
  // clone: threads only (no new process, no namespace, no vfork).
  const scmp_datum_t clone_mask = CLONE_THREAD | CLONE_VFORK | CLONE_PARENT | CLONE_PTRACE |
                                  CLONE_UNTRACED | CLONE_PIDFD | CLONE_NEWNS | CLONE_NEWUSER |
                                  CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
                                  CLONE_NEWCGROUP;
  rule(SCMP_ACT_ALLOW, SCMP_SYS(clone), {SCMP_A0(SCMP_CMP_MASKED_EQ, clone_mask, CLONE_THREAD)});
  // Clocks, sleeps, timers.
  allow({SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(clock_nanosleep),
         SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(times),
         SCMP_SYS(getrusage), SCMP_SYS(alarm), SCMP_SYS(setitimer), SCMP_SYS(getitimer),
         SCMP_SYS(timer_create), SCMP_SYS(timer_settime), SCMP_SYS(timer_gettime),
         SCMP_SYS(timer_getoverrun), SCMP_SYS(timer_delete)});
  // Signals: handlers and masks; sending only to this process.
  allow({SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
         SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigpending), SCMP_SYS(rt_sigtimedwait),
         SCMP_SYS(rt_sigsuspend), SCMP_SYS(pause)});
  const auto me = static_cast<scmp_datum_t>(self);
  for (int nr :
       {SCMP_SYS(kill), SCMP_SYS(tgkill), SCMP_SYS(rt_sigqueueinfo), SCMP_SYS(rt_tgsigqueueinfo)})
    rule(SCMP_ACT_ALLOW, nr, {SCMP_A0(SCMP_CMP_EQ, me)});
  // Identity and system facts.
  allow({SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
         SCMP_SYS(getegid), SCMP_SYS(getgroups), SCMP_SYS(getresuid), SCMP_SYS(getresgid),
         SCMP_SYS(getpgrp), SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(getrandom),
         SCMP_SYS(capget), SCMP_SYS(getrlimit), SCMP_SYS(setrlimit)});
  // prlimit64: this process's own limits (soft = hard: they can only go down).
  rule(SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), {SCMP_A0(SCMP_CMP_EQ, 0)});
  // prctl: thread names, reading state, and tightening (no_new_privs, seccomp).
  for (scmp_datum_t op : {PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE, PR_GET_TIMERSLACK,
                          PR_SET_TIMERSLACK, PR_CAPBSET_READ, PR_GET_SECCOMP, PR_GET_NO_NEW_PRIVS,
                          PR_SET_NO_NEW_PRIVS, PR_SET_VMA, PR_GET_TID_ADDRESS})
    rule(SCMP_ACT_ALLOW, SCMP_SYS(prctl), {SCMP_A0(SCMP_CMP_EQ, op)});
  allow({SCMP_SYS(seccomp)});  // adding filters only ever restricts further
  // arch_prctl: TLS base and the AMX tile permission (ARCH_REQ_XCOMP_PERM).
  for (scmp_datum_t op :
       {0x1002 /* ARCH_SET_FS */, 0x1003 /* ARCH_GET_FS */, 0x1004 /* ARCH_GET_GS */,
        0x1011 /* ARCH_GET_CPUID */, 0x1021 /* ARCH_GET_XCOMP_SUPP */,
        0x1022 /* ARCH_GET_XCOMP_PERM */, 0x1023 /* ARCH_REQ_XCOMP_PERM */})
    rule(SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), {SCMP_A0(SCMP_CMP_EQ, op)});
  // Harmless refusals: terminals, raised priorities, locked memory.
  fail(ENOTTY, {SCMP_SYS(ioctl)});
  fail(EPERM, {SCMP_SYS(sched_setscheduler), SCMP_SYS(sched_setparam), SCMP_SYS(sched_setattr),
               SCMP_SYS(setpriority), SCMP_SYS(mlock), SCMP_SYS(mlock2), SCMP_SYS(mlockall),
               SCMP_SYS(tkill)});
  if (rc != 0) {
    seccomp_release(ctx);
    return std::string("seccomp_rule_add: ") + strerror(-rc);
  }
  rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) return std::string("seccomp_load: ") + strerror(-rc);
  return "";
}

std::string InstallNoOpenFilter() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return "seccomp_init failed";
  int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  // The kernel's own error (ESRCH when a thread cannot be synchronised), not
  // libseccomp's ECANCELED.
  if (rc == 0) rc = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
  for (int nr : {SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(creat)}) {
    if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), nr, 0);
  }
  if (rc == 0) rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc == -ESRCH)
    return "a thread of the plugin has seccomp filters of its own that the runner's other "
           "threads do not share (a filter installed without TSYNC), so no filter can be "
           "synchronised to every thread any more (TSYNC: ESRCH)";
  if (rc != 0) return std::string("seccomp (no-open filter): ") + strerror(-rc);
  return "";
}

}  // namespace maskbench::harness::internal
