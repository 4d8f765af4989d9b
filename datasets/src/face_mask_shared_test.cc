// The real face-mask set from ../shared (skipped when it is not there).
#include <gtest/gtest.h>

#include <cstdlib>

#include "image_decode.h"
#include "maskbench/core/files.h"
#include "maskbench/datasets/importers.h"
#include "maskbench/datasets/stats.h"
#include "maskbench/datasets/verify.h"
#include "test_util.h"

namespace maskbench::datasets {
namespace {

namespace fs = std::filesystem;

TEST(FaceMaskSharedTest, ImportBothSplitsCountsAndVerify) {
  const char* shared = std::getenv("MASKBENCH_SHARED_DIR");
  fs::path src = shared ? fs::path(shared) / "datasets/face-mask" : fs::path();
  std::error_code ec;
  if (!shared || !fs::is_directory(src / "annotations", ec))
    GTEST_SKIP() << "../shared not found: no face-mask set at "
                 << (shared ? src.string() : "$MASKBENCH_SHARED_DIR");
  testing::TempDir dir;
  ImportOptions o;
  o.out = dir / "face-mask";
  o.splits = {{"train", src / "splits/train.txt"}, {"val", src / "splits/val.txt"}};
  auto r = ImportVoc(src / "images", src / "annotations", o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->frames, 700);
  EXPECT_GT(r->clipped_boxes, 0);  // the set has boxes ending at width + 1

  auto ds = LoadDataset(o.out);
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  auto st = ComputeStats(*ds, "");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->selected.images, 700);
  std::map<std::string, int64_t> counts(st->selected.classes.begin(), st->selected.classes.end());
  EXPECT_EQ(counts["with_mask"], 2538);
  EXPECT_EQ(counts["without_mask"], 602);
  EXPECT_EQ(counts["mask_weared_incorrect"], 101);
  ASSERT_EQ(st->splits.size(), 2u);
  EXPECT_EQ(st->splits[0].split, "train");
  EXPECT_EQ(st->splits[0].images, 563);
  EXPECT_EQ(st->splits[1].split, "val");
  EXPECT_EQ(st->splits[1].images, 137);
  std::map<std::string, int64_t> val(st->splits[1].classes.begin(), st->splits[1].classes.end());
  EXPECT_EQ(val["with_mask"], 501);
  EXPECT_EQ(val["without_mask"], 74);
  EXPECT_EQ(val["mask_weared_incorrect"], 20);

  VerifyReport report;
  Status s = VerifyDataset(*ds, {}, &report);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(report.media_checked, 700);
}

// The frame cache decodes JPEGs with TurboJPEG (warnings as errors); every real
// photo must come out exactly as OpenCV decodes it (the golden outputs rely on it).
TEST(FaceMaskSharedTest, TurboJpegDecodesEveryPhotoAsOpenCvDoes) {
  const char* shared = std::getenv("MASKBENCH_SHARED_DIR");
  fs::path src = shared ? fs::path(shared) / "datasets/face-mask/images" : fs::path();
  std::error_code ec;
  if (!shared || !fs::is_directory(src, ec)) GTEST_SKIP() << "../shared not found";
  int compared = 0;
  for (const auto& e : fs::directory_iterator(src)) {
    auto bytes = ReadFile(e.path());
    ASSERT_TRUE(bytes.ok());
    Result<cv::Mat> ours = internal::DecodeImage(*bytes, e.path().string(), ImageLimits{});
    ASSERT_TRUE(ours.ok()) << ours.status().message();
    cv::Mat theirs = cv::imread(e.path().string(), cv::IMREAD_COLOR);
    ASSERT_EQ(ours->size(), theirs.size()) << e.path();
    cv::Mat diff;
    cv::absdiff(*ours, theirs, diff);
    ASSERT_EQ(cv::countNonZero(diff.reshape(1)), 0) << e.path();
    ++compared;
  }
  EXPECT_EQ(compared, 700);
}

}  // namespace
}  // namespace maskbench::datasets
