#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "maskbench/datasets/export_coco.h"
#include "maskbench/datasets/importers.h"
#include "maskbench/datasets/manifest.h"
#include "test_util.h"

namespace maskbench::datasets {
namespace {

using nlohmann::json;
using testing::TempDir;
using testing::WriteJpeg;
using testing::WriteText;

class CocoImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteJpeg(dir_ / "img/p.jpg", 50, 40, 1);
    WriteJpeg(dir_ / "img/sub/q.jpg", 30, 20, 2);
    gt_ = {
        {"images",
         {{{"id", 17}, {"file_name", "p.jpg"}, {"width", 50}, {"height", 40}},
          {{"id", 4}, {"file_name", "sub/q.jpg"}, {"width", 30}, {"height", 20}}}},
        {"annotations",
         {{{"id", 1},
           {"image_id", 17},
           {"category_id", 5},
           {"bbox", {1.5, 2.25, 10, 12}},
           {"area", 99.5},
           {"iscrowd", 0}},
          {{"id", 2},
           {"image_id", 17},
           {"category_id", 9},
           {"bbox", {0, 0, 50, 40}},
           {"area", 1500},
           {"iscrowd", 1}},
          {{"id", 3}, {"image_id", 4}, {"category_id", 5}, {"bbox", {3, 4, 5, 6}}}}},
        {"categories", {{{"id", 9}, {"name", "crowd_of_faces"}}, {{"id", 5}, {"name", "face"}}}}};
    options_.out = dir_ / "ds";
  }
  Result<ImportReport> Import() {
    WriteText(dir_ / "gt.json", gt_.dump());
    return ImportCoco(dir_ / "gt.json", dir_ / "img", options_);
  }
  TempDir dir_;
  json gt_;
  ImportOptions options_;
};

TEST_F(CocoImportTest, KeepsIdsCrowdAndArea) {
  auto r = Import();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->frames, 2);
  EXPECT_EQ(r->boxes, 3);
  auto ds = LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds.ok()) << ds.status().message();
  const Manifest& m = ds->manifest;
  ASSERT_EQ(m.classes.size(), 2u);
  EXPECT_EQ(m.classes[0].id, 5);  // sorted by id
  EXPECT_EQ(m.classes[0].name, "face");
  EXPECT_EQ(m.classes[1].id, 9);
  // Frames sorted by name (p before q), ids kept.
  EXPECT_EQ(m.frames[0].name, "p");
  EXPECT_EQ(m.frames[0].id, 17);
  EXPECT_EQ(m.frames[1].name, "q");
  EXPECT_EQ(m.frames[1].id, 4);
  const auto& a = m.frames[0].annotations;
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].x, 1.5f);
  EXPECT_EQ(a[0].y, 2.25f);
  EXPECT_EQ(a[0].area, 99.5);
  EXPECT_FALSE(a[0].crowd);
  EXPECT_TRUE(a[1].crowd);
  EXPECT_EQ(a[1].class_id, 9);
  EXPECT_EQ(m.frames[1].annotations[0].area, 30);  // no "area": w*h
  EXPECT_EQ(m.media[m.frames[1].media].path, "../img/sub/q.jpg");
}

TEST_F(CocoImportTest, SplitsMatchFileStems) {
  WriteText(dir_ / "val.txt", "q\n");
  options_.splits = {{"val", dir_ / "val.txt"}};
  auto r = Import();
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto ds = LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->manifest.frames[0].name, "q");
  EXPECT_EQ(ds->manifest.frames[0].split, "val");
  EXPECT_EQ(ds->manifest.frames[1].split, "");
}

TEST_F(CocoImportTest, BadRecordsAreNamed) {
  gt_["annotations"][2]["image_id"] = 99;
  auto r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(
      r.status().message().find("gt.json: annotations[2] (id 3): image_id 99 is not in \"images\""),
      std::string::npos)
      << r.status().message();

  gt_["annotations"][2]["image_id"] = 4;
  gt_["annotations"][2]["category_id"] = 1;
  r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("annotations[2] (id 3): category_id 1 is not in"),
            std::string::npos)
      << r.status().message();

  gt_["annotations"][2]["category_id"] = 5;
  gt_["annotations"][2]["bbox"] = {25, 4, 10, 6};
  r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("annotations[2] (id 3): bbox"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("outside the 30x20 image"), std::string::npos)
      << r.status().message();

  gt_["annotations"][2]["bbox"] = {3, 4, 5, 6};
  gt_["images"][1]["width"] = 31;
  r = Import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(
                "images[1] (id 4, sub/q.jpg): \"width\" is 31 but the image is 30x20"),
            std::string::npos)
      << r.status().message();

  WriteText(dir_ / "gt.json", "{\"images\": [");
  auto broken = ImportCoco(dir_ / "gt.json", dir_ / "img", options_);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("gt.json: not valid JSON"), std::string::npos);
}

TEST_F(CocoImportTest, ExportThenImportKeepsEveryBox) {
  auto r = Import();
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto ds1 = LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds1.ok());
  auto text = ExportCocoJson(*ds1, "");
  ASSERT_TRUE(text.ok());
  WriteText(dir_ / "export.json", *text);
  ImportOptions o2;
  o2.out = dir_ / "ds2";
  o2.name = ds1->manifest.name;
  o2.allow_outside_images = true;  // the exported names climb out of the data set folder
  auto r2 =
      ImportCoco(dir_ / "export.json", dir_ / "ds", o2);  // file_name is relative to the data set
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  auto ds2 = LoadDataset(dir_ / "ds2");
  ASSERT_TRUE(ds2.ok());
  // Same classes, frames and boxes; only "source" could differ (it does not here).
  Manifest a = ds1->manifest, b = ds2->manifest;
  ASSERT_EQ(a.frames.size(), b.frames.size());
  for (size_t i = 0; i < a.frames.size(); ++i) {
    EXPECT_EQ(a.media[a.frames[i].media].sha256, b.media[b.frames[i].media].sha256);
    for (auto& f : {&a.frames[i], &b.frames[i]}) f->media = 0;
  }
  a.media.clear();
  b.media.clear();
  EXPECT_EQ(ManifestToJson(a), ManifestToJson(b));
}

}  // namespace
}  // namespace maskbench::datasets
