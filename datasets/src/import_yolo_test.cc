#include <gtest/gtest.h>

#include "maskbench/datasets/importers.h"
#include "maskbench/datasets/manifest.h"
#include "test_util.h"

namespace maskbench::datasets {
namespace {

using testing::TempDir;
using testing::WriteJpeg;
using testing::WriteText;

class YoloImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteJpeg(dir_ / "images/one.jpg", 100, 50, 1);
    WriteJpeg(dir_ / "images/two.jpg", 40, 40, 2);
    WriteText(dir_ / "classes.txt", "with_mask\nwithout_mask\n");
    // cx cy w h relative: a 20x10 box at (40,20); a box spilling past the right edge.
    WriteText(dir_ / "labels/one.txt", "1 0.5 0.5 0.2 0.2\n0 0.95 0.5 0.2 0.2\n\n");
    // two.jpg has no label file: an image without objects.
    options_.out = dir_ / "ds";
    options_.classes_file = dir_ / "classes.txt";
  }
  Result<ImportReport> Import() { return ImportYolo(dir_ / "images", dir_ / "labels", options_); }
  TempDir dir_;
  ImportOptions options_;
};

TEST_F(YoloImportTest, ConvertsRelativeCentreBoxesToPixels) {
  auto r = Import();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->frames, 2);
  EXPECT_EQ(r->boxes, 2);
  EXPECT_EQ(r->clipped_boxes, 1);
  auto ds = LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  const Manifest& m = ds->manifest;
  ASSERT_EQ(m.classes.size(), 2u);
  EXPECT_EQ(m.classes[1].name, "without_mask");
  EXPECT_EQ(m.frames[0].name, "one");
  const auto& a = m.frames[0].annotations;
  ASSERT_EQ(a.size(), 2u);
  EXPECT_FLOAT_EQ(a[0].x, 40);
  EXPECT_FLOAT_EQ(a[0].y, 20);
  EXPECT_FLOAT_EQ(a[0].w, 20);
  EXPECT_FLOAT_EQ(a[0].h, 10);
  EXPECT_EQ(a[0].class_id, 1);
  EXPECT_FLOAT_EQ(a[1].x, 85);
  EXPECT_FLOAT_EQ(a[1].w, 15);  // clipped at x = 100
  EXPECT_FLOAT_EQ(a[1].area, 150);
  EXPECT_EQ(m.frames[1].name, "two");
  EXPECT_TRUE(m.frames[1].annotations.empty());
}

TEST_F(YoloImportTest, BadLinesAreNamed) {
  WriteText(dir_ / "labels/two.txt", "0 0.5 0.5 0.1 0.1\n2 0.5 0.5 0.1 0.1\n");
  auto r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("two.txt line 2: class \"2\" is not an index into"),
            std::string::npos)
      << r.status().message();
  WriteText(dir_ / "labels/two.txt", "0 0.5 0.5 0.1\n");
  r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("two.txt line 1: expected \"class cx cy w h\""),
            std::string::npos)
      << r.status().message();
  WriteText(dir_ / "labels/two.txt", "0 1.5 0.5 0.2 0.2\n");
  r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("two.txt line 1: box"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("fully outside"), std::string::npos) << r.status().message();
}

TEST_F(YoloImportTest, NeedsClassesAndImagesForEveryLabel) {
  options_.classes_file.clear();
  EXPECT_FALSE(Import().ok());
  options_.classes_file = dir_ / "classes.txt";
  WriteText(dir_ / "labels/ghost.txt", "0 0.5 0.5 0.1 0.1\n");
  auto r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("ghost.txt: no image named \"ghost\""), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace maskbench::datasets
