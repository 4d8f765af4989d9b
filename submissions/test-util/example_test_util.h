// Test helpers shared by the example submissions' tests (int8-fast,
// systolic-16x16): where the source and build trees are, the reference int8
// model, a deterministic synthetic CCTV-like frame, and the network input of a
// frame. Header-only, tests only.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "maskbench/reference/int8_model.h"
#include "maskbench/reference/postprocess.h"

namespace maskbench::example_test {

inline std::filesystem::path SourceDir() {
  const char* s = std::getenv("MASKBENCH_SOURCE_DIR");
  return s ? std::filesystem::path(s) : std::filesystem::path(".");
}
inline std::filesystem::path BuildDir() {
  const char* s = std::getenv("MASKBENCH_BUILD_DIR");
  return s ? std::filesystem::path(s) : std::filesystem::path(".");
}

// The committed reference int8 model (reference/model/refnet-int8.json).
inline Result<reference::Int8Model> LoadReferenceModel() {
  return reference::LoadInt8Model(SourceDir() / "reference" / "model" / "refnet-int8.json");
}

// A CCTV-like synthetic frame drawn with OpenCV: gradient background, noise,
// skin-coloured faces, some with a mask band, clutter lines. Deterministic per seed.
inline cv::Mat SyntheticFrame(uint64_t seed, int width = 640, int height = 480) {
  cv::RNG rng(seed);
  cv::Mat img(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(40 + x * 120 / width),
                                          static_cast<uint8_t>(60 + y * 100 / height),
                                          static_cast<uint8_t>(90 + (x + y) % 50));
  cv::Mat noise(height, width, CV_8UC3);
  rng.fill(noise, cv::RNG::UNIFORM, 0, 40);
  img += noise;
  for (int i = 0; i < 12; ++i)
    cv::line(img, {rng.uniform(0, width), rng.uniform(0, height)},
             {rng.uniform(0, width), rng.uniform(0, height)},
             cv::Scalar(rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)),
             rng.uniform(1, 4));
  const int faces = 3 + static_cast<int>(seed % 6);
  for (int i = 0; i < faces; ++i) {
    const int r = rng.uniform(8, 40);
    const cv::Point c(rng.uniform(r, width - r), rng.uniform(r, height - r));
    cv::ellipse(img, c, {r, r * 5 / 4}, 0, 0, 360,
                cv::Scalar(rng.uniform(60, 140), rng.uniform(120, 180), rng.uniform(170, 240)), -1);
    cv::circle(img, c + cv::Point(-r / 3, -r / 4), std::max(1, r / 8), cv::Scalar(30, 30, 30), -1);
    cv::circle(img, c + cv::Point(r / 3, -r / 4), std::max(1, r / 8), cv::Scalar(30, 30, 30), -1);
    if (rng.uniform(0, 3) != 0)
      cv::rectangle(img, {c.x - r, c.y}, {c.x + r, c.y + r},
                    cv::Scalar(rng.uniform(150, 255), rng.uniform(150, 255), rng.uniform(150, 255)),
                    -1);
  }
  return img;
}

// The network input (kInputSize x kInputSize RGB) of a BGR frame.
inline std::vector<uint8_t> Input(const cv::Mat& bgr) {
  std::vector<uint8_t> rgb;
  reference::ResizeToInput(bgr.data, bgr.cols, bgr.rows, bgr.step, /*bgr=*/true, &rgb);
  return rgb;
}

}  // namespace maskbench::example_test
