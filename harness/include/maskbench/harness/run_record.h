// RunRecord: the flat result of running one submission over a set of frames.
//
// One record feeds every reporter (console, --json, --out files, the results
// store). It keeps the settings that were requested apart from the settings in
// effect (e.g. frames clamped to the data set, no memory limit in-process), raw
// per-frame latencies apart from any summary, and a submission's failure as data
// (status + message + failing frame), never as an exception. See docs/runner.md.
//
// Plain values; not internally synchronised.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "maskbench/accelerator.h"

namespace maskbench::harness {

// How a run ended. The names (RunStatusName) are stable: they appear in JSON and
// the results store.
enum class RunStatus {
  kOk,                // "ok": every frame answered with valid output
  kCrashed,           // "crashed": the child died from a signal or exited early
  kTimeout,           // "timeout": a frame, init, or the whole run took too long
  kInvalidOutput,     // "invalid_output": NaN/inf, w or h <= 0, box outside, bad class, too many
  kAbiMismatch,       // "abi_mismatch": the plugin's ABI major differs from the harness's
  kInitFailed,        // "init_failed": create() returned NULL (or threw)
  kLoadFailed,        // "load_failed": not loadable, or no mb_accelerator_entry symbol
  kInferFailed,       // "infer_failed": infer() returned an error code or threw
  kMemoryLimit,       // "memory_limit": an allocation failed under the memory limit
  kSandboxViolation,  // "sandbox_violation": a forbidden system call, or a broken seal
  kHarnessError,      // "harness_error": the harness itself could not run (no runner, no shm)
};

// The stable lower-case name, e.g. "invalid_output".
const char* RunStatusName(RunStatus status);
// The status named `name`, or nullopt.
std::optional<RunStatus> ParseRunStatus(std::string_view name);

// One detection: the ABI's own struct, wherever the harness keeps one.
using Detection = mb_detection_t;

// How frames are offered (docs/runner.md). The names (ScenarioName) are stable.
enum class Scenario {
  kSingleStream,  // "single-stream": one frame at a time, the next after the previous answer
                  // (headline)
  kOffline,       // "offline": frames in batches through maskbench.batch/1; reports frames/s
};
const char* ScenarioName(Scenario scenario);
std::optional<Scenario> ParseScenario(std::string_view name);

// How the child that runs a submission is sealed (docs/runner.md, "The seal").
// The names (SealPolicyName) are stable.
enum class SealPolicy {
  kRequire,     // "require": the full seal, or no run (harness_error)
  kBestEffort,  // "best-effort": the full seal where this machine can make it, else the
                // reduced one (no namespaces), recorded with the reason
  kOff,         // "off": no seal (debugging and the tests that show what the seal stops)
};
const char* SealPolicyName(SealPolicy policy);
std::optional<SealPolicy> ParseSealPolicy(std::string_view name);

// What a run is asked to do. Every field documents its effect and default.
struct RunSettings {
  // Frames run first and not counted (taken from the start of the source). Default: 3.
  int warmup_frames = 3;
  // Frames measured; 0 = all frames of the source. Default: 0.
  int64_t max_frames = 0;
  // Longest one infer round trip may take. Default: 10 s.
  double frame_timeout_s = 10;
  // Longest the whole run (init + warm-up + frames) may take. Default: 3600 s.
  double total_timeout_s = 3600;
  // Longest loading + create() may take. Default: 120 s.
  double init_timeout_s = 120;
  // RLIMIT_AS of the child (its whole address space: runner, plugin, shared
  // memory); 0 = unlimited. Default: 4 GiB.
  uint64_t memory_limit_bytes = 4ull << 30;
  // Most detections per frame; more is invalid_output. Default: 100.
  uint32_t max_detections = 100;
  // How far (pixels) a box may reach outside the frame. Default: 2.
  float box_tolerance_px = 2;
  // Valid class ids; empty = 0, 1, 2 (face-mask). Default: empty.
  std::vector<int> class_ids;
  // Run the plugin inside this process (debugging/profiling only; no isolation,
  // limits or timeouts enforced). Default: false.
  bool in_process = false;
  // How the child is sealed. Default: best-effort.
  SealPolicy seal = SealPolicy::kBestEffort;
  // RLIMIT_NPROC of a sealed child: the threads it may have. Default: 256.
  uint32_t max_threads = 256;
  // Bytes of the child's stderr kept in the record; the rest is only counted.
  // Default: 64 KiB.
  uint64_t stderr_cap_bytes = 64 << 10;
  // Subtracted from each parent round trip to give latency_ns (e.g. the noop
  // plugin's median round trip, measured by the caller); 0 = the raw round
  // trip. Default: 0.
  int64_t overhead_correction_ns = 0;
  // The largest submission folder a seal copies. Default: 4 GiB.
  uint64_t max_submission_bytes = 4ull << 30;
  // The configuration JSON passed to create(). Default: "{}".
  std::string config_json = "{}";
  // SingleStream (default) or Offline.
  Scenario scenario = Scenario::kSingleStream;
  // Offline: most frames per batch call; 0 = 16. The run uses the smallest of
  // this, the plugin's max_batch (when it has maskbench.batch/1) and what fits
  // in 512 MiB of frame slots. Ignored in SingleStream. Default: 0.
  uint32_t batch_size = 0;
};

// The plugin's self-description (maskbench.describe/1), empty when absent;
// sanitized (core/text.h) like all text that comes from a plugin.
struct PluginDescription {
  std::string name, team, version;
};

// What sealed the child, as the parent checked it from outside (never the
// child's word, except landlock_abi).
struct SealReport {
  std::string level = "off";     // "full", "reduced" or "off"
  std::string reason;            // why not full; empty when full
  int64_t uid = -1;              // the child's uid as the judge sees it
  bool namespaces = false;       // user, mnt, pid, net, ipc and uts all differ from the judge's
  bool seccomp = false;          // every thread in seccomp filter mode with the harness's filters
  bool no_new_privs = false;     // every thread
  bool no_capabilities = false;  // every thread: no effective, permitted or ambient capability
  int64_t threads_checked = 0;   // threads seen at the last check
  int landlock_abi = 0;          // the Landlock ABI the runner applied (its own word), <= 0 none
  int64_t startup_ns = 0;        // copying the files + starting the sealed runner, before loading
  // The parent answered every open of the child itself (seccomp user
  // notification): allowed until create() answered, refused (EACCES) after.
  bool open_supervisor = false;
  int64_t opens_refused = 0;  // opens the parent refused after create()
};

struct RunRecord {
  std::string plugin_path;  // the .so that ran
  std::string mode;         // "isolated" or "in-process"
  RunSettings requested;    // as asked
  RunSettings in_effect;    // as applied
  RunStatus status = RunStatus::kOk;
  std::string message;         // empty when ok
  int64_t failing_frame = -1;  // measured-frame index of the failure, -1 = none / not a frame
  int64_t failing_call = -1;   // infer call number (warm-up included) of the failure, -1 = none
  int signal = 0;              // the signal that ended the child, 0 = none
  std::string signal_name;     // e.g. "SIGSEGV"
  std::string plugin_abi;      // "1.0.0", empty when not read
  PluginDescription description;
  // The child's clock disagreed with the parent's: it reported a time above
  // the round trip (impossible: invalid_output), or far below it on more than a
  // tenth of the frames (clock_disagreements).
  bool timing_flagged = false;
  int64_t clock_disagreements = 0;  // frames where the child's time < round trip / 2 - 1 ms
  int64_t warmup_done = 0;          // warm-up calls completed
  // Where latency_ns comes from: "parent_round_trip", "parent_round_trip_minus_noop"
  // (overhead_correction_ns subtracted) or "in_process" (the same process times the call).
  std::string latency_source;
  // Per measured frame, in order; all the same length (frames completed).
  std::vector<int64_t> frame_ids;         // the source's frame ids (COCO image_id)
  std::vector<int64_t> latency_ns;        // the ranked latency, parent clock (latency_source)
  std::vector<int64_t> round_trip_ns;     // the parent's raw request -> answer
  std::vector<int64_t> child_latency_ns;  // the runner's own timing of the call (cross-check)
  std::vector<std::vector<Detection>> detections;
  // Modeled cycles per measured frame, when the plugin has maskbench.cycles/1.
  std::vector<uint64_t> cycles;
  uint64_t clock_hz = 0;  // 0 = no cycle reporting (always 0 in Offline)
  // Energy per measured frame in picojoules, when the plugin has
  // maskbench.energy/1 (with cycles); -1 for a frame it did not report.
  bool energy_extension = false;
  std::vector<double> energy_pj;
  // Optional features the plugin exposes.
  bool batch_extension = false;  // maskbench.batch/1
  uint32_t max_batch = 0;        // its max_batch(), 0 without it
  // Offline only: one entry per measured batch (warm-up batches excluded). In
  // Offline, latency_ns and round_trip_ns per frame are the batch's time divided
  // by its frame count (amortised), so every per-frame array stays aligned.
  std::vector<int64_t> batch_ns;             // the batch's ranked time (as latency_ns)
  std::vector<int64_t> batch_round_trip_ns;  // the parent's raw request -> answer
  std::vector<int64_t> batch_frames;         // frames in the batch
  std::vector<int64_t> batch_child_ns;       // the runner's own timing of the batch call
  SealReport seal;
  std::string stderr_log;     // the child's stderr (sanitized), first stderr_cap_bytes
  uint64_t stderr_bytes = 0;  // bytes the child wrote to stderr and stdout in all

  bool ok() const { return status == RunStatus::kOk; }
  int64_t frames() const { return static_cast<int64_t>(latency_ns.size()); }
};

// Offline throughput: measured frames / (sum of batch_ns) in frames per second;
// nullopt for SingleStream records or with no measured batch.
std::optional<double> OfflineFramesPerSecond(const RunRecord& r);

// The seal report as JSON (all fields).
nlohmann::json SealReportToJson(const SealReport& s);
// The settings as JSON (all fields).
nlohmann::json RunSettingsToJson(const RunSettings& s);
// The whole record as JSON, per-frame arrays included (schema in docs/runner.md).
nlohmann::json RunRecordToJson(const RunRecord& r);

}  // namespace maskbench::harness
