// Helpers for the datasets tests: a scratch directory and small real files.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string>

namespace maskbench::datasets::testing {

// A fresh directory under the system temp dir, removed at destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("maskbench-ds-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& s) const { return path_ / s; }

 private:
  std::filesystem::path path_;
};

inline void WriteText(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

inline std::string ReadText(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A real JPEG of the given size with some texture (so it is not tiny).
inline void WriteJpeg(const std::filesystem::path& p, int width, int height, int seed = 0) {
  std::filesystem::create_directories(p.parent_path());
  cv::Mat img(height, width, CV_8UC3);
  cv::randu(img, cv::Scalar::all(seed % 50), cv::Scalar::all(200 + seed % 50));
  cv::circle(img, {width / 2, height / 2}, std::min(width, height) / 4, cv::Scalar(20, 200, 40),
             -1);
  ASSERT_TRUE(cv::imwrite(p.string(), img, {cv::IMWRITE_JPEG_QUALITY, 90})) << p;
}

// A VOC annotation file for `image` of width x height with the given objects.
struct VocObj {
  std::string name;
  int xmin, ymin, xmax, ymax;
  int difficult = 0;
};
inline std::string VocXml(const std::string& image, int width, int height,
                          const std::vector<VocObj>& objs) {
  std::string s = "<annotation>\n  <folder>images</folder>\n  <filename>" + image + "</filename>\n";
  s += "  <size><width>" + std::to_string(width) + "</width><height>" + std::to_string(height) +
       "</height><depth>3</depth></size>\n";
  for (const auto& o : objs) {
    s += "  <object><name>" + o.name + "</name><difficult>" + std::to_string(o.difficult) +
         "</difficult><bndbox><xmin>" + std::to_string(o.xmin) + "</xmin><ymin>" +
         std::to_string(o.ymin) + "</ymin><xmax>" + std::to_string(o.xmax) + "</xmax><ymax>" +
         std::to_string(o.ymax) + "</ymax></bndbox></object>\n";
  }
  return s + "</annotation>\n";
}

}  // namespace maskbench::datasets::testing
