#include "engine.h"

#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "kernels.h"
#include "maskbench/reference/postprocess.h"

namespace maskbench::int8_fast {
namespace internal {
void (*g_chunk_done_hook)(int self) = nullptr;
}  // namespace internal
namespace {

using reference::Int8Layer;
using reference::Int8Model;
using reference::Int8Tensor;

constexpr int kSlack =
    64;  // bytes after each buffer: kernels may read a few bytes past the last channel

void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins briefly, then sleeps on the atomic, until it differs from `old`. The
// spin yields the CPU every 64 pauses: between frames a waiting pool thread
// otherwise holds the CPU that the harness's timing thread wakes up on when
// the answer comes (measured under `maskbench run`, 2 cores: the round trip
// beyond the plugin's own time fell from 38-61 us to 8-47 us).
template <typename T>
void WaitChange(const std::atomic<T>& a, T old) {
  for (int i = 0; i < 4000; ++i) {
    if (a.load(std::memory_order_acquire) != old) return;
    if (i % 64 == 63)
      std::this_thread::yield();
    else
      CpuRelax();
  }
  while (a.load(std::memory_order_acquire) == old) a.wait(old, std::memory_order_acquire);
}

// CPUs this process may run on (its affinity mask: a harness may pin it to one).
int UsableCpus() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace

namespace internal {
AlignedVector<int8_t> PackVnni(const int8_t* oihw, int cout, int cin, int kernel) {
  const int taps = kernel * kernel, k_steps = (cin + 3) / 4, tiles = (cout + 15) / 16;
  AlignedVector<int8_t> packed(static_cast<size_t>(tiles) * taps * k_steps * 64, 0);
  for (int o = 0; o < cout; ++o)
    for (int i = 0; i < cin; ++i)
      for (int t = 0; t < taps; ++t)
        packed[(((static_cast<size_t>(o / 16) * taps + t) * k_steps + i / 4) * 16 + o % 16) * 4 +
               i % 4] = oihw[(static_cast<size_t>(o) * cin + i) * taps + t];
  return packed;
}
}  // namespace internal

bool CpuSupports(Simd simd) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  switch (simd) {
    case Simd::kAmx:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             internal::AmxAvailable();
    case Simd::kAvx512Vnni:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
    case Simd::kAvx2:
      return __builtin_cpu_supports("avx2");
    default:
      return true;
  }
#else
  return simd == Simd::kAuto || simd == Simd::kScalar;
#endif
}

bool ParseSimd(const std::string& text, Simd* out) {
  if (text == "auto")
    *out = Simd::kAuto;
  else if (text == "amx")
    *out = Simd::kAmx;
  else if (text == "avx512-vnni")
    *out = Simd::kAvx512Vnni;
  else if (text == "avx2")
    *out = Simd::kAvx2;
  else if (text == "scalar")
    *out = Simd::kScalar;
  else
    return false;
  return true;
}

const char* SimdName(Simd simd) {
  switch (simd) {
    case Simd::kAuto:
      return "auto";
    case Simd::kAmx:
      return "amx";
    case Simd::kAvx512Vnni:
      return "avx512-vnni";
    case Simd::kAvx2:
      return "avx2";
    case Simd::kScalar:
      return "scalar";
  }
  return "?";
}

Engine::Engine(const Int8Model* model, EngineOptions options) : model_(model) {
  Simd want = options.simd;
  if (want == Simd::kAuto) {
    if (const char* env = std::getenv("MASKBENCH_INT8_ISA"); env != nullptr && *env != '\0')
      if (!ParseSimd(env, &want))
        throw std::runtime_error(std::string("int8-fast: MASKBENCH_INT8_ISA=\"") + env +
                                 "\" is not auto, amx, avx512-vnni, avx2 or scalar");
  }
  if (want != Simd::kAuto && !CpuSupports(want))
    throw std::runtime_error(std::string("int8-fast: simd \"") + SimdName(want) +
                             "\" requested, but this CPU does not have it");
  if (want == Simd::kAuto)
    want = CpuSupports(Simd::kAmx)          ? Simd::kAmx
           : CpuSupports(Simd::kAvx512Vnni) ? Simd::kAvx512Vnni
           : CpuSupports(Simd::kAvx2)       ? Simd::kAvx2
                                            : Simd::kScalar;
  isa_ = want;
  use_avx2_ = isa_ != Simd::kScalar;
  threads_ = options.threads > 0 ? options.threads : UsableCpus();

  const size_t nt = model_->tensors.size();
  border_ = 0;
  for (const Int8Layer& l : model_->layers)
    if (l.op == Int8Layer::Op::kConv) border_ = std::max(border_, l.pad);

  // Which tensors are never negative (ReLU outputs and what is built from them only).
  nonneg_.assign(nt, false);
  for (const Int8Layer& l : model_->layers) {
    bool nn = false;
    switch (l.op) {
      case Int8Layer::Op::kConv:
        nn = l.relu && l.requantize;
        break;
      case Int8Layer::Op::kUpsample2x:
        nn = nonneg_[l.inputs[0]];
        break;
      case Int8Layer::Op::kConcat:
        nn = true;
        for (int t : l.inputs) nn = nn && nonneg_[t];
        break;
    }
    nonneg_[l.output] = nn;
    if (l.op == Int8Layer::Op::kConv && !l.requantize && l.output != model_->output)
      throw std::runtime_error("int8-fast: layer " + l.name +
                               ": an int32 output other than the head is not supported");
  }

  // Concat inputs are written straight into the concat's buffer at their channel
  // offset when they belong to exactly one concat and are not the network input.
  std::vector<int> parent(nt, -1), channel_offset(nt, 0);
  for (const Int8Layer& l : model_->layers) {
    if (l.op != Int8Layer::Op::kConcat) continue;
    int off = 0;
    for (int t : l.inputs) {
      if (t != 0 && parent[t] < 0 && t != model_->output) {
        parent[t] = l.output;
        channel_offset[t] = off;
      }
      off += model_->tensors[t].channels;
    }
  }
  aliased_.assign(nt, false);
  storage_.resize(nt);
  views_.resize(nt);
  auto resolve = [&](int t, int* root, int* off) {
    *root = t;
    *off = 0;
    while (parent[*root] >= 0) {
      *off += channel_offset[*root];
      *root = parent[*root];
    }
  };
  for (size_t t = 0; t < nt; ++t) {
    if (static_cast<int>(t) == model_->output || parent[t] >= 0) continue;
    const Int8Tensor& s = model_->tensors[t];
    storage_[t].assign(
        static_cast<size_t>(s.height + 2 * border_) * (s.width + 2 * border_) * s.channels + kSlack,
        0);
  }
  for (size_t t = 0; t < nt; ++t) {
    if (static_cast<int>(t) == model_->output) continue;
    int root = 0, off = 0;
    resolve(static_cast<int>(t), &root, &off);
    aliased_[t] = root != static_cast<int>(t);
    const Int8Tensor& r = model_->tensors[root];
    views_[t].origin = storage_[root].data() + off;
    views_[t].pixel_stride = r.channels;
    views_[t].row_stride = (r.width + 2 * border_) * r.channels;
  }

  // Convolutions: kernels, packed weights, int16 shadows of signed inputs.
  shadows_.resize(nt);
  convs_.resize(model_->layers.size());
  for (size_t li = 0; li < model_->layers.size(); ++li) {
    const Int8Layer& l = model_->layers[li];
    if (l.op != Int8Layer::Op::kConv) {
      for (int t : l.inputs)
        if (t == 0) need_int8_input_ = true;
      continue;
    }
    internal::ConvPlan& p = convs_[li];
    const Int8Tensor& ti = model_->tensors[l.inputs[0]];
    const Int8Tensor& to = model_->tensors[l.output];
    p.layer = &l;
    p.in_tensor = l.inputs[0];
    p.out_tensor = l.output;
    p.in_h = ti.height;
    p.in_w = ti.width;
    p.out_h = to.height;
    p.out_w = to.width;
    p.oc_blocks = (l.out_channels + 7) / 8;
    p.avx2 = use_avx2_;
    p.signed_input = !nonneg_[p.in_tensor];
    const int cin = l.in_channels, k = l.kernel, cout = l.out_channels;
    const int padded = (p.oc_blocks + 1) / 2 * 16;  // the AMX epilogue reads 16 at a time
    p.bias.assign(padded, 0);
    p.multiplier.assign(padded, 1 << 30);
    p.shift.assign(padded, 0);
    p.scale.assign(padded, 0.5f);
    for (int o = 0; o < cout; ++o) {
      p.bias[o] = l.bias[o];
      if (l.requantize) {
        p.multiplier[o] = l.multiplier[o];
        p.shift[o] = l.shift[o];
        p.scale[o] = internal::AmxScale(l.multiplier[o], l.shift[o]);
      }
    }
    auto w_at = [&](int o, int i, int ky, int kx) {
      return l.weights[((static_cast<size_t>(o) * cin + i) * k + ky) * k + kx];
    };
    // Scalar weights [oc][ky][kx][ic].
    p.ohwi.resize(static_cast<size_t>(cout) * k * k * cin);
    for (int o = 0; o < cout; ++o)
      for (int ky = 0; ky < k; ++ky)
        for (int kx = 0; kx < k; ++kx)
          for (int i = 0; i < cin; ++i)
            p.ohwi[((static_cast<size_t>(o) * k + ky) * k + kx) * cin + i] = w_at(o, i, ky, kx);
    if (isa_ == Simd::kAmx) {
      // K in groups of taps contiguous in memory: a kernel row when the input
      // has a buffer of its own (pixel stride == cin), else one tap.
      p.amx = true;
      p.avx2 = false;
      if (p.in_tensor == 0) need_int8_input_ = true;
      const bool contiguous = views_[p.in_tensor].pixel_stride == cin;
      p.amx_group_taps = contiguous ? k : 1;
      p.amx_groups = k * k / p.amx_group_taps;
      const int span = p.amx_group_taps * cin;
      p.amx_chunks = (span + internal::kAmxChunk - 1) / internal::kAmxChunk;
      const int tiles = (cout + 15) / 16;
      p.packed_amx.assign(
          static_cast<size_t>(tiles) * p.amx_groups * p.amx_chunks * internal::kAmxBTileBytes, 0);
      for (int n = 0; n < tiles; ++n)
        for (int g = 0; g < p.amx_groups; ++g)
          for (int c = 0; c < p.amx_chunks; ++c) {
            int8_t* tile = p.packed_amx.data() +
                           ((static_cast<size_t>(n) * p.amx_groups + g) * p.amx_chunks + c) *
                               internal::kAmxBTileBytes;
            const int ky = g * p.amx_group_taps / k, kx0 = g * p.amx_group_taps % k;
            for (int r = 0; r < internal::kAmxChunk / 4; ++r)
              for (int j = 0; j < 16; ++j)
                for (int i = 0; i < 4; ++i) {
                  const int byte = c * internal::kAmxChunk + 4 * r + i, o = n * 16 + j;
                  if (byte >= span || o >= cout) continue;
                  tile[(r * 16 + j) * 4 + i] = w_at(o, byte % cin, ky, kx0 + byte / cin);
                }
          }
      continue;
    }
    if (!p.avx2) {
      if (p.in_tensor == 0) need_int8_input_ = true;
      continue;
    }
    const int taps = k * k;
    if (isa_ == Simd::kAvx512Vnni && (!p.signed_input || p.in_tensor == 0)) {
      // ConvRowsVnni for ReLU'd inputs and the network input (a signed tensor
      // of another layer, which refnet does not have, takes the AVX2 int16
      // kernel below). Weights [oc tile of 16][tap][step][16 oc][4 ic] int8,
      // zero beyond cin / cout.
      p.vnni = true;
      p.avx2 = false;
      p.k_steps = (cin + 3) / 4;
      p.packed_vnni = internal::PackVnni(l.weights.data(), cout, cin, k);
      p.bias_vnni = p.bias;
      if (p.signed_input) {
        // The kernel reads the input as q + 128 (input_u8_, border 128):
        // sum w (q + 128) - 128 sum w = sum w q, the border included.
        for (int o = 0; o < cout; ++o) {
          int32_t sum = 0;
          for (int t = 0; t < taps; ++t)
            for (int i = 0; i < cin; ++i) sum += w_at(o, i, t / k, t % k);
          p.bias_vnni[o] -= 128 * sum;
        }
        if (input_u8_.empty()) {
          input_u8_row_stride_ = (ti.width + 2 * border_) * ti.channels;
          input_u8_.assign(
              static_cast<size_t>(ti.height + 2 * border_) * input_u8_row_stride_ + kSlack,
              static_cast<int8_t>(-128));  // the byte 0x80: q = 0
        }
      }
      continue;
    }
    if (!p.signed_input) {
      // [ocb][tap][step][8 oc][4 ic] int8, zero beyond cin / cout.
      p.k_steps = (cin + 3) / 4;
      p.packed8.assign(static_cast<size_t>(p.oc_blocks) * taps * p.k_steps * 32, 0);
      for (int o = 0; o < cout; ++o)
        for (int t = 0; t < taps; ++t)
          for (int i = 0; i < cin; ++i) {
            const size_t at =
                ((((static_cast<size_t>(o / 8) * taps + t) * p.k_steps + i / 4) * 8 + o % 8) * 4) +
                i % 4;
            p.packed8[at] = w_at(o, i, t / k, t % k);
          }
    } else {
      // [ocb][tap][step][8 oc][2 ic] int16 on an int16 shadow with channels padded to even.
      p.k_steps = (cin + 1) / 2;
      p.packed16.assign(static_cast<size_t>(p.oc_blocks) * taps * p.k_steps * 16, 0);
      for (int o = 0; o < cout; ++o)
        for (int t = 0; t < taps; ++t)
          for (int i = 0; i < cin; ++i) {
            const size_t at =
                ((((static_cast<size_t>(o / 8) * taps + t) * p.k_steps + i / 2) * 8 + o % 8) * 2) +
                i % 2;
            p.packed16[at] = w_at(o, i, t / k, t % k);
          }
      internal::Int16Shadow& sh = shadows_[p.in_tensor];  // the input's, or refreshed by ShadowStep
      if (sh.data.empty()) {
        sh.channels = (ti.channels + 1) / 2 * 2;
        sh.row_stride = (ti.width + 2 * border_) * sh.channels;
        sh.data.assign(static_cast<size_t>(ti.height + 2 * border_) * sh.row_stride + kSlack, 0);
      }
    }
  }

  const Int8Tensor& head = model_->tensors[model_->output];
  for (const internal::ConvPlan& p : convs_)
    if (p.layer != nullptr && p.out_tensor == model_->output) {
      head_stride_ = p.oc_blocks * 8;
      head_scale_ = p.layer->output_scale;
    }
  head_.assign(static_cast<size_t>(head.height) * head.width * head_stride_, 0);
  logits_.assign(static_cast<size_t>(head.channels) * head.height * head.width, 0.f);

  // The frame as steps; concats whose inputs were all written in place vanish.
  // The input step (with RunImage, also the resize: one part per thread, since
  // each part costs a resize call's set-up).
  AddStep(Step::Kind::kInput, 0, reference::kInputSize, threads_);
  for (size_t li = 0; li < model_->layers.size(); ++li) {
    const Int8Layer& l = model_->layers[li];
    const int rows = model_->tensors[l.output].height;
    switch (l.op) {
      case Int8Layer::Op::kConv:
        if (convs_[li].avx2 && convs_[li].signed_input && convs_[li].in_tensor != 0)
          AddStep(Step::Kind::kShadow, convs_[li].in_tensor,
                  model_->tensors[convs_[li].in_tensor].height);
        AddStep(Step::Kind::kConv, static_cast<int>(li), rows);
        break;
      case Int8Layer::Op::kUpsample2x:
        AddStep(Step::Kind::kUpsample, static_cast<int>(li), rows);
        break;
      case Int8Layer::Op::kConcat: {
        bool in_place = true;
        for (int t : l.inputs) in_place = in_place && aliased_[t];
        if (!in_place) AddStep(Step::Kind::kConcat, static_cast<int>(li), rows);
        break;
      }
    }
  }
  AddStep(Step::Kind::kDequantize, 0, head.height * head.width);
  done_ = std::make_unique<std::atomic<int>[]>(steps_.size());
  ends_ = std::make_unique<std::atomic<uint64_t>[]>(steps_.size());
  for (size_t i = 0; i < steps_.size(); ++i) {
    done_[i].store(0);
    ends_[i].store(0);  // nothing to claim until Run()
  }

  for (int i = 1; i < threads_; ++i) pool_.emplace_back([this, i] { Worker(i); });
}

void Engine::AddStep(Step::Kind kind, int index, int rows, int chunks) {
  Step s{kind, index, rows, std::max(1, std::min(rows, chunks > 0 ? chunks : 4 * threads_))};
  s.first_item = static_cast<int>(item_step_.size());
  for (int c = 0; c < s.chunks; ++c) {
    item_step_.push_back(static_cast<int>(steps_.size()));
    item_chunk_.push_back(c);
  }
  steps_.push_back(s);
}

Engine::~Engine() {
  stop_.store(true, std::memory_order_release);
  frame_gen_.fetch_add(1, std::memory_order_release);
  frame_gen_.notify_all();
  for (std::thread& t : pool_) t.join();
}

void Engine::Worker(int self) {
  uint32_t seen = 0;
  for (;;) {
    WaitChange(frame_gen_, seen);
    seen = frame_gen_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    Work(self);
  }
}

void Engine::RunImage(const uint8_t* pixels, int width, int height, size_t stride, bool bgr) {
  const Step& input = steps_[0];
  bool split = threads_ > 1;  // one thread: OpenCV's own threads resize faster
  for (int c = 1; c < input.chunks && split; ++c)
    split = reference::ResizeSplitsAt(
        height, static_cast<int>(static_cast<int64_t>(input.rows) * c / input.chunks));
  if (!split) {
    reference::ResizeToInput(pixels, width, height, stride, bgr, &resized_);
    Run(resized_.data());
    return;
  }
  resized_.resize(static_cast<size_t>(3) * reference::kInputSize * reference::kInputSize);
  image_ = {pixels, width, height, stride, bgr};
  from_image_ = true;
  Run(resized_.data());
  from_image_ = false;
}

void Engine::Run(const uint8_t* rgb) {
  rgb_ = rgb;
  for (size_t i = 0; i < steps_.size(); ++i) done_[i].store(0, std::memory_order_relaxed);
  for (size_t i = 0; i < steps_.size(); ++i)
    ends_[i].store(static_cast<uint64_t>(steps_[i].chunks) << 32, std::memory_order_release);
  if (threads_ > 1) {
    frame_gen_.fetch_add(1, std::memory_order_release);
    frame_gen_.notify_all();
  }
  Work(0);
  // Wait for chunks other threads still run.
  const size_t last = steps_.size() - 1;
  for (int spins = 0; done_[last].load(std::memory_order_acquire) != steps_[last].chunks; ++spins) {
    if (spins < 2000)
      CpuRelax();
    else
      std::this_thread::yield();
  }
}

std::vector<Engine::StepProfile> Engine::ProfileSteps(const uint8_t* rgb) {
  rgb_ = rgb;
  std::vector<StepProfile> out;
  int item = 0;
  for (const Step& step : steps_) {
    StepProfile p;
    switch (step.kind) {
      case Step::Kind::kInput:
        p.name = "input";
        break;
      case Step::Kind::kShadow:
        p.name = "shadow " + model_->tensors[step.index].name;
        break;
      case Step::Kind::kConv: {
        const Int8Layer& l = model_->layers[step.index];
        const Int8Tensor& t = model_->tensors[l.output];
        p.name = "conv " + l.name;
        p.macs = static_cast<int64_t>(t.height) * t.width * l.out_channels * l.in_channels *
                 l.kernel * l.kernel;
        break;
      }
      case Step::Kind::kUpsample:
        p.name = "upsample " + model_->layers[step.index].name;
        break;
      case Step::Kind::kConcat:
        p.name = "concat " + model_->layers[step.index].name;
        break;
      case Step::Kind::kDequantize:
        p.name = "dequantize";
        break;
    }
    const auto t0 = std::chrono::steady_clock::now();
    for (int c = 0; c < step.chunks; ++c) RunChunk(item++);
    p.ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    out.push_back(std::move(p));
  }
  return out;
}

int Engine::Claim(size_t step, bool from_back) {
  uint64_t v = ends_[step].load(std::memory_order_acquire);
  for (;;) {
    const uint32_t front = static_cast<uint32_t>(v), back = static_cast<uint32_t>(v >> 32);
    if (front >= back) return -1;
    const uint64_t next = from_back ? (static_cast<uint64_t>(back - 1) << 32 | front)
                                    : (static_cast<uint64_t>(back) << 32 | (front + 1));
    if (ends_[step].compare_exchange_weak(v, next, std::memory_order_acq_rel,
                                          std::memory_order_acquire))
      return static_cast<int>(from_back ? back - 1 : front);
  }
}

void Engine::Work(int self) {
  const bool from_back = self % 2 == 1;
  for (size_t step = 0; step < steps_.size(); ++step) {
    for (int c; (c = Claim(step, from_back)) >= 0;) {
      // The previous step must be complete, checked for every chunk claimed: a
      // thread descheduled between two claims may resume in the next frame,
      // and its next claim is then of that frame (Run reset ends_), whose
      // previous step may not be done.
      for (int spins = 0;
           step > 0 && done_[step - 1].load(std::memory_order_acquire) != steps_[step - 1].chunks;
           ++spins) {
        if (spins < 2000)
          CpuRelax();
        else
          std::this_thread::yield();
      }
      RunChunk(steps_[step].first_item + c);
      done_[step].fetch_add(1, std::memory_order_acq_rel);
      if (internal::g_chunk_done_hook != nullptr) internal::g_chunk_done_hook(self);
    }
  }
}

void Engine::RunChunk(int item) {
  const Step& s = steps_[item_step_[item]];
  const int c = item_chunk_[item];
  int r0, r1;
  if (s.kind == Step::Kind::kInput || s.chunks < 4) {
    r0 = static_cast<int>(static_cast<int64_t>(s.rows) * c / s.chunks);
    r1 = static_cast<int>(static_cast<int64_t>(s.rows) * (c + 1) / s.chunks);
  } else {
    // Chunks shrink toward the middle, where the two threads' ends meet, so
    // the one that finishes first waits for a small chunk: chunk i has
    // weight (n+1)/2 - min(i, n-1-i) (8 chunks: 4 3 2 1 1 2 3 4). On the Zen 4
    // machine the two-thread engine took ~3% less than with equal chunks.
    const int n = s.chunks, half = (n + 1) / 2;  // an odd count keeps a middle chunk of 1
    auto edge = [&](int k) {                     // rows before chunk k
      int64_t before = 0, total = 0;
      for (int i = 0; i < n; ++i) {
        const int w = half - std::min(i, n - 1 - i);
        total += w;
        if (i < k) before += w;
      }
      return static_cast<int>(static_cast<int64_t>(s.rows) * before / total);
    };
    r0 = edge(c);
    r1 = edge(c + 1);
  }
  switch (s.kind) {
    case Step::Kind::kInput:
      InputRows(r0, r1);
      break;
    case Step::Kind::kShadow:
      ShadowRows(s.index, r0, r1);
      break;
    case Step::Kind::kConv:
      ConvRows(static_cast<size_t>(s.index), r0, r1);
      break;
    case Step::Kind::kUpsample:
      UpsampleRows(static_cast<size_t>(s.index), r0, r1);
      break;
    case Step::Kind::kConcat:
      ConcatRows(static_cast<size_t>(s.index), r0, r1);
      break;
    case Step::Kind::kDequantize:
      DequantizeRange(r0, r1);
      break;
  }
}

void Engine::InputRows(int y0, int y1) {
  const int n = reference::kInputSize;
  const internal::View& v = views_[0];
  internal::Int16Shadow& sh = shadows_[0];
  if (from_image_)
    reference::ResizeRows(image_.pixels, image_.width, image_.height, image_.stride, image_.bgr, y0,
                          y1, resized_.data() + static_cast<size_t>(y0) * n * 3);
  for (int y = y0; y < y1; ++y) {
    const uint8_t* src = rgb_ + static_cast<size_t>(y) * n * 3;
    if (need_int8_input_ && v.pixel_stride == 3) {  // a row is contiguous: q = pixel ^ 0x80
      uint8_t* d = reinterpret_cast<uint8_t*>(v.At(y, 0, border_));
      for (int i = 0; i < 3 * n; ++i) d[i] = src[i] ^ 0x80;
    } else if (need_int8_input_) {
      int8_t* d = v.At(y, 0, border_);
      for (int x = 0; x < n; ++x)
        for (int c = 0; c < 3; ++c)
          d[x * v.pixel_stride + c] = static_cast<int8_t>(src[x * 3 + c] - 128);
    }
    if (!input_u8_.empty())
      std::memcpy(
          input_u8_.data() + static_cast<size_t>(y + border_) * input_u8_row_stride_ + border_ * 3,
          src, static_cast<size_t>(3) * n);
    if (!sh.data.empty()) {
      int16_t* d =
          sh.data.data() + static_cast<size_t>(y + border_) * sh.row_stride + border_ * sh.channels;
      for (int x = 0; x < n; ++x)
        for (int c = 0; c < 3; ++c)
          d[x * sh.channels + c] = static_cast<int16_t>(src[x * 3 + c] - 128);
    }
  }
}

void Engine::ShadowRows(int tensor, int y0, int y1) {
  const Int8Tensor& t = model_->tensors[tensor];
  const internal::View& v = views_[tensor];
  internal::Int16Shadow& sh = shadows_[tensor];
  for (int y = y0; y < y1; ++y) {
    const int8_t* s = v.At(y, 0, border_);
    int16_t* d =
        sh.data.data() + static_cast<size_t>(y + border_) * sh.row_stride + border_ * sh.channels;
    for (int x = 0; x < t.width; ++x)
      for (int c = 0; c < t.channels; ++c) d[x * sh.channels + c] = s[x * v.pixel_stride + c];
  }
}

void Engine::ConvRows(size_t li, int y0, int y1) {
  const internal::ConvPlan& p = convs_[li];
  const Int8Layer& l = *p.layer;
  internal::ConvArgs a;
  a.out_w = p.out_w;
  a.kernel = l.kernel;
  a.stride = l.stride;
  a.offset = border_ - l.pad;
  a.cin = l.in_channels;
  a.cout = l.out_channels;
  a.oc_blocks = p.oc_blocks;
  a.k_steps = p.k_steps;
  a.bias = p.bias.data();
  a.multiplier = p.multiplier.data();
  a.shift = p.shift.data();
  a.scale = p.scale.data();
  a.relu = l.relu;
  if (p.out_tensor == model_->output) {
    a.out32 = head_.data();
  } else {
    const internal::View& o = views_[p.out_tensor];
    a.out8 = o.At(0, 0, border_);
    a.out_pixel_stride = o.pixel_stride;
    a.out_row_stride = o.row_stride;
  }
  if (y0 >= y1) return;
  if (p.vnni) {
    if (p.signed_input) {  // the network input, as pixel bytes
      a.in8 = input_u8_.data();
      a.in_pixel_stride = 3;
      a.in_row_stride = input_u8_row_stride_;
    } else {
      const internal::View& v = views_[p.in_tensor];
      a.in8 = v.origin;
      a.in_pixel_stride = v.pixel_stride;
      a.in_row_stride = v.row_stride;
    }
    a.packed = p.packed_vnni.data();
    a.bias = p.bias_vnni.data();
    internal::ConvRowsVnni(a, y0, y1);
  } else if (p.amx) {
    const internal::View& v = views_[p.in_tensor];
    a.in8 = v.origin;
    a.in_pixel_stride = v.pixel_stride;
    a.in_row_stride = v.row_stride;
    a.packed = p.packed_amx.data();
    a.amx_groups = p.amx_groups;
    a.amx_chunks = p.amx_chunks;
    a.amx_group_taps = p.amx_group_taps;
    internal::ConvRowsAmx(a, p.signed_input, y0, y1);
  } else if (p.avx2 && p.signed_input) {
    const internal::Int16Shadow& sh = shadows_[p.in_tensor];
    a.in16 = sh.data.data();
    a.in_pixel_stride = sh.channels;
    a.in_row_stride = sh.row_stride;
    a.packed = p.packed16.data();
    internal::ConvRowsS16Avx2(a, y0, y1);  // also the VNNI path's, for a signed tensor
                                           // other than the network input (none in refnet)
  } else {
    const internal::View& v = views_[p.in_tensor];
    a.in8 = v.origin;
    a.in_pixel_stride = v.pixel_stride;
    a.in_row_stride = v.row_stride;
    if (p.avx2) {
      a.packed = p.packed8.data();
      internal::ConvRowsU8Avx2(a, y0, y1);
    } else {
      a.weights_ohwi = p.ohwi.data();
      internal::ConvRowsScalar(a, y0, y1);
    }
  }
}

void Engine::UpsampleRows(size_t li, int y0, int y1) {
  const Int8Layer& l = model_->layers[li];
  const Int8Tensor& to = model_->tensors[l.output];
  const internal::View& in = views_[l.inputs[0]];
  const internal::View& out = views_[l.output];
  const int c = to.channels;
  for (int y = y0; y < y1; ++y) {
    const int8_t* s = in.At(y / 2, 0, border_);
    int8_t* d = out.At(y, 0, border_);
    for (int x = 0; x < to.width; ++x)
      std::memcpy(d + x * out.pixel_stride, s + (x / 2) * in.pixel_stride, c);
  }
}

void Engine::ConcatRows(size_t li, int y0, int y1) {
  const Int8Layer& l = model_->layers[li];
  const Int8Tensor& to = model_->tensors[l.output];
  const internal::View& out = views_[l.output];
  int off = 0;
  for (int t : l.inputs) {
    const int c = model_->tensors[t].channels;
    const internal::View& in = views_[t];
    if (in.origin != out.origin + off) {  // not written in place: copy
      for (int y = y0; y < y1; ++y) {
        const int8_t* s = in.At(y, 0, border_);
        int8_t* d = out.At(y, 0, border_) + off;
        for (int x = 0; x < to.width; ++x)
          std::memcpy(d + x * out.pixel_stride, s + x * in.pixel_stride, c);
      }
    }
    off += c;
  }
}

void Engine::DequantizeRange(int p0, int p1) {
  const Int8Tensor& h = model_->tensors[model_->output];
  const int plane = h.height * h.width;
  for (int c = 0; c < h.channels; ++c) {
    const float s = head_scale_[c];
    float* d = logits_.data() + static_cast<size_t>(c) * plane;
    for (int p = p0; p < p1; ++p)
      d[p] = static_cast<float>(head_[static_cast<size_t>(p) * head_stride_ + c]) * s;
  }
}

std::vector<int32_t> Engine::HeadAccumulators() const {
  const Int8Tensor& h = model_->tensors[model_->output];
  const int plane = h.height * h.width;
  std::vector<int32_t> out(static_cast<size_t>(h.channels) * plane);
  for (int c = 0; c < h.channels; ++c)
    for (int p = 0; p < plane; ++p)
      out[static_cast<size_t>(c) * plane + p] = head_[static_cast<size_t>(p) * head_stride_ + c];
  return out;
}

std::vector<int8_t> Engine::Tensor(int index) const {
  const Int8Tensor& t = model_->tensors[index];
  std::vector<int8_t> out(static_cast<size_t>(t.channels) * t.height * t.width);
  if (index == 0 && !need_int8_input_ && !input_u8_.empty()) {  // only the pixel bytes exist
    for (int c = 0; c < t.channels; ++c)
      for (int y = 0; y < t.height; ++y)
        for (int x = 0; x < t.width; ++x)
          out[(static_cast<size_t>(c) * t.height + y) * t.width + x] = static_cast<int8_t>(
              input_u8_[static_cast<size_t>(y + border_) * input_u8_row_stride_ +
                        (x + border_) * t.channels + c] ^
              0x80);
    return out;
  }
  if (index == 0 && !need_int8_input_) {  // only the int16 shadow exists
    const internal::Int16Shadow& sh = shadows_[0];
    for (int c = 0; c < t.channels; ++c)
      for (int y = 0; y < t.height; ++y)
        for (int x = 0; x < t.width; ++x)
          out[(static_cast<size_t>(c) * t.height + y) * t.width + x] =
              static_cast<int8_t>(sh.data[static_cast<size_t>(y + border_) * sh.row_stride +
                                          (x + border_) * sh.channels + c]);
    return out;
  }
  const internal::View& v = views_[index];
  for (int c = 0; c < t.channels; ++c)
    for (int y = 0; y < t.height; ++y)
      for (int x = 0; x < t.width; ++x)
        out[(static_cast<size_t>(c) * t.height + y) * t.width + x] = v.At(y, x, border_)[c];
  return out;
}

}  // namespace maskbench::int8_fast
