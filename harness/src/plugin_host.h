// PluginHost: loads one plugin .so in the current process, checks its ABI,
// creates the instance and calls infer with harness timing. Internal: used by
// the child runner (maskbench-runner) and by the in-process mode.
// Not thread-safe: one host is driven by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "maskbench/accelerator.h"
#include "shm_protocol.h"

namespace maskbench::harness::internal {

struct HostOutcome {
  ChildResult result = kChildOk;
  int32_t plugin_rc = MB_OK;
  std::string message;  // empty when ok
};

class PluginHost {
 public:
  PluginHost() = default;
  PluginHost(const PluginHost&) = delete;
  PluginHost& operator=(const PluginHost&) = delete;
  // Destroys the instance (if any) and unloads the library.
  ~PluginHost();

  // dlopen + dlsym(mb_accelerator_entry) + version check + describe.
  HostOutcome Load(const std::string& path);
  // entry->create(config, dir); also looks up the cycles and batch extensions.
  HostOutcome Create(const std::string& config_json, const std::string& submission_dir);

  // Calls infer, reading the steady clock right before and after it. Exceptions
  // escaping the plugin become kChildException / kChildOutOfMemory.
  HostOutcome Infer(const mb_frame_t& frame, mb_detection_t* detections, uint32_t capacity,
                    uint32_t* count, int64_t* infer_ns, char* error, size_t error_capacity);

  // Offline: `count` frames at once. With maskbench.batch/1 and count <= max_batch
  // one timed infer_batch call; otherwise one infer call per frame, timed as a
  // whole. Frame i writes at detections + i * capacity, its count in counts[i].
  // On failure *failed_index names the frame when known (else kNoIndex).
  HostOutcome InferBatch(const mb_frame_t* frames, uint32_t count, mb_detection_t* detections,
                         uint32_t capacity, uint32_t* counts, int64_t* infer_ns, char* error,
                         size_t error_capacity, uint32_t* failed_index);

  // Cycles of the last frame when the plugin reports them.
  bool LastCycles(uint64_t* cycles) const;
  // Energy of the last frame (picojoules, finite and >= 0) when the plugin reports it.
  bool LastEnergy(double* picojoules) const;

  // Calls destroy() now (idempotent).
  void Destroy();

  const mb_version_t& version() const { return version_; }
  bool has_cycles() const { return cycles_ != nullptr; }
  bool has_energy() const { return energy_ != nullptr; }
  bool has_batch() const { return batch_ != nullptr; }
  uint32_t max_batch() const { return max_batch_; }
  uint64_t clock_hz() const { return clock_hz_; }
  const std::string& name() const { return name_; }
  const std::string& team() const { return team_; }
  const std::string& plugin_version() const { return plugin_version_; }

 private:
  void* library_ = nullptr;
  const mb_accelerator_entry_t* entry_ = nullptr;
  mb_accelerator_t* instance_ = nullptr;
  const mb_ext_cycles_t* cycles_ = nullptr;
  const mb_ext_energy_t* energy_ = nullptr;  // only with cycles_
  const mb_ext_batch_t* batch_ = nullptr;
  uint32_t max_batch_ = 0;
  mb_version_t version_{0, 0, 0};
  uint64_t clock_hz_ = 0;
  std::string name_, team_, plugin_version_;
};

// "1.2.3"
std::string VersionString(const mb_version_t& v);

// Checks detections against the frame and limits; returns "" when valid, else
// the first problem, e.g. "detection 3: w = -1 is not > 0".
std::string CheckDetections(const mb_detection_t* detections, uint32_t count, uint32_t capacity,
                            int width, int height, float tolerance, const int* class_ids,
                            size_t class_count);

}  // namespace maskbench::harness::internal
