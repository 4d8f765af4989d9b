#include "maskbench/harness/runner.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "child_process.h"
#include "maskbench/core/text.h"
#include "plugin_host.h"
#include "seal.h"
#include "shm_protocol.h"

namespace maskbench::harness {
namespace {

using internal::NowNs;
namespace fs = std::filesystem;

// How long the parent spins on the response word before sleeping on its futex,
// and the longest single futex sleep (the child's liveness is checked between).
// The long spin is for a plugin whose last answer came within it; after a
// slower answer the parent spins only briefly, since a plugin that runs threads
// on every CPU would lose the parent's CPU to the spin (int8-fast on 2 cores:
// p90 1.38-1.50 ms with a 200 us spin, 0.95-1.01 ms with 10 us).
constexpr int64_t kParentSpinNs = 200'000;
constexpr int64_t kParentShortSpinNs = 10'000;
constexpr int64_t kParentSliceNs = 5'000'000;
// Offline: frames per batch when the settings say 0, the most ever, and the
// most memory the frame slots may take.
constexpr uint32_t kDefaultBatch = 16;
constexpr uint32_t kMaxBatchSlots = 1024;
constexpr size_t kOfflineSlotBudget = size_t{512} << 20;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

std::string Seconds(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%g s", s);
  return b;
}

std::string SignalName(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// Where in the run a failure happened, as text and indices.
struct Position {
  int64_t call;
  int warmup;
  int64_t frame() const { return call < warmup ? -1 : call - warmup; }
  std::string text() const {
    return call < warmup ? "warm-up call " + std::to_string(call)
                         : "frame " + std::to_string(call - warmup);
  }
};

void Fail(RunRecord& r, RunStatus status, const std::string& message, int64_t call, int warmup) {
  r.status = status;
  r.message = message;
  if (call >= 0) {
    r.failing_call = call;
    r.failing_frame = call < warmup ? -1 : call - warmup;
  }
}

// The status of a runner's answer other than ok. The runner shares its address
// space with the plugin, so from the moment the plugin loads every answer is
// the plugin's word: a "bad request" (the parent only sends valid ones) or a
// result code the runner never writes means the plugin overwrote the shared
// control page, and is its fault (invalid_output), never the harness's.
RunStatus StatusOfChildResult(uint32_t result) {
  switch (result) {
    case internal::kChildLoadFailed:
      return RunStatus::kLoadFailed;
    case internal::kChildAbiMismatch:
      return RunStatus::kAbiMismatch;
    case internal::kChildInitFailed:
      return RunStatus::kInitFailed;
    case internal::kChildInferError:
      return RunStatus::kInferFailed;
    case internal::kChildException:
      return RunStatus::kInferFailed;
    case internal::kChildOutOfMemory:
      return RunStatus::kMemoryLimit;
    case internal::kChildSealFailed:
      return RunStatus::kSandboxViolation;
    default:
      return RunStatus::kInvalidOutput;
  }
}

// Fills the in-effect settings shared by both modes and returns the number of
// measured frames.
int64_t ApplySettings(RunRecord& r, const FrameSource& frames) {
  RunSettings& e = r.in_effect;
  const int64_t available = static_cast<int64_t>(frames.size());
  e.max_frames = e.max_frames <= 0 ? available : std::min(e.max_frames, available);
  if (e.warmup_frames < 0) e.warmup_frames = 0;
  if (available == 0) e.warmup_frames = 0;
  if (e.class_ids.empty()) e.class_ids = {0, 1, 2};
  if (e.config_json.empty()) e.config_json = "{}";
  if (e.max_detections == 0) e.max_detections = 1;
  if (e.max_threads == 0) e.max_threads = 1;
  if (e.overhead_correction_ns < 0) e.overhead_correction_ns = 0;
  if (e.scenario == Scenario::kOffline) {
    if (e.batch_size == 0) e.batch_size = kDefaultBatch;
    e.batch_size = std::min(e.batch_size, kMaxBatchSlots);
  } else {
    e.batch_size = 0;
  }
  return e.max_frames;
}

FrameRef FrameForCall(const FrameSource& frames, int64_t call, int warmup) {
  const size_t n = frames.size();
  if (call < warmup) return frames.Get(static_cast<size_t>(call) % n);
  return frames.Get(static_cast<size_t>(call - warmup));
}

// The source's own check of a frame (e.g. a cache checksum) before it is used.
bool CheckFrame(RunRecord& r, const FrameSource& frames, int64_t call, int warmup) {
  const size_t n = frames.size();
  const size_t i =
      call < warmup ? static_cast<size_t>(call) % n : static_cast<size_t>(call - warmup);
  Status st = frames.Check(i);
  if (st.ok()) return true;
  Fail(r, RunStatus::kHarnessError, "frame source: " + st.message(), -1, warmup);
  return false;
}

// The ranked latency of a parent round trip.
int64_t Ranked(const RunSettings& e, int64_t round_trip_ns) {
  return std::max<int64_t>(0, round_trip_ns - e.overhead_correction_ns);
}

// The child's time far below the parent's (a cross-check; the parent's counts).
bool Disagrees(int64_t child_ns, int64_t round_trip_ns) {
  return child_ns < round_trip_ns / 2 && round_trip_ns - child_ns > 1'000'000;
}

void StoreFrame(RunRecord& r, const FrameRef& f, int64_t latency, int64_t rt, int64_t child_ns,
                const mb_detection_t* d, uint32_t count, bool has_cycles, uint64_t cycles,
                bool has_energy = false, double energy_pj = 0) {
  r.frame_ids.push_back(f.frame_id);
  r.latency_ns.push_back(latency);
  r.round_trip_ns.push_back(rt);
  r.child_latency_ns.push_back(child_ns);
  std::vector<Detection> out(count);
  for (uint32_t i = 0; i < count; ++i)
    out[i] = Detection{d[i].x, d[i].y, d[i].w, d[i].h, d[i].class_id, d[i].score};
  r.detections.push_back(std::move(out));
  if (r.clock_hz != 0) r.cycles.push_back(has_cycles ? cycles : 0);
  if (r.energy_extension) r.energy_pj.push_back(has_energy ? energy_pj : -1);
}

// After the last frame: a tenth of the frames or more with a disagreeing
// child clock flags the run's timing (it stays ok: the parent's clock ranks).
void FlagDisagreements(RunRecord& r) {
  const int64_t n = r.frames();
  if (r.clock_disagreements >= 3 && r.clock_disagreements * 10 >= n) r.timing_flagged = true;
}

// Copies a frame's rows into `dst` (stride f.stride).
void CopyFrame(uint8_t* dst, const FrameRef& f) {
  const size_t row = static_cast<size_t>(f.width) * 3;
  if (f.stride == row) {
    std::memcpy(dst, f.data, row * f.height);
  } else {
    for (int y = 0; y < f.height; ++y) std::memcpy(dst + y * f.stride, f.data + y * f.stride, row);
  }
}

// "batch of frames 8-15" / "warm-up batch of calls 0-2".
std::string BatchText(int64_t call, int64_t n, int warmup) {
  if (call < warmup)
    return "warm-up batch of calls " + std::to_string(call) + "-" + std::to_string(call + n - 1);
  return "batch of frames " + std::to_string(call - warmup) + "-" +
         std::to_string(call - warmup + n - 1);
}

// What one batch call answered; filled by a BatchCall.
struct BatchAnswer {
  int64_t child_ns = 0;                        // the runner's own timing of the call
  int64_t round_trip_ns = 0;                   // request -> answer, parent clock
  const mb_detection_t* detections = nullptr;  // frame i at i * capacity
  const uint32_t* counts = nullptr;
};

// Runs frames [call, call + n) as one batch; returns false after recording the
// failure in the record.
using BatchCall = std::function<bool(int64_t call, int64_t n, BatchAnswer* answer)>;

// The Offline loop shared by both modes: batches of at most `batch` frames (a
// batch never mixes warm-up and measured frames), each answer checked frame by
// frame; measured batches stored with amortised per-frame times.
void RunOfflineBatches(RunRecord& r, const FrameSource& frames, int64_t measured, int64_t batch,
                       const BatchCall& run_batch) {
  const RunSettings& e = r.in_effect;
  const int warmup = e.warmup_frames;
  const std::vector<int> classes = e.class_ids;
  const int64_t total = warmup + measured;
  std::vector<mb_detection_t> dets(e.max_detections);
  for (int64_t call = 0; call < total;) {
    const int64_t end =
        std::min(call < warmup ? static_cast<int64_t>(warmup) : total, call + batch);
    const int64_t n = end - call;
    for (int64_t i = 0; i < n; ++i)
      if (!CheckFrame(r, frames, call + i, warmup)) return;
    BatchAnswer answer;
    if (!run_batch(call, n, &answer)) return;
    if (answer.child_ns < 0 || answer.child_ns > answer.round_trip_ns) {
      r.timing_flagged = true;
      Fail(r, RunStatus::kInvalidOutput,
           BatchText(call, n, warmup) + ": the runner's time " + std::to_string(answer.child_ns) +
               " ns exceeds the round trip " + std::to_string(answer.round_trip_ns) +
               " ns (shared memory tampered with?)",
           call, warmup);
      return;
    }
    // Check every frame before storing any, so a bad batch stores nothing.
    for (int64_t i = 0; i < n; ++i) {
      const FrameRef f = FrameForCall(frames, call + i, warmup);
      const uint32_t count = answer.counts[i];
      const uint32_t kept = std::min(count, e.max_detections);
      std::memcpy(dets.data(), answer.detections + i * e.max_detections,
                  kept * sizeof(mb_detection_t));
      const std::string problem =
          internal::CheckDetections(dets.data(), count, e.max_detections, f.width, f.height,
                                    e.box_tolerance_px, classes.data(), classes.size());
      if (!problem.empty()) {
        Fail(r, RunStatus::kInvalidOutput,
             Position{call + i, warmup}.text() + " (in a " + BatchText(call, n, warmup) +
                 "): " + problem,
             call + i, warmup);
        return;
      }
    }
    if (call < warmup) {
      r.warmup_done += n;
    } else {
      const int64_t ranked = Ranked(e, answer.round_trip_ns);
      for (int64_t i = 0; i < n; ++i) {
        const FrameRef f = FrameForCall(frames, call + i, warmup);
        StoreFrame(r, f, ranked / n, answer.round_trip_ns / n, answer.child_ns / n,
                   answer.detections + i * e.max_detections,
                   std::min(answer.counts[i], e.max_detections), false, 0);
      }
      if (Disagrees(answer.child_ns, answer.round_trip_ns)) r.clock_disagreements += n;
      r.batch_ns.push_back(ranked);
      r.batch_round_trip_ns.push_back(answer.round_trip_ns);
      r.batch_child_ns.push_back(answer.child_ns);
      r.batch_frames.push_back(n);
    }
    call = end;
  }
  FlagDisagreements(r);
}

// ---- In-process mode -------------------------------------------------------

void RunInProcess(RunRecord& r, const FrameSource& frames, const fs::path& plugin,
                  const fs::path& dir) {
  RunSettings& e = r.in_effect;
  e.memory_limit_bytes = 0;  // not enforced in this process
  e.seal = SealPolicy::kOff;
  e.overhead_correction_ns = 0;
  r.latency_source = "in_process";
  r.seal.level = "off";
  r.seal.reason = "in-process mode: the plugin runs inside the harness";
  const int64_t measured = ApplySettings(r, frames);
  const int warmup = e.warmup_frames;
  internal::PluginHost host;
  internal::HostOutcome o = host.Load(plugin.string());
  r.plugin_abi =
      host.version().major || host.version().minor ? internal::VersionString(host.version()) : "";
  r.description = {SanitizeText(host.name(), {.max_bytes = 255}),
                   SanitizeText(host.team(), {.max_bytes = 255}),
                   SanitizeText(host.plugin_version(), {.max_bytes = 255})};
  if (o.result == internal::kChildOk) o = host.Create(e.config_json, dir.string());
  if (o.result != internal::kChildOk) {
    Fail(r, StatusOfChildResult(o.result), SanitizeText(o.message), -1, warmup);
    return;
  }
  r.clock_hz = host.has_cycles() ? host.clock_hz() : 0;
  r.energy_extension = host.has_energy();
  r.batch_extension = host.has_batch();
  r.max_batch = host.max_batch();
  char error[internal::kErrorCapacity];
  const int64_t start = NowNs();
  if (e.scenario == Scenario::kOffline) {
    r.clock_hz = 0;  // modeled latency is a SingleStream figure
    if (host.has_batch()) e.batch_size = std::min(e.batch_size, host.max_batch());
    const int64_t batch = e.batch_size;
    std::vector<mb_frame_t> views(batch);
    std::vector<mb_detection_t> out(static_cast<size_t>(batch) * e.max_detections);
    std::vector<uint32_t> counts(batch);
    RunOfflineBatches(
        r, frames, measured, batch, [&](int64_t call, int64_t n, BatchAnswer* answer) {
          for (int64_t i = 0; i < n; ++i) {
            const FrameRef f = FrameForCall(frames, call + i, warmup);
            views[i] = mb_frame_t{f.data,
                                  static_cast<uint32_t>(f.width),
                                  static_cast<uint32_t>(f.height),
                                  static_cast<uint32_t>(f.stride),
                                  f.pixel_format,
                                  static_cast<uint64_t>(call + i)};
          }
          uint32_t failed = internal::kNoIndex;
          const int64_t t0 = NowNs();
          o = host.InferBatch(views.data(), static_cast<uint32_t>(n), out.data(), e.max_detections,
                              counts.data(), &answer->child_ns, error, sizeof error, &failed);
          answer->round_trip_ns = NowNs() - t0;
          answer->child_ns = std::min(answer->child_ns, answer->round_trip_ns);
          if (o.result != internal::kChildOk) {
            const int64_t at = failed < n ? call + failed : call;
            Fail(r, StatusOfChildResult(o.result),
                 BatchText(call, n, warmup) + ": " + SanitizeText(o.message), at, warmup);
            return false;
          }
          if (NowNs() - start > static_cast<int64_t>(e.total_timeout_s * 1e9)) {
            Fail(r, RunStatus::kTimeout,
                 BatchText(call, n, warmup) + ": the run exceeded the total timeout of " +
                     Seconds(e.total_timeout_s),
                 call, warmup);
            return false;
          }
          answer->detections = out.data();
          answer->counts = counts.data();
          return true;
        });
    return;
  }
  const std::vector<int> classes = e.class_ids;
  std::vector<mb_detection_t> buffer(e.max_detections);
  for (int64_t call = 0; call < warmup + measured; ++call) {
    if (!CheckFrame(r, frames, call, warmup)) return;
    const FrameRef f = FrameForCall(frames, call, warmup);
    const mb_frame_t frame{f.data,
                           static_cast<uint32_t>(f.width),
                           static_cast<uint32_t>(f.height),
                           static_cast<uint32_t>(f.stride),
                           f.pixel_format,
                           static_cast<uint64_t>(call)};
    uint32_t count = 0;
    int64_t infer_ns = 0;
    const int64_t t0 = NowNs();
    o = host.Infer(frame, buffer.data(), e.max_detections, &count, &infer_ns, error, sizeof error);
    const int64_t t1 = NowNs();
    const Position at{call, warmup};
    if (o.result != internal::kChildOk) {
      Fail(r, StatusOfChildResult(o.result), at.text() + ": " + SanitizeText(o.message), call,
           warmup);
      return;
    }
    std::string problem =
        internal::CheckDetections(buffer.data(), count, e.max_detections, f.width, f.height,
                                  e.box_tolerance_px, classes.data(), classes.size());
    if (!problem.empty()) {
      Fail(r, RunStatus::kInvalidOutput, at.text() + ": " + problem, call, warmup);
      return;
    }
    uint64_t cycles = 0;
    const bool has_cycles = host.LastCycles(&cycles);
    double energy = 0;
    const bool has_energy = host.LastEnergy(&energy);
    if (call < warmup) {
      ++r.warmup_done;
    } else {
      StoreFrame(r, f, t1 - t0, t1 - t0, std::min(infer_ns, t1 - t0), buffer.data(), count,
                 has_cycles, cycles, has_energy, energy);
    }
    if (t1 - start > static_cast<int64_t>(e.total_timeout_s * 1e9)) {
      Fail(r, RunStatus::kTimeout,
           at.text() + ": the run exceeded the total timeout of " + Seconds(e.total_timeout_s),
           call, warmup);
      return;
    }
  }
}

// ---- Isolated mode ---------------------------------------------------------

// The two memfds the child gets (shm_protocol.h): the control memfd (named
// "maskbench-frames", as it always was: test plugins find it by that name), which both
// map read-write (sealed against shrinking and growing: a child that could
// truncate it would make the parent fault on its own mapping), and the pixels
// memfd, which only the parent can write: it maps it read-write first, then
// seals it with F_SEAL_FUTURE_WRITE, after which no new writable mapping, no
// mprotect to writable and no write() exists for anyone (kernel >= 5.1).
class SharedMemory {
 public:
  ~SharedMemory() {
    for (Region* m : {&control_, &pixels_}) {
      if (m->base != nullptr) munmap(m->base, m->bytes);
      if (m->fd >= 0) close(m->fd);
    }
  }
  Status Create(size_t control_bytes, size_t pixel_bytes) {
    MB_RETURN_IF_ERROR(Make(control_, "maskbench-frames", control_bytes,
                            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
    return Make(pixels_, "maskbench-pixels", pixel_bytes,
                F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  }
  char* control() const { return static_cast<char*>(control_.base); }
  uint8_t* pixels() const { return static_cast<uint8_t*>(pixels_.base); }
  int control_fd() const { return control_.fd; }
  int pixels_fd() const { return pixels_.fd; }

 private:
  struct Region {
    int fd = -1;
    void* base = nullptr;
    size_t bytes = 0;
  };
  static Status Make(Region& m, const char* name, size_t bytes, int seals) {
    m.fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (m.fd < 0) return Status::IOError("memfd_create", strerror(errno));
    if (ftruncate(m.fd, static_cast<off_t>(bytes)) != 0)
      return Status::IOError("ftruncate shared memory", strerror(errno));
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m.fd, 0);
    if (p == MAP_FAILED) return Status::IOError("mmap shared memory", strerror(errno));
    m.base = p;
    m.bytes = bytes;
    // After the parent's own mapping: F_SEAL_FUTURE_WRITE leaves existing
    // writable mappings alone and refuses every later one.
    if (fcntl(m.fd, F_ADD_SEALS, seals) != 0 || fcntl(m.fd, F_GET_SEALS) != seals)
      return Status::IOError(name, std::string("cannot seal the shared memory (F_ADD_SEALS; "
                                               "F_SEAL_FUTURE_WRITE needs Linux 5.1): ") +
                                       strerror(errno));
    return Status::Ok();
  }
  Region control_, pixels_;
};

// Keeps the calling thread off the runner's CPU while it waits (restoring the
// original affinity on destruction), so the two spinning sides do not share a
// core. Only this harness thread moves; the runner and plugin keep every CPU.
class AwayFromRunner {
 public:
  AwayFromRunner() { has_original_ = sched_getaffinity(0, sizeof original_, &original_) == 0; }
  ~AwayFromRunner() {
    if (moved_) sched_setaffinity(0, sizeof original_, &original_);
  }
  void Check(const internal::ShmControl* ctl) {
    if (!has_original_ || CPU_COUNT(&original_) < 2) return;
    const int child = ctl->child_cpu.load(std::memory_order_relaxed);
    if (child < 0 || child >= CPU_SETSIZE || child != sched_getcpu() ||
        !CPU_ISSET(child, &original_))
      return;
    cpu_set_t away = original_;
    CPU_CLR(child, &away);
    if (sched_setaffinity(0, sizeof away, &away) == 0) moved_ = true;
  }

 private:
  cpu_set_t original_;
  bool has_original_ = false;
  bool moved_ = false;
};

// kTampered: the answer word read neither the last answer nor this one (only
// the runner writes it, one answer per request), so something overwrote the
// control page: the plugin, which shares the runner's memory.
enum class Wait { kAnswered, kChildEnded, kTimedOut, kTampered };

// The spin before sleeping for an answer after one that took `last_ns` (0: none yet).
int64_t ParentSpinNs(int64_t last_ns) {
  return last_ns > kParentSpinNs ? kParentShortSpinNs : kParentSpinNs;
}

Wait WaitForResponse(internal::ShmControl* ctl, uint32_t seq, int64_t deadline,
                     internal::ChildProcess& child, int* wait_status, uint32_t* seen,
                     int64_t spin_ns = kParentSpinNs) {
  const int64_t spin_until = NowNs() + spin_ns;
  const int cpu = sched_getcpu();
  ctl->parent_cpu.store(cpu, std::memory_order_relaxed);
  for (;;) {
    const uint32_t got = ctl->response_seq.load(std::memory_order_acquire);
    if (got == seq) return Wait::kAnswered;
    if (got != seq - 1) {
      *seen = got;
      return Wait::kTampered;
    }
    const int64_t now = NowNs();
    if (now < spin_until) {
      // Yield when the runner shares this CPU, else spin (see shm_protocol.h).
      if (ctl->child_cpu.load(std::memory_order_relaxed) == cpu) {
        sched_yield();
      } else {
        CpuRelax();
      }
      continue;
    }
    if (child.Ended(wait_status)) {
      const uint32_t last = ctl->response_seq.load(std::memory_order_acquire);
      return last == seq ? Wait::kAnswered : Wait::kChildEnded;
    }
    if (now >= deadline) return Wait::kTimedOut;
    ctl->parent_waiting.store(1, std::memory_order_seq_cst);
    const uint32_t current = ctl->response_seq.load(std::memory_order_seq_cst);
    if (current != seq)
      internal::FutexWait(&ctl->response_seq, current, std::min(deadline - now, kParentSliceNs));
    ctl->parent_waiting.store(0, std::memory_order_relaxed);
  }
}

void Publish(internal::ShmControl* ctl, uint32_t seq) {
  ctl->request_seq.store(seq, std::memory_order_seq_cst);
  if (ctl->child_waiting.load(std::memory_order_seq_cst) != 0)
    internal::FutexWakeAll(&ctl->request_seq);
}

// "socket (41)" for a system call number.
std::string SyscallText(int32_t nr) {
  char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
  std::string out =
      (name != nullptr ? std::string(name) : "unknown") + " (" + std::to_string(nr) + ")";
  free(name);
  return out;
}

// Status for a child that ended while we waited on `what`.
void ChildEnded(RunRecord& r, const internal::ChildProcess& child, int wait_status,
                int32_t violation_syscall, const std::string& what, int64_t call, int warmup) {
  const internal::ChildProcess::End end = child.Decode(wait_status);
  if (end.signal != 0) {
    const int sig = end.signal;
    r.signal = sig;
    r.signal_name = SignalName(sig);
    if (sig == SIGSYS && r.seal.level != "off") {
      Fail(r, RunStatus::kSandboxViolation,
           what + ": stopped by the seal (SIGSYS): the plugin made a forbidden system call" +
               (violation_syscall >= 0 ? ": " + SyscallText(violation_syscall) : std::string()) +
               " (docs/runner.md lists what a plugin may call)",
           call, warmup);
    } else if (sig == SIGXCPU) {
      Fail(r, RunStatus::kTimeout, what + ": the runner exceeded its CPU time limit (SIGXCPU)",
           call, warmup);
    } else {
      Fail(r, RunStatus::kCrashed,
           what + ": the plugin crashed with " + r.signal_name + " (" + strsignal(sig) + ")", call,
           warmup);
    }
  } else if (end.exit_code >= 0) {
    const int code = end.exit_code;
    Fail(r, RunStatus::kCrashed,
         what + ": the runner process exited with code " + std::to_string(code) +
             (code == 127 ? " (could not start maskbench-runner)" : " (the plugin called exit?)"),
         call, warmup);
  } else {
    Fail(r, RunStatus::kCrashed, what + ": the runner process ended", call, warmup);
  }
}

// The sealed child's paths, for reading its messages in the judge's terms.
struct PathMap {
  std::string child_dir, host_dir;  // the submission folder inside and outside
  std::string Host(std::string text) const {
    if (child_dir.empty() || child_dir == host_dir) return text;
    for (size_t at = text.find(child_dir); at != std::string::npos;
         at = text.find(child_dir, at + host_dir.size()))
      text.replace(at, child_dir.size(), host_dir);
    return text;
  }
};

// Reads the child's error text once, sanitized, with its paths as the judge sees them.
std::string ChildError(internal::ShmControl* ctl, const PathMap& paths) {
  ctl->error[sizeof ctl->error - 1] = '\0';
  return SanitizeText(paths.Host(std::string(ctl->error, strnlen(ctl->error, sizeof ctl->error))));
}

// What a kTampered wait means, for the record.
std::string TamperText(uint32_t seq, uint32_t seen) {
  return "the runner's answer word reads " + std::to_string(seen) +
         " while the parent waits for answer " + std::to_string(seq) +
         ": the shared control page was overwritten (the plugin shares the runner's memory)";
}

// The runner's answer as text for the record: its own message, and for the
// codes only a tampered page produces, what they mean.
std::string AnswerText(internal::ShmControl* ctl, const PathMap& paths, uint32_t result) {
  const std::string text = ChildError(ctl, paths);
  switch (result) {
    case internal::kChildLoadFailed:
    case internal::kChildAbiMismatch:
    case internal::kChildInitFailed:
    case internal::kChildInferError:
    case internal::kChildException:
    case internal::kChildOutOfMemory:
    case internal::kChildSealFailed:
      return text;
    case internal::kChildBadRequest:
      return "the runner answered \"bad request\" (" + text +
             ") to a valid request: the plugin overwrote the shared control page";
    default:
      return "the runner's answer holds no valid result code (" + std::to_string(result) +
             "): the plugin overwrote the shared control page";
  }
}

// The seccomp filters every sealed runner thread has beyond the judge's own:
// the open-supervision filter (installed before exec, child_process.cc), the
// allowlist (before dlopen) and the no-open filter (after create()).
constexpr int kHarnessFilters = 3;

// Looks at the runner from outside and keeps what was seen in the record.
internal::SealObservation ObserveInto(RunRecord& r, const internal::SealPlan& plan,
                                      const internal::ChildProcess& child) {
  const int64_t startup = r.seal.startup_ns;
  const int landlock = r.seal.landlock_abi;
  internal::SealObservation o = internal::ObserveSeal(child.runner_pid(), plan, kHarnessFilters);
  r.seal = o.report;
  r.seal.startup_ns = startup;
  r.seal.landlock_abi = landlock;
  r.seal.open_supervisor = child.supervising_opens();
  r.seal.opens_refused = child.opens_refused();
  return o;
}

// Checks the seal from outside; on failure ends the run as a sandbox violation.
bool SealHolds(RunRecord& r, const internal::SealPlan& plan, const internal::ChildProcess& child,
               const std::string& when) {
  if (plan.level == internal::SealLevel::kOff) return true;
  const internal::SealObservation o = ObserveInto(r, plan, child);
  if (o.ok) return true;
  Fail(r, RunStatus::kSandboxViolation, when + ": the seal check failed: " + o.problem, -1,
       r.in_effect.warmup_frames);
  return false;
}

void RunIsolatedWith(RunRecord& r, const FrameSource& frames, const fs::path& plugin,
                     const fs::path& dir, const fs::path& runner, internal::ChildProcess& child,
                     internal::ShmControl** ctl_out, SharedMemory& shm) {
  RunSettings& e = r.in_effect;
  const int64_t measured = ApplySettings(r, frames);
  const int warmup = e.warmup_frames;
  if (e.config_json.size() >= internal::kConfigCapacity) {
    Fail(r, RunStatus::kHarnessError,
         "the configuration JSON is " + std::to_string(e.config_json.size()) +
             " bytes; the limit is " + std::to_string(internal::kConfigCapacity - 1),
         -1, warmup);
    return;
  }
  // The seal this machine can make, and the files the child sees.
  const internal::SealPlan plan = internal::PlanSeal(e.seal);
  r.seal.level = internal::SealLevelName(plan.level);
  r.seal.reason = plan.reason;
  r.seal.uid = plan.uid;
  if (e.seal == SealPolicy::kRequire && plan.level != internal::SealLevel::kFull) {
    Fail(r, RunStatus::kHarnessError,
         "the full seal cannot be made on this machine: " + plan.reason, -1, warmup);
    return;
  }
  const int64_t start = NowNs();
  internal::Stage stage;
  std::string child_plugin = plugin.string(), child_dir = dir.string();
  if (plan.level != internal::SealLevel::kOff) {
    Result<internal::Stage> staged =
        internal::Stage::Create(dir, plugin, runner, e.max_submission_bytes);
    if (!staged.ok()) {
      Fail(r, RunStatus::kLoadFailed, "cannot seal the submission: " + staged.status().message(),
           -1, warmup);
      return;
    }
    stage = std::move(*staged);
    const fs::path sealed_dir = plan.level == internal::SealLevel::kFull
                                    ? fs::path(internal::kSealedSubmissionDir)
                                    : stage.submission_dir();
    child_dir = sealed_dir.string();
    child_plugin = (sealed_dir / stage.plugin_relative()).string();
  }
  // The host folder the child's folder stands for: the plugin's path less its
  // place inside the staged folder.
  fs::path host_dir = plugin;
  for (auto it = stage.plugin_relative().begin(); it != stage.plugin_relative().end(); ++it)
    host_dir = host_dir.parent_path();
  const PathMap paths{child_dir, host_dir.string()};
  if (child_plugin.size() >= internal::kPathCapacity ||
      child_dir.size() >= internal::kPathCapacity) {
    Fail(r, RunStatus::kHarnessError, "plugin path too long", -1, warmup);
    return;
  }
  // Layout: control | detections | batch table in the control memfd; the pixel
  // slots in their own memfd (as large as the largest frame: one in
  // SingleStream, up to batch_size in Offline).
  size_t pixel_bytes = internal::kPageSize;
  for (int64_t call = 0; call < warmup + measured; ++call) {
    const FrameRef f = FrameForCall(frames, call, warmup);
    pixel_bytes = std::max(pixel_bytes, f.stride * static_cast<size_t>(f.height));
  }
  const size_t slot_bytes = internal::RoundUpToPage(pixel_bytes);
  uint32_t slots = 1;
  if (e.scenario == Scenario::kOffline) {
    slots =
        static_cast<uint32_t>(std::clamp<size_t>(kOfflineSlotBudget / slot_bytes, 1, e.batch_size));
    slots = static_cast<uint32_t>(
        std::min<int64_t>(slots, std::max<int64_t>(1, std::max<int64_t>(warmup, measured))));
    e.batch_size = slots;
  }
  const size_t control_bytes = internal::RoundUpToPage(sizeof(internal::ShmControl));
  const size_t det_bytes =
      internal::RoundUpToPage(sizeof(mb_detection_t) * e.max_detections * slots);
  const size_t table_offset = control_bytes + det_bytes;
  const size_t counts_offset = table_offset + sizeof(internal::FrameTableEntry) * slots;
  const size_t total = internal::RoundUpToPage(counts_offset + sizeof(uint32_t) * slots);
  if (Status s = shm.Create(total, slot_bytes * slots); !s.ok()) {
    Fail(r, RunStatus::kHarnessError, s.message(), -1, warmup);
    return;
  }
  auto* ctl = new (shm.control()) internal::ShmControl();
  *ctl_out = ctl;
  ctl->child_cpu.store(-1);
  ctl->parent_cpu.store(-1);
  ctl->magic = internal::kShmMagic;
  ctl->protocol_version = internal::kProtocolVersion;
  ctl->total_bytes = total;
  ctl->detections_offset = control_bytes;
  ctl->detections_capacity = e.max_detections;
  ctl->pixels_capacity = slot_bytes * slots;
  ctl->batch_slots = slots;
  ctl->slot_bytes = slot_bytes;
  ctl->frame_table_offset = table_offset;
  ctl->counts_offset = counts_offset;
  ctl->memory_limit_bytes = e.memory_limit_bytes;
  ctl->max_threads = e.max_threads;
  {
    cpu_set_t set;
    const int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    ctl->cpu_seconds = static_cast<uint64_t>(e.total_timeout_s * std::max(1, cpus)) + 10;
  }
  ctl->seal_level = static_cast<uint32_t>(plan.level);
  ctl->violation_syscall = -1;
  internal::CopyText(ctl->plugin_path, sizeof ctl->plugin_path, child_plugin.c_str());
  internal::CopyText(ctl->submission_dir, sizeof ctl->submission_dir, child_dir.c_str());
  std::memcpy(ctl->config, e.config_json.data(), e.config_json.size());
  ctl->config[e.config_json.size()] = '\0';
  ctl->config_bytes = static_cast<uint32_t>(e.config_json.size());
  ctl->command = internal::kCmdHello;
  auto* shm_dets = reinterpret_cast<const mb_detection_t*>(shm.control() + control_bytes);
  uint8_t* shm_pixels = shm.pixels();

  const int64_t total_deadline = start + static_cast<int64_t>(e.total_timeout_s * 1e9);
  if (Status s = child.Spawn(plan, &stage, runner.string(), shm.control_fd(), shm.pixels_fd(),
                             e.stderr_cap_bytes);
      !s.ok()) {
    Fail(r, RunStatus::kHarnessError, s.message(), -1, warmup);
    return;
  }
  const int64_t init_deadline =
      std::min(total_deadline, start + static_cast<int64_t>(e.init_timeout_s * 1e9));
  int wait_status = 0;
  uint32_t seq = 1;
  uint32_t seen = 0;  // the answer word of a kTampered wait
  // Hello: answered once the runner has sealed itself (no plugin code yet: any
  // failure here is the harness's).
  Publish(ctl, seq);
  Wait w = WaitForResponse(ctl, seq, init_deadline, child, &wait_status, &seen);
  if (w == Wait::kTampered) {
    child.Kill();
    Fail(r, RunStatus::kHarnessError, "hello: " + TamperText(seq, seen) + " before any plugin code",
         -1, warmup);
    return;
  }
  if (w == Wait::kTimedOut) {
    child.Kill();
    Fail(r, RunStatus::kHarnessError,
         "the sealed runner did not start within " + Seconds(e.init_timeout_s), -1, warmup);
    return;
  }
  if (w == Wait::kChildEnded) {
    child.stderr_log().Finish(200);
    Fail(r, RunStatus::kHarnessError,
         "the sealed runner did not start: " + SanitizeText(child.stderr_log().text()), -1, warmup);
    return;
  }
  if (ctl->result != internal::kChildOk) {
    Fail(r, RunStatus::kHarnessError, ChildError(ctl, paths), -1, warmup);
    child.Reap(1'000'000'000, &wait_status);
    return;
  }
  r.seal.startup_ns = NowNs() - start;
  r.seal.landlock_abi = ctl->landlock_abi;

  ctl->command = internal::kCmdInit;
  ++seq;
  Publish(ctl, seq);
  w = WaitForResponse(ctl, seq, init_deadline, child, &wait_status, &seen);
  // Load and create() are over (or the run is): from here on the supervisor
  // refuses every open, whatever the runner's code (the plugin's now) does.
  child.EndOpenPhase();
  if (w == Wait::kTampered) {
    child.Kill();
    Fail(r, RunStatus::kInvalidOutput, "init: " + TamperText(seq, seen), -1, warmup);
    return;
  }
  if (w == Wait::kTimedOut) {
    child.Kill();
    Fail(r, RunStatus::kTimeout,
         "init: loading and create() took longer than " + Seconds(e.init_timeout_s), -1, warmup);
    return;
  }
  if (w == Wait::kChildEnded) {
    ChildEnded(r, child, wait_status, ctl->violation_syscall, "init", -1, warmup);
    return;
  }
  if (ctl->abi_major || ctl->abi_minor || ctl->abi_revision)
    r.plugin_abi = std::to_string(ctl->abi_major) + "." + std::to_string(ctl->abi_minor) + "." +
                   std::to_string(ctl->abi_revision);
  auto text = [](const char* field, size_t capacity) {
    return SanitizeText(std::string_view(field, strnlen(field, capacity)), {.max_bytes = 255});
  };
  r.description = {text(ctl->name, sizeof ctl->name), text(ctl->team, sizeof ctl->team),
                   text(ctl->version, sizeof ctl->version)};
  if (const uint32_t result = ctl->result; result != internal::kChildOk) {
    std::string message = AnswerText(ctl, paths, result);
    if (result == internal::kChildSealFailed) {
      // The runner's word; what the parent sees from outside goes with it.
      const internal::SealObservation o = ObserveInto(r, plan, child);
      message =
          "after create(): " + message +
          (o.divergence.empty() ? std::string() : " (seen from outside: " + o.divergence + ")");
    }
    Fail(r, StatusOfChildResult(result), message, -1, warmup);
    if (result == internal::kChildSealFailed) {
      child.Kill();  // the runner waits for this (so its threads could be seen)
    } else {
      child.Reap(1'000'000'000, &wait_status);
    }
    return;
  }
  if (!SealHolds(r, plan, child, "after create()")) {
    child.Kill();
    return;
  }
  r.clock_hz = ctl->cycles_supported ? ctl->clock_hz : 0;
  r.energy_extension = r.clock_hz != 0 && ctl->energy_supported != 0;
  r.batch_extension = ctl->batch_supported != 0;
  r.max_batch = r.batch_extension ? ctl->max_batch : 0;

  AwayFromRunner away;
  const int64_t frame_timeout_ns = static_cast<int64_t>(e.frame_timeout_s * 1e9);
  if (e.scenario == Scenario::kOffline) {
    r.clock_hz = 0;  // modeled latency is a SingleStream figure
    if (r.batch_extension)
      e.batch_size = std::max<uint32_t>(1, std::min(e.batch_size, r.max_batch));
    auto* table = reinterpret_cast<internal::FrameTableEntry*>(shm.control() + table_offset);
    const auto* shm_counts = reinterpret_cast<const uint32_t*>(shm.control() + counts_offset);
    std::vector<mb_detection_t> out(static_cast<size_t>(e.batch_size) * e.max_detections);
    std::vector<uint32_t> counts(e.batch_size);
    int64_t last_batch_ns = 0;
    RunOfflineBatches(
        r, frames, measured, e.batch_size, [&](int64_t call, int64_t n, BatchAnswer* answer) {
          const std::string what = BatchText(call, n, warmup);
          for (int64_t i = 0; i < n; ++i) {
            const FrameRef f = FrameForCall(frames, call + i, warmup);
            CopyFrame(shm_pixels + i * slot_bytes, f);
            table[i] = internal::FrameTableEntry{
                static_cast<uint32_t>(f.width),        static_cast<uint32_t>(f.height),
                static_cast<uint32_t>(f.stride),       f.pixel_format,
                static_cast<uint64_t>(i) * slot_bytes, static_cast<uint64_t>(call + i)};
          }
          ctl->command = internal::kCmdInferBatch;
          ctl->frame_count = static_cast<uint32_t>(n);
          ++seq;
          away.Check(ctl);
          const int64_t t0 = NowNs();
          const int64_t deadline = std::min(total_deadline, t0 + frame_timeout_ns * n);
          Publish(ctl, seq);
          w = WaitForResponse(ctl, seq, deadline, child, &wait_status, &seen,
                              ParentSpinNs(last_batch_ns));
          answer->round_trip_ns = NowNs() - t0;
          last_batch_ns = answer->round_trip_ns;
          if (w == Wait::kTampered) {
            child.Kill();
            Fail(r, RunStatus::kInvalidOutput, what + ": " + TamperText(seq, seen), call, warmup);
            return false;
          }
          if (w == Wait::kTimedOut) {
            child.Kill();
            const bool total_hit =
                deadline == total_deadline && t0 + frame_timeout_ns * n > total_deadline;
            Fail(r, RunStatus::kTimeout,
                 what + (total_hit ? ": the run exceeded the total timeout of " +
                                         Seconds(e.total_timeout_s)
                                   : ": no answer within " + std::to_string(n) +
                                         " x the frame timeout of " + Seconds(e.frame_timeout_s)),
                 call, warmup);
            return false;
          }
          if (w == Wait::kChildEnded) {
            ChildEnded(r, child, wait_status, ctl->violation_syscall, what, call, warmup);
            return false;
          }
          // Read the answer once; the child's memory is not trusted.
          const uint32_t result = ctl->result;
          const uint32_t failed = ctl->failed_index;
          answer->child_ns = ctl->infer_ns;
          if (result != internal::kChildOk) {
            Fail(r, StatusOfChildResult(result), what + ": " + AnswerText(ctl, paths, result),
                 failed < n ? call + failed : call, warmup);
            return false;
          }
          std::memcpy(counts.data(), shm_counts, sizeof(uint32_t) * n);
          for (int64_t i = 0; i < n; ++i) {
            const uint32_t kept = std::min(counts[i], e.max_detections);
            std::memcpy(out.data() + i * e.max_detections, shm_dets + i * e.max_detections,
                        kept * sizeof(mb_detection_t));
          }
          answer->detections = out.data();
          answer->counts = counts.data();
          return true;
        });
    if (!r.ok()) return;
  } else {
    const std::vector<int> classes = e.class_ids;
    std::vector<mb_detection_t> dets(e.max_detections);
    int64_t last_rt = 0;  // the previous round trip: how long the parent spins (ParentSpinNs)
    for (int64_t call = 0; call < warmup + measured; ++call) {
      const Position at{call, warmup};
      if (!CheckFrame(r, frames, call, warmup)) return;
      const FrameRef f = FrameForCall(frames, call, warmup);
      // Copy the frame into the slot (outside the timed round trip, like decoding).
      CopyFrame(shm_pixels, f);
      ctl->command = internal::kCmdInfer;
      ctl->width = static_cast<uint32_t>(f.width);
      ctl->height = static_cast<uint32_t>(f.height);
      ctl->stride = static_cast<uint32_t>(f.stride);
      ctl->pixel_format = f.pixel_format;
      ctl->sequence = static_cast<uint64_t>(call);
      ++seq;
      away.Check(ctl);
      const int64_t t0 = NowNs();
      const int64_t deadline = std::min(total_deadline, t0 + frame_timeout_ns);
      Publish(ctl, seq);
      w = WaitForResponse(ctl, seq, deadline, child, &wait_status, &seen, ParentSpinNs(last_rt));
      const int64_t t1 = NowNs();
      last_rt = t1 - t0;
      if (w == Wait::kTampered) {
        child.Kill();
        Fail(r, RunStatus::kInvalidOutput, at.text() + ": " + TamperText(seq, seen), call, warmup);
        return;
      }
      if (w == Wait::kTimedOut) {
        child.Kill();
        const bool total_hit = deadline == total_deadline && t0 + frame_timeout_ns > total_deadline;
        Fail(r, RunStatus::kTimeout,
             at.text() +
                 (total_hit
                      ? ": the run exceeded the total timeout of " + Seconds(e.total_timeout_s)
                      : ": no answer within the frame timeout of " + Seconds(e.frame_timeout_s)),
             call, warmup);
        return;
      }
      if (w == Wait::kChildEnded) {
        ChildEnded(r, child, wait_status, ctl->violation_syscall, at.text(), call, warmup);
        return;
      }
      // Read the answer once; the child's memory is not trusted.
      const uint32_t result = ctl->result;
      const uint32_t count = ctl->count;
      const int64_t child_ns = ctl->infer_ns;
      const bool has_cycles = ctl->has_cycles != 0;
      const uint64_t cycles = ctl->cycles;
      const bool has_energy = ctl->has_energy != 0;
      const double energy_pj = ctl->energy_pj;
      if (result != internal::kChildOk) {
        Fail(r, StatusOfChildResult(result), at.text() + ": " + AnswerText(ctl, paths, result),
             call, warmup);
        return;
      }
      const uint32_t n = std::min(count, e.max_detections);
      std::memcpy(dets.data(), shm_dets, n * sizeof(mb_detection_t));
      std::string problem =
          internal::CheckDetections(dets.data(), count, e.max_detections, f.width, f.height,
                                    e.box_tolerance_px, classes.data(), classes.size());
      if (!problem.empty()) {
        Fail(r, RunStatus::kInvalidOutput, at.text() + ": " + problem, call, warmup);
        return;
      }
      const int64_t rt = t1 - t0;
      if (child_ns < 0 || child_ns > rt) {
        r.timing_flagged = true;
        Fail(r, RunStatus::kInvalidOutput,
             at.text() + ": the runner's time " + std::to_string(child_ns) +
                 " ns exceeds the round trip " + std::to_string(rt) +
                 " ns (shared memory tampered with?)",
             call, warmup);
        return;
      }
      if (call < warmup) {
        ++r.warmup_done;
      } else {
        if (Disagrees(child_ns, rt)) ++r.clock_disagreements;
        StoreFrame(r, f, Ranked(e, rt), rt, child_ns, dets.data(), n, has_cycles, cycles,
                   has_energy && std::isfinite(energy_pj) && energy_pj >= 0, energy_pj);
      }
    }
    FlagDisagreements(r);
  }
  if (!SealHolds(r, plan, child, "after the last frame")) {
    child.Kill();
    return;
  }
  // Orderly shutdown: destroy() in the child, then exit.
  ctl->command = internal::kCmdQuit;
  ++seq;
  Publish(ctl, seq);
  w = WaitForResponse(ctl, seq, NowNs() + 5'000'000'000, child, &wait_status, &seen);
  if (w == Wait::kAnswered) {
    child.Reap(2'000'000'000, &wait_status);
  } else if (w == Wait::kTampered) {
    child.Kill();
    Fail(r, RunStatus::kInvalidOutput, "destroy(): " + TamperText(seq, seen), -1, warmup);
  } else if (w == Wait::kChildEnded) {
    ChildEnded(r, child, wait_status, ctl->violation_syscall, "destroy()", -1, warmup);
  } else {
    child.Kill();
    Fail(r, RunStatus::kTimeout, "destroy(): no answer within 5 s", -1, warmup);
  }
}

void RunIsolated(RunRecord& r, const FrameSource& frames, const fs::path& plugin,
                 const fs::path& dir) {
  Result<fs::path> runner = FindRunnerExecutable();
  if (!runner.ok()) {
    ApplySettings(r, frames);
    Fail(r, RunStatus::kHarnessError, runner.status().message(), -1, r.in_effect.warmup_frames);
    return;
  }
  r.latency_source =
      r.in_effect.overhead_correction_ns > 0 ? "parent_round_trip_minus_noop" : "parent_round_trip";
  SharedMemory shm;
  internal::ChildProcess child;
  internal::ShmControl* ctl = nullptr;
  RunIsolatedWith(r, frames, plugin, dir, *runner, child, &ctl, shm);
  child.Kill();
  if (r.seal.level != "off") {
    r.seal.open_supervisor = child.supervising_opens();
    r.seal.opens_refused = child.opens_refused();
  }
  child.stderr_log().Finish(500);
  r.stderr_bytes = child.stderr_log().bytes();
  r.stderr_log = SanitizeText(child.stderr_log().text(),
                              {.max_bytes = r.in_effect.stderr_cap_bytes, .multiline = true});
}

}  // namespace

Result<fs::path> FindRunnerExecutable() {
  if (const char* env = std::getenv("MASKBENCH_RUNNER"); env != nullptr && *env) {
    fs::path p(env);
    if (access(p.c_str(), X_OK) == 0) return fs::absolute(p);
    return Status::NotFound(p.string(), "MASKBENCH_RUNNER does not name an executable");
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return Status::IOError("/proc/self/exe", ec.message());
  for (const fs::path& dir : {self.parent_path(), self.parent_path().parent_path()}) {
    const fs::path candidate = dir / "maskbench-runner";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return Status::NotFound((self.parent_path() / "maskbench-runner").string(),
                          "the runner executable is missing (build the maskbench-runner target, or "
                          "set MASKBENCH_RUNNER)");
}

SealSupport ProbeSeal() {
  const internal::SealPlan plan = internal::PlanSeal(SealPolicy::kRequire);
  return {plan.level == internal::SealLevel::kFull, plan.reason};
}

RunRecord RunPlugin(const fs::path& plugin, const FrameSource& frames, const RunSettings& settings,
                    const fs::path& submission_dir) {
  RunRecord r;
  std::error_code ec;
  const fs::path abs_plugin = fs::absolute(plugin, ec);
  r.plugin_path = abs_plugin.string();
  r.mode = settings.in_process ? "in-process" : "isolated";
  r.requested = settings;
  r.in_effect = settings;
  const fs::path dir =
      submission_dir.empty() ? abs_plugin.parent_path() : fs::absolute(submission_dir, ec);
  if (frames.size() == 0) {
    Fail(r, RunStatus::kHarnessError, "no frames to run", -1, 0);
    return r;
  }
  if (settings.in_process) {
    RunInProcess(r, frames, abs_plugin, dir);
  } else {
    RunIsolated(r, frames, abs_plugin, dir);
  }
  return r;
}

RunRecord RunSubmission(const Submission& submission, const FrameSource& frames,
                        RunSettings settings) {
  if (settings.config_json.empty() || settings.config_json == "{}")
    settings.config_json = submission.config_json;
  return RunPlugin(submission.plugin, frames, settings, submission.dir);
}

}  // namespace maskbench::harness
