// Tests on the real face-mask images in ../shared (skipped when absent): the
// int8 executor matches the Python golden bit for bit on a real frame, and the
// int8 baseline agrees with the fp32 golden model box by box.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string_view>

#include "maskbench/core/files.h"
#include "maskbench/reference/int8_executor.h"
#include "maskbench/reference/postprocess.h"

namespace maskbench::reference {
namespace {

std::filesystem::path FaceMaskDir() {
  const char* s = std::getenv("MASKBENCH_SHARED_DIR");
  return s ? std::filesystem::path(s) / "datasets" / "face-mask" : std::filesystem::path();
}
std::filesystem::path ModelDir() {
  const char* src = std::getenv("MASKBENCH_SOURCE_DIR");
  return std::filesystem::path(src ? src : ".") / "reference" / "model";
}

std::vector<std::string> ValNames() {
  std::vector<std::string> names;
  std::ifstream in(FaceMaskDir() / "splits" / "val.txt");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) names.push_back(line);
  return names;
}

class ReferenceSharedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (FaceMaskDir().empty() || !std::filesystem::exists(FaceMaskDir() / "splits" / "val.txt"))
      GTEST_SKIP() << "../shared not found: set MASKBENCH_SHARED_DIR to the shared data folder";
    Result<Int8Model> m = LoadInt8Model(ModelDir() / "refnet-int8.json");
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(m).value();
  }
  std::vector<uint8_t> Input(const std::string& name) {
    const auto path = FaceMaskDir() / "images" / (name + ".jpg");
    cv::Mat img = cv::imread(path.string(), cv::IMREAD_COLOR);
    EXPECT_FALSE(img.empty()) << path;
    width_ = img.cols;
    height_ = img.rows;
    std::vector<uint8_t> rgb;
    ResizeToInput(img.data, img.cols, img.rows, img.step, /*bgr=*/true, &rgb);
    return rgb;
  }
  Int8Model model_;
  int width_ = 0, height_ = 0;
};

TEST_F(ReferenceSharedTest, Int8MatchesPythonGoldenOnARealFrame) {
  Result<std::string> g = ReadFile(ModelDir() / "golden.json");
  ASSERT_TRUE(g.ok());
  const nlohmann::json golden = nlohmann::json::parse(*g);
  const std::vector<uint8_t> rgb = Input(golden.at("val0_name").get<std::string>());
  Int8Executor ex(&model_);
  Int8Output out;
  ex.Run(rgb.data(), &out);
  EXPECT_EQ(Sha256Hex(std::string_view(reinterpret_cast<const char*>(out.head.data()),
                                       out.head.size() * 4)),
            golden.at("val0_head_sha256").get<std::string>());
}

TEST_F(ReferenceSharedTest, Int8AgreesWithFp32BoxByBox) {
  cv::dnn::Net net = cv::dnn::readNetFromONNX((ModelDir() / "refnet.onnx").string());
  Int8Executor ex(&model_);
  const std::vector<std::string> names = ValNames();
  ASSERT_GE(names.size(), 8u);
  int confident = 0, matched = 0;
  for (size_t k = 0; k < 8; ++k) {
    const std::vector<uint8_t> rgb = Input(names[k]);
    cv::Mat blob(std::vector<int>{1, 3, kInputSize, kInputSize}, CV_32F);
    const size_t plane = static_cast<size_t>(kInputSize) * kInputSize;
    for (size_t i = 0; i < plane; ++i)
      for (int c = 0; c < 3; ++c)
        blob.ptr<float>()[c * plane + i] = (rgb[i * 3 + c] - 128.0f) / 128.0f;
    net.setInput(blob);
    cv::Mat head = net.forward().clone();
    const std::vector<Detection> fp = Decode(head.ptr<float>(), width_, height_);
    Int8Output out;
    ex.Run(rgb.data(), &out);
    const std::vector<float> h8 = out.Dequantize();
    const std::vector<Detection> q = Decode(h8.data(), width_, height_);
    for (const Detection& d : fp) {
      if (d.score < 0.3f) continue;
      ++confident;
      for (const Detection& e : q) {
        if (e.class_id == d.class_id && IoU(d, e) >= 0.5f) {
          ++matched;
          break;
        }
      }
    }
  }
  ASSERT_GT(confident, 10) << "too few confident fp32 detections to compare";
  EXPECT_GE(matched, confident * 9 / 10)
      << matched << " of " << confident << " fp32 boxes found by int8";
}

}  // namespace
}  // namespace maskbench::reference
