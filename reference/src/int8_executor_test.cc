// Tests of the int8 executor on the committed model (reference/model/).
#include "maskbench/reference/int8_executor.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

#include "maskbench/core/files.h"
#include "maskbench/reference/postprocess.h"

namespace maskbench::reference {
namespace {

std::filesystem::path ModelDir() {
  const char* src = std::getenv("MASKBENCH_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / "reference" / "model";
}

std::vector<uint8_t> Pattern() {  // the same formula as reference/train/export.py
  std::vector<uint8_t> rgb(3 * kInputSize * kInputSize);
  for (int y = 0; y < kInputSize; ++y)
    for (int x = 0; x < kInputSize; ++x)
      for (int c = 0; c < 3; ++c)
        rgb[(y * kInputSize + x) * 3 + c] =
            static_cast<uint8_t>((7 * x + 13 * y + 71 * c + (x * y) % 11) % 256);
  return rgb;
}

std::string HeadSha(const Int8Output& out) {
  return Sha256Hex(
      std::string_view(reinterpret_cast<const char*>(out.head.data()), out.head.size() * 4));
}

class Int8ExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<Int8Model> m = LoadInt8Model(ModelDir() / "refnet-int8.json");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(m).value();
    Result<std::string> g = ReadFile(ModelDir() / "golden.json");
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    golden_ = nlohmann::json::parse(*g);
  }
  Int8Model model_;
  nlohmann::json golden_;
};

TEST_F(Int8ExecutorTest, MatchesThePythonGoldenBitForBit) {
  Int8Executor ex(&model_);
  Int8Output out;
  const std::vector<uint8_t> rgb = Pattern();
  ex.Run(rgb.data(), &out);
  EXPECT_EQ(HeadSha(out), golden_.at("pattern_head_sha256").get<std::string>());
}

TEST_F(Int8ExecutorTest, SameOutputsAndCyclesOnEveryRun) {
  const std::vector<uint8_t> rgb = Pattern();
  Int8Executor a(&model_);
  Int8Executor b(&model_);
  Int8Output o1, o2, o3;
  a.Run(rgb.data(), &o1);
  a.Run(rgb.data(), &o2);
  b.Run(rgb.data(), &o3);
  EXPECT_EQ(o1.head, o2.head);
  EXPECT_EQ(o1.head, o3.head);
  EXPECT_EQ(o1.cycles, o2.cycles);
  EXPECT_EQ(o1.cycles, o3.cycles);
  EXPECT_GT(o1.cycles, 0u);
}

TEST_F(Int8ExecutorTest, CycleModelAddsUp) {
  const std::vector<uint8_t> rgb = Pattern();
  Int8Executor ex(&model_);
  Int8Output out;
  ex.Run(rgb.data(), &out);
  ASSERT_EQ(out.layers.size(), model_.layers.size());
  int64_t macs = 0;
  uint64_t total = 0;
  for (const LayerCycles& l : out.layers) {
    macs += l.macs;
    total += static_cast<uint64_t>(l.total_cycles);
    EXPECT_EQ(l.total_cycles, 1000 + l.mac_cycles + l.output_cycles + (l.dram_bytes + 3) / 4)
        << l.name;
  }
  EXPECT_EQ(macs, model_.Macs());
  EXPECT_EQ(total, out.cycles);
  // First layer by hand: 3x320x320 input (300 KiB) does not fit the 32 KiB input
  // buffer, so it is streamed once per output channel; weights 27 B + 12 B per channel.
  const Int8Layer& c1 = model_.layers[0];
  const Int8Tensor& o = model_.tensors[c1.output];
  const int64_t outputs = int64_t{o.channels} * o.height * o.width;
  const int64_t dram = int64_t{o.channels} * 3 * 320 * 320 + o.channels * (27 + 12) + outputs;
  EXPECT_EQ(out.layers[0].dram_bytes, dram);
  EXPECT_EQ(out.layers[0].mac_cycles, outputs * 27);
  // A faster datapath (4 MACs/cycle) costs fewer cycles for the same outputs.
  CycleModel fast;
  fast.macs_per_cycle = 4;
  Int8Executor ex4(&model_, fast);
  Int8Output out4;
  ex4.Run(rgb.data(), &out4);
  EXPECT_EQ(out4.head, out.head);
  EXPECT_LT(out4.cycles, out.cycles);
}

TEST_F(Int8ExecutorTest, DequantizeUsesPerChannelScales) {
  const std::vector<uint8_t> rgb = Pattern();
  Int8Executor ex(&model_);
  Int8Output out;
  ex.Run(rgb.data(), &out);
  ASSERT_EQ(out.head_scale.size(), static_cast<size_t>(kHeadChannels));
  const std::vector<float> f = out.Dequantize();
  const size_t plane = static_cast<size_t>(kGrid) * kGrid;
  for (size_t i : {size_t{0}, plane * 3 + 17, plane * 6 + 6399})
    EXPECT_FLOAT_EQ(f[i], static_cast<float>(out.head[i]) * out.head_scale[i / plane]);
}

}  // namespace
}  // namespace maskbench::reference
