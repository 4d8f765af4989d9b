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
  kSandboxViolation,  // "sandbox_violation": killed by seccomp (e.g. tried to write a file)
  kHarnessError,      // "harness_error": the harness itself could not run (no runner, no shm)
};

// The stable lower-case name, e.g. "invalid_output".
const char* RunStatusName(RunStatus status);
// The status named `name`, or nullopt.
std::optional<RunStatus> ParseRunStatus(std::string_view name);

// One detection as the harness stores it (mirrors mb_detection_t).
struct Detection {
  float x = 0, y = 0, w = 0, h = 0;
  int class_id = 0;
  float score = 0;
};

// How frames are offered (design.md §4). The names (ScenarioName) are stable.
enum class Scenario {
  kSingleStream,  // "single-stream": one frame at a time, the next after the previous answer
                  // (headline)
  kOffline,       // "offline": frames in batches through maskbench.batch/1; reports frames/s
};
const char* ScenarioName(Scenario scenario);
std::optional<Scenario> ParseScenario(std::string_view name);

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
  // Install the seccomp filter in the child after create(). Default: true.
  bool sandbox = true;
  // The configuration JSON passed to create(). Default: "{}".
  std::string config_json = "{}";
  // SingleStream (default) or Offline.
  Scenario scenario = Scenario::kSingleStream;
  // Offline: most frames per batch call; 0 = 16. The run uses the smallest of
  // this, the plugin's max_batch (when it has maskbench.batch/1) and what fits
  // in 512 MiB of frame slots. Ignored in SingleStream. Default: 0.
  uint32_t batch_size = 0;
};

// The plugin's self-description (maskbench.describe/1), empty when absent.
struct PluginDescription {
  std::string name, team, version;
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
  bool timing_flagged = false;  // a runner-reported time exceeded its round trip
  int64_t warmup_done = 0;      // warm-up calls completed
  // Per measured frame, in order; all the same length (frames completed).
  std::vector<int64_t> frame_ids;      // the source's frame ids (COCO image_id)
  std::vector<int64_t> latency_ns;     // the timed infer call (runner clock)
  std::vector<int64_t> round_trip_ns;  // the parent's request -> answer
  std::vector<std::vector<Detection>> detections;
  // Modeled cycles per measured frame, when the plugin has maskbench.cycles/1.
  std::vector<uint64_t> cycles;
  uint64_t clock_hz = 0;  // 0 = no cycle reporting (always 0 in Offline)
  // Optional features the plugin exposes.
  bool batch_extension = false;  // maskbench.batch/1
  uint32_t max_batch = 0;        // its max_batch(), 0 without it
  // Offline only: one entry per measured batch (warm-up batches excluded). In
  // Offline, latency_ns and round_trip_ns per frame are the batch's time divided
  // by its frame count (amortised), so every per-frame array stays aligned.
  std::vector<int64_t> batch_ns;             // the timed infer_batch (or infer loop), runner clock
  std::vector<int64_t> batch_round_trip_ns;  // the parent's request -> answer
  std::vector<int64_t> batch_frames;         // frames in the batch

  bool ok() const { return status == RunStatus::kOk; }
  int64_t frames() const { return static_cast<int64_t>(latency_ns.size()); }
};

// Offline throughput: measured frames / (sum of batch_ns) in frames per second;
// nullopt for SingleStream records or with no measured batch.
std::optional<double> OfflineFramesPerSecond(const RunRecord& r);

// The settings as JSON (all fields).
nlohmann::json RunSettingsToJson(const RunSettings& s);
// The whole record as JSON, per-frame arrays included (schema in docs/runner.md).
nlohmann::json RunRecordToJson(const RunRecord& r);

}  // namespace maskbench::harness
