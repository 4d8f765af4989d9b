// maskbench-runner: the child side of the isolated runner. Started by the
// harness (never by hand) with the control memfd as fd 3 and the pixels memfd
// as fd 5; loads the plugin, answers init/infer/quit requests, times every
// infer call. See docs/runner.md. Everything here before dlopen is trusted;
// everything after can be patched by the plugin (it shares this address
// space), so no guarantee may rest on it: the parent checks from outside.
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "plugin_host.h"
#include "sandbox.h"
#include "shm_protocol.h"

namespace mbi = maskbench::harness::internal;

namespace {

// How long the runner spins on the request word before sleeping on its futex:
// about twice the last gap between an answer and the next request (the
// parent's frame copy and checks), at least kMinSpinNs and at most kMaxSpinNs.
// Rationale: a spinning runner sees the request within ~0.1 us; a sleeping one
// needs a futex wake-up, which costs 5-500 us on a busy machine.
constexpr int64_t kMinSpinNs = 300'000;
constexpr int64_t kMaxSpinNs = 5'000'000;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Waits for a request after `last`; `answered_at` is when the last answer went
// out (0 before the first) and `spin_ns` the adaptive spin budget it updates.
uint32_t WaitForRequest(mbi::ShmControl* ctl, uint32_t last, int64_t answered_at,
                        int64_t* spin_ns) {
  const int64_t start = mbi::NowNs();
  const int64_t spin_until = start + *spin_ns;
  const int cpu = sched_getcpu();
  ctl->child_cpu.store(cpu, std::memory_order_relaxed);
  uint32_t seq;
  for (;;) {
    seq = ctl->request_seq.load(std::memory_order_acquire);
    if (seq != last) break;
    const int64_t now = mbi::NowNs();
    if (now < spin_until) {
      // Yield when the parent shares this CPU (it cannot publish while we
      // spin on its core); otherwise spin.
      if (ctl->parent_cpu.load(std::memory_order_relaxed) == cpu) {
        sched_yield();
      } else {
        CpuRelax();
      }
      continue;
    }
    ctl->child_waiting.store(1, std::memory_order_seq_cst);
    seq = ctl->request_seq.load(std::memory_order_seq_cst);
    if (seq == last) mbi::FutexWait(&ctl->request_seq, last, -1);
    ctl->child_waiting.store(0, std::memory_order_relaxed);
  }
  if (answered_at != 0) {
    const int64_t gap = mbi::NowNs() - answered_at;
    *spin_ns = std::clamp<int64_t>(2 * gap, kMinSpinNs, kMaxSpinNs);
  }
  return seq;
}

void Answer(mbi::ShmControl* ctl, uint32_t seq) {
  ctl->response_seq.store(seq, std::memory_order_seq_cst);
  if (ctl->parent_waiting.load(std::memory_order_seq_cst) != 0)
    mbi::FutexWakeAll(&ctl->response_seq);
}

void SetResult(mbi::ShmControl* ctl, const mbi::HostOutcome& o) {
  ctl->result = o.result;
  ctl->plugin_rc = o.plugin_rc;
  mbi::CopyText(ctl->error, sizeof ctl->error, o.message.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 || std::strcmp(argv[1], "--shm-fd") != 0 ||
      std::strcmp(argv[3], "--pixels-fd") != 0) {
    std::fprintf(stderr,
                 "maskbench-runner: started by the maskbench harness only (usage: --shm-fd N "
                 "--pixels-fd M)\n");
    return 2;
  }
  const int fd = std::atoi(argv[2]);
  const int pixels_fd = std::atoi(argv[4]);
  struct stat st, pst;
  if (fstat(fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(mbi::ShmControl)) ||
      fstat(pixels_fd, &pst) != 0) {
    std::fprintf(stderr, "maskbench-runner: fds %d and %d are not the harness's shared memory\n",
                 fd, pixels_fd);
    return 2;
  }
  // Control + detections + batch table read-write (the whole control memfd);
  // the pixel slots read-only, from a memfd the parent sealed against every
  // new writable mapping (checked here: the seal is what makes it read-only).
  auto* header = static_cast<mbi::ShmControl*>(
      mmap(nullptr, sizeof(mbi::ShmControl), PROT_READ, MAP_SHARED, fd, 0));
  if (header == MAP_FAILED || header->magic != mbi::kShmMagic ||
      header->protocol_version != mbi::kProtocolVersion ||
      header->total_bytes != static_cast<uint64_t>(st.st_size) ||
      header->pixels_capacity != static_cast<uint64_t>(pst.st_size)) {
    std::fprintf(stderr, "maskbench-runner: shared memory header does not match this runner\n");
    return 2;
  }
  const size_t control_total = header->total_bytes;
  const size_t pixels_capacity = header->pixels_capacity;
  munmap(header, sizeof(mbi::ShmControl));
  const int pixel_seals = fcntl(pixels_fd, F_GET_SEALS);
  if (pixel_seals < 0 || (pixel_seals & F_SEAL_FUTURE_WRITE) == 0) {
    std::fprintf(stderr, "maskbench-runner: the pixels memfd is not sealed against writing\n");
    return 2;
  }
  void* rw = mmap(nullptr, control_total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  void* ro = mmap(nullptr, pixels_capacity, PROT_READ, MAP_SHARED, pixels_fd, 0);
  close(fd);
  close(pixels_fd);
  if (rw == MAP_FAILED || ro == MAP_FAILED) {
    std::perror("maskbench-runner: mmap");
    return 2;
  }
  auto* ctl = static_cast<mbi::ShmControl*>(rw);
  auto* detections =
      reinterpret_cast<mb_detection_t*>(static_cast<char*>(rw) + ctl->detections_offset);
  const auto* pixels = static_cast<const uint8_t*>(ro);

  // Sleeps and timers in the child wake on time (default slack is 50 us).
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  ctl->violation_syscall = -1;
  ctl->landlock_abi = 0;
  // The seal, before any submission code runs (dlopen runs its constructors):
  // limits, Landlock, then the seccomp allowlist on every thread (TSYNC).
  std::string seal_error;
  const uint32_t level = ctl->seal_level;
  if (level != 0) {
    mbi::ChildLimits limits;
    limits.memory_bytes = ctl->memory_limit_bytes;
    limits.max_threads = ctl->max_threads;
    limits.cpu_seconds = ctl->cpu_seconds;
    seal_error = mbi::ApplyLimits(limits);
    if (seal_error.empty()) {
      ctl->submission_dir[mbi::kPathCapacity - 1] = '\0';
      char self[mbi::kPathCapacity] = "";
      const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
      if (n > 0) self[n] = '\0';
      std::vector<std::string> paths = {"/usr",
                                        "/bin",
                                        "/sbin",
                                        "/lib",
                                        "/lib32",
                                        "/lib64",
                                        "/libx32",
                                        "/etc/ld.so.cache",
                                        "/etc/alternatives",
                                        "/dev/null",
                                        "/dev/zero",
                                        "/dev/urandom",
                                        "/dev/random",
                                        ctl->submission_dir,
                                        self};
      if (level == 2) paths.push_back("/proc");  // the sandbox's own: its pid namespace only
      int abi = 0;
      seal_error = mbi::InstallLandlock(paths, &abi);
      ctl->landlock_abi = abi;
    }
    if (seal_error.empty()) seal_error = mbi::InstallAllowlist(getpid(), &ctl->violation_syscall);
  } else {
    rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (ctl->memory_limit_bytes != 0) {
      rlimit as{ctl->memory_limit_bytes, ctl->memory_limit_bytes};
      setrlimit(RLIMIT_AS, &as);
    }
  }

  mbi::PluginHost host;
  uint32_t last = 0;
  int64_t answered_at = 0;
  int64_t spin_ns = kMinSpinNs;
  bool created = false;
  bool hello_done = false;
  char error[mbi::kErrorCapacity];
  // The frames of a batch request (allocated before the sandbox, never resized).
  std::vector<mb_frame_t> batch_frames(std::max<uint32_t>(1, ctl->batch_slots));
  for (;;) {
    const uint32_t seq = WaitForRequest(ctl, last, answered_at, &spin_ns);
    last = seq;
    const uint32_t command = ctl->command;
    if (command == mbi::kCmdHello && !hello_done) {
      hello_done = true;
      if (!seal_error.empty()) {
        SetResult(ctl, {mbi::kChildBadRequest, 0, "cannot seal the runner: " + seal_error});
        Answer(ctl, seq);
        _exit(0);
      }
      SetResult(ctl, {});
      Answer(ctl, seq);
    } else if (command == mbi::kCmdInit && hello_done && !created) {
      ctl->config[mbi::kConfigCapacity - 1] = '\0';
      ctl->plugin_path[mbi::kPathCapacity - 1] = '\0';
      ctl->submission_dir[mbi::kPathCapacity - 1] = '\0';
      mbi::HostOutcome o = host.Load(ctl->plugin_path);
      ctl->abi_major = host.version().major;
      ctl->abi_minor = host.version().minor;
      ctl->abi_revision = host.version().revision;
      mbi::CopyText(ctl->name, sizeof ctl->name, host.name().c_str());
      mbi::CopyText(ctl->team, sizeof ctl->team, host.team().c_str());
      mbi::CopyText(ctl->version, sizeof ctl->version, host.plugin_version().c_str());
      if (o.result == mbi::kChildOk) {
        o = host.Create(std::string(ctl->config, strnlen(ctl->config, ctl->config_bytes)),
                        ctl->submission_dir);
      }
      ctl->cycles_supported = host.has_cycles() ? 1 : 0;
      ctl->clock_hz = host.clock_hz();
      ctl->energy_supported = host.has_energy() ? 1 : 0;
      ctl->batch_supported = host.has_batch() ? 1 : 0;
      ctl->max_batch = host.max_batch();
      // create() has read its files: from here on, nothing is opened. (The
      // parent's open supervisor refuses every open from now on whatever
      // happens here: this filter is a second line, and its count is checked
      // from outside.)
      if (o.result == mbi::kChildOk && level != 0) {
        std::string why = mbi::InstallNoOpenFilter();
        if (!why.empty()) {
          o.result = mbi::kChildSealFailed;
          o.message = "cannot stack the no-open seccomp filter: " + why;
        }
      }
      created = o.result == mbi::kChildOk;
      SetResult(ctl, o);
      Answer(ctl, seq);
      // A seal failure waits for the parent to look (it kills the runner).
      if (!created && o.result != mbi::kChildSealFailed) _exit(0);
    } else if (command == mbi::kCmdInfer && created) {
      const uint32_t width = ctl->width, height = ctl->height, stride = ctl->stride;
      if (width == 0 || height == 0 || stride < 3ull * width ||
          static_cast<uint64_t>(stride) * height > pixels_capacity + stride) {
        SetResult(ctl, {mbi::kChildBadRequest, 0, "bad frame geometry in the request"});
        Answer(ctl, seq);
        continue;
      }
      const mb_frame_t frame{pixels, width, height, stride, ctl->pixel_format, ctl->sequence};
      uint32_t count = 0;
      int64_t ns = 0;
      mbi::HostOutcome o =
          host.Infer(frame, detections, ctl->detections_capacity, &count, &ns, error, sizeof error);
      uint64_t cycles = 0;
      const bool has_cycles = o.result == mbi::kChildOk && host.LastCycles(&cycles);
      ctl->infer_ns = ns;
      ctl->count = count;
      ctl->cycles = cycles;
      ctl->has_cycles = has_cycles ? 1 : 0;
      double energy = 0;
      ctl->has_energy = o.result == mbi::kChildOk && host.LastEnergy(&energy) ? 1 : 0;
      ctl->energy_pj = energy;
      SetResult(ctl, o);
      Answer(ctl, seq);
      answered_at = mbi::NowNs();
    } else if (command == mbi::kCmdInferBatch && created) {
      // Read the request once; check every entry against the layout.
      const uint32_t n = ctl->frame_count;
      const uint32_t slots = ctl->batch_slots;
      const uint64_t slot_bytes = ctl->slot_bytes;
      const auto* table = reinterpret_cast<const mbi::FrameTableEntry*>(static_cast<char*>(rw) +
                                                                        ctl->frame_table_offset);
      auto* counts = reinterpret_cast<uint32_t*>(static_cast<char*>(rw) + ctl->counts_offset);
      bool bad = n == 0 || n > slots || n > batch_frames.size();
      for (uint32_t i = 0; i < n && !bad; ++i) {
        const mbi::FrameTableEntry e = table[i];
        bad = e.width == 0 || e.height == 0 || e.stride < 3ull * e.width ||
              e.offset % mbi::kPageSize != 0 ||
              e.offset + static_cast<uint64_t>(e.stride) * e.height > pixels_capacity ||
              static_cast<uint64_t>(e.stride) * e.height > slot_bytes;
        if (!bad)
          batch_frames[i] = mb_frame_t{pixels + e.offset, e.width,        e.height,
                                       e.stride,          e.pixel_format, e.sequence};
      }
      if (bad) {
        SetResult(ctl, {mbi::kChildBadRequest, 0, "bad batch request (frame count or geometry)"});
        Answer(ctl, seq);
        continue;
      }
      int64_t ns = 0;
      uint32_t failed = mbi::kNoIndex;
      mbi::HostOutcome o =
          host.InferBatch(batch_frames.data(), n, detections, ctl->detections_capacity, counts, &ns,
                          error, sizeof error, &failed);
      ctl->infer_ns = ns;
      ctl->failed_index = failed;
      ctl->has_cycles = 0;
      ctl->has_energy = 0;
      SetResult(ctl, o);
      Answer(ctl, seq);
      answered_at = mbi::NowNs();
    } else if (command == mbi::kCmdQuit) {
      host.Destroy();
      SetResult(ctl, {});
      Answer(ctl, seq);
      std::fflush(nullptr);
      _exit(0);
    } else {
      SetResult(ctl, {mbi::kChildBadRequest, 0, "unexpected command " + std::to_string(command)});
      Answer(ctl, seq);
    }
  }
}
