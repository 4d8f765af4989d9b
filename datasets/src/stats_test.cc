#include "maskbench/datasets/stats.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace maskbench::datasets {
namespace {

// A manifest built in memory: 3 frames, boxes of known areas.
Dataset Sample() {
  Dataset ds;
  ds.dir = "/nowhere";
  ds.manifest_sha256 = std::string(64, 'c');
  Manifest& m = ds.manifest;
  m.name = "sample";
  m.classes = FaceMaskClasses();
  m.splits = {"train", "val"};
  m.media.push_back({Media::Kind::kImage, "a.jpg", std::string(64, 'a'), 1});
  m.media.push_back({Media::Kind::kImage, "b.jpg", std::string(64, 'a'), 1});
  m.media.push_back({Media::Kind::kImage, "c.jpg", std::string(64, 'a'), 1});
  auto box = [](float side, int cls, bool difficult = false, bool crowd = false) {
    Annotation a;
    a.w = a.h = side;
    a.area = static_cast<double>(side) * side;
    a.class_id = cls;
    a.difficult = difficult;
    a.crowd = crowd;
    return a;
  };
  Frame f;
  f.width = f.height = 500;
  f.id = 0;
  f.media = 0;
  f.split = "train";
  f.annotations = {box(10, 0), box(31.9f, 0), box(32, 1, true),
                   box(96, 2)};  // small, small, medium, large
  m.frames.push_back(f);
  f.id = 1;
  f.media = 1;
  f.split = "val";
  f.annotations = {box(95, 1, false, true)};  // medium
  m.frames.push_back(f);
  f.id = 2;
  f.media = 2;
  f.split = "";
  f.annotations = {};
  m.frames.push_back(f);
  return ds;
}

TEST(StatsTest, CountsPerClassSizeAndSplit) {
  auto st = ComputeStats(Sample(), "");
  ASSERT_TRUE(st.ok());
  const SplitStats& all = st->selected;
  EXPECT_EQ(all.images, 3);
  EXPECT_EQ(all.boxes, 5);
  EXPECT_EQ(all.empty_images, 1);
  EXPECT_EQ(all.small, 2);
  EXPECT_EQ(all.medium, 2);
  EXPECT_EQ(all.large, 1);
  EXPECT_EQ(all.difficult, 1);
  EXPECT_EQ(all.crowd, 1);
  ASSERT_EQ(all.classes.size(), 3u);
  EXPECT_EQ(all.classes[0], (std::pair<std::string, int64_t>{"with_mask", 2}));
  EXPECT_EQ(all.classes[1].second, 2);
  EXPECT_EQ(all.classes[2].second, 1);
  ASSERT_EQ(st->splits.size(), 3u);  // train, val, (none)
  EXPECT_EQ(st->splits[0].split, "train");
  EXPECT_EQ(st->splits[0].boxes, 4);
  EXPECT_EQ(st->splits[1].images, 1);
  EXPECT_EQ(st->splits[2].split, "(none)");
  EXPECT_EQ(st->splits[2].images, 1);
}

TEST(StatsTest, JsonHasTheContractKeys) {
  auto st = ComputeStats(Sample(), "train");
  ASSERT_TRUE(st.ok());
  auto j = nlohmann::json::parse(StatsToJson(*st));
  EXPECT_EQ(j["images"], 1);
  EXPECT_EQ(j["boxes"], 4);
  EXPECT_EQ(j["classes"]["with_mask"], 2);
  EXPECT_EQ(j["classes"]["mask_weared_incorrect"], 1);
  EXPECT_EQ(j["sizes"]["small"], 2);
  EXPECT_EQ(j["split"], "train");
  EXPECT_EQ(j["manifest_sha256"], std::string(64, 'c'));
  EXPECT_TRUE(j["splits"].empty());

  auto all = ComputeStats(Sample(), "");
  ASSERT_TRUE(all.ok());
  auto ja = nlohmann::json::parse(StatsToJson(*all));
  EXPECT_EQ(ja["images"], 3);
  EXPECT_EQ(ja["splits"]["val"]["boxes"], 1);
  EXPECT_EQ(ja["splits"]["val"]["classes"]["without_mask"], 1);
  std::string text = StatsToText(*all);
  EXPECT_NE(text.find(std::string(64, 'c')), std::string::npos) << text;
  EXPECT_NE(text.find("mask_weared_incorrect"), std::string::npos) << text;
}

TEST(StatsTest, UnknownSplitIsAnError) {
  auto st = ComputeStats(Sample(), "test");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.status().message().find("no split \"test\" (splits: train, val)"), std::string::npos)
      << st.status().message();
}

}  // namespace
}  // namespace maskbench::datasets
