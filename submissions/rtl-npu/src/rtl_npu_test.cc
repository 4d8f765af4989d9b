// rtl-npu on its Verilated model: every layer kind (3x3 stride 1, 3x3 stride 2,
// 1x1, upsample, concat) bit-exact with the naive int8 executor on random
// tensors, whole frames bit-exact on synthetic frames, cycles deterministic,
// the activity counters consistent with the work, and misbehaviour (a DRAM
// address outside the model) reported rather than crashing.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <random>

#include "example_test_util.h"
#include "maskbench/reference/int8_executor.h"
#include "maskbench/rtl/accelerator.h"
#include "maskbench/rtl/npu.h"

namespace maskbench::rtl {
namespace {

namespace ref = maskbench::reference;
using ref::Int8Layer;
using ref::Int8Model;
using ref::Int8Tensor;

// A model built layer by layer with random parameters.
class ModelBuilder {
 public:
  explicit ModelBuilder(uint32_t seed) : rng_(seed) {
    m_.tensors.push_back({"input", 3, ref::kInputSize, ref::kInputSize, 1.0 / 128});
  }
  int Conv(int in, int cout, int k, int s, bool relu, bool requantize = true) {
    const Int8Tensor& ti = m_.tensors[in];
    Int8Layer l;
    l.op = Int8Layer::Op::kConv;
    l.name = "conv" + std::to_string(m_.layers.size());
    l.inputs = {in};
    l.in_channels = ti.channels;
    l.out_channels = cout;
    l.kernel = k;
    l.stride = s;
    l.pad = k / 2;
    l.relu = relu;
    l.requantize = requantize;
    std::uniform_int_distribution<int> w(-9, 9), b(-3000, 3000), mul(1 << 30, INT32_MAX), sh(6, 9);
    l.weights.resize(static_cast<size_t>(cout) * ti.channels * k * k);
    for (int8_t& x : l.weights) x = static_cast<int8_t>(w(rng_));
    for (int c = 0; c < cout; ++c) {
      l.bias.push_back(b(rng_));
      l.multiplier.push_back(mul(rng_));
      l.shift.push_back(sh(rng_));
      if (!requantize) l.output_scale.push_back(0.001f * static_cast<float>(c + 1));
    }
    if (!requantize) {
      l.multiplier.clear();
      l.shift.clear();
    }
    const int ho = (ti.height + 2 * l.pad - k) / s + 1, wo = (ti.width + 2 * l.pad - k) / s + 1;
    return Add(l, {l.name, cout, ho, wo, requantize ? 0.05 : 0.0});
  }
  int Upsample(int in) {
    const Int8Tensor& ti = m_.tensors[in];
    Int8Layer l;
    l.op = Int8Layer::Op::kUpsample2x;
    l.name = "up" + std::to_string(m_.layers.size());
    l.inputs = {in};
    return Add(l, {l.name, ti.channels, 2 * ti.height, 2 * ti.width, ti.scale});
  }
  int Concat(int a, int b) {
    Int8Layer l;
    l.op = Int8Layer::Op::kConcat;
    l.name = "cat" + std::to_string(m_.layers.size());
    l.inputs = {a, b};
    const Int8Tensor& ta = m_.tensors[a];
    return Add(l, {l.name, ta.channels + m_.tensors[b].channels, ta.height, ta.width, ta.scale});
  }
  // Ends with an int32 head over `in`.
  Int8Model Finish(int in) {
    m_.output = Conv(in, 7, 1, 1, false, false);
    return m_;
  }

 private:
  int Add(Int8Layer l, Int8Tensor t) {
    m_.tensors.push_back(t);
    l.output = static_cast<int>(m_.tensors.size()) - 1;
    m_.layers.push_back(l);
    return l.output;
  }
  std::mt19937 rng_;
  Int8Model m_;
};

std::vector<uint8_t> RandomRgb(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> rgb(3 * ref::kInputSize * ref::kInputSize);
  for (uint8_t& v : rgb) v = static_cast<uint8_t>(rng());
  return rgb;
}

// Runs `m` on the design and on the executor; every tensor and the head must match.
void ExpectBitExact(const Int8Model& m, const std::vector<uint8_t>& rgb, const std::string& what) {
  std::unique_ptr<NpuSim> sim = MakeSim();
  RtlNpu npu(&m, sim.get());
  ref::Int8Executor golden(&m);
  ref::Int8Output gout;
  golden.Run(rgb.data(), &gout);
  npu.Run(rgb.data());
  for (size_t t = 1; t < m.tensors.size(); ++t) {
    if (static_cast<int>(t) == m.output) continue;
    const std::vector<int8_t> got = npu.Tensor(static_cast<int>(t));
    const std::vector<int8_t>& want = golden.Tensor(static_cast<int>(t));
    ASSERT_EQ(got.size(), want.size()) << what << ": tensor " << m.tensors[t].name;
    size_t diff = 0;
    for (size_t i = 0; i < got.size(); ++i) diff += got[i] != want[i];
    EXPECT_EQ(diff, 0u) << what << ": tensor " << m.tensors[t].name << " differs in " << diff
                        << " of " << got.size() << " values";
    // Random parameters must exercise the requantizer: not all zero, not all clamped.
    std::set<int8_t> distinct(want.begin(), want.end());
    EXPECT_GT(distinct.size(), 8u) << what << ": tensor " << m.tensors[t].name;
  }
  EXPECT_EQ(npu.head(), gout.head) << what << ": int32 head";
  EXPECT_GT(npu.cycles(), 0u);
}

TEST(RtlNpuLayerTest, Conv3x3Stride1) {
  ModelBuilder b(11);
  const int x = b.Conv(0, 16, 3, 2, true);
  const int y = b.Conv(x, 24, 3, 1, false);
  ExpectBitExact(b.Finish(y), RandomRgb(1), "3x3/1");
}

TEST(RtlNpuLayerTest, Conv3x3Stride2) {
  ModelBuilder b(12);
  const int x = b.Conv(0, 16, 3, 2, true);
  const int y = b.Conv(x, 16, 3, 2, true);
  ExpectBitExact(b.Finish(y), RandomRgb(2), "3x3/2");
}

TEST(RtlNpuLayerTest, Conv1x1) {
  ModelBuilder b(13);
  const int x = b.Conv(0, 24, 3, 2, true);
  const int y = b.Conv(x, 40, 1, 1, false);
  ExpectBitExact(b.Finish(y), RandomRgb(3), "1x1");
}

TEST(RtlNpuLayerTest, Upsample) {
  ModelBuilder b(14);
  const int x = b.Conv(0, 16, 3, 2, false);
  const int y = b.Conv(x, 16, 3, 2, false);
  const int u = b.Upsample(y);
  ExpectBitExact(b.Finish(u), RandomRgb(4), "upsample");
}

TEST(RtlNpuLayerTest, ConcatThenConv) {
  ModelBuilder b(15);
  const int x = b.Conv(0, 16, 3, 2, true);
  const int d = b.Conv(x, 8, 3, 2, true);
  const int e = b.Conv(x, 16, 3, 2, false);
  const int u = b.Upsample(b.Conv(e, 16, 3, 2, true));
  const int c = b.Concat(u, d);
  const int f = b.Conv(c, 16, 3, 1, true);
  ExpectBitExact(b.Finish(b.Concat(f, e)), RandomRgb(5), "concat");
}

class RtlNpuFrameTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<ref::Int8Model> m = example_test::LoadReferenceModel();
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(m).value();
  }
  ref::Int8Model model_;
};

TEST_F(RtlNpuFrameTest, WholeFramesBitExactAndCyclesDeterministic) {
  std::unique_ptr<NpuSim> sim = MakeSim();
  RtlNpu npu(&model_, sim.get());
  ref::Int8Executor golden(&model_);
  uint64_t first_cycles = 0;
  double first_energy = 0;
  for (uint64_t seed : {1, 2, 1}) {
    const std::vector<uint8_t> rgb = example_test::Input(example_test::SyntheticFrame(seed));
    ref::Int8Output gout;
    golden.Run(rgb.data(), &gout);
    npu.Run(rgb.data());
    for (size_t t = 1; t < model_.tensors.size(); ++t) {
      if (static_cast<int>(t) == model_.output) continue;
      EXPECT_EQ(npu.Tensor(static_cast<int>(t)), golden.Tensor(static_cast<int>(t)))
          << "seed " << seed << ": tensor " << model_.tensors[t].name;
    }
    EXPECT_EQ(npu.head(), gout.head) << "seed " << seed;
    EXPECT_EQ(npu.logits(), gout.Dequantize()) << "seed " << seed;
    const double energy = Energy(npu.Events()).total_pj();
    if (first_cycles == 0) {
      first_cycles = npu.cycles();
      first_energy = energy;
    }
    // The schedule depends on shapes only: every frame takes the same cycles.
    EXPECT_EQ(npu.cycles(), first_cycles) << "seed " << seed;
    EXPECT_DOUBLE_EQ(energy, first_energy) << "seed " << seed;
  }
  // The counters agree with the work: every useful MAC was issued, and the
  // array cannot do more than 64 per cycle.
  uint64_t macs = 0;
  for (const LayerRun& l : npu.layers()) macs += static_cast<uint64_t>(l.macs);
  EXPECT_EQ(macs, static_cast<uint64_t>(model_.Macs()));
  EXPECT_GE(npu.activity().mac_cycles * 64, macs);
  EXPECT_LE(npu.activity().mac_cycles, npu.cycles());
  EXPECT_GT(npu.activity().dram_read_bytes, 0u);
}

// A design that addresses DRAM outside the model is an error naming the address.
class OutOfRangeSim : public NpuSim {
 public:
  void Reset() override {}
  void Cycle(const SimInputs& in, SimOutputs* out) override {
    *out = SimOutputs{};
    if (in.reg_we && in.reg_addr == kRegCmd) started_ = true;
    if (started_) {
      out->busy = true;
      out->mem_valid = true;
      out->mem_addr = 0x7ffffff0u;
    }
  }
  uint32_t ReadRegister(uint32_t) override { return 0; }

 private:
  bool started_ = false;
};

TEST_F(RtlNpuFrameTest, ADramAddressOutsideTheModelIsAnError) {
  OutOfRangeSim sim;
  RtlNpu npu(&model_, &sim);
  const std::vector<uint8_t> rgb = RandomRgb(9);
  try {
    npu.Run(rgb.data());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("0x7ffffff0"), std::string::npos) << e.what();
  }
}

// A design whose activity counters under-report its work (to look frugal in an
// energy-ranked track) is refused: the counters must at least be possible.
class SilentCountersSim : public NpuSim {
 public:
  SilentCountersSim() : real_(MakeSim()) {}
  void Reset() override { real_->Reset(); }
  void Cycle(const SimInputs& in, SimOutputs* out) override { real_->Cycle(in, out); }
  uint32_t ReadRegister(uint32_t addr) override {
    return addr == kRegCntAccWrite ? 0 : real_->ReadRegister(addr);
  }

 private:
  std::unique_ptr<NpuSim> real_;
};

TEST_F(RtlNpuFrameTest, ImpossibleActivityCountersAreAnError) {
  SilentCountersSim sim;
  RtlNpu npu(&model_, &sim);
  const std::vector<uint8_t> rgb = RandomRgb(11);
  try {
    npu.Run(rgb.data());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("activity counters are impossible"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("layer \"c1\""), std::string::npos) << e.what();
  }
}

// A design that never finishes a command is stopped by the driver's budget.
class HangingSim : public NpuSim {
 public:
  void Reset() override {}
  void Cycle(const SimInputs&, SimOutputs* out) override {
    *out = SimOutputs{};
    out->busy = true;
  }
  uint32_t ReadRegister(uint32_t) override { return 0; }
};

TEST_F(RtlNpuFrameTest, ADesignThatNeverFinishesIsStopped) {
  HangingSim sim;
  RtlNpu npu(&model_, &sim);
  const std::vector<uint8_t> rgb = RandomRgb(10);
  EXPECT_THROW(npu.Run(rgb.data()), std::runtime_error);
}

}  // namespace
}  // namespace maskbench::rtl
