// int8-fast on the real face-mask val split in ../shared (skipped when absent):
// the int32 head and every int8 tensor equal the naive executor's on every image.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "engine.h"
#include "maskbench/reference/int8_executor.h"
#include "maskbench/reference/postprocess.h"

namespace maskbench::int8_fast {
namespace {

namespace ref = maskbench::reference;

std::filesystem::path FaceMaskDir() {
  const char* s = std::getenv("MASKBENCH_SHARED_DIR");
  return s ? std::filesystem::path(s) / "datasets" / "face-mask" : std::filesystem::path();
}

TEST(Int8FastSharedTest, BitExactWithTheNaiveExecutorOnTheValSplit) {
  if (FaceMaskDir().empty() || !std::filesystem::exists(FaceMaskDir() / "splits" / "val.txt"))
    GTEST_SKIP() << "../shared not found: set MASKBENCH_SHARED_DIR to the shared data folder";
  const char* src = std::getenv("MASKBENCH_SOURCE_DIR");
  Result<ref::Int8Model> m =
      ref::LoadInt8Model(std::filesystem::path(src ? src : ".") / "reference" / "model" / "refnet-int8.json");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ref::Int8Executor golden(&*m);
  Engine engine(&*m);
  std::ifstream list(FaceMaskDir() / "splits" / "val.txt");
  int images = 0;
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
    ASSERT_EQ(engine.HeadAccumulators(), gout.head) << name << ": int32 head differs";
    for (size_t t = 1; t < m->tensors.size(); ++t) {
      if (static_cast<int>(t) == m->output) continue;
      ASSERT_EQ(engine.Tensor(static_cast<int>(t)), golden.Tensor(static_cast<int>(t)))
          << name << ": tensor " << m->tensors[t].name << " differs";
    }
    ++images;
  }
  EXPECT_GT(images, 0) << "val.txt lists no images";
}

}  // namespace
}  // namespace maskbench::int8_fast
