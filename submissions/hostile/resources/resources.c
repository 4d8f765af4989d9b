/* resources: exhausts what a judge machine has (config "create" or "infer").
 *   "threads": "count" (2000) threads with 64 KiB stacks; value = how many it got
 *   "memfd": memfd_create + fallocate 6 GiB
 *   "mmap_bomb": MAP_SHARED | MAP_ANONYMOUS blocks of "chunk_mb" (64), each
 *     touched, up to "max_mb" (8192); value = MiB it got; then one 64 GiB
 *     MAP_NORESERVE mapping
 *   "shmget": a 1 GiB SysV segment
 *   "sched": SCHED_FIFO, sched_setattr(SCHED_FIFO), setpriority -20, raising
 *     RLIMIT_NICE / RLIMIT_RTPRIO; "rlimits": raising AS, NPROC, NOFILE, FSIZE, CPU
 *   "fds": eventfds until refused; value = how many
 *   "stderr": "mib" (256) MiB to stderr; value = MiB written
 *   "connect": TCP to 127.0.0.1:"port" */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ipc.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/socket.h>

#include "hostile.h"

static void result(long r) { mbh_step(r >= 0 ? MBH_SUCCEEDED : MBH_BLOCKED, r >= 0 ? 0 : errno); }

static void* idle(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static void raise_limit(int resource) {
  struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
  result(setrlimit(resource, &r));
}

static int32_t mbh_attack(mbh_state_t* s, const char* a, char* error, size_t capacity) {
  (void)error, (void)capacity;
  if (strcmp(a, "threads") == 0) {
    const long want = mbh_int(s, "count", 2000);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 << 10);
    long made = 0;
    for (pthread_t t; made < want && pthread_create(&t, &attr, idle, NULL) == 0;) ++made;
    mbh_step(made == want ? MBH_SUCCEEDED : MBH_PARTIAL, (uint32_t)made);
  } else if (strcmp(a, "memfd") == 0) {
    long fd = syscall(SYS_memfd_create, "mbh-bomb", 0);
    result(fd < 0 ? fd : fallocate((int)fd, 0, 0, 6ll << 30));
  } else if (strcmp(a, "mmap_bomb") == 0) {
    const size_t chunk = (size_t)mbh_int(s, "chunk_mb", 64) << 20;
    const long max_mb = mbh_int(s, "max_mb", 8192);
    long mb = 0;
    while (mb < max_mb) {
      void* p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) break;
      memset(p, 1, chunk);
      mb += (long)(chunk >> 20);
    }
    mbh_step(mb >= max_mb ? MBH_SUCCEEDED : MBH_PARTIAL, (uint32_t)mb);
    void* huge = mmap(NULL, 64ull << 30, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    result(huge == MAP_FAILED ? -1 : 0);
  } else if (strcmp(a, "shmget") == 0) {
    result(shmget(IPC_PRIVATE, 1ull << 30, IPC_CREAT | 0600));
  } else if (strcmp(a, "sched") == 0) {
    struct sched_param p = {1};
    result(sched_setscheduler(0, SCHED_FIFO, &p));
    uint32_t attr[14] = {56, SCHED_FIFO, 0, 0, 0, 1}; /* size, policy, flags (2), nice, prio */
    result(syscall(SYS_sched_setattr, 0, attr, 0));
    result(setpriority(PRIO_PROCESS, 0, -20));
    struct rlimit nice = {40, 40}, rt = {99, 99};
    result(setrlimit(RLIMIT_NICE, &nice));
    result(setrlimit(RLIMIT_RTPRIO, &rt));
  } else if (strcmp(a, "rlimits") == 0) {
    const int which[] = {RLIMIT_AS, RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_FSIZE, RLIMIT_CPU};
    for (int i = 0; i < 5; ++i) raise_limit(which[i]);
  } else if (strcmp(a, "fds") == 0) {
    uint32_t n = 0;
    while (n < 100000 && eventfd(0, 0) >= 0) ++n;
    mbh_step(MBH_PARTIAL, n);
  } else if (strcmp(a, "stderr") == 0) {
    static char chunk[1 << 20];
    memset(chunk, 'E', sizeof chunk);
    const long mib = mbh_int(s, "mib", 256);
    long written = 0;
    while (written < mib && write(2, chunk, sizeof chunk) == (ssize_t)sizeof chunk) ++written;
    mbh_step(written == mib ? MBH_SUCCEEDED : MBH_PARTIAL, (uint32_t)written);
  } else if (strcmp(a, "connect") == 0) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)mbh_int(s, "port", 1))};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    result(fd < 0 ? fd : connect(fd, (struct sockaddr*)&to, sizeof to));
  }
  return MB_OK;
}
