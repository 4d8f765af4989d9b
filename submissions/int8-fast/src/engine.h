// int8-fast: an optimised executor of the reference int8 network
// (reference/model/refnet-int8.json), bit-exact with the naive
// maskbench::reference::Int8Executor (the reference-baseline).
//
// How it is fast (docs/submissions/int8-fast.md): activations are kept as
// zero-bordered HWC int8 tensors, so a convolution is an implicit GEMM read
// straight from the tensor (no im2col); concat outputs own one buffer that their
// inputs are written into at a channel offset (concat is free); weights are
// pre-packed at create in the layout of the path chosen: AMX-INT8 tiles
// (kernels_amx.cc), AVX-512 VNNI 16-channel tiles (kernels_vnni.cc, which
// reads the network input as pixel bytes with c1's bias lowered to match), or
// [oc_block of 8][tap][k step][8 oc][k lanes] for the AVX2 kernels
// (vpmaddubsw on ReLU'd activations, which are in [0, 127], or vpmaddwd on an
// int16 copy for a signed input such as the network input); requantization is
// vectorised with exactly the reference's rounding; output rows are split
// across a thread pool created at create. The path is chosen at run time
// (CpuSupports); a portable scalar path computes the same values on any
// x86-64. Run() allocates nothing.
//
// Thread-safety: an Engine runs one frame at a time; call it from one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "maskbench/reference/int8_model.h"

namespace maskbench::int8_fast {

// The kernels' instruction set. kAuto: the best the CPU has (AMX-INT8, then
// AVX-512 VNNI, then AVX2, then scalar). Every path gives the same bits.
enum class Simd { kAuto, kAmx, kAvx512Vnni, kAvx2, kScalar };

struct EngineOptions {
  int threads = 0;  // 0: the CPUs of the process's affinity mask (at least 1)
  // A named path fails at create on a CPU without it. kAuto honours the
  // environment variable MASKBENCH_INT8_ISA (a name as ParseSimd reads it).
  Simd simd = Simd::kAuto;
};

namespace internal {

// 64-byte aligned storage for buffers the kernels read in tile rows: an AMX
// tile row that crosses a cache line costs ~4 cycles against ~0.6
// (bench/amx_probe), and std::allocator aligns to 16 only.
template <typename T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <typename U>
  Aligned64(const Aligned64<U>&) {}
  T* allocate(size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{64}));
  }
  void deallocate(T* p, size_t) { ::operator delete (p, std::align_val_t{64}); }
  bool operator==(const Aligned64&) const { return true; }
  bool operator!=(const Aligned64&) const { return false; }
};
template <typename T>
using AlignedVector = std::vector<T, Aligned64<T>>;

// A tensor view into a zero-bordered HWC int8 buffer.
struct View {
  int8_t* origin = nullptr;  // element (channel 0) of padded pixel (0, 0)
  int pixel_stride = 0;      // bytes between horizontally adjacent pixels
  int row_stride = 0;        // bytes between rows
  int8_t* At(int y, int x, int border) const {
    return origin + static_cast<ptrdiff_t>(y + border) * row_stride +
           static_cast<ptrdiff_t>(x + border) * pixel_stride;
  }
};

// Everything one convolution needs, prepared at create.
struct ConvPlan {
  const reference::Int8Layer* layer = nullptr;
  int in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int oc_blocks = 0;          // ceil(out_channels / 8)
  bool signed_input = false;  // input may be negative (AVX2: int16 kernel on a shadow copy)
  int in_tensor = 0, out_tensor = 0;
  int k_steps = 0;                // per tap: ceil(cin/4) (u8 kernel) or ceil(cin/2) (s16 kernel)
  std::vector<int8_t> ohwi;       // scalar path weights, [oc][ky][kx][ic]
  std::vector<int8_t> packed8;    // u8 kernel weights
  std::vector<int16_t> packed16;  // s16 kernel weights
  std::vector<int32_t> bias, multiplier, shift;  // padded to a multiple of 16
  std::vector<float> scale;                      // multiplier / 2^(31 + shift), padded
  bool avx2 = false;                             // this layer runs the AVX2 kernel
  bool amx = false;                              // this layer runs the AMX kernel
  bool vnni = false;  // this layer runs ConvRowsVnni (AVX-512 VNNI on 16-channel tiles)
  AlignedVector<int8_t> packed_vnni;  // [oc tile of 16][tap][k step][16 oc][4 ic]
  std::vector<int32_t> bias_vnni;     // bias, less 128 x the channel's weight sum on a signed input
  int amx_groups = 0, amx_chunks = 0, amx_group_taps = 1;  // see internal::ConvArgs
  AlignedVector<int8_t> packed_amx;  // [oc tile of 16][group][chunk][8 rows][16 oc][4 bytes]
};

struct Int16Shadow {  // zero-bordered HWC int16 copy of a signed tensor, channels padded to even
  std::vector<int16_t> data;
  int channels = 0;    // padded channel count (pixel stride)
  int row_stride = 0;  // elements
};

// ConvPlan::packed_vnni from weights in the model's order [oc][ic][ky][kx]:
// [oc tile of 16][tap][4-channel step][16 oc][4 ic], zero beyond cin and cout.
AlignedVector<int8_t> PackVnni(const int8_t* oihw, int cout, int cin, int kernel);

// Tests only: called by a thread (0: the caller, 1..: the pool) after each
// chunk it finishes, to widen the windows between claims. Null otherwise.
extern void (*g_chunk_done_hook)(int self);

}  // namespace internal

class Engine {
 public:
  // Plans the network: buffers, packed weights, threads. `model` must outlive the engine.
  Engine(const reference::Int8Model* model, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Runs one frame: `rgb` is kInputSize x kInputSize x 3 RGB bytes (ResizeToInput).
  void Run(const uint8_t* rgb);
  // Runs one frame from the frame itself (8-bit interleaved, BGR when `bgr`):
  // the same values as ResizeToInput then Run(), with the resize done as the
  // first step, its row chunks spread over the threads like a layer's
  // (reference::ResizeRows), where the split is exact for this frame height
  // (reference::ResizeSplitsAt); otherwise ResizeToInput runs first on the
  // calling thread (and always with one thread, where OpenCV's own threads
  // resize faster). The resize allocates inside OpenCV; Run() itself does not.
  void RunImage(const uint8_t* pixels, int width, int height, size_t stride, bool bgr);
  // The head after Run(), dequantized (kHeadChannels x kGrid x kGrid floats, CHW), for Decode().
  const std::vector<float>& HeadLogits() const { return logits_; }
  // The head's int32 accumulators after Run() (CHW), as Int8Output::head.
  std::vector<int32_t> HeadAccumulators() const;
  // Tensor `index` after Run() as CHW int8, as Int8Executor::Tensor(index).
  std::vector<int8_t> Tensor(int index) const;

  // One frame run step by step on the calling thread only (every chunk of a
  // step, then the next), each step timed: for the roofline in int8_bench.
  // Same outputs as Run(). Not for the timed path: it reads the clock per step.
  struct StepProfile {
    std::string name;  // "input", "shadow <tensor>", "conv <layer>", "upsample …", …
    int64_t macs = 0;  // multiply-accumulates (convolutions; 0 otherwise)
    int64_t ns = 0;
  };
  std::vector<StepProfile> ProfileSteps(const uint8_t* rgb);

  bool uses_avx2() const { return use_avx2_; }
  // The path this engine runs (never kAuto).
  Simd isa() const { return isa_; }
  int threads() const { return threads_; }

 private:
  // One unit of work: rows [begin, end) of one step (a layer or the input/dequantize pass).
  struct Step {
    enum class Kind { kInput, kShadow, kConv, kUpsample, kConcat, kDequantize } kind;
    int index = 0;  // layer index (kConv, kUpsample, kConcat) or tensor index (kShadow)
    int rows = 0;   // rows (or head pixels for kDequantize) split into chunks
    int chunks = 1;
    int first_item = 0;  // the item of chunk 0
  };
  void AddStep(Step::Kind kind, int index, int rows, int chunks = 0);  // 0: 4 x threads
  void Worker(int self);
  // Claims and runs chunks of the current frame, step by step, until none is
  // left; thread `self` claims from the front of each step when even, from the
  // back when odd (Claim).
  void Work(int self);
  // The next unclaimed chunk of `step` from its front or back; -1 when none.
  int Claim(size_t step, bool from_back);
  void RunChunk(int item);
  void InputRows(int y0, int y1);
  void ShadowRows(int tensor, int y0, int y1);
  void ConvRows(size_t layer, int y0, int y1);
  void UpsampleRows(size_t layer, int y0, int y1);
  void ConcatRows(size_t layer, int y0, int y1);
  void DequantizeRange(int p0, int p1);

  const reference::Int8Model* model_;
  bool use_avx2_ = false;  // the packed-weight kernels (AVX2 or AVX-512 VNNI)
  Simd isa_ = Simd::kScalar;
  int threads_ = 1;
  int border_ = 1;
  std::vector<internal::AlignedVector<int8_t>> storage_;  // per root tensor (empty when aliased)
  std::vector<internal::View> views_;
  std::vector<bool> aliased_;                   // tensor written into a concat's buffer
  std::vector<bool> nonneg_;                    // tensor is produced >= 0 (ReLU)
  bool need_int8_input_ = false;                // the int8 view of the input is read
  std::vector<internal::ConvPlan> convs_;       // per layer (empty plan for non-conv)
  std::vector<internal::Int16Shadow> shadows_;  // per tensor (empty unless needed)
  // The network input as unsigned pixel bytes (q + 128) with a border of 128,
  // for ConvRowsVnni on the signed input (empty unless needed).
  internal::AlignedVector<int8_t> input_u8_;
  int input_u8_row_stride_ = 0;
  std::vector<int32_t> head_;  // [pixel][oc_blocks * 8] of the head
  int head_stride_ = 8;
  std::vector<float> head_scale_;
  std::vector<float> logits_;
  const uint8_t* rgb_ = nullptr;
  // RunImage: the frame, resized by the input step into resized_ when image_.
  struct Image {
    const uint8_t* pixels = nullptr;
    int width = 0, height = 0;
    size_t stride = 0;
    bool bgr = false;
  } image_;
  bool from_image_ = false;
  std::vector<uint8_t> resized_;

  // Work sharing without barriers: each step's chunks are claimed from its two
  // ends (ends_[step]: front in the low 32 bits, back in the high 32), the
  // caller from the front and the pool thread from the back, so each thread
  // keeps to its part of the image from layer to layer (the rows it reads are
  // mostly the ones it wrote, in its own cache) while the meeting point moves
  // with the threads' speed. A thread runs a chunk once every chunk of the
  // previous step is done (done_[step]); a late or descheduled thread holds
  // the others up by at most the chunk it is running.
  std::vector<Step> steps_;
  std::vector<int> item_step_, item_chunk_;
  std::unique_ptr<std::atomic<int>[]> done_;
  std::unique_ptr<std::atomic<uint64_t>[]> ends_;
  std::atomic<uint32_t> frame_gen_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> pool_;  // threads - 1 workers; the caller is the other one
};

// "auto" | "amx" | "avx512-vnni" | "avx2" | "scalar" -> Simd; false when unknown.
bool ParseSimd(const std::string& text, Simd* out);
// The name ParseSimd reads for `simd`.
const char* SimdName(Simd simd);
// Whether this CPU can run `simd` (kAuto and kScalar: always). For kAmx this
// also asks the kernel for the process's tile permission (arch_prctl).
bool CpuSupports(Simd simd);

}  // namespace maskbench::int8_fast
