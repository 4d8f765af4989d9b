// Both example submissions on the real face-mask val split in ../shared
// (skipped when absent): int8-fast's engine and the systolic-16x16 model give the
// naive executor's int32 head and every int8 tensor on every image. One test
// for both so the slow golden executor runs once per image.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "engine.h"
#include "maskbench/reference/int8_executor.h"
#include "maskbench/reference/postprocess.h"
#include "systolic_model.h"

namespace maskbench {
namespace {

namespace ref = maskbench::reference;

std::filesystem::path FaceMaskDir() {
  const char* s = std::getenv("MASKBENCH_SHARED_DIR");
  return s ? std::filesystem::path(s) / "datasets" / "face-mask" : std::filesystem::path();
}

TEST(ExamplesSharedTest, Int8FastAndSystolicAreBitExactOnTheValSplit) {
  if (FaceMaskDir().empty() || !std::filesystem::exists(FaceMaskDir() / "splits" / "val.txt"))
    GTEST_SKIP() << "../shared not found: set MASKBENCH_SHARED_DIR to the shared data folder";
  const char* src = std::getenv("MASKBENCH_SOURCE_DIR");
  Result<ref::Int8Model> m = ref::LoadInt8Model(std::filesystem::path(src ? src : ".") /
                                                "reference" / "model" / "refnet-int8.json");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ref::Int8Executor golden(&*m);
  int8_fast::Engine engine(&*m);
  systolic::SystolicModel npu(&*m);
  std::ifstream list(FaceMaskDir() / "splits" / "val.txt");
  int images = 0;
  uint64_t cycles = 0;
  for (std::string name; std::getline(list, name);) {
    if (name.empty()) continue;
    const auto path = FaceMaskDir() / "images" / (name + ".jpg");
    const cv::Mat img = cv::imread(path.string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(img.empty()) << "cannot read " << path;
    std::vector<uint8_t> rgb;
    ref::ResizeToInput(img.data, img.cols, img.rows, img.step, /*bgr=*/true, &rgb);
    ref::Int8Output gout;
    golden.Run(rgb.data(), &gout);
    engine.Run(rgb.data());
    npu.Run(rgb.data());
    ASSERT_EQ(engine.HeadAccumulators(), gout.head) << name << ": int8-fast: int32 head differs";
    ASSERT_EQ(npu.head(), gout.head) << name << ": systolic-16x16: int32 head differs";
    for (size_t t = 1; t < m->tensors.size(); ++t) {
      if (static_cast<int>(t) == m->output) continue;
      ASSERT_EQ(engine.Tensor(static_cast<int>(t)), golden.Tensor(static_cast<int>(t)))
          << name << ": int8-fast: tensor " << m->tensors[t].name << " differs";
      ASSERT_EQ(npu.Tensor(static_cast<int>(t)), golden.Tensor(static_cast<int>(t)))
          << name << ": systolic-16x16: tensor " << m->tensors[t].name << " differs";
    }
    if (images == 0) cycles = npu.cycles();
    EXPECT_EQ(npu.cycles(), cycles) << name << ": modeled cycles depend on the image";
    ++images;
  }
  EXPECT_GT(images, 0) << "val.txt lists no images";
}

}  // namespace
}  // namespace maskbench
