// systolic-16x16: bit-exact with the naive reference executor on synthetic
// frames (every tensor and the int32 head), cycle counts deterministic and
// independent of pixel values, the cycle accounting consistent with the
// hardware's limits, and the plugin reporting them through maskbench.cycles/1.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "example_test_util.h"
#include "maskbench/accelerator.h"
#include "maskbench/reference/int8_executor.h"
#include "maskbench/reference/postprocess.h"
#include "systolic_model.h"

namespace maskbench::systolic {
namespace {

namespace ref = maskbench::reference;

using example_test::BuildDir;
using example_test::Input;
using example_test::SourceDir;
using example_test::SyntheticFrame;

class SystolicTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<ref::Int8Model> m = example_test::LoadReferenceModel();
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(m).value();
  }
  ref::Int8Model model_;
};

TEST_F(SystolicTest, BitExactWithTheNaiveExecutorOnSyntheticFrames) {
  ref::Int8Executor golden(&model_);
  SystolicModel npu(&model_);
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const std::vector<uint8_t> rgb = Input(SyntheticFrame(seed));
    ref::Int8Output gout;
    golden.Run(rgb.data(), &gout);
    npu.Run(rgb.data());
    for (size_t t = 1; t < model_.tensors.size(); ++t) {
      if (static_cast<int>(t) == model_.output) continue;
      EXPECT_EQ(npu.Tensor(static_cast<int>(t)), golden.Tensor(static_cast<int>(t)))
          << "seed " << seed << ": tensor " << model_.tensors[t].name;
    }
    EXPECT_EQ(npu.head(), gout.head) << "seed " << seed << ": int32 head";
    EXPECT_EQ(npu.logits(), gout.Dequantize()) << "seed " << seed;
  }
}

TEST_F(SystolicTest, CyclesAreDeterministicAndIndependentOfPixelValues) {
  SystolicModel npu(&model_);
  const std::vector<uint8_t> a = Input(SyntheticFrame(5));
  const std::vector<uint8_t> black(3 * ref::kInputSize * ref::kInputSize, 0);
  npu.Run(a.data());
  const uint64_t first = npu.cycles();
  npu.Run(a.data());
  EXPECT_EQ(npu.cycles(), first);
  npu.Run(black.data());
  EXPECT_EQ(npu.cycles(), first);
  SystolicModel other(&model_);
  other.Run(a.data());
  EXPECT_EQ(other.cycles(), first);
  EXPECT_GT(first, 0u);
}

TEST_F(SystolicTest, CycleAccountingRespectsTheHardware) {
  SystolicModel npu(&model_);
  const std::vector<uint8_t> rgb = Input(SyntheticFrame(6));
  npu.Run(rgb.data());
  const Hardware& hw = npu.hardware();
  ASSERT_EQ(npu.layers().size(), model_.layers.size());
  uint64_t total = 0;
  int64_t macs = 0;
  for (size_t i = 0; i < model_.layers.size(); ++i) {
    const ref::Int8Layer& l = model_.layers[i];
    const LayerStats& s = npu.layers()[i];
    total += static_cast<uint64_t>(s.total_cycles);
    macs += s.macs;
    EXPECT_GE(s.stall_cycles, 0) << s.name;
    EXPECT_LE(s.utilisation, 1.0) << s.name;
    if (l.op != ref::Int8Layer::Op::kConv) continue;
    const ref::Int8Tensor& to = model_.tensors[l.output];
    const ref::Int8Tensor& ti = model_.tensors[l.inputs[0]];
    // Never faster than 256 MACs per cycle; every pass pays its fill/drain.
    EXPECT_GE(s.array_cycles * 256, s.macs) << s.name;
    const int64_t expect_passes = int64_t{s.spatial_tiles} * ((l.out_channels + 15) / 16) *
                                  l.kernel * l.kernel * ((l.in_channels + 15) / 16);
    EXPECT_EQ(s.passes, expect_passes) << s.name;
    EXPECT_GE(s.array_cycles, s.passes * hw.fill_drain_cycles) << s.name;
    // A tile's pixels fit the accumulators; input, output and weights all cross DRAM.
    EXPECT_LE(s.tile_rows * to.width, hw.accumulator_entries) << s.name;
    const int64_t in_bytes = int64_t{ti.channels} * ti.height * ti.width;
    const int64_t out_bytes = int64_t{to.channels} * to.height * to.width * (l.requantize ? 1 : 4);
    EXPECT_GE(s.dram_bytes, in_bytes + out_bytes + static_cast<int64_t>(l.weights.size()))
        << s.name;
    EXPECT_GE(s.total_cycles, s.array_cycles + hw.layer_setup_cycles) << s.name;
  }
  EXPECT_EQ(total, npu.cycles());
  EXPECT_EQ(macs, model_.Macs());
}

TEST_F(SystolicTest, SlowerHardwareCostsCycles) {
  const std::vector<uint8_t> rgb = Input(SyntheticFrame(7));
  SystolicModel base(&model_);
  base.Run(rgb.data());
  Hardware slow_dram;
  slow_dram.dram_bytes_per_cycle = 1;
  SystolicModel a(&model_, slow_dram);
  a.Run(rgb.data());
  EXPECT_GT(a.cycles(), base.cycles());
  Hardware small_acc;
  small_acc.accumulator_entries = 200;  // c1 rows are 160 pixels: 1 row per tile
  SystolicModel b(&model_, small_acc);
  b.Run(rgb.data());
  EXPECT_GT(b.cycles(), base.cycles());
  EXPECT_EQ(b.head(), base.head()) << "tiling changes timing, never values";
}

TEST_F(SystolicTest, RefusesWeightsLargerThanTheWeightSram) {
  Hardware tiny;
  tiny.weight_sram_bytes = 1024;
  try {
    SystolicModel npu(&model_, tiny);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("weight SRAM"), std::string::npos) << e.what();
  }
}

TEST_F(SystolicTest, FasterThanTheBaselineModel) {
  const std::vector<uint8_t> rgb = Input(SyntheticFrame(8));
  SystolicModel npu(&model_);
  npu.Run(rgb.data());
  ref::Int8Executor golden(&model_);
  ref::Int8Output out;
  golden.Run(rgb.data(), &out);
  const double npu_s =
      static_cast<double>(npu.cycles()) / static_cast<double>(npu.hardware().clock_hz);
  const double base_s =
      static_cast<double>(out.cycles) / static_cast<double>(golden.cycle_model().clock_hz);
  EXPECT_GT(base_s / npu_s, 100.0)
      << "a 256-MAC array at 4x the clock should be far ahead of 1 MAC/cycle";
}

// The plugin through the real ABI: cycles + clock, detections equal reference-baseline's.
struct Plugin {
  void* handle = nullptr;
  mb_accelerator_t* instance = nullptr;
  std::string error;
  explicit Plugin(const std::filesystem::path& so) {
    handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      error = dlerror();
      return;
    }
    const auto* entry = static_cast<const mb_accelerator_entry_t*>(dlsym(handle, MB_ENTRY_SYMBOL));
    char buf[512] = {0};
    instance = entry ? entry->create("{}", so.parent_path().c_str(), buf, sizeof buf) : nullptr;
    if (instance == nullptr) error = entry ? buf : "no entry";
  }
  ~Plugin() {
    if (instance != nullptr) instance->destroy(instance);
    if (handle != nullptr) dlclose(handle);
  }
  std::vector<mb_detection_t> Infer(const cv::Mat& img) {
    const mb_frame_t f{img.data,
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

TEST_F(SystolicTest, PluginReportsCyclesAndMatchesReferenceBaseline) {
  const auto subs = BuildDir() / "submissions";
  Plugin npu(subs / "systolic-16x16" / "libsystolic-16x16.so");
  Plugin base(subs / "reference-baseline" / "libreference-baseline.so");
  ASSERT_TRUE(npu.error.empty()) << npu.error;
  ASSERT_TRUE(base.error.empty()) << base.error;
  const auto* cyc =
      static_cast<const mb_ext_cycles_t*>(npu.instance->get_extension(npu.instance, MB_EXT_CYCLES));
  ASSERT_NE(cyc, nullptr);
  EXPECT_EQ(cyc->clock_hz(npu.instance), 800'000'000u);
  const cv::Mat img = SyntheticFrame(9);
  const std::vector<mb_detection_t> a = npu.Infer(img), b = base.Infer(img);
  uint64_t c1 = 0, c2 = 0;
  ASSERT_EQ(cyc->last_frame_cycles(npu.instance, &c1), MB_OK);
  npu.Infer(img);
  ASSERT_EQ(cyc->last_frame_cycles(npu.instance, &c2), MB_OK);
  EXPECT_EQ(c1, c2);
  SystolicModel model(&model_);
  model.Run(Input(img).data());
  EXPECT_EQ(c1, model.cycles());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].class_id, b[i].class_id);
    EXPECT_EQ(a[i].x, b[i].x);
    EXPECT_EQ(a[i].y, b[i].y);
    EXPECT_EQ(a[i].w, b[i].w);
    EXPECT_EQ(a[i].h, b[i].h);
    EXPECT_EQ(a[i].score, b[i].score);
  }
}

TEST_F(SystolicTest, LayerTableHasEveryLayerAndTheTotal) {
  SystolicModel npu(&model_);
  const std::vector<uint8_t> rgb = Input(SyntheticFrame(10));
  npu.Run(rgb.data());
  const std::string table = LayerTable(npu.layers(), npu.hardware());
  for (const ref::Int8Layer& l : model_.layers)
    EXPECT_NE(table.find("| " + l.name + " |"), std::string::npos) << l.name;
  EXPECT_NE(table.find("| " + std::to_string(npu.cycles()) + " |"), std::string::npos) << table;
}

}  // namespace
}  // namespace maskbench::systolic
