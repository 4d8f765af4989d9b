#include "plugin_host.h"

#include <dlfcn.h>
#include <time.h>

#include <cmath>
#include <cstring>
#include <exception>
#include <new>
#include <string>

namespace maskbench::harness::internal {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void CopyText(char* dst, size_t capacity, const char* src) {
  if (capacity == 0) return;
  size_t n = src ? std::strlen(src) : 0;
  if (n >= capacity) n = capacity - 1;
  if (n) std::memcpy(dst, src, n);
  dst[n] = '\0';
}

std::string VersionString(const mb_version_t& v) {
  return std::to_string(v.major) + "." + std::to_string(v.minor) + "." + std::to_string(v.revision);
}

PluginHost::~PluginHost() {
  Destroy();
  // The library stays loaded: a plugin's threads or atexit handlers may still
  // point into it, and unloading buys nothing in a short-lived process.
}

void PluginHost::Destroy() {
  if (instance_ != nullptr && instance_->destroy != nullptr) {
    mb_accelerator_t* a = instance_;
    instance_ = nullptr;
    try {
      a->destroy(a);
    } catch (...) {
    }
  }
  instance_ = nullptr;
}

HostOutcome PluginHost::Load(const std::string& path) {
  HostOutcome out;
  dlerror();
  library_ = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (library_ == nullptr) {
    const char* e = dlerror();
    out.result = kChildLoadFailed;
    out.message = std::string("cannot load ") + path + ": " + (e ? e : "unknown dlopen error");
    return out;
  }
  void* sym = dlsym(library_, MB_ENTRY_SYMBOL);
  if (sym == nullptr) {
    out.result = kChildLoadFailed;
    out.message = path + ": no exported symbol " MB_ENTRY_SYMBOL
                         " (is it a maskbench plugin, built with the version script?)";
    return out;
  }
  entry_ = static_cast<const mb_accelerator_entry_t*>(sym);
  version_ = entry_->version;
  if (!mb_version_is_compatible(version_)) {
    out.result = kChildAbiMismatch;
    out.message = "plugin ABI " + VersionString(version_) + " is not compatible with harness ABI " +
                  VersionString(mb_version_t MB_ABI_VERSION_INIT) + " (major versions differ)";
    return out;
  }
  if (entry_->create == nullptr) {
    out.result = kChildLoadFailed;
    out.message = path + ": " MB_ENTRY_SYMBOL ".create is NULL";
    return out;
  }
  if (entry_->get_extension != nullptr) {
    try {
      auto* d = static_cast<const mb_ext_describe_t*>(entry_->get_extension(MB_EXT_DESCRIBE));
      if (d != nullptr) {
        name_ = d->name ? d->name : "";
        team_ = d->team ? d->team : "";
        plugin_version_ = d->version ? d->version : "";
      }
    } catch (...) {
    }
  }
  return out;
}

HostOutcome PluginHost::Create(const std::string& config_json, const std::string& submission_dir) {
  HostOutcome out;
  char error[kErrorCapacity] = "";
  try {
    instance_ = entry_->create(config_json.c_str(), submission_dir.c_str(), error, sizeof error);
  } catch (const std::bad_alloc&) {
    out.result = kChildOutOfMemory;
    out.message = "create() threw std::bad_alloc";
    return out;
  } catch (const std::exception& e) {
    out.result = kChildInitFailed;
    out.message = std::string("create() threw a C++ exception: ") + e.what();
    return out;
  } catch (...) {
    out.result = kChildInitFailed;
    out.message = "create() threw an unknown C++ exception";
    return out;
  }
  error[sizeof error - 1] = '\0';
  if (instance_ == nullptr) {
    out.result = kChildInitFailed;
    out.message = std::string("create() failed: ") + (error[0] ? error : "(no message)");
    return out;
  }
  if (instance_->infer == nullptr || instance_->destroy == nullptr) {
    instance_ = nullptr;
    out.result = kChildInitFailed;
    out.message = "create() returned an instance without infer or destroy";
    return out;
  }
  if (!mb_version_is_compatible(instance_->version)) {
    out.result = kChildAbiMismatch;
    out.message = "instance ABI " + VersionString(instance_->version) +
                  " is not compatible with harness ABI " +
                  VersionString(mb_version_t MB_ABI_VERSION_INIT) + " (major versions differ)";
    return out;
  }
  if (instance_->get_extension != nullptr) {
    try {
      cycles_ =
          static_cast<const mb_ext_cycles_t*>(instance_->get_extension(instance_, MB_EXT_CYCLES));
      if (cycles_ != nullptr &&
          (cycles_->last_frame_cycles == nullptr || cycles_->clock_hz == nullptr))
        cycles_ = nullptr;
      if (cycles_ != nullptr) clock_hz_ = cycles_->clock_hz(instance_);
      if (clock_hz_ == 0) cycles_ = nullptr;
    } catch (...) {
      cycles_ = nullptr;
      clock_hz_ = 0;
    }
    try {
      energy_ = cycles_ == nullptr ? nullptr
                                   : static_cast<const mb_ext_energy_t*>(
                                         instance_->get_extension(instance_, MB_EXT_ENERGY));
      if (energy_ != nullptr && energy_->last_frame_energy_pj == nullptr) energy_ = nullptr;
    } catch (...) {
      energy_ = nullptr;
    }
    try {
      batch_ =
          static_cast<const mb_ext_batch_t*>(instance_->get_extension(instance_, MB_EXT_BATCH));
      if (batch_ != nullptr && (batch_->max_batch == nullptr || batch_->infer_batch == nullptr))
        batch_ = nullptr;
      if (batch_ != nullptr) max_batch_ = batch_->max_batch(instance_);
      if (max_batch_ == 0) batch_ = nullptr;
    } catch (...) {
      batch_ = nullptr;
      max_batch_ = 0;
    }
  }
  return out;
}

namespace {

// Calls fn() between two clock reads; exceptions escaping the plugin become
// kChildException / kChildOutOfMemory naming `what`.
template <typename Fn>
HostOutcome TimedCall(const char* what, int64_t* ns, Fn&& fn) {
  HostOutcome out;
  int64_t t0 = 0;
  int64_t t1 = 0;
  try {
    t0 = NowNs();
    fn();
    t1 = NowNs();
  } catch (const std::bad_alloc& e) {
    t1 = NowNs();
    out.result = kChildOutOfMemory;
    out.message = std::string("a C++ exception escaped ") + what + ": " + e.what();
  } catch (const std::exception& e) {
    t1 = NowNs();
    out.result = kChildException;
    out.message = std::string("a C++ exception escaped ") + what + ": " + e.what();
  } catch (...) {
    t1 = NowNs();
    out.result = kChildException;
    out.message = std::string("an unknown C++ exception escaped ") + what;
  }
  *ns = t1 - t0;
  return out;
}

// The outcome of a plugin return code `rc` from `what`.
void CheckReturn(HostOutcome& out, int32_t rc, const char* what, char* error,
                 size_t error_capacity) {
  if (out.result != kChildOk || rc == MB_OK) return;
  error[error_capacity - 1] = '\0';
  out.result = rc == MB_ERR_OUT_OF_MEMORY ? kChildOutOfMemory : kChildInferError;
  out.plugin_rc = rc;
  out.message = std::string(what) + " returned " + std::to_string(rc) + ": " +
                (error[0] ? error : "(no message)");
}

}  // namespace

HostOutcome PluginHost::Infer(const mb_frame_t& frame, mb_detection_t* detections,
                              uint32_t capacity, uint32_t* count, int64_t* infer_ns, char* error,
                              size_t error_capacity) {
  int32_t rc = MB_OK;
  *count = 0;
  error[0] = '\0';
  HostOutcome out = TimedCall("infer()", infer_ns, [&] {
    rc = instance_->infer(instance_, &frame, detections, capacity, count, error, error_capacity);
  });
  CheckReturn(out, rc, "infer()", error, error_capacity);
  return out;
}

HostOutcome PluginHost::InferBatch(const mb_frame_t* frames, uint32_t count,
                                   mb_detection_t* detections, uint32_t capacity, uint32_t* counts,
                                   int64_t* infer_ns, char* error, size_t error_capacity,
                                   uint32_t* failed_index) {
  *failed_index = kNoIndex;
  error[0] = '\0';
  for (uint32_t i = 0; i < count; ++i) counts[i] = 0;
  int32_t rc = MB_OK;
  if (batch_ != nullptr && count <= max_batch_) {
    HostOutcome out = TimedCall("infer_batch()", infer_ns, [&] {
      rc = batch_->infer_batch(instance_, frames, count, detections, capacity, counts, error,
                               error_capacity);
    });
    CheckReturn(out, rc, "infer_batch()", error, error_capacity);
    return out;
  }
  // No batch extension: the frames back to back, one infer() each.
  uint32_t at = 0;  // the frame being run
  HostOutcome out = TimedCall("infer()", infer_ns, [&] {
    for (at = 0; at < count; ++at) {
      rc = instance_->infer(instance_, &frames[at], detections + static_cast<size_t>(at) * capacity,
                            capacity, &counts[at], error, error_capacity);
      if (rc != MB_OK) break;
    }
  });
  if (out.result != kChildOk || rc != MB_OK) *failed_index = at;
  CheckReturn(out, rc, "infer()", error, error_capacity);
  return out;
}

bool PluginHost::LastCycles(uint64_t* cycles) const {
  if (cycles_ == nullptr) return false;
  try {
    return cycles_->last_frame_cycles(instance_, cycles) == MB_OK;
  } catch (...) {
    return false;
  }
}

bool PluginHost::LastEnergy(double* picojoules) const {
  if (energy_ == nullptr) return false;
  try {
    double v = -1;
    if (energy_->last_frame_energy_pj(instance_, &v) != MB_OK) return false;
    if (!std::isfinite(v) || v < 0) return false;
    *picojoules = v;
    return true;
  } catch (...) {
    return false;
  }
}

std::string CheckDetections(const mb_detection_t* d, uint32_t count, uint32_t capacity, int width,
                            int height, float tolerance, const int* class_ids, size_t class_count) {
  if (count > capacity) {
    return std::to_string(count) + " detections, more than the maximum " + std::to_string(capacity);
  }
  const float w_max = static_cast<float>(width) + tolerance;
  const float h_max = static_cast<float>(height) + tolerance;
  for (uint32_t i = 0; i < count; ++i) {
    const mb_detection_t& x = d[i];
    std::string where = "detection " + std::to_string(i) + ": ";
    if (!std::isfinite(x.x) || !std::isfinite(x.y) || !std::isfinite(x.w) || !std::isfinite(x.h) ||
        !std::isfinite(x.score)) {
      return where + "NaN or infinite value (x " + std::to_string(x.x) + ", y " +
             std::to_string(x.y) + ", w " + std::to_string(x.w) + ", h " + std::to_string(x.h) +
             ", score " + std::to_string(x.score) + ")";
    }
    if (!(x.w > 0) || !(x.h > 0)) {
      return where + "box size " + std::to_string(x.w) + " x " + std::to_string(x.h) +
             " is not > 0";
    }
    if (x.x < -tolerance || x.y < -tolerance || x.x + x.w > w_max || x.y + x.h > h_max) {
      return where + "box [" + std::to_string(x.x) + ", " + std::to_string(x.y) + ", " +
             std::to_string(x.w) + ", " + std::to_string(x.h) + "] lies outside the " +
             std::to_string(width) + "x" + std::to_string(height) + " frame (tolerance " +
             std::to_string(tolerance) + " px)";
    }
    if (x.score < 0 || x.score > 1) {
      return where + "score " + std::to_string(x.score) + " is outside [0, 1]";
    }
    bool known = false;
    for (size_t c = 0; c < class_count; ++c) known = known || class_ids[c] == x.class_id;
    if (!known) return where + "unknown class id " + std::to_string(x.class_id);
  }
  return "";
}

}  // namespace maskbench::harness::internal
