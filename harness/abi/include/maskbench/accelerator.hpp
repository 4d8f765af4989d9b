// C++20 helper over the maskbench accelerator ABI (accelerator.h): write one
// class and one macro, and the plugin exports a correct `mb_accelerator_entry`.
//
//   class MyNpu {
//    public:
//     // Loads weights from `dir`; throw to fail (the text becomes the init error).
//     MyNpu(const std::string& config_json, const std::filesystem::path& dir);
//     // One frame -> detections (a std::vector or std::span of mb_detection_t).
//     std::vector<mb_detection_t> Infer(const maskbench::abi::Frame& frame);
//     // Optional: cycle reporting (both or neither).
//     uint64_t Cycles() const;      // cycles of the last frame
//     uint64_t ClockHz() const;     // modeled clock
//     // Optional: energy reporting (maskbench.energy/1).
//     double EnergyPicojoules() const;  // energy of the last frame
//     // Optional: Offline batches (both or neither). InferBatch returns one
//     // detection list per frame, in order (a std::vector of vectors or spans).
//     uint32_t MaxBatch() const;
//     std::vector<std::vector<mb_detection_t>> InferBatch(std::span<const maskbench::abi::Frame>
//     frames);
//     // Optional: self-description.
//     static constexpr const char* kName = "my-npu", *kTeam = "team", *kVersion = "1.0";
//   };
//   MASKBENCH_EXPORT_ACCELERATOR(MyNpu)
//
// Exceptions never cross the C boundary: the helper catches them and returns
// an MB_ERR_* code with the exception's text (std::bad_alloc -> out of memory,
// maskbench::abi::Error -> its own code, anything else -> MB_ERR_EXCEPTION).
//
// Thread-safety: the harness calls one instance from one thread at a time, so
// the class needs no locking of its own.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iterator>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "maskbench/accelerator.h"

namespace maskbench::abi {

// A borrowed view of one frame; valid only inside Infer().
struct Frame {
  const uint8_t* pixels = nullptr;
  int width = 0;
  int height = 0;
  size_t stride = 0;                             // bytes per row
  uint32_t pixel_format = MB_PIXEL_FORMAT_BGR8;  // MB_PIXEL_FORMAT_*
  uint64_t sequence = 0;                         // infer calls so far on this instance
  // Pointer to the first byte of row `y`.
  const uint8_t* Row(int y) const { return pixels + static_cast<size_t>(y) * stride; }
};

// Throw from the constructor or Infer() to fail with a specific MB_ERR_* code.
class Error : public std::runtime_error {
 public:
  Error(int32_t code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int32_t code() const { return code_; }

 private:
  int32_t code_;
};

namespace internal {

inline void WriteError(char* buffer, size_t capacity, const char* text) {
  if (buffer == nullptr || capacity == 0) return;
  size_t n = std::strlen(text);
  if (n >= capacity) n = capacity - 1;
  std::memcpy(buffer, text, n);
  buffer[n] = '\0';
}

// Runs `fn`, turning any exception into an MB_ERR_* code plus text.
template <typename Fn>
int32_t Guard(char* error, size_t error_capacity, Fn&& fn) noexcept {
  try {
    return fn();
  } catch (const Error& e) {
    WriteError(error, error_capacity, e.what());
    return e.code() == MB_OK ? MB_ERR_INTERNAL : e.code();
  } catch (const std::bad_alloc& e) {
    WriteError(error, error_capacity, e.what());
    return MB_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    WriteError(error, error_capacity, e.what());
    return MB_ERR_EXCEPTION;
  } catch (...) {
    WriteError(error, error_capacity, "unknown C++ exception");
    return MB_ERR_EXCEPTION;
  }
}

template <typename T>
concept HasCycles = requires(const T& t) {
  { t.Cycles() } -> std::convertible_to<uint64_t>;
  { t.ClockHz() } -> std::convertible_to<uint64_t>;
};

template <typename T>
concept HasEnergy = requires(const T& t) {
  { t.EnergyPicojoules() } -> std::convertible_to<double>;
};

template <typename T>
concept HasBatch = requires(T& t, const T& c, std::span<const Frame> frames) {
  { c.MaxBatch() } -> std::convertible_to<uint32_t>;
  { std::size(t.InferBatch(frames)) } -> std::convertible_to<size_t>;
};

template <typename T>
concept HasDescription = requires {
  { T::kName } -> std::convertible_to<const char*>;
  { T::kTeam } -> std::convertible_to<const char*>;
  { T::kVersion } -> std::convertible_to<const char*>;
};

// The C instance: `base` first so a mb_accelerator_t* is an Instance<T>*.
template <typename T>
struct Instance {
  mb_accelerator_t base;
  T* object;
};

template <typename T>
T& ObjectOf(const mb_accelerator_t* a) {
  return *static_cast<Instance<T>*>(a->self)->object;
}

inline Frame ToFrame(const mb_frame_t& f) {
  Frame frame;
  frame.pixels = f.pixels;
  frame.width = static_cast<int>(f.width);
  frame.height = static_cast<int>(f.height);
  frame.stride = f.stride;
  frame.pixel_format = f.pixel_format;
  frame.sequence = f.sequence;
  return frame;
}

// Copies at most `capacity` detections of `result` to `out`; returns the full count.
template <typename R>
uint32_t CopyDetections(const R& result, mb_detection_t* out, uint32_t capacity) {
  const size_t n = std::size(result);
  const auto* first = std::data(result);
  const size_t written = n < capacity ? n : capacity;
  for (size_t i = 0; i < written; ++i) out[i] = first[i];
  return static_cast<uint32_t>(n > UINT32_MAX ? UINT32_MAX : n);
}

template <typename T>
int32_t Infer(mb_accelerator_t* a, const mb_frame_t* f, mb_detection_t* out, uint32_t capacity,
              uint32_t* count, char* error, size_t error_capacity) {
  return Guard(error, error_capacity, [&]() -> int32_t {
    *count = CopyDetections(ObjectOf<T>(a).Infer(ToFrame(*f)), out, capacity);
    return MB_OK;
  });
}

template <typename T>
uint32_t MaxBatch(const mb_accelerator_t* a) {
  try {
    return static_cast<uint32_t>(ObjectOf<T>(a).MaxBatch());
  } catch (...) {
    return 0;
  }
}

template <typename T>
int32_t InferBatch(mb_accelerator_t* a, const mb_frame_t* frames, uint32_t frame_count,
                   mb_detection_t* out, uint32_t capacity_per_frame, uint32_t* counts, char* error,
                   size_t error_capacity) {
  return Guard(error, error_capacity, [&]() -> int32_t {
    std::vector<Frame> views(frame_count);
    for (uint32_t i = 0; i < frame_count; ++i) views[i] = ToFrame(frames[i]);
    auto&& results = ObjectOf<T>(a).InferBatch(std::span<const Frame>(views));
    if (std::size(results) != frame_count)
      throw Error(MB_ERR_INTERNAL, "InferBatch returned " + std::to_string(std::size(results)) +
                                       " detection lists for " + std::to_string(frame_count) +
                                       " frames");
    size_t i = 0;
    for (const auto& list : results) {
      counts[i] = CopyDetections(list, out + i * capacity_per_frame, capacity_per_frame);
      ++i;
    }
    return MB_OK;
  });
}

template <typename T>
void Destroy(mb_accelerator_t* a) {
  auto* instance = static_cast<Instance<T>*>(a->self);
  try {
    delete instance->object;
  } catch (...) {  // a throwing destructor must not cross the boundary
  }
  delete instance;
}

template <typename T>
int32_t LastFrameCycles(const mb_accelerator_t* a, uint64_t* cycles) {
  char unused[1];
  return Guard(unused, 0, [&]() -> int32_t {
    *cycles = static_cast<uint64_t>(ObjectOf<T>(a).Cycles());
    return MB_OK;
  });
}

template <typename T>
uint64_t ClockHz(const mb_accelerator_t* a) {
  try {
    return static_cast<uint64_t>(ObjectOf<T>(a).ClockHz());
  } catch (...) {
    return 0;
  }
}

template <typename T>
int32_t LastFrameEnergy(const mb_accelerator_t* a, double* picojoules) {
  char unused[1];
  return Guard(unused, 0, [&]() -> int32_t {
    *picojoules = static_cast<double>(ObjectOf<T>(a).EnergyPicojoules());
    return MB_OK;
  });
}

template <typename T>
const void* InstanceExtension(const mb_accelerator_t*, const char* id) {
  if constexpr (HasCycles<T>) {
    static const mb_ext_cycles_t kCycles = {&LastFrameCycles<T>, &ClockHz<T>};
    if (std::strcmp(id, MB_EXT_CYCLES) == 0) return &kCycles;
  }
  if constexpr (HasEnergy<T>) {
    static const mb_ext_energy_t kEnergy = {&LastFrameEnergy<T>};
    if (std::strcmp(id, MB_EXT_ENERGY) == 0) return &kEnergy;
  }
  if constexpr (HasBatch<T>) {
    static const mb_ext_batch_t kBatch = {&MaxBatch<T>, &InferBatch<T>};
    if (std::strcmp(id, MB_EXT_BATCH) == 0) return &kBatch;
  }
  (void)id;
  return nullptr;
}

template <typename T>
mb_accelerator_t* Create(const char* config_json, const char* submission_dir, char* error,
                         size_t error_capacity) {
  mb_accelerator_t* result = nullptr;
  Guard(error, error_capacity, [&]() -> int32_t {
    auto* instance = new Instance<T>{};
    try {
      instance->object = new T(std::string(config_json ? config_json : "{}"),
                               std::filesystem::path(submission_dir ? submission_dir : "."));
    } catch (...) {
      delete instance;
      throw;
    }
    instance->base.version = MB_ABI_VERSION_INIT;
    instance->base.self = instance;
    instance->base.infer = &Infer<T>;
    instance->base.destroy = &Destroy<T>;
    instance->base.get_extension = &InstanceExtension<T>;
    result = &instance->base;
    return MB_OK;
  });
  return result;
}

template <typename T>
const void* EntryExtension(const char* id) {
  if constexpr (HasDescription<T>) {
    static const mb_ext_describe_t kDescribe = {T::kName, T::kTeam, T::kVersion};
    if (std::strcmp(id, MB_EXT_DESCRIBE) == 0) return &kDescribe;
  }
  (void)id;
  return nullptr;
}

template <typename T>
constexpr mb_accelerator_entry_t MakeEntry() {
  return mb_accelerator_entry_t{MB_ABI_VERSION_INIT, &Create<T>, &EntryExtension<T>};
}

}  // namespace internal
}  // namespace maskbench::abi

// Defines the exported `mb_accelerator_entry` for class `ClassName`. Use once,
// at namespace scope, in one .cc file of the plugin.
#define MASKBENCH_EXPORT_ACCELERATOR(ClassName)                            \
  extern "C" MB_EXPORT const mb_accelerator_entry_t mb_accelerator_entry = \
      ::maskbench::abi::internal::MakeEntry<ClassName>();
