#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <unistd.h>

#include <string>

namespace maskbench::harness::internal {

std::string InstallSandbox() {
  // Default: allow. Forbidden: writing, creating, deleting or renaming files;
  // network sockets; starting programs or processes; signalling other processes.
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return "seccomp_init failed";
  const uint32_t kill = SCMP_ACT_KILL_PROCESS;
  int rc = 0;
  auto add = [&](uint32_t action, int syscall_nr, unsigned count, const scmp_arg_cmp* args) {
    if (syscall_nr < 0) return;  // not on this architecture
    int r = seccomp_rule_add_array(ctx, action, syscall_nr, count, args);
    if (r != 0 && rc == 0) rc = r;
  };
  // open/openat with any write-ish flag.
  for (int flag : {O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND}) {
    scmp_arg_cmp open_flags = SCMP_A1(SCMP_CMP_MASKED_EQ, static_cast<scmp_datum_t>(flag),
                                      static_cast<scmp_datum_t>(flag));
    scmp_arg_cmp openat_flags = SCMP_A2(SCMP_CMP_MASKED_EQ, static_cast<scmp_datum_t>(flag),
                                        static_cast<scmp_datum_t>(flag));
    add(kill, SCMP_SYS(open), 1, &open_flags);
    add(kill, SCMP_SYS(openat), 1, &openat_flags);
  }
  // Any other open (read-only) fails with EACCES: after create() a submission
  // reads no file, so it cannot reach the judge's labels (e.g. through
  // /proc/<parent>/cmdline and the data set's manifest). Weights load in create().
  {
    scmp_arg_cmp read_only = SCMP_A1(SCMP_CMP_MASKED_EQ, static_cast<scmp_datum_t>(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND), 0);
    scmp_arg_cmp read_only_at = SCMP_A2(SCMP_CMP_MASKED_EQ, static_cast<scmp_datum_t>(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND), 0);
    add(SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 1, &read_only);
    add(SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 1, &read_only_at);
  }
  // openat2 passes its flags in a struct the filter cannot read: refuse it (glibc falls back).
  add(SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0, nullptr);
  for (int nr : {SCMP_SYS(creat), SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename),
                 SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(mkdir), SCMP_SYS(mkdirat),
                 SCMP_SYS(rmdir), SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(symlink),
                 SCMP_SYS(symlinkat), SCMP_SYS(truncate), SCMP_SYS(ftruncate), SCMP_SYS(chmod),
                 SCMP_SYS(fchmod), SCMP_SYS(fchmodat), SCMP_SYS(chown), SCMP_SYS(fchown),
                 SCMP_SYS(lchown), SCMP_SYS(fchownat), SCMP_SYS(socket), SCMP_SYS(socketpair),
                 SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork),
                 SCMP_SYS(ptrace), SCMP_SYS(process_vm_writev), SCMP_SYS(tkill),
                 SCMP_SYS(mount), SCMP_SYS(umount2)}) {
    add(kill, nr, 0, nullptr);
  }
  // clone: threads only. clone3 hides its flags in a struct: ENOSYS (glibc falls back to clone).
  scmp_arg_cmp not_thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0);
  add(kill, SCMP_SYS(clone), 1, &not_thread);
  add(SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, nullptr);
  // Signals only to this process.
  scmp_arg_cmp other_pid = SCMP_A0(SCMP_CMP_NE, static_cast<scmp_datum_t>(getpid()));
  add(kill, SCMP_SYS(kill), 1, &other_pid);
  add(kill, SCMP_SYS(tgkill), 1, &other_pid);
  if (rc != 0) {
    seccomp_release(ctx);
    return std::string("seccomp_rule_add failed: ") + strerror(-rc);
  }
  rc = seccomp_load(ctx);
  seccomp_release(ctx);
  if (rc != 0) return std::string("seccomp_load failed: ") + strerror(-rc);
  return "";
}

}  // namespace maskbench::harness::internal
