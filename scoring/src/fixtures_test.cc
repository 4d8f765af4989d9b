// Checks against ../shared/fixtures/metrics (values computed by pycocotools).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "maskbench/core/files.h"
#include "maskbench/scoring/coco_eval.h"
#include "maskbench/scoring/voc_eval.h"

namespace maskbench::scoring {
namespace {

namespace fs = std::filesystem;

fs::path MetricsDir() {
  const char* shared = std::getenv("MASKBENCH_SHARED_DIR");
  return shared ? fs::path(shared) / "fixtures" / "metrics" : fs::path();
}

#define REQUIRE_FIXTURE(dir)                                                 \
  if (MetricsDir().empty() || !fs::exists(MetricsDir() / (dir) / "gt.json")) \
  GTEST_SKIP() << "../shared not found: " << (MetricsDir() / (dir)).string()

struct Loaded {
  GroundTruth gt;
  std::vector<Detection> dets;
};

Loaded Load(const std::string& dir) {
  Result<GroundTruth> gt = LoadCocoGroundTruth(MetricsDir() / dir / "gt.json");
  EXPECT_TRUE(gt.ok()) << gt.status().message();
  Result<std::vector<Detection>> dets = LoadCocoDetections(MetricsDir() / dir / "dets.json", *gt);
  EXPECT_TRUE(dets.ok()) << dets.status().message();
  return {*gt, *dets};
}

void CheckCocoExpected(const std::string& dir) {
  Loaded in = Load(dir);
  Result<CocoResult> r = CocoEvaluate(in.gt, in.dets);
  ASSERT_TRUE(r.ok()) << r.status().message();
  Result<std::string> text = ReadFile(MetricsDir() / dir / "expected.json");
  ASSERT_TRUE(text.ok());
  nlohmann::json expected = nlohmann::json::parse(*text);
  double tol = expected.value("tolerance", 1e-9);
  int checked = 0;
  for (int s = 0; s < kNumCocoStats; ++s) {
    if (!expected["stats"].contains(CocoStatName(s))) continue;
    EXPECT_NEAR(r->stats[s], expected["stats"][CocoStatName(s)].get<double>(), tol)
        << dir << " " << CocoStatName(s);
    ++checked;
  }
  EXPECT_GE(checked, 6);
  if (expected.contains("per_class_AP")) {
    for (auto it = expected["per_class_AP"].begin(); it != expected["per_class_AP"].end(); ++it) {
      int64_t id = std::stoll(it.key());
      bool found = false;
      for (const CocoClassResult& c : r->per_class) {
        if (c.category_id != id) continue;
        found = true;
        EXPECT_NEAR(c.ap, it.value().get<double>(), tol) << dir << " class " << id;
      }
      EXPECT_TRUE(found) << dir << " class " << id;
    }
  }
}

TEST(ScoringFixturesTest, CocoSmall) {
  REQUIRE_FIXTURE("coco-small");
  CheckCocoExpected("coco-small");
}

TEST(ScoringFixturesTest, CocoClasses) {
  REQUIRE_FIXTURE("coco-classes");
  CheckCocoExpected("coco-classes");
}

TEST(ScoringFixturesTest, CocoPerfect) {
  REQUIRE_FIXTURE("coco-perfect");
  CheckCocoExpected("coco-perfect");
}

TEST(ScoringFixturesTest, CocoVal2014HundredImagesIsWellFormed) {
  REQUIRE_FIXTURE("coco-val2014-100");
  Loaded in = Load("coco-val2014-100");
  EXPECT_EQ(in.gt.boxes.size(), 839u);
  EXPECT_EQ(in.dets.size(), 734u);
  Result<CocoResult> r = CocoEvaluate(in.gt, in.dets);
  ASSERT_TRUE(r.ok());
  for (int s = 0; s < kNumCocoStats; ++s) {
    EXPECT_TRUE(r->stats[s] == -1 || (r->stats[s] >= 0 && r->stats[s] <= 1)) << CocoStatName(s);
  }
  EXPECT_GT(r->stats[kAP50], r->stats[kAP75]);
  std::cout << CocoResultToText(*r).substr(0, 1200);
}

TEST(ScoringFixturesTest, VocPersonsIsWellFormed) {
  REQUIRE_FIXTURE("voc-persons");
  Loaded in = Load("voc-persons");
  for (double iou : {0.3, 0.5}) {
    for (VocInterp interp : {VocInterp::kAllPoint, VocInterp::kElevenPoint}) {
      Result<VocResult> r = VocEvaluate(in.gt, in.dets, {iou, interp});
      ASSERT_TRUE(r.ok());
      EXPECT_GT(r->map, 0);
      EXPECT_LT(r->map, 1);
      std::cout << VocResultToJson(*r) << "\n";
    }
  }
}

}  // namespace
}  // namespace maskbench::scoring
