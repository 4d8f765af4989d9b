#include "maskbench/datasets/manifest.h"

#include <gtest/gtest.h>

namespace maskbench::datasets {
namespace {

Manifest Sample() {
  Manifest m;
  m.name = "t";
  m.classes = FaceMaskClasses();
  m.splits = {"train", "val"};
  m.media.push_back({Media::Kind::kImage, "a.jpg", std::string(64, 'a'), 10});
  Frame f;
  f.id = 7;
  f.name = "a";
  f.width = 20;
  f.height = 10;
  f.split = "val";
  f.annotations.push_back({1.5f, 2, 3, 4, 1, false, false, 12});
  m.frames.push_back(f);
  return m;
}

TEST(ManifestTest, RoundTripIsCanonical) {
  std::string a = ManifestToJson(Sample());
  auto back = ManifestFromJson(a, "m.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(ManifestToJson(*back), a);
  EXPECT_EQ(back->frames[0].annotations[0].x, 1.5f);
  EXPECT_EQ(back->FramesOfSplit("val").size(), 1u);
  EXPECT_EQ(back->FramesOfSplit("train").size(), 0u);
}

TEST(ManifestTest, ErrorsNameTheRecord) {
  std::string text = ManifestToJson(Sample());
  auto pos = text.find("\"class\": 1");
  ASSERT_NE(pos, std::string::npos);
  text.replace(pos, 10, "\"class\": 9");
  auto bad = ManifestFromJson(text, "m.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("m.json: frame 0 annotation 0: unknown class id 9"),
            std::string::npos)
      << bad.status().message();
  auto broken = ManifestFromJson("{\"format\": ", "x.json");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("x.json"), std::string::npos);
}

}  // namespace
}  // namespace maskbench::datasets
