/* harm-judge: attacks the judge (the runner's parent), a bystander process
 * the test starts ("pid", its process group "pgid"; default the parent), and
 * other submissions' files (<dir>/competitor/libcompetitor.so and
 * <dir>/frame-cache.bin; <dir> is config "dir", else MBH_SECRETS_DIR).
 * One attack per run (config "create" or "infer", or -DMBH_CTOR_ATTACK):
 *   kill_ppid kill_all kill_group kill_pid tgkill_pid sigqueue pidfd
 *   pidfd_getfd vm_readv vm_writev ptrace proc_mem proc_mem_rw tiocsti
 *   setown setown_pgrp (SIGKILL as the SIGIO of fd 2, then fill the pipe)
 *   daemon (fork, setsid, fork again, name "mbh-daemon", wait forever)
 *   overwrite_so overwrite_cache truncate_cache unlink_cache rename_so
 * Each step: SUCCEEDED when the call did what was asked, PARTIAL when it was
 * permitted but achieved nothing visible (EFAULT, owner set), else BLOCKED
 * (value = errno). */
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

#include "hostile.h"

#ifndef MBH_SECRETS_DIR
#define MBH_SECRETS_DIR "/tmp/maskbench-hostile-secrets"
#endif

static void result(long r) { mbh_step(r >= 0 ? MBH_SUCCEEDED : MBH_BLOCKED, r >= 0 ? 0 : errno); }

static void setown(int owner) {
  if (fcntl(2, F_SETOWN, owner) != 0) {
    mbh_step(MBH_BLOCKED, (uint32_t)errno);
    return;
  }
  fcntl(2, F_SETSIG, SIGKILL);
  fcntl(2, F_SETFL, fcntl(2, F_GETFL) | O_ASYNC);
  static char junk[1 << 16];
  memset(junk, '.', sizeof junk);
  for (int i = 0; i < 64; ++i)
    if (write(2, junk, sizeof junk) < 0) break;
  mbh_step(MBH_PARTIAL, 0);
}

static void vm(int write_it, pid_t pid) {
  char local[64] = "mbh";
  struct iovec l = {local, sizeof local}, r = {(void*)0x10000, sizeof local};
  long n = syscall(write_it ? SYS_process_vm_writev : SYS_process_vm_readv, pid, &l, 1, &r, 1, 0);
  mbh_step(n >= 0            ? MBH_SUCCEEDED
           : errno == EFAULT ? MBH_PARTIAL
                             : MBH_BLOCKED,
           n >= 0 ? 0 : (uint32_t)errno);
}

static int32_t mbh_attack(mbh_state_t* s, const char* a, char* error, size_t capacity) {
  (void)error, (void)capacity;
  const pid_t pid = (pid_t)mbh_int(s, "pid", getppid());
  char dir[512], so[1024], cache[1024], path[1100];
  mbh_str(s, "dir", dir, sizeof dir, MBH_SECRETS_DIR);
  snprintf(so, sizeof so, "%s/competitor/libcompetitor.so", dir);
  snprintf(cache, sizeof cache, "%s/frame-cache.bin", dir);
  siginfo_t info;
  memset(&info, 0, sizeof info);
  info.si_signo = SIGKILL;
  info.si_code = SI_QUEUE;
  if (strcmp(a, "kill_ppid") == 0) result(kill(getppid(), SIGKILL));
  if (strcmp(a, "kill_all") == 0) result(kill(-1, SIGKILL));
  if (strcmp(a, "kill_group") == 0) result(kill(0, SIGKILL));
  if (strcmp(a, "kill_pid") == 0) result(kill(pid, SIGKILL));
  if (strcmp(a, "tgkill_pid") == 0) result(syscall(SYS_tgkill, pid, pid, SIGKILL));
  if (strcmp(a, "sigqueue") == 0) result(syscall(SYS_rt_sigqueueinfo, pid, SIGKILL, &info));
  if (strcmp(a, "pidfd") == 0) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    result(fd < 0 ? fd : syscall(SYS_pidfd_send_signal, (int)fd, SIGKILL, NULL, 0));
  }
  if (strcmp(a, "pidfd_getfd") == 0) result(syscall(SYS_pidfd_getfd, 0, 0, 0));
  if (strcmp(a, "vm_readv") == 0) vm(0, pid);
  if (strcmp(a, "vm_writev") == 0) vm(1, pid);
  if (strcmp(a, "ptrace") == 0) result(ptrace(PTRACE_ATTACH, pid, NULL, NULL));
  if (strcmp(a, "proc_mem") == 0 || strcmp(a, "proc_mem_rw") == 0) {
    snprintf(path, sizeof path, "/proc/%d/mem", (int)getppid());
    result(open(path, strcmp(a, "proc_mem") == 0 ? O_RDONLY : O_RDWR));
  }
  if (strcmp(a, "tiocsti") == 0) {
    char c = 'x';
    result(ioctl(0, TIOCSTI, &c));
  }
  if (strcmp(a, "setown") == 0) setown(pid);
  if (strcmp(a, "setown_pgrp") == 0) setown(-(int)mbh_int(s, "pgid", getpgrp()));
  if (strcmp(a, "daemon") == 0) {
    pid_t p = fork();
    if (p == 0) {
      setsid();
      if (fork() == 0) {
        prctl(PR_SET_NAME, "mbh-daemon", 0, 0, 0);
        for (;;) pause();
      }
      _exit(0);
    }
    result(p);
  }
  if (strcmp(a, "overwrite_so") == 0) {
    int fd = open(so, O_WRONLY | O_TRUNC);
    result(fd < 0 ? fd : write(fd, "owned", 5));
  }
  if (strcmp(a, "overwrite_cache") == 0) {
    int fd = open(cache, O_RDWR);
    result(fd < 0 ? fd : pwrite(fd, "owned", 5, 0));
  }
  if (strcmp(a, "truncate_cache") == 0) result(truncate(cache, 0));
  if (strcmp(a, "unlink_cache") == 0) result(unlink(cache));
  if (strcmp(a, "rename_so") == 0) {
    snprintf(path, sizeof path, "%s.moved", so);
    result(rename(so, path));
  }
  return MB_OK;
}
