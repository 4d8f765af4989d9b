// int8-fast is bit-exact with the naive reference executor (reference-baseline):
// every int8 tensor and the int32 head, on synthetic frames, for every path the
// CPU has (AMX, AVX-512 VNNI, AVX2, scalar) and several thread counts; the VNNI
// kernel equals the scalar one on shapes refnet lacks; the float
// requantizations equal the reference's; the plugins agree detection for
// detection through the real ABI; Run() allocates nothing.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <stdexcept>
#include <string_view>

#include "engine.h"
#include "example_test_util.h"
#include "kernels.h"
#include "maskbench/accelerator.h"
#include "maskbench/core/files.h"
#include "maskbench/reference/int8_executor.h"
#include "maskbench/reference/postprocess.h"

// Counts every allocation of this test process (to check that Run() makes none).
// GCC cannot see that these replace the global operators (it warns on free()).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
static std::atomic<long> g_allocations{0};
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace maskbench::int8_fast {
namespace {

namespace ref = maskbench::reference;

using example_test::BuildDir;
using example_test::Input;
using example_test::SourceDir;
using example_test::SyntheticFrame;

class Int8FastTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<ref::Int8Model> m = example_test::LoadReferenceModel();
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(m).value();
  }
  // Every tensor and the head of `engine` equal the executor's after both ran `rgb`.
  void ExpectSame(const ref::Int8Executor& golden, const ref::Int8Output& gout,
                  const Engine& engine, const std::string& what) {
    for (size_t t = 1; t < model_.tensors.size(); ++t) {
      if (static_cast<int>(t) == model_.output) continue;
      const std::vector<int8_t> got = engine.Tensor(static_cast<int>(t));
      const std::vector<int8_t>& want = golden.Tensor(static_cast<int>(t));
      ASSERT_EQ(got.size(), want.size());
      size_t diff = 0;
      for (size_t i = 0; i < got.size(); ++i) diff += got[i] != want[i];
      EXPECT_EQ(diff, 0u) << what << ": tensor " << model_.tensors[t].name << " differs in " << diff
                          << " elements";
    }
    EXPECT_EQ(engine.HeadAccumulators(), gout.head) << what << ": int32 head differs";
    const std::vector<float> want = gout.Dequantize();
    EXPECT_EQ(engine.HeadLogits(), want) << what << ": dequantized head differs";
  }
  ref::Int8Model model_;
};

TEST_F(Int8FastTest, MatchesTheNaiveExecutorOnEveryTensorOfSyntheticFrames) {
  ref::Int8Executor golden(&model_);
  std::vector<std::unique_ptr<Engine>> engines;
  std::vector<std::string> names;
  for (Simd simd : {Simd::kAmx, Simd::kAvx512Vnni, Simd::kAvx2, Simd::kScalar}) {
    if (!CpuSupports(simd)) {
      std::printf("[ SKIPPED  ] path %s: this CPU does not have it\n", SimdName(simd));
      continue;
    }
    for (int threads : {1, 2, 3}) {
      engines.push_back(std::make_unique<Engine>(&model_, EngineOptions{threads, simd}));
      EXPECT_EQ(engines.back()->isa(), simd);
      names.push_back(std::string(SimdName(simd)) + " x" + std::to_string(threads));
    }
  }
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const std::vector<uint8_t> rgb =
        Input(SyntheticFrame(seed, seed == 4 ? 333 : 640, seed == 4 ? 517 : 480));
    ref::Int8Output gout;
    golden.Run(rgb.data(), &gout);
    for (size_t e = 0; e < engines.size(); ++e) {
      engines[e]->Run(rgb.data());
      ExpectSame(golden, gout, *engines[e], names[e] + ", frame seed " + std::to_string(seed));
    }
  }
}

// RunImage (the resize as the engine's first step, in parts over the threads
// where the split is exact) equals ResizeToInput then the executor.
TEST_F(Int8FastTest, RunImageEqualsResizeThenRunForEveryFrameSize) {
  ref::Int8Executor golden(&model_);
  const Simd best = CpuSupports(Simd::kAmx)          ? Simd::kAmx
                    : CpuSupports(Simd::kAvx512Vnni) ? Simd::kAvx512Vnni
                    : CpuSupports(Simd::kAvx2)       ? Simd::kAvx2
                                                     : Simd::kScalar;
  std::vector<std::unique_ptr<Engine>> engines;
  for (int threads : {1, 2, 3, 4})
    engines.push_back(std::make_unique<Engine>(&model_, EngineOptions{threads, best}));
  struct Size {
    int w, h;
  };
  // 640x480, 1280x720 and 1920x1080 split; 333x517 (scale not exact) and
  // 320x240 (upscaled) take the whole-frame resize.
  for (const Size sz :
       {Size{640, 480}, Size{1280, 720}, Size{1920, 1080}, Size{333, 517}, Size{320, 240}}) {
    const cv::Mat img = SyntheticFrame(40 + sz.w, sz.w, sz.h);  // BGR
    cv::Mat rgb_img;
    cv::cvtColor(img, rgb_img, cv::COLOR_BGR2RGB);
    for (bool bgr : {true, false}) {
      const cv::Mat& frame = bgr ? img : rgb_img;
      std::vector<uint8_t> rgb;
      ref::ResizeToInput(frame.data, frame.cols, frame.rows, frame.step, bgr, &rgb);
      ref::Int8Output gout;
      golden.Run(rgb.data(), &gout);
      for (auto& e : engines) {
        e->RunImage(frame.data, frame.cols, frame.rows, frame.step, bgr);
        ExpectSame(golden, gout, *e,
                   std::to_string(sz.w) + "x" + std::to_string(sz.h) + (bgr ? " BGR" : " RGB") +
                       ", " + SimdName(best) + " x" + std::to_string(e->threads()));
        EXPECT_EQ(e->Tensor(0), golden.Tensor(0)) << "the network input";
      }
    }
  }
}

// The AMX epilogue's float requantization with its integer fallback equals
// reference::Requantize on random and on adversarial accumulators: exact
// halves, one off a half, the int32 extremes, values that saturate.
// The float requantization with its exact integer fallback near a half
// (avx512::RequantizeFast16), as the AMX and the VNNI epilogues call it,
// against reference::Requantize.
void ExpectRequantizeEqualsTheReference(void (*requantize)(const int32_t*, int, const int32_t*,
                                                           const int32_t*, const float*, bool,
                                                           int8_t*)) {
  std::mt19937_64 rng(9);
  std::vector<int32_t> acc, mult, shift;
  std::vector<float> scale;
  auto add = [&](int64_t a, int32_t m, int32_t s) {
    if (a < INT32_MIN || a > INT32_MAX) return;
    acc.push_back(static_cast<int32_t>(a));
    mult.push_back(m);
    shift.push_back(s);
    scale.push_back(internal::AmxScale(m, s));
  };
  for (int i = 0; i < 200000; ++i) {
    const int32_t m = static_cast<int32_t>((1u << 30) + rng() % (1u << 30));
    const int32_t s = static_cast<int32_t>(rng() % 13);
    add(static_cast<int32_t>(rng()), m, s);                                     // anything
    add(static_cast<int64_t>(rng() % (1u << (s + 9))) - (1 << (s + 8)), m, s);  // near the range
    // acc * m / 2^(31 + s) = k + 1/2 exactly with m = 2^30: acc = (2k + 1) 2^s; and one off it.
    const int64_t k = static_cast<int64_t>(rng() % 300) - 150;
    add((2 * k + 1) << s, 1 << 30, s);
    add(((2 * k + 1) << s) + 1, 1 << 30, s);
    add(((2 * k + 1) << s) - 1, 1 << 30, s);
  }
  for (int32_t a : {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX})
    for (int32_t s : {0, 5, 12}) add(a, (1 << 30) + 12345, s), add(a, INT32_MAX, s);
  while (acc.size() % 16 != 0) add(0, 1 << 30, 0);
  for (bool relu : {true, false}) {
    std::vector<int8_t> got(acc.size());
    requantize(acc.data(), static_cast<int>(acc.size()), mult.data(), shift.data(), scale.data(),
               relu, got.data());
    size_t bad = 0;
    for (size_t i = 0; i < acc.size(); ++i) {
      const int8_t want = ref::Requantize(acc[i], mult[i], shift[i], relu);
      if (got[i] != want && bad++ < 5)
        ADD_FAILURE() << "acc " << acc[i] << " multiplier " << mult[i] << " shift " << shift[i]
                      << (relu ? " relu" : "") << ": got " << int{got[i]} << ", want " << int{want};
    }
    EXPECT_EQ(bad, 0u) << (relu ? "relu" : "signed");
  }
}

TEST(AmxRequantizeTest, EqualsTheReferenceOnHalvesExtremesAndRandomValues) {
  if (!CpuSupports(Simd::kAmx)) {
    std::printf("[ SKIPPED  ] path amx: this CPU does not have it\n");
    return;
  }
  ExpectRequantizeEqualsTheReference(internal::RequantizeAmx);
}

TEST(VnniRequantizeTest, EqualsTheReferenceOnHalvesExtremesAndRandomValues) {
  if (!CpuSupports(Simd::kAvx512Vnni)) {
    std::printf("[ SKIPPED  ] path avx512-vnni: this CPU does not have it\n");
    return;
  }
  ExpectRequantizeEqualsTheReference(internal::RequantizeVnni);
}

// The VNNI kernel on shapes refnet does not have, against the scalar kernel:
// rows that leave a remainder (one-pixel tiles), channel counts that end in a
// masked zmm (13, 56), in a ymm (40: two zmm and a ymm; 72: four zmm, then a
// pass with a ymm), 4 zmm (64), three passes (130), every tile width (20, 16,
// 10, 8, 5, 4 pixels and one-pixel tiles), strides 1 and 2, 1x1 and 3x3, and
// the int32 output. The output
// has spare bytes between pixels, so a write past a pixel's channels shows.
TEST(VnniKernelTest, EqualsTheScalarKernelOnShapesRefnetLacks) {
  if (!CpuSupports(Simd::kAvx512Vnni)) {
    std::printf("[ SKIPPED  ] path avx512-vnni: this CPU does not have it\n");
    return;
  }
  struct Shape {
    int cin, cout, kernel, stride, out_w, out_h;
  };
  const Shape shapes[] = {
      {3, 16, 3, 2, 13, 3}, {5, 7, 1, 1, 23, 2},   {16, 24, 3, 1, 7, 3}, {12, 40, 3, 1, 11, 2},
      {8, 56, 3, 1, 9, 2},  {20, 72, 1, 1, 6, 2},  {4, 13, 3, 2, 17, 2}, {9, 64, 3, 1, 3, 2},
      {7, 48, 3, 2, 1, 1},  {33, 32, 1, 1, 21, 1}, {6, 20, 3, 1, 31, 2}, {10, 80, 3, 1, 5, 1},
      {5, 16, 3, 1, 40, 1}, {4, 16, 1, 1, 8, 2},   {3, 8, 3, 2, 10, 1},  {6, 48, 3, 1, 4, 2},
      {4, 64, 3, 1, 8, 1},  {3, 130, 1, 1, 6, 1},  {2, 32, 3, 1, 16, 1}, {2, 16, 3, 1, 16, 1},
      {3, 16, 3, 1, 15, 1}, {4, 32, 3, 1, 15, 1},  {5, 48, 3, 1, 10, 1}};
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> weight(-127, 127), pixel(0, 127), shift(2, 16);
  for (const Shape& sh : shapes) {
    for (bool head : {false, true}) {
      SCOPED_TRACE(testing::Message() << "cin " << sh.cin << " cout " << sh.cout << " k "
                                      << sh.kernel << " stride " << sh.stride << " out " << sh.out_w
                                      << "x" << sh.out_h << (head ? " int32" : ""));
      const int border = 1, pad = sh.kernel / 2;
      const int in_w = (sh.out_w - 1) * sh.stride + 1, in_h = (sh.out_h - 1) * sh.stride + 1;
      const int in_pixel = sh.cin + 3;  // a view into a wider buffer, as in a concat
      const int in_row = (in_w + 2 * border) * in_pixel;
      std::vector<int8_t> in(static_cast<size_t>(in_h + 2 * border) * in_row + 64, 0);
      for (int y = 0; y < in_h; ++y)
        for (int x = 0; x < in_w; ++x)
          for (int c = 0; c < in_pixel; ++c)
            in[static_cast<size_t>(y + border) * in_row + (x + border) * in_pixel + c] =
                static_cast<int8_t>(pixel(rng));
      const int taps = sh.kernel * sh.kernel;
      std::vector<int8_t> oihw(static_cast<size_t>(sh.cout) * sh.cin * taps), ohwi(oihw.size());
      for (int8_t& w : oihw) w = static_cast<int8_t>(weight(rng));
      for (int o = 0; o < sh.cout; ++o)
        for (int i = 0; i < sh.cin; ++i)
          for (int t = 0; t < taps; ++t)
            ohwi[(static_cast<size_t>(o) * taps + t) * sh.cin + i] =
                oihw[(static_cast<size_t>(o) * sh.cin + i) * taps + t];
      const int padded = (sh.cout + 15) / 16 * 16;
      std::vector<int32_t> bias(padded, 0), mult(padded, 1 << 30), shf(padded, 0);
      std::vector<float> scale(padded, 0.5f);
      for (int o = 0; o < sh.cout; ++o) {
        bias[o] = static_cast<int32_t>(rng() % 20001) - 10000;
        mult[o] = static_cast<int32_t>((1u << 30) + rng() % (1u << 30));
        shf[o] = shift(rng);
        scale[o] = internal::AmxScale(mult[o], shf[o]);
      }
      const internal::AlignedVector<int8_t> packed =
          internal::PackVnni(oihw.data(), sh.cout, sh.cin, sh.kernel);
      internal::ConvArgs a;
      a.out_w = sh.out_w;
      a.kernel = sh.kernel;
      a.stride = sh.stride;
      a.offset = border - pad;
      a.cin = sh.cin;
      a.cout = sh.cout;
      a.oc_blocks = (sh.cout + 7) / 8;
      a.k_steps = (sh.cin + 3) / 4;
      a.in8 = in.data();
      a.in_pixel_stride = in_pixel;
      a.in_row_stride = in_row;
      a.bias = bias.data();
      a.multiplier = mult.data();
      a.shift = shf.data();
      a.scale = scale.data();
      a.relu = (sh.cout % 2) == 0;
      const int out_pixel = sh.cout + 5, out_row = sh.out_w * out_pixel;
      const size_t out8_size = static_cast<size_t>(sh.out_h) * out_row + 64;
      const size_t out32_size = static_cast<size_t>(sh.out_h) * sh.out_w * a.oc_blocks * 8;
      std::vector<int8_t> want8(out8_size, 0x55), got8(out8_size, 0x55);
      std::vector<int32_t> want32(out32_size, 0x5555), got32(out32_size, 0x5555);
      a.out_pixel_stride = out_pixel;
      a.out_row_stride = out_row;
      internal::ConvArgs s = a;
      s.weights_ohwi = ohwi.data();
      if (head) {
        s.out32 = want32.data();
        a.out32 = got32.data();
      } else {
        s.out8 = want8.data();
        a.out8 = got8.data();
      }
      internal::ConvRowsScalar(s, 0, sh.out_h);
      a.packed = packed.data();
      internal::ConvRowsVnni(a, 0, sh.out_h);
      if (head) {
        // The int32 output's padding channels (to a multiple of 8) are the
        // VNNI kernel's zero-weight sums (bias 0): the scalar kernel leaves them.
        for (size_t i = 0; i < out32_size; ++i)
          if (static_cast<int>(i % (a.oc_blocks * 8)) >= sh.cout) want32[i] = got32[i];
        EXPECT_EQ(got32, want32);
      } else {
        EXPECT_EQ(got8, want8);
      }
    }
  }
}

// A pool thread descheduled between two claims resumes in the next frame: its
// claims there must still wait for their previous step (a regression: the
// check was once made per step, not per chunk, and such a thread ran chunks on
// stale input). The hook sleeps the pool thread after 1 chunk in 16.
TEST_F(Int8FastTest, APoolThreadLateIntoTheNextFrameStillWaitsForEachStep) {
  std::vector<std::vector<uint8_t>> inputs;
  std::vector<std::vector<int32_t>> want;
  {
    Engine one(&model_, EngineOptions{1, Simd::kAuto});
    for (uint64_t seed : {51u, 52u, 53u}) {
      inputs.push_back(Input(SyntheticFrame(seed)));
      one.Run(inputs.back().data());
      want.push_back(one.HeadAccumulators());
    }
  }
  static std::atomic<int> calls{0};
  internal::g_chunk_done_hook = [](int self) {
    if (self == 1 && calls.fetch_add(1) % 16 == 0) usleep(300);
  };
  Engine e(&model_, EngineOptions{2, Simd::kAuto});
  int wrong = 0;
  for (int f = 0; f < 600; ++f) {
    e.Run(inputs[f % 3].data());
    if (e.HeadAccumulators() != want[f % 3]) ++wrong;
  }
  internal::g_chunk_done_hook = nullptr;
  EXPECT_EQ(wrong, 0) << "frames with a wrong head, of 600";
  EXPECT_GT(calls.load(), 600) << "the pool thread ran chunks";
}

TEST_F(Int8FastTest, MatchesThePythonGoldenPattern) {
  std::vector<uint8_t> rgb(3 * ref::kInputSize * ref::kInputSize);
  for (int y = 0; y < ref::kInputSize; ++y)
    for (int x = 0; x < ref::kInputSize; ++x)
      for (int c = 0; c < 3; ++c)
        rgb[(y * ref::kInputSize + x) * 3 + c] =
            static_cast<uint8_t>((7 * x + 13 * y + 71 * c + (x * y) % 11) % 256);
  Result<std::string> g = ReadFile(SourceDir() / "reference" / "model" / "golden.json");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  Engine engine(&model_);
  engine.Run(rgb.data());
  const std::vector<int32_t> head = engine.HeadAccumulators();
  EXPECT_EQ(
      Sha256Hex(std::string_view(reinterpret_cast<const char*>(head.data()), head.size() * 4)),
      nlohmann::json::parse(*g).at("pattern_head_sha256").get<std::string>());
}

TEST_F(Int8FastTest, RunAllocatesNothingAndIsRepeatable) {
  Engine engine(&model_, EngineOptions{2, Simd::kAuto});
  const std::vector<uint8_t> a = Input(SyntheticFrame(11));
  const std::vector<uint8_t> b = Input(SyntheticFrame(12));
  engine.Run(a.data());
  const std::vector<int32_t> first = engine.HeadAccumulators();
  const long before = g_allocations.load();
  for (int i = 0; i < 3; ++i) {
    engine.Run(b.data());
    engine.Run(a.data());
  }
  EXPECT_EQ(g_allocations.load() - before, 0) << "Engine::Run allocated";
  EXPECT_EQ(engine.HeadAccumulators(), first);
}

// The roofline's step-by-step run computes what Run() does and names every step.
TEST_F(Int8FastTest, ProfileStepsGivesRunsOutputsAndCountsTheConvolutionMacs) {
  const std::vector<uint8_t> rgb = Input(SyntheticFrame(5));
  Engine run(&model_, EngineOptions{2, Simd::kAuto});
  run.Run(rgb.data());
  Engine profiled(&model_, EngineOptions{2, Simd::kAuto});
  const std::vector<Engine::StepProfile> steps = profiled.ProfileSteps(rgb.data());
  EXPECT_EQ(profiled.HeadAccumulators(), run.HeadAccumulators());
  int64_t macs = 0, want = 0;
  int convs = 0;
  for (const Engine::StepProfile& s : steps) {
    EXPECT_FALSE(s.name.empty());
    EXPECT_GE(s.ns, 0);
    macs += s.macs;
    convs += s.name.rfind("conv ", 0) == 0;
  }
  for (const ref::Int8Layer& l : model_.layers) {
    if (l.op != ref::Int8Layer::Op::kConv) continue;
    const ref::Int8Tensor& t = model_.tensors[l.output];
    want += static_cast<int64_t>(t.height) * t.width * l.out_channels * l.in_channels * l.kernel *
            l.kernel;
    --convs;
  }
  EXPECT_EQ(convs, 0) << "one conv step per convolution";
  EXPECT_EQ(macs, want);
  EXPECT_GT(macs, 100'000'000) << "the network is ~284 M MACs";
}

TEST_F(Int8FastTest, RefusesAnUnknownSimdName) {
  Simd s = Simd::kAuto;
  EXPECT_TRUE(ParseSimd("scalar", &s));
  EXPECT_EQ(s, Simd::kScalar);
  EXPECT_TRUE(ParseSimd("avx512-vnni", &s));
  EXPECT_EQ(s, Simd::kAvx512Vnni);
  EXPECT_FALSE(ParseSimd("sse9", &s));
  for (Simd each : {Simd::kAuto, Simd::kAmx, Simd::kAvx512Vnni, Simd::kAvx2, Simd::kScalar}) {
    Simd back = Simd::kAuto;
    EXPECT_TRUE(ParseSimd(SimdName(each), &back));
    EXPECT_EQ(back, each);
  }
}

// kAuto takes the best path the CPU has, or the one MASKBENCH_INT8_ISA names.
TEST_F(Int8FastTest, AutoPicksTheBestPathAndTheEnvironmentOverridesIt) {
  ::unsetenv("MASKBENCH_INT8_ISA");
  const Simd best = CpuSupports(Simd::kAmx)          ? Simd::kAmx
                    : CpuSupports(Simd::kAvx512Vnni) ? Simd::kAvx512Vnni
                    : CpuSupports(Simd::kAvx2)       ? Simd::kAvx2
                                                     : Simd::kScalar;
  EXPECT_EQ(Engine(&model_, EngineOptions{1, Simd::kAuto}).isa(), best);
  ::setenv("MASKBENCH_INT8_ISA", "scalar", 1);
  EXPECT_EQ(Engine(&model_, EngineOptions{1, Simd::kAuto}).isa(), Simd::kScalar);
  // A named option wins over the environment.
  if (CpuSupports(Simd::kAvx2)) {
    EXPECT_EQ(Engine(&model_, EngineOptions{1, Simd::kAvx2}).isa(), Simd::kAvx2);
  }
  ::setenv("MASKBENCH_INT8_ISA", "sse9", 1);
  try {
    Engine e(&model_, EngineOptions{1, Simd::kAuto});
    ADD_FAILURE() << "an unknown MASKBENCH_INT8_ISA was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("MASKBENCH_INT8_ISA"), std::string::npos) << e.what();
  }
  ::unsetenv("MASKBENCH_INT8_ISA");
  for (Simd simd : {Simd::kAmx, Simd::kAvx512Vnni, Simd::kAvx2}) {
    if (CpuSupports(simd)) continue;
    try {
      Engine e(&model_, EngineOptions{1, simd});
      ADD_FAILURE() << SimdName(simd) << " accepted on a CPU without it";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("does not have it"), std::string::npos) << e.what();
    }
  }
}

// The two plugins, loaded through the ABI, produce identical detections.
struct Plugin {
  void* handle = nullptr;
  const mb_accelerator_entry_t* entry = nullptr;
  mb_accelerator_t* instance = nullptr;
  std::string error;
  Plugin(const std::filesystem::path& so, const char* config) {
    handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      error = dlerror();
      return;
    }
    entry = static_cast<const mb_accelerator_entry_t*>(dlsym(handle, MB_ENTRY_SYMBOL));
    if (entry == nullptr) {
      error = "no entry";
      return;
    }
    char buf[512] = {0};
    instance = entry->create(config, so.parent_path().c_str(), buf, sizeof buf);
    if (instance == nullptr) error = buf;
  }
  ~Plugin() {
    if (instance != nullptr) instance->destroy(instance);
    if (handle != nullptr) dlclose(handle);
  }
  std::vector<mb_detection_t> Infer(const cv::Mat& img) {
    mb_frame_t f{img.data,
                 static_cast<uint32_t>(img.cols),
                 static_cast<uint32_t>(img.rows),
                 static_cast<uint32_t>(img.step),
                 MB_PIXEL_FORMAT_BGR8,
                 0};
    std::vector<mb_detection_t> d(100);
    uint32_t n = 0;
    char buf[512] = {0};
    EXPECT_EQ(instance->infer(instance, &f, d.data(), 100, &n, buf, sizeof buf), MB_OK) << buf;
    d.resize(std::min<uint32_t>(n, 100));
    return d;
  }
};

TEST_F(Int8FastTest, PluginAgreesWithReferenceBaselineThroughTheAbi) {
  const auto subs = BuildDir() / "submissions";
  Plugin fast(subs / "int8-fast" / "libint8-fast.so", "{\"score_threshold\": 0.05}");
  Plugin base(subs / "reference-baseline" / "libreference-baseline.so",
              "{\"score_threshold\": 0.05}");
  ASSERT_TRUE(fast.error.empty()) << fast.error;
  ASSERT_TRUE(base.error.empty()) << base.error;
  EXPECT_EQ(fast.instance->get_extension(fast.instance, MB_EXT_CYCLES), nullptr)
      << "int8-fast is measured";
  for (uint64_t seed : {21u, 22u}) {
    const cv::Mat img = SyntheticFrame(seed);
    const std::vector<mb_detection_t> a = fast.Infer(img), b = base.Infer(img);
    ASSERT_EQ(a.size(), b.size()) << "seed " << seed;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].class_id, b[i].class_id);
      EXPECT_EQ(a[i].x, b[i].x);
      EXPECT_EQ(a[i].y, b[i].y);
      EXPECT_EQ(a[i].w, b[i].w);
      EXPECT_EQ(a[i].h, b[i].h);
      EXPECT_EQ(a[i].score, b[i].score);
    }
  }
}

// Offline: a batch spread over single-threaded lanes gives the same detections
// as one frame at a time.
TEST_F(Int8FastTest, PluginBatchEqualsOneFrameAtATime) {
  Plugin fast(BuildDir() / "submissions" / "int8-fast" / "libint8-fast.so", "{\"threads\": 2}");
  ASSERT_TRUE(fast.error.empty()) << fast.error;
  const auto* batch =
      static_cast<const mb_ext_batch_t*>(fast.instance->get_extension(fast.instance, MB_EXT_BATCH));
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->max_batch(fast.instance), 64u);
  std::vector<cv::Mat> imgs;
  std::vector<mb_frame_t> frames;
  for (uint64_t seed : {31u, 32u, 33u}) imgs.push_back(SyntheticFrame(seed));
  for (const cv::Mat& m : imgs)
    frames.push_back({m.data, static_cast<uint32_t>(m.cols), static_cast<uint32_t>(m.rows),
                      static_cast<uint32_t>(m.step), MB_PIXEL_FORMAT_BGR8, 0});
  std::vector<mb_detection_t> dets(3 * 100);
  uint32_t counts[3] = {0, 0, 0};
  char buf[512] = {0};
  ASSERT_EQ(batch->infer_batch(fast.instance, frames.data(), 3, dets.data(), 100, counts, buf,
                               sizeof buf),
            MB_OK)
      << buf;
  for (size_t f = 0; f < imgs.size(); ++f) {
    const std::vector<mb_detection_t> one = fast.Infer(imgs[f]);
    ASSERT_EQ(counts[f], one.size()) << "frame " << f;
    for (size_t i = 0; i < one.size(); ++i) {
      const mb_detection_t& b = dets[f * 100 + i];
      EXPECT_EQ(b.x, one[i].x);
      EXPECT_EQ(b.y, one[i].y);
      EXPECT_EQ(b.w, one[i].w);
      EXPECT_EQ(b.h, one[i].h);
      EXPECT_EQ(b.class_id, one[i].class_id);
      EXPECT_EQ(b.score, one[i].score);
    }
  }
}

TEST_F(Int8FastTest, PluginRejectsABadConfigWithAMessage) {
  Plugin fast(BuildDir() / "submissions" / "int8-fast" / "libint8-fast.so", "{\"simd\": \"sse9\"}");
  EXPECT_EQ(fast.instance, nullptr);
  EXPECT_NE(fast.error.find("simd"), std::string::npos) << fast.error;
}

}  // namespace
}  // namespace maskbench::int8_fast
