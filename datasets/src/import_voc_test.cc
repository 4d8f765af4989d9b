#include <gtest/gtest.h>

#include "maskbench/core/files.h"
#include "maskbench/datasets/importers.h"
#include "maskbench/datasets/manifest.h"
#include "test_util.h"

namespace maskbench::datasets {
namespace {

using testing::TempDir;
using testing::VocObj;
using testing::VocXml;
using testing::WriteJpeg;
using testing::WriteText;

class VocImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteJpeg(dir_ / "src/images/a.jpg", 64, 48, 1);
    WriteJpeg(dir_ / "src/images/b.jpg", 80, 60, 2);
    WriteJpeg(dir_ / "src/images/c.jpg", 40, 40, 3);
    // a: one box ends a pixel past the right edge (clipped), one difficult box.
    WriteText(dir_ / "src/ann/a.xml",
              VocXml("a.jpg", 64, 48,
                     {{"with_mask", 10, 5, 30, 25}, {"without_mask", 50, 20, 65, 40, 1}}));
    WriteText(dir_ / "src/ann/b.xml",
              VocXml("b.jpg", 80, 60, {{"mask_weared_incorrect", 0, 0, 80, 60}}));
    WriteText(dir_ / "src/ann/c.xml", VocXml("c.jpg", 40, 40, {}));
    WriteText(dir_ / "src/train.txt", "b\na\n");
    WriteText(dir_ / "src/val.txt", "c\n");
    options_.out = dir_ / "ds";
  }
  Result<ImportReport> Import() {
    return ImportVoc(dir_ / "src/images", dir_ / "src/ann", options_);
  }
  TempDir dir_;
  ImportOptions options_;
};

TEST_F(VocImportTest, ImportsBoxesClassesSplitsAndHashes) {
  options_.splits = {{"train", dir_ / "src/train.txt"}, {"val", dir_ / "src/val.txt"}};
  auto r = Import();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->frames, 3);
  EXPECT_EQ(r->boxes, 3);
  EXPECT_EQ(r->clipped_boxes, 1);
  auto ds = LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  EXPECT_EQ(ds->manifest_sha256, r->manifest_sha256);
  const Manifest& m = ds->manifest;
  EXPECT_EQ(m.name, "ds");
  ASSERT_EQ(m.classes.size(), 3u);
  EXPECT_EQ(m.classes[0].name, "with_mask");
  EXPECT_EQ(m.classes[2].name, "mask_weared_incorrect");
  EXPECT_EQ(m.splits, (std::vector<std::string>{"train", "val"}));
  // Order: train sorted by name (a, b), then val (c); ids from 0.
  ASSERT_EQ(m.frames.size(), 3u);
  EXPECT_EQ(m.frames[0].name, "a");
  EXPECT_EQ(m.frames[0].id, 0);
  EXPECT_EQ(m.frames[0].split, "train");
  EXPECT_EQ(m.frames[1].name, "b");
  EXPECT_EQ(m.frames[2].name, "c");
  EXPECT_EQ(m.frames[2].split, "val");
  EXPECT_EQ(m.frames[0].width, 64);
  EXPECT_EQ(m.frames[0].height, 48);
  // Media are referenced in place, relative to the data set directory, and hashed.
  const Media& ma = m.media[m.frames[0].media];
  EXPECT_EQ(ma.path, "../src/images/a.jpg");
  auto hash = Sha256File(dir_ / "src/images/a.jpg");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(ma.sha256, *hash);
  EXPECT_EQ(ma.bytes, std::filesystem::file_size(dir_ / "src/images/a.jpg"));
  EXPECT_EQ(ds->MediaPath(ma), std::filesystem::weakly_canonical(dir_ / "src/images/a.jpg"));
  // Boxes: x = xmin, w = xmax - xmin; the second box clipped to the 64 px width.
  const auto& a0 = m.frames[0].annotations[0];
  EXPECT_EQ(a0.x, 10);
  EXPECT_EQ(a0.y, 5);
  EXPECT_EQ(a0.w, 20);
  EXPECT_EQ(a0.h, 20);
  EXPECT_EQ(a0.class_id, 0);
  EXPECT_EQ(a0.area, 400);
  EXPECT_FALSE(a0.difficult);
  const auto& a1 = m.frames[0].annotations[1];
  EXPECT_EQ(a1.x, 50);
  EXPECT_EQ(a1.w, 14);
  EXPECT_EQ(a1.class_id, 1);
  EXPECT_TRUE(a1.difficult);
  EXPECT_EQ(m.frames[1].annotations[0].class_id, 2);
  EXPECT_TRUE(m.frames[2].annotations.empty());
}

TEST_F(VocImportTest, WithoutSplitsEveryFrameHasNoSplit) {
  auto r = Import();
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto ds = LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  EXPECT_TRUE(ds->manifest.splits.empty());
  for (const auto& f : ds->manifest.frames) EXPECT_EQ(f.split, "");
  EXPECT_EQ(ds->manifest.frames[1].name, "b");
}

TEST_F(VocImportTest, FramesInNoSplitComeLast) {
  options_.splits = {{"val", dir_ / "src/val.txt"}};
  auto r = Import();
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto ds = LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->manifest.frames[0].name, "c");
  EXPECT_EQ(ds->manifest.frames[1].split, "");
}

TEST_F(VocImportTest, ImportIsDeterministic) {
  auto r1 = Import();
  ASSERT_TRUE(r1.ok());
  auto r2 = Import();
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r1->manifest_sha256, r2->manifest_sha256);
}

TEST_F(VocImportTest, OtherClassNamesAreSorted) {
  WriteText(dir_ / "src/ann/b.xml",
            VocXml("b.jpg", 80, 60, {{"zebra", 0, 0, 8, 6}, {"cat", 1, 1, 5, 5}}));
  auto r = Import();
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto ds = LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  std::vector<std::string> names;
  for (const auto& c : ds->manifest.classes) names.push_back(c.name);
  EXPECT_EQ(names, (std::vector<std::string>{"cat", "with_mask", "without_mask", "zebra"}));
}

TEST_F(VocImportTest, ClassFileFixesIdsAndRejectsUnknownNames) {
  WriteText(dir_ / "classes.txt", "without_mask\nwith_mask\nmask_weared_incorrect\n");
  options_.classes_file = dir_ / "classes.txt";
  auto r = Import();
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto ds = LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->manifest.classes[0].name, "without_mask");
  EXPECT_EQ(ds->manifest.frames[0].annotations[0].class_id, 1);  // with_mask

  WriteText(dir_ / "classes.txt", "with_mask\nwithout_mask\n");
  auto bad = Import();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(
      bad.status().message().find("b.xml: object 0: class \"mask_weared_incorrect\" is not in"),
      std::string::npos)
      << bad.status().message();
}

TEST_F(VocImportTest, MalformedXmlNamesFileAndOffset) {
  WriteText(dir_ / "src/ann/b.xml",
            "<annotation><filename>b.jpg</filename><object><name>x</name>\n");
  auto r = Import();
  ASSERT_FALSE(r.ok());
  const std::string& msg = r.status().message();
  EXPECT_NE(msg.find("b.xml: malformed XML: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("at byte offset"), std::string::npos) << msg;
}

TEST_F(VocImportTest, BoxFullyOutsideIsRejectedNamingTheObject) {
  WriteText(dir_ / "src/ann/a.xml",
            VocXml("a.jpg", 64, 48, {{"with_mask", 1, 1, 5, 5}, {"with_mask", 70, 10, 90, 20}}));
  auto r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(
      r.status().message().find(
          "a.xml: object 1 (with_mask): box (70,10)-(90,20) lies fully outside the 64x48 frame"),
      std::string::npos)
      << r.status().message();
}

TEST_F(VocImportTest, EmptyBoxIsRejected) {
  WriteText(dir_ / "src/ann/a.xml", VocXml("a.jpg", 64, 48, {{"with_mask", 10, 10, 10, 20}}));
  auto r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(
                "a.xml: object 0 (with_mask): box (10,10)-(10,20) has no positive size"),
            std::string::npos)
      << r.status().message();
}

TEST_F(VocImportTest, SizeMismatchNamesBothFiles) {
  WriteText(dir_ / "src/ann/a.xml", VocXml("a.jpg", 65, 48, {}));
  auto r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("a.xml: <size> says 65x48 but"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("a.jpg is 64x48"), std::string::npos) << r.status().message();
}

TEST_F(VocImportTest, MissingImageAndUnknownSplitNameAreErrors) {
  WriteText(dir_ / "src/val.txt", "c\nnope\n");
  options_.splits = {{"val", dir_ / "src/val.txt"}};
  auto r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("val.txt: split \"val\" lists \"nope\""), std::string::npos)
      << r.status().message();

  options_.splits.clear();
  std::filesystem::remove(dir_ / "src/images/b.jpg");
  auto r2 = Import();
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.status().message().find("b.xml: image \"b.jpg\" not found"), std::string::npos)
      << r2.status().message();
}

TEST_F(VocImportTest, ANameInTwoSplitsIsAnError) {
  WriteText(dir_ / "src/val.txt", "a\n");
  options_.splits = {{"train", dir_ / "src/train.txt"}, {"val", dir_ / "src/val.txt"}};
  auto r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("val.txt line 1: \"a\" is already in split \"train\""),
            std::string::npos)
      << r.status().message();
}

TEST(SplitFlagsTest, ParsesNameEqualsFile) {
  auto s = ParseSplitFlags({"train=a/b.txt", "val=c.txt"});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)[0].name, "train");
  EXPECT_EQ((*s)[0].file, "a/b.txt");
  EXPECT_FALSE(ParseSplitFlags({"train"}).ok());
  EXPECT_FALSE(ParseSplitFlags({"=x"}).ok());
}

}  // namespace
}  // namespace maskbench::datasets
