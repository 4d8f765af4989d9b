#include "maskbench/scoring/voc_eval.h"

#include <gtest/gtest.h>

#include "internal.h"
#include "test_util.h"

namespace maskbench::scoring {
namespace {

using testing::D;
using testing::MakeGt;

TEST(VocEvalTest, IouCountsThePlusOnePixel) {
  double g[4] = {0, 0, 9, 9};  // pixels 0..9: 10 x 10
  double d[4] = {5, 0, 9, 9};  // pixels 5..14
  EXPECT_DOUBLE_EQ(internal::VocIou(d, g), 50.0 / 150.0);
  double far[4] = {10, 0, 9, 9};
  EXPECT_LT(internal::VocIou(far, g), 0);  // no shared pixel
  double touch[4] = {9, 9, 0, 0};          // a single pixel, inside g
  EXPECT_DOUBLE_EQ(internal::VocIou(touch, g), 1.0 / 100.0);
}

// Outcomes TP, FP (duplicate), ignored (difficult), TP against 2 non-difficult boxes.
struct Case {
  GroundTruth gt =
      MakeGt({1, 2}, {{1, "person"}},
             {{1, 1, 0, 0, 99, 99}, {1, 1, 200, 200, 49, 49, false, true}, {2, 1, 10, 10, 30, 30}});
  std::vector<Detection> dets = {D(1, 1, 0, 0, 99, 99, 0.9), D(1, 1, 2, 2, 99, 99, 0.8),
                                 D(1, 1, 200, 200, 49, 49, 0.7), D(2, 1, 10, 10, 30, 30, 0.6)};
};

TEST(VocEvalTest, AllPointHandComputed) {
  Case c;
  Result<VocResult> r = VocEvaluate(c.gt, c.dets, {0.5, VocInterp::kAllPoint});
  ASSERT_TRUE(r.ok()) << r.status().message();
  // rec .5 .5 .5 1, prec 1 .5 .5 2/3: area = .5 * 1 + .5 * 2/3.
  EXPECT_NEAR(r->map, 0.5 + 0.5 * 2.0 / 3.0, 1e-15);
  const VocClassResult& k = r->per_class[0];
  EXPECT_EQ(k.tp, 2);
  EXPECT_EQ(k.fp, 1);
  EXPECT_EQ(k.num_gt, 2);
  EXPECT_EQ(k.num_dets, 4);
  EXPECT_NEAR(k.precision, 2.0 / 3.0, 1e-15);
  EXPECT_NEAR(k.recall, 1.0, 1e-15);
}

TEST(VocEvalTest, ElevenPointHandComputed) {
  Case c;
  Result<VocResult> r = VocEvaluate(c.gt, c.dets, {0.5, VocInterp::kElevenPoint});
  ASSERT_TRUE(r.ok());
  // t = 0 .. 0.5 (6 points): max precision 1; t = 0.6 .. 1 (5 points): 2/3.
  EXPECT_NEAR(r->map, (6 * 1.0 + 5 * (2.0 / 3.0)) / 11, 1e-15);
}

TEST(VocEvalTest, ElevenPointRecallTieIsInclusive) {
  // 5 boxes, 3 found first: recall 0.6 exactly must count for t = 0.6.
  GroundTruth gt = MakeGt({1}, {{1, "a"}},
                          {{1, 1, 0, 0, 9, 9},
                           {1, 1, 20, 0, 9, 9},
                           {1, 1, 40, 0, 9, 9},
                           {1, 1, 60, 0, 9, 9},
                           {1, 1, 80, 0, 9, 9}});
  std::vector<Detection> dets = {D(1, 1, 0, 0, 9, 9, 0.9), D(1, 1, 20, 0, 9, 9, 0.8),
                                 D(1, 1, 40, 0, 9, 9, 0.7), D(1, 1, 300, 0, 9, 9, 0.6),
                                 D(1, 1, 60, 0, 9, 9, 0.5)};
  Result<VocResult> r = VocEvaluate(gt, dets, {0.5, VocInterp::kElevenPoint});
  ASSERT_TRUE(r.ok());
  // rec .2 .4 .6 .6 .8, prec 1 1 1 .75 .8: t <= .6 -> 1 (7 points), t = .7, .8 -> .8, t = .9, 1 ->
  // 0.
  EXPECT_NEAR(r->map, (7 * 1.0 + 2 * 0.8) / 11, 1e-15);
}

TEST(VocEvalTest, TiedScoresKeepInputOrder) {
  GroundTruth gt = MakeGt({1}, {{1, "a"}}, {{1, 1, 0, 0, 9, 9}});
  std::vector<Detection> hit_first = {D(1, 1, 0, 0, 9, 9, 0.5), D(1, 1, 50, 50, 9, 9, 0.5)};
  std::vector<Detection> miss_first = {hit_first[1], hit_first[0]};
  Result<VocResult> a = VocEvaluate(gt, hit_first);
  Result<VocResult> b = VocEvaluate(gt, miss_first);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NEAR(a->map, 1.0, 1e-15);
  EXPECT_NEAR(b->map, 0.5, 1e-15);
}

TEST(VocEvalTest, BestOverlapAlreadyTakenIsFalsePositive) {
  // The second detection overlaps box A best (taken) and box B enough, but the
  // devkit looks only at its best box: a false positive.
  GroundTruth gt = MakeGt({1}, {{1, "a"}}, {{1, 1, 0, 0, 99, 99}, {1, 1, 30, 0, 99, 99}});
  std::vector<Detection> dets = {D(1, 1, 0, 0, 99, 99, 0.9), D(1, 1, 10, 0, 99, 99, 0.8)};
  Result<VocResult> r = VocEvaluate(gt, dets);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->per_class[0].tp, 1);
  EXPECT_EQ(r->per_class[0].fp, 1);
}

TEST(VocEvalTest, ThresholdFlagMatters) {
  GroundTruth gt = MakeGt({1}, {{1, "a"}}, {{1, 1, 0, 0, 9, 9}});
  std::vector<Detection> dets = {D(1, 1, 5, 0, 9, 9, 0.9)};  // IoU 1/3
  EXPECT_NEAR(VocEvaluate(gt, dets, {0.3, VocInterp::kAllPoint})->map, 1.0, 1e-15);
  EXPECT_NEAR(VocEvaluate(gt, dets, {0.5, VocInterp::kAllPoint})->map, 0.0, 1e-15);
  EXPECT_FALSE(VocEvaluate(gt, dets, {1.5, VocInterp::kAllPoint}).ok());
}

TEST(VocEvalTest, PerfectAndEmpty) {
  Case c;
  std::vector<Detection> perfect = {D(1, 1, 0, 0, 99, 99, 0.9), D(2, 1, 10, 10, 30, 30, 0.6)};
  EXPECT_NEAR(VocEvaluate(c.gt, perfect)->map, 1.0, 1e-15);
  EXPECT_EQ(VocEvaluate(c.gt, {})->map, 0.0);
  GroundTruth none = MakeGt({1}, {{1, "a"}}, {});
  EXPECT_EQ(VocEvaluate(none, {})->per_class[0].ap, -1.0);
  EXPECT_EQ(VocEvaluate(none, {})->map, -1.0);
}

TEST(VocEvalTest, JsonHasTheCliShape) {
  Case c;
  std::string j = VocResultToJson(*VocEvaluate(c.gt, c.dets, {0.3, VocInterp::kElevenPoint}));
  EXPECT_EQ(j.rfind("{\"metric\": \"voc\", \"iou\": 0.3, \"interp\": \"11\", \"mAP\": ", 0), 0u)
      << j;
  EXPECT_NE(j.find("\"per_class\": {\"1\": {\"AP\": "), std::string::npos) << j;
}

}  // namespace
}  // namespace maskbench::scoring
