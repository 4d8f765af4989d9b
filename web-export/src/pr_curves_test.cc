#include "maskbench/web_export/pr_curves.h"

#include <gtest/gtest.h>

#include "test_util.h"  // scoring/src

namespace maskbench::web_export {
namespace {

scoring::GroundTruth TinyGroundTruth() {
  auto gt = scoring::ParseCocoGroundTruth(
      R"({"images": [{"id": 1}, {"id": 2}],
          "categories": [{"id": 0, "name": "with_mask"}, {"id": 1, "name": "without_mask"},
                         {"id": 2, "name": "mask_weared_incorrect"}],
          "annotations": [
            {"image_id": 1, "category_id": 0, "bbox": [10, 10, 20, 20]},
            {"image_id": 2, "category_id": 0, "bbox": [50, 50, 30, 30]},
            {"image_id": 2, "category_id": 1, "bbox": [100, 10, 20, 25]}]})",
      "tiny gt");
  EXPECT_TRUE(gt.ok()) << gt.status().message();
  return *gt;
}

// Detections built in code: the scoring tests' helper.
using scoring::testing::D;

TEST(PrCurvesTest, PointsFollowTheScoreOrder) {
  scoring::GroundTruth gt = TinyGroundTruth();
  std::vector<scoring::Detection> dets = {
      D(1, 0, 10, 10, 20, 20, 0.9),    // true positive
      D(1, 0, 200, 200, 10, 10, 0.8),  // false positive
      D(2, 0, 50, 50, 30, 30, 0.7),    // true positive
      D(2, 1, 100, 10, 20, 25, 0.6),   // true positive, other class
  };
  auto curves = ComputePrCurves(gt, dets);
  ASSERT_TRUE(curves.ok()) << curves.status().message();
  ASSERT_EQ(curves->size(), 2u);  // mask_weared_incorrect has no ground truth
  const PrCurve& c0 = (*curves)[0];
  EXPECT_EQ(c0.class_name, "with_mask");
  // Thresholds .9, .8, .7 (and .6, which adds nothing for this class).
  ASSERT_EQ(c0.points.size(), 3u);
  EXPECT_DOUBLE_EQ(c0.points[0].first, 0.5);
  EXPECT_DOUBLE_EQ(c0.points[0].second, 1.0);
  EXPECT_DOUBLE_EQ(c0.points[1].first, 0.5);
  EXPECT_DOUBLE_EQ(c0.points[1].second, 0.5);
  EXPECT_DOUBLE_EQ(c0.points[2].first, 1.0);
  EXPECT_NEAR(c0.points[2].second, 2.0 / 3.0, 1e-12);
  const PrCurve& c1 = (*curves)[1];
  EXPECT_EQ(c1.class_id, 1);
  ASSERT_EQ(c1.points.size(), 1u);
  EXPECT_EQ(c1.points[0], std::make_pair(1.0, 1.0));
}

TEST(PrCurvesTest, ThresholdsAreCappedAndKeepTheLowestScore) {
  scoring::GroundTruth gt = TinyGroundTruth();
  std::vector<scoring::Detection> dets;
  for (int i = 0; i < 100; ++i) dets.push_back(D(1, 0, 300, 300, 5, 5, 0.99 - i * 0.005));
  dets.push_back(D(1, 0, 10, 10, 20, 20, 0.001));  // the only hit, lowest score
  auto curves = ComputePrCurves(gt, dets, 5);
  ASSERT_TRUE(curves.ok());
  ASSERT_EQ(curves->size(), 1u);
  const auto& pts = (*curves)[0].points;
  ASSERT_LE(pts.size(), 5u);
  EXPECT_DOUBLE_EQ(pts.back().first, 0.5);  // the lowest threshold found the hit
  for (size_t i = 1; i < pts.size(); ++i) EXPECT_GE(pts[i].first, pts[i - 1].first);
}

TEST(PrCurvesTest, NoDetectionsGiveNoCurves) {
  auto curves = ComputePrCurves(TinyGroundTruth(), {});
  ASSERT_TRUE(curves.ok());
  EXPECT_TRUE(curves->empty());
}

}  // namespace
}  // namespace maskbench::web_export
