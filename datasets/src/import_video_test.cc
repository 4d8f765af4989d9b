#include <gtest/gtest.h>

#include <opencv2/videoio.hpp>

#include "maskbench/datasets/importers.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/datasets/verify.h"
#include "test_util.h"

namespace maskbench::datasets {
namespace {

using testing::TempDir;
using testing::WriteText;

constexpr int kFrames = 12, kW = 96, kH = 64;

// The box of frame i: a bright square moving right by 5 px a frame.
cv::Rect BoxOf(int i) { return cv::Rect(4 + 5 * i, 20, 16, 16); }

class VideoImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    video_ = dir_ / "clip.avi";
    cv::VideoWriter w(video_.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10,
                      cv::Size(kW, kH));
    ASSERT_TRUE(w.isOpened()) << "OpenCV cannot write MJPG AVI";
    for (int i = 0; i < kFrames; ++i) {
      cv::Mat f(kH, kW, CV_8UC3, cv::Scalar(30, 30, 30));
      cv::rectangle(f, BoxOf(i), cv::Scalar(250, 250, 250), cv::FILLED);
      w.write(f);
    }
    w.release();
    // Boxes on even frames only; odd frames stay unlabeled but are still frames.
    std::string csv = "frame,class,x,y,w,h,difficult\n";
    for (int i = 0; i < kFrames; i += 2) {
      cv::Rect b = BoxOf(i);
      csv += std::to_string(i) + "," + (i % 4 == 0 ? "with_mask" : "without_mask") + "," +
             std::to_string(b.x) + "," + std::to_string(b.y) + "," + std::to_string(b.width) + "," +
             std::to_string(b.height) + ",0\n";
    }
    WriteText(dir_ / "boxes.csv", csv);
    options_.out = dir_ / "ds";
  }
  TempDir dir_;
  std::filesystem::path video_;
  ImportOptions options_;
};

TEST_F(VideoImportTest, EveryDecodedFrameIsAFrameWithItsLabels) {
  auto r = ImportVideo(video_, dir_ / "boxes.csv", options_);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->frames, kFrames);
  EXPECT_EQ(r->boxes, kFrames / 2);
  auto ds = LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  const Manifest& m = ds->manifest;
  ASSERT_EQ(m.media.size(), 1u);
  EXPECT_EQ(m.media[0].kind, Media::Kind::kVideo);
  EXPECT_EQ(m.media[0].path, "../clip.avi");
  EXPECT_EQ(m.classes[0].name, "with_mask");
  ASSERT_EQ(m.frames.size(), static_cast<size_t>(kFrames));
  // Decode the clip again and check each labelled box sits on the bright square.
  cv::VideoCapture cap(video_.string());
  ASSERT_TRUE(cap.isOpened());
  for (int i = 0; i < kFrames; ++i) {
    const Frame& f = m.frames[i];
    EXPECT_EQ(f.frame_index, i);
    EXPECT_EQ(f.id, i);
    EXPECT_EQ(f.name, "clip.avi#" + std::to_string(i));
    EXPECT_EQ(f.width, kW);
    cv::Mat img;
    ASSERT_TRUE(cap.read(img));
    if (i % 2 == 1) {
      EXPECT_TRUE(f.annotations.empty()) << i;
      continue;
    }
    ASSERT_EQ(f.annotations.size(), 1u) << i;
    const Annotation& a = f.annotations[0];
    EXPECT_EQ(a.class_id, i % 4 == 0 ? 0 : 1);
    cv::Point centre(static_cast<int>(a.x + a.w / 2), static_cast<int>(a.y + a.h / 2));
    EXPECT_GT(img.at<cv::Vec3b>(centre)[0], 200) << "frame " << i;
    EXPECT_LT(img.at<cv::Vec3b>(centre.y, static_cast<int>(a.x) - 3)[0], 80) << "frame " << i;
  }
  VerifyReport report;
  EXPECT_TRUE(VerifyDataset(*ds, {}, &report).ok())
      << (report.problems.empty() ? "" : report.problems[0]);
  EXPECT_EQ(report.frames_checked, kFrames);
}

TEST_F(VideoImportTest, AnnotationPastTheEndIsAnError) {
  WriteText(dir_ / "boxes.csv", "frame,class,x,y,w,h\n3,with_mask,1,1,5,5\n12,with_mask,1,1,5,5\n");
  auto r = ImportVideo(video_, dir_ / "boxes.csv", options_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("boxes.csv: line 3: frame 12 is past the end of"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("(12 frames decoded)"), std::string::npos)
      << r.status().message();
}

TEST_F(VideoImportTest, CsvErrorsAreNamed) {
  WriteText(dir_ / "boxes.csv", "frame,cls,x,y,w,h\n");
  auto r = ImportVideo(video_, dir_ / "boxes.csv", options_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("boxes.csv: line 1: expected the header"), std::string::npos)
      << r.status().message();
  WriteText(dir_ / "boxes.csv", "frame,class,x,y,w,h\n2,with_mask,1,one,5,5\n");
  r = ImportVideo(video_, dir_ / "boxes.csv", options_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("boxes.csv: line 2: \"one\" is not a number"),
            std::string::npos)
      << r.status().message();
  WriteText(dir_ / "boxes.csv", "frame,class,x,y,w,h\n2,with_mask,1,1,5,5\n");
  WriteText(dir_ / "not-a-video.avi", "hello");
  r = ImportVideo(dir_ / "not-a-video.avi", dir_ / "boxes.csv", options_);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("not-a-video.avi: "), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace maskbench::datasets
