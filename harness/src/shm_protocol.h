// The shared-memory protocol between the harness (parent) and maskbench-runner
// (child). Internal: both sides are built from this one header, so the layout
// only has to agree with itself. See docs/runner.md for the picture.
//
// Two memfds. The control memfd (the child's fd kChildShmFd, mapped read-write
// by both sides; sealed against shrinking and growing, so nothing the child
// does can make the parent's mapping fault) holds, page-aligned:
//   [control page(s)] ShmControl: handshake words, the request, the response,
//                     the init block (plugin path, config, submission dir).
//   [detections]      batch_slots x max_detections mb_detection_t, written by
//                     the plugin (slot i at i * detections_capacity).
//   [batch table]     batch_slots FrameTableEntry (parent -> child) and
//                     batch_slots uint32_t counts (child -> parent).
// The pixels memfd (the child's fd kChildPixelsFd) holds batch_slots frame
// slots of slot_bytes each. The parent maps it read-write, then seals it with
// F_SEAL_FUTURE_WRITE (and SHRINK, GROW, SEAL) before the child starts: the
// child can map it read-only only, and no mprotect, mremap or write() makes
// that writable (a separate file, because a seal covers a whole file and
// mremap could grow a writable control mapping over pixels in the same one).
// SingleStream uses slot 0 and the request fields; Offline (kCmdInferBatch)
// fills frame_count entries of the batch table.
// Handshake: the parent fills the request and increments `request_seq`; the
// child answers, fills the response and sets `response_seq` to the same value.
// While the parent waits for answer n, `response_seq` can only read n - 1 or
// n: any other value means the page was overwritten (the plugin shares the
// runner's memory), and the parent ends the run at once.
// Each side spins briefly, then sleeps on the futex of the word it waits for;
// the other side calls FUTEX_WAKE only when the `*_waiting` flag says someone
// sleeps (seq_cst on both sides makes the flag and the word a Dekker pair).
// Each side also publishes the CPU it waits on: a spinner whose partner sits on
// the same CPU yields instead of burning the slice the partner needs, and the
// parent moves its own thread off the runner's CPU (runner.cc).
// Nothing the child writes here is trusted: the parent reads each answer once
// and checks it (result codes, counts, times, detections).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace maskbench::harness::internal {

inline constexpr uint32_t kShmMagic = 0x4d42524eu;  // "MBRN"
inline constexpr uint32_t kProtocolVersion = 4;
inline constexpr size_t kPageSize = 4096;
inline constexpr size_t kErrorCapacity = 2048;
inline constexpr size_t kPathCapacity = 4096;
inline constexpr size_t kConfigCapacity = 256 * 1024;
inline constexpr size_t kTextCapacity = 256;
// The fd numbers the child finds its inputs at (4 is bubblewrap's info fd).
inline constexpr int kChildShmFd = 3;     // the control memfd (read-write)
inline constexpr int kChildPixelsFd = 5;  // the pixels memfd (sealed: read-only for the child)

enum Command : uint32_t {
  kCmdNone = 0,
  kCmdInit = 1,
  kCmdInfer = 2,
  kCmdQuit = 3,
  kCmdInferBatch = 4,
  kCmdHello = 5,  // first request: answered once the runner has sealed itself
};

// What the child says about the last command.
enum ChildResult : uint32_t {
  kChildOk = 0,
  kChildLoadFailed = 1,   // dlopen or dlsym failed
  kChildAbiMismatch = 2,  // entry version major differs
  kChildInitFailed = 3,   // create() returned NULL / threw
  kChildInferError = 4,   // infer() returned non-zero (plugin_rc holds it)
  kChildException = 5,    // a C++ exception escaped the plugin
  kChildOutOfMemory = 6,  // std::bad_alloc escaped, or MB_ERR_OUT_OF_MEMORY
  kChildBadRequest = 7,   // the request made no sense (a harness bug before the plugin
                          // loads; after, the plugin overwrote the request)
  kChildSealFailed = 8,   // the no-open filter after create() could not be stacked on
                          // every thread (a thread of the plugin diverged its filters)
};

struct alignas(64) ShmControl {
  uint32_t magic;
  uint32_t protocol_version;
  uint64_t total_bytes;  // the control memfd's size
  uint64_t detections_offset;
  uint32_t detections_capacity;
  uint32_t pad0;
  uint64_t pixels_capacity;  // all slots: the pixels memfd's size
  uint32_t batch_slots;      // frames the memory holds (1 for SingleStream)
  uint32_t pad1;
  uint64_t slot_bytes;          // bytes per pixel slot (page multiple)
  uint64_t frame_table_offset;  // FrameTableEntry[batch_slots]
  uint64_t counts_offset;       // uint32_t[batch_slots]

  alignas(64) std::atomic<uint32_t> request_seq;
  std::atomic<uint32_t> child_waiting;
  std::atomic<int32_t> child_cpu;  // the CPU the runner last waited on
  alignas(64) std::atomic<uint32_t> response_seq;
  std::atomic<uint32_t> parent_waiting;
  std::atomic<int32_t> parent_cpu;  // the CPU the parent last waited on

  // Request (parent -> child).
  alignas(64) uint32_t command;
  uint32_t width, height, stride, pixel_format;
  uint64_t sequence;
  uint32_t frame_count;  // kCmdInferBatch: entries of the batch table

  // Response (child -> parent).
  alignas(64) uint32_t result;  // ChildResult
  int32_t plugin_rc;            // the plugin's return code
  uint32_t count;               // detections reported by infer
  uint32_t has_cycles;          // 1 when `cycles` is valid for this frame
  int64_t infer_ns;             // the timed call, runner clock
  uint64_t cycles;
  uint32_t has_energy;  // 1 when `energy_pj` is valid for this frame
  double energy_pj;
  uint32_t failed_index;  // kCmdInferBatch: the batch entry that failed, or kNoIndex
  char error[kErrorCapacity];

  // Init results (child -> parent).
  uint32_t abi_major, abi_minor, abi_revision;
  uint32_t cycles_supported;
  uint64_t clock_hz;
  uint32_t energy_supported;  // 1 when the plugin has maskbench.energy/1 (with cycles)
  uint32_t batch_supported;   // 1 when the plugin has maskbench.batch/1
  uint32_t max_batch;         // its max_batch(), 0 without it
  char name[kTextCapacity], team[kTextCapacity], version[kTextCapacity];
  // The child's word about its seal (the parent checks from outside instead):
  int32_t landlock_abi;       // Landlock ABI applied, <= 0 = none
  int32_t violation_syscall;  // the forbidden call the SIGSYS handler caught, -1 = none

  // Init block (parent -> child), written before the child starts.
  uint64_t memory_limit_bytes;  // RLIMIT_AS, 0 = none
  uint64_t max_threads;         // RLIMIT_NPROC, 0 = none
  uint64_t cpu_seconds;         // RLIMIT_CPU, 0 = none
  uint32_t seal_level;          // SealLevel: 0 off, 1 reduced, 2 full
  char plugin_path[kPathCapacity];
  char submission_dir[kPathCapacity];
  uint32_t config_bytes;
  char config[kConfigCapacity];
};

inline constexpr uint32_t kNoIndex = 0xffffffffu;

// One frame of a batch request: geometry and where its pixels are (byte offset
// from the start of the pixels memfd).
struct FrameTableEntry {
  uint32_t width, height, stride, pixel_format;
  uint64_t offset;
  uint64_t sequence;
};

static_assert(std::atomic<uint32_t>::is_always_lock_free);

inline size_t RoundUpToPage(size_t n) { return (n + kPageSize - 1) / kPageSize * kPageSize; }

// Copies a C string into a fixed buffer, truncating, always NUL-terminated.
void CopyText(char* dst, size_t capacity, const char* src);

// futex(2) on a shared (not private) word.
// Sleeps while *word == expected, at most timeout_ns (< 0: no limit). Returns on wake, change or
// timeout.
void FutexWait(std::atomic<uint32_t>* word, uint32_t expected, int64_t timeout_ns);
void FutexWakeAll(std::atomic<uint32_t>* word);

// Monotonic clock in ns.
int64_t NowNs();

}  // namespace maskbench::harness::internal
