#include "maskbench/datasets/export_coco.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "maskbench/datasets/importers.h"
#include "test_util.h"

namespace maskbench::datasets {
namespace {

using nlohmann::json;
using testing::TempDir;
using testing::VocXml;
using testing::WriteJpeg;
using testing::WriteText;

class ExportCocoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteJpeg(dir_ / "src/images/a.jpg", 64, 48, 1);
    WriteJpeg(dir_ / "src/images/b.jpg", 80, 60, 2);
    WriteText(dir_ / "src/ann/a.xml",
              VocXml("a.jpg", 64, 48,
                     {{"with_mask", 10, 5, 30, 25}, {"without_mask", 50, 20, 65, 40, 1}}));
    WriteText(dir_ / "src/ann/b.xml",
              VocXml("b.jpg", 80, 60, {{"mask_weared_incorrect", 3, 4, 13, 14}}));
    WriteText(dir_ / "src/val.txt", "b\n");
    ImportOptions o;
    o.out = dir_ / "ds";
    o.splits = {{"val", dir_ / "src/val.txt"}};
    auto r = ImportVoc(dir_ / "src/images", dir_ / "src/ann", o);
    ASSERT_TRUE(r.ok()) << r.status().message();
    auto ds = LoadDataset(dir_ / "ds");
    ASSERT_TRUE(ds.ok());
    ds_ = *ds;
  }
  TempDir dir_;
  Dataset ds_;
};

TEST_F(ExportCocoTest, WritesImagesAnnotationsCategories) {
  auto text = ExportCocoJson(ds_, "");
  ASSERT_TRUE(text.ok());
  json j = json::parse(*text);
  ASSERT_EQ(j["images"].size(), 2u);
  EXPECT_EQ(j["images"][0]["id"], 0);  // b (val) first, then a (no split)
  EXPECT_EQ(j["images"][0]["file_name"], "../src/images/b.jpg");
  EXPECT_EQ(j["images"][0]["width"], 80);
  EXPECT_EQ(j["images"][1]["height"], 48);
  ASSERT_EQ(j["categories"].size(), 3u);
  EXPECT_EQ(j["categories"][2]["name"], "mask_weared_incorrect");
  ASSERT_EQ(j["annotations"].size(), 3u);
  const json& a = j["annotations"][0];
  EXPECT_EQ(a["id"], 1);
  EXPECT_EQ(a["image_id"], 0);
  EXPECT_EQ(a["category_id"], 2);
  EXPECT_EQ(a["bbox"], json({3.0, 4.0, 10.0, 10.0}));
  EXPECT_EQ(a["area"], 100.0);
  EXPECT_EQ(a["iscrowd"], 0);
  EXPECT_EQ(j["annotations"][2]["difficult"], 1);
  EXPECT_EQ(j["annotations"][2]["bbox"][2], 14.0);  // clipped at 64
  EXPECT_EQ(j["info"]["manifest_sha256"], ds_.manifest_sha256);
}

TEST_F(ExportCocoTest, OneSplitOrAnError) {
  auto text = ExportCocoJson(ds_, "val");
  ASSERT_TRUE(text.ok());
  json j = json::parse(*text);
  EXPECT_EQ(j["images"].size(), 1u);
  EXPECT_EQ(j["annotations"].size(), 1u);
  auto bad = ExportCocoJson(ds_, "train");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no split \"train\" (splits: val)"), std::string::npos);
}

TEST_F(ExportCocoTest, VocImportExportImportKeepsEveryBox) {
  // Non-integer boxes too: make one by hand.
  ds_.manifest.frames[0].annotations[0].x = 3.1f;
  ds_.manifest.frames[0].annotations[0].w = 9.7f;
  auto text = ExportCocoJson(ds_, "");
  ASSERT_TRUE(text.ok());
  WriteText(dir_ / "gt.json", *text);
  ImportOptions o;
  o.out = dir_ / "ds2";
  o.splits = {{"val", dir_ / "src/val.txt"}};
  o.allow_outside_images = true;  // media paths relative to the data set folder climb out of it
  auto r = ImportCoco(dir_ / "gt.json", dir_ / "ds", o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto back = LoadDataset(dir_ / "ds2");
  ASSERT_TRUE(back.ok());
  const Manifest& a = ds_.manifest;
  const Manifest& b = back->manifest;
  ASSERT_EQ(a.frames.size(), b.frames.size());
  EXPECT_EQ(a.classes.size(), b.classes.size());
  for (size_t i = 0; i < a.frames.size(); ++i) {
    EXPECT_EQ(a.frames[i].id, b.frames[i].id);
    EXPECT_EQ(a.frames[i].name, b.frames[i].name);
    EXPECT_EQ(a.frames[i].split, b.frames[i].split);
    ASSERT_EQ(a.frames[i].annotations.size(), b.frames[i].annotations.size());
    for (size_t k = 0; k < a.frames[i].annotations.size(); ++k) {
      const Annotation& x = a.frames[i].annotations[k];
      const Annotation& y = b.frames[i].annotations[k];
      EXPECT_EQ(x.x, y.x);
      EXPECT_EQ(x.y, y.y);
      EXPECT_EQ(x.w, y.w);
      EXPECT_EQ(x.h, y.h);
      EXPECT_EQ(x.class_id, y.class_id);
      EXPECT_EQ(x.difficult, y.difficult);
      EXPECT_EQ(x.crowd, y.crowd);
      EXPECT_EQ(x.area, y.area);
    }
    EXPECT_EQ(a.media[a.frames[i].media].sha256, b.media[b.frames[i].media].sha256);
  }
}

}  // namespace
}  // namespace maskbench::datasets
