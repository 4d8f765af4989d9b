/* seccomp-off: tries to switch the runner's seccomp filters off, or to get
 * around them from a thread.
 *
 * constructor (-DMBH_CTOR_ATTACK=...), at dlopen, after the first filter:
 *   "patch_load": the runner's GOT slot of seccomp_load -> "return 0" (the
 *     no-open filter after create() is never loaded);
 *   "patch_rule": seccomp_rule_add -> "return 0" (that filter loads empty:
 *     allow everything).
 * create ("create"): "pad": a filter of its own that allows everything, with
 *   TSYNC (so the count of filters the parent checks looks right);
 *   "thread_socket" / "thread_open_write" / "thread_fork": a thread that waits
 *   for infer call "at_call", then makes that call;
 *   "tsync_break": a thread installs a filter on itself only (the runner's
 *   TSYNC of the next filter can then not succeed);
 *   "listener": a filter of its own that sends openat to a listener of its
 *   own (SECCOMP_FILTER_FLAG_NEW_LISTENER), answered by a thread of its own
 *   with "continue", so that its opens would no longer reach the judge's
 *   supervisor (step: SUCCEEDED if the kernel gave it a listener).
 * infer ("infer"): "open": reads <submission_dir>/submission.json (config
 *   "path"); "socket"; "fork"; "open_write"; "wait": sleeps 300 ms;
 *   "open_x32" / "open_i386": the same open through the x32 system call ABI
 *   (nr | 0x40000000) or the i386 one (int $0x80, path below 4 GiB), which a
 *   filter that checks only the x86-64 numbers would let through. */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "hostile.h"

static int fake_ok(void) { return 0; }

static void try_call(const mbh_state_t* s, const char* what) {
  char path[1200];
  long r = -1;
  if (strcmp(what, "socket") == 0) {
    r = socket(AF_INET, SOCK_STREAM, 0);
  } else if (strcmp(what, "fork") == 0) {
    r = fork();
    if (r == 0) _exit(0);
  } else if (strcmp(what, "open_write") == 0) {
    snprintf(path, sizeof path, "%s/written-by-seccomp-off", s->dir);
    r = open(path, O_WRONLY | O_CREAT, 0644);
  } else if (strcmp(what, "open_x32") == 0 || strcmp(what, "open_i386") == 0) {
#if defined(__x86_64__)
    char name[1100];
    snprintf(name, sizeof name, "%s/submission.json", s->dir);
    /* i386 arguments are 32 bits: the path must live below 4 GiB. */
    char* low = (char*)mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED) {
      mbh_step(MBH_BLOCKED, (uint32_t)errno);
      return;
    }
    snprintf(low, 4096, "%s", name);
    if (what[5] == 'x') {
      r = syscall(0x40000000L | 257 /* x32 openat */, AT_FDCWD, low, O_RDONLY);
    } else {
      long ret;
      __asm__ volatile("int $0x80"
                       : "=a"(ret)
                       : "a"(5L /* i386 open */), "b"((long)(uintptr_t)low), "c"(0L), "d"(0L)
                       : "memory");
      if (ret < 0) errno = (int)-ret;
      r = ret < 0 ? -1 : ret;
    }
    if (r >= 0) {
      char buf[4096];
      ssize_t n = read((int)r, buf, sizeof buf);
      mbh_step(MBH_SUCCEEDED, n > 0 ? (uint32_t)n : 0);
      return;
    }
#else
    errno = ENOSYS;
#endif
  } else if (strcmp(what, "open") == 0) {
    char name[1100];
    snprintf(name, sizeof name, "%s/submission.json", s->dir);
    mbh_str(s, "path", path, sizeof path, name);
    r = open(path, O_RDONLY);
    if (r >= 0) {
      char buf[4096];
      ssize_t n = read((int)r, buf, sizeof buf);
      close((int)r);
      mbh_step(MBH_SUCCEEDED, n > 0 ? (uint32_t)n : 0);
      return;
    }
  }
  mbh_step(r >= 0 ? MBH_SUCCEEDED : MBH_BLOCKED, r >= 0 ? 0 : (uint32_t)errno);
}

static long install_allow_all(unsigned flags) {
  struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog prog = {1, &allow};
  return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

/* Answers every notification of `listener` with "continue". */
static void* own_supervisor(void* arg) {
  const int fd = (int)(intptr_t)arg;
  for (;;) {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
  return NULL;
}

static void install_own_listener(void) {
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
  };
  struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) {
    mbh_step(MBH_BLOCKED, (uint32_t)errno);
    return;
  }
  pthread_t t;
  pthread_create(&t, NULL, own_supervisor, (void*)(intptr_t)fd);
  mbh_step(MBH_SUCCEEDED, (uint32_t)fd);
}

static char thread_call[32];
static volatile int thread_ready;

static void* attack_thread(void* arg) {
  const mbh_state_t* s = (const mbh_state_t*)arg;
  if (strcmp(thread_call, "tsync_break") == 0) {
    long r = install_allow_all(0);
    mbh_step(r == 0 ? MBH_SUCCEEDED : MBH_BLOCKED, r == 0 ? 0 : (uint32_t)errno);
    __atomic_store_n(&thread_ready, 1, __ATOMIC_SEQ_CST);
    for (;;) pause();
  }
  __atomic_store_n(&thread_ready, 1, __ATOMIC_SEQ_CST);
  while ((long)__atomic_load_n(&mbh_calls, __ATOMIC_SEQ_CST) < s->at_call) mbh_sleep_us(1000);
  try_call(s, thread_call);
  for (;;) pause();
  return NULL;
}

static int32_t mbh_attack(mbh_state_t* s, const char* attack, char* error, size_t capacity) {
  (void)error, (void)capacity;
  if (strcmp(attack, "patch_load") == 0 || strcmp(attack, "patch_rule") == 0) {
    int n = mbh_patch_got(attack[6] == 'l' ? "seccomp_load" : "seccomp_rule_add", (void*)fake_ok);
    mbh_step(n > 0 ? MBH_SUCCEEDED : MBH_BLOCKED, (uint32_t)n);
  } else if (strcmp(attack, "listener") == 0) {
    install_own_listener();
  } else if (strcmp(attack, "pad") == 0) {
    long r = install_allow_all(SECCOMP_FILTER_FLAG_TSYNC);
    mbh_step(r == 0 ? MBH_SUCCEEDED : MBH_BLOCKED, r == 0 ? 0 : (uint32_t)errno);
  } else if (strncmp(attack, "thread_", 7) == 0 || strcmp(attack, "tsync_break") == 0) {
    snprintf(thread_call, sizeof thread_call, "%s",
             strncmp(attack, "thread_", 7) == 0 ? attack + 7 : attack);
    pthread_t t;
    if (pthread_create(&t, NULL, attack_thread, s) != 0) {
      mbh_step(MBH_BLOCKED, (uint32_t)errno);
      return MB_OK;
    }
    while (!__atomic_load_n(&thread_ready, __ATOMIC_SEQ_CST)) mbh_sleep_us(100);
  } else if (strcmp(attack, "wait") == 0) {
    mbh_sleep_us(300000);
  } else if (s != NULL) {
    try_call(s, attack);
  }
  return MB_OK;
}
