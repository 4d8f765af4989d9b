#include "maskbench/scoring/coco_eval.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "internal.h"
#include "test_util.h"

namespace maskbench::scoring {
namespace {

using testing::D;
using testing::G;
using testing::MakeGt;

// Three images, two classes, boxes in every size bucket, one crowd region.
GroundTruth ThreeImages() {
  return MakeGt({7, 3, 11}, {{2, "b"}, {1, "a"}},
                {
                    {3, 1, 10, 10, 20, 20},             // small (400)
                    {3, 1, 100, 100, 50, 50},           // medium (2500)
                    {3, 2, 200, 50, 150, 120},          // large
                    {7, 1, 5, 5, 40, 60},               // medium
                    {7, 2, 300, 300, 12, 14},           // small
                    {11, 1, 0, 0, 200, 200},            // large
                    {11, 1, 400, 400, 100, 100, true},  // crowd
                });
}

std::vector<Detection> Perfect(const GroundTruth& gt) {
  std::vector<Detection> dets;
  double score = 0.99;
  for (const GtBox& b : gt.boxes) {
    if (b.iscrowd) continue;
    dets.push_back(D(b.image_id, b.category_id, b.bbox[0], b.bbox[1], b.bbox[2], b.bbox[3], score));
    score -= 0.01;
  }
  return dets;
}

// Imperfect detections: shifted boxes, misses, false positives.
std::vector<Detection> Noisy() {
  return {
      D(3, 1, 12, 11, 20, 20, 0.9),     D(3, 1, 110, 100, 50, 50, 0.8),
      D(3, 2, 205, 55, 150, 120, 0.7),  D(7, 1, 5, 8, 40, 60, 0.65),
      D(7, 1, 300, 5, 30, 30, 0.85),    D(7, 2, 301, 302, 12, 14, 0.4),
      D(11, 1, 10, 10, 190, 190, 0.6),  D(11, 1, 410, 410, 50, 50, 0.95),  // on the crowd region
      D(11, 1, 420, 420, 50, 50, 0.55), D(11, 2, 0, 0, 30, 30, 0.3),
  };
}

TEST(CocoEvalTest, ParametersAreNumpyLinspace) {
  std::vector<double> t = internal::CocoIouThresholds();
  ASSERT_EQ(t.size(), 10u);
  EXPECT_EQ(t[0], 0.5);
  EXPECT_EQ(t[5], 0.75);  // pycocotools finds AP75 by equality
  EXPECT_EQ(t[9], 0.95);
  std::vector<double> r = internal::CocoRecallThresholds();
  ASSERT_EQ(r.size(), 101u);
  EXPECT_EQ(r[0], 0.0);
  EXPECT_EQ(r[7], 7 * 0.01);
  EXPECT_EQ(r[100], 1.0);
}

TEST(CocoEvalTest, IouMatchesMaskApi) {
  double a[4] = {0, 0, 10, 10}, b[4] = {5, 0, 10, 10};
  EXPECT_DOUBLE_EQ(internal::CocoIou(a, b, false), 50.0 / 150.0);
  EXPECT_DOUBLE_EQ(internal::CocoIou(a, b, true), 50.0 / 100.0);  // crowd: inter / area(det)
  double c[4] = {10, 0, 5, 5};
  EXPECT_EQ(internal::CocoIou(a, c, false), 0.0);  // touching edges do not overlap
}

TEST(CocoEvalTest, PerfectDetectionsGiveOne) {
  GroundTruth gt = ThreeImages();
  Result<CocoResult> r = CocoEvaluate(gt, Perfect(gt));
  ASSERT_TRUE(r.ok()) << r.status().message();
  for (int s = 0; s < kNumCocoStats; ++s) {
    if (s == kAR1) continue;  // image 3 has two "a" boxes: one detection finds half
    EXPECT_NEAR(r->stats[s], 1.0, 1e-12) << CocoStatName(s);
  }
  for (const CocoClassResult& c : r->per_class) {
    EXPECT_NEAR(c.ap, 1.0, 1e-12);
    EXPECT_NEAR(c.ap50, 1.0, 1e-12);
  }
  ASSERT_EQ(r->per_class.size(), 2u);
  EXPECT_EQ(r->per_class[0].category_id, 1);  // ordered by id, not file order
}

TEST(CocoEvalTest, NoDetectionsGiveZero) {
  Result<CocoResult> r = CocoEvaluate(ThreeImages(), {});
  ASSERT_TRUE(r.ok());
  for (int s = 0; s < kNumCocoStats; ++s) EXPECT_EQ(r->stats[s], 0.0) << CocoStatName(s);
}

TEST(CocoEvalTest, EmptyAreaBucketIsMinusOne) {
  GroundTruth gt = MakeGt({1}, {{1, "a"}}, {{1, 1, 0, 0, 10, 10}});
  Result<CocoResult> r = CocoEvaluate(gt, {D(1, 1, 0, 0, 10, 10, 0.5)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stats[kAPMedium], -1.0);
  EXPECT_EQ(r->stats[kAPLarge], -1.0);
  EXPECT_EQ(r->stats[kARLarge], -1.0);
  EXPECT_NEAR(r->stats[kAPSmall], 1.0, 1e-12);
}

TEST(CocoEvalTest, HandComputedOneHitOneMiss) {
  // One true positive then one false positive against two ground-truth boxes:
  // recall reaches 0.5 at precision 1, so 51 of the 101 recall points are 1.
  GroundTruth gt = MakeGt({1}, {{1, "a"}}, {{1, 1, 0, 0, 50, 50}, {1, 1, 100, 100, 50, 50}});
  Result<CocoResult> r =
      CocoEvaluate(gt, {D(1, 1, 0, 0, 50, 50, 0.9), D(1, 1, 300, 300, 50, 50, 0.8)});
  ASSERT_TRUE(r.ok());
  const double p1 =
      1.0 / (1.0 + std::numeric_limits<double>::epsilon());  // pycocotools' tp/(tp+fp+eps)
  EXPECT_NEAR(r->stats[kAP], 51 * p1 / 101, 1e-15);
  EXPECT_NEAR(r->stats[kAR100], 0.5, 1e-15);
  EXPECT_NEAR(r->stats[kAR1], 0.5, 1e-15);
}

TEST(CocoEvalTest, LowScoreFalsePositiveLeavesApUnchanged) {
  GroundTruth gt = ThreeImages();
  std::vector<Detection> dets = Noisy();
  Result<CocoResult> before = CocoEvaluate(gt, dets);
  dets.push_back(D(3, 1, 500, 500, 40, 40, 0.01));
  dets.push_back(D(7, 2, 0, 300, 40, 40, 0.02));
  Result<CocoResult> after = CocoEvaluate(gt, dets);
  ASSERT_TRUE(before.ok() && after.ok());
  for (int s = 0; s < kNumCocoStats; ++s)
    EXPECT_EQ(before->stats[s], after->stats[s]) << CocoStatName(s);
  EXPECT_GT(before->stats[kAP], 0.1);
  EXPECT_LT(before->stats[kAP], 0.9);
}

TEST(CocoEvalTest, InputOrderWithDistinctScoresChangesNothing) {
  GroundTruth gt = ThreeImages();
  std::vector<Detection> dets = Noisy();
  Result<CocoResult> ref = CocoEvaluate(gt, dets);
  std::mt19937 rng(5);
  for (int trial = 0; trial < 5; ++trial) {
    std::shuffle(dets.begin(), dets.end(), rng);
    Result<CocoResult> r = CocoEvaluate(gt, dets);
    ASSERT_TRUE(r.ok());
    for (int s = 0; s < kNumCocoStats; ++s)
      EXPECT_EQ(ref->stats[s], r->stats[s]) << CocoStatName(s);
  }
}

TEST(CocoEvalTest, CrowdAbsorbsSeveralDetections) {
  GroundTruth gt =
      MakeGt({1}, {{1, "a"}}, {{1, 1, 0, 0, 40, 40}, {1, 1, 100, 100, 200, 200, true}});
  std::vector<Detection> base = {D(1, 1, 0, 0, 40, 40, 0.5)};
  Result<CocoResult> clean = CocoEvaluate(gt, base);
  // Three higher-scoring detections inside the crowd region are ignored, not false positives.
  base.push_back(D(1, 1, 110, 110, 50, 50, 0.9));
  base.push_back(D(1, 1, 200, 200, 60, 60, 0.8));
  base.push_back(D(1, 1, 150, 120, 30, 30, 0.7));
  Result<CocoResult> crowd = CocoEvaluate(gt, base);
  ASSERT_TRUE(clean.ok() && crowd.ok());
  EXPECT_NEAR(crowd->stats[kAP], 1.0, 1e-12);
  EXPECT_EQ(clean->stats[kAP], crowd->stats[kAP]);
}

TEST(CocoEvalTest, UnknownCategoryOrImageNamesTheRecord) {
  GroundTruth gt = ThreeImages();
  Result<CocoResult> r = CocoEvaluate(gt, {D(3, 1, 0, 0, 1, 1, 0.5), D(3, 9, 0, 0, 1, 1, 0.5)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("record 1: unknown category_id 9"), std::string::npos)
      << r.status().message();
  r = CocoEvaluate(gt, {D(4, 1, 0, 0, 1, 1, 0.5)});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("record 0: unknown image_id 4"), std::string::npos);
}

TEST(CocoEvalTest, ClassWithoutGroundTruthIsMinusOne) {
  GroundTruth gt = MakeGt({1}, {{1, "a"}, {2, "b"}}, {{1, 1, 0, 0, 40, 40}});
  Result<CocoResult> r = CocoEvaluate(gt, {D(1, 1, 0, 0, 40, 40, 0.9), D(1, 2, 0, 0, 40, 40, 0.8)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->per_class[1].ap, -1.0);
  EXPECT_NEAR(r->per_class[0].ap, 1.0, 1e-12);
  EXPECT_NEAR(r->stats[kAP], 1.0, 1e-12);  // -1 cells are left out of the mean
}

TEST(CocoEvalTest, EqualScoresAcrossImagesGoInImageIdOrder) {
  // Image 1 (listed second) holds a miss, image 2 a hit, both scored 0.5: the
  // concatenation follows ascending image id, so the miss comes first.
  GroundTruth gt = MakeGt({2, 1}, {{1, "a"}}, {{1, 1, 0, 0, 50, 50}, {2, 1, 0, 0, 50, 50}});
  std::vector<Detection> dets = {D(2, 1, 0, 0, 50, 50, 0.5), D(1, 1, 300, 300, 50, 50, 0.5)};
  Result<CocoResult> r = CocoEvaluate(gt, dets);
  ASSERT_TRUE(r.ok());
  const double p = 1.0 / (2.0 + std::numeric_limits<double>::epsilon());  // precision at the hit
  EXPECT_NEAR(r->stats[kAP], 51 * p / 101, 1e-15);
  std::swap(dets[0], dets[1]);
  EXPECT_EQ(CocoEvaluate(gt, dets)->stats[kAP], r->stats[kAP]);
}

TEST(CocoEvalTest, AnnotationIdZeroReadsAsUnmatchedLikePycocotools) {
  GroundTruth gt = MakeGt({1}, {{1, "a"}}, {{1, 1, 0, 0, 50, 50}});
  std::vector<Detection> dets = {D(1, 1, 0, 0, 50, 50, 0.9)};
  EXPECT_NEAR(CocoEvaluate(gt, dets)->stats[kAP], 1.0, 1e-12);
  gt.boxes[0].id = 0;
  EXPECT_EQ(CocoEvaluate(gt, dets)->stats[kAP], 0.0);
}

TEST(CocoEvalTest, MaxDetsKeepTheBestPerImage) {
  // 12 boxes in one image; detections for all, the best-scored 10 are hits.
  std::vector<G> boxes;
  std::vector<Detection> dets;
  for (int i = 0; i < 12; ++i) {
    boxes.push_back({1, 1, double(60 * i), 0, 50, 50});
    dets.push_back(D(1, 1, double(60 * i), 0, 50, 50, 0.9 - 0.01 * i));
  }
  GroundTruth gt = MakeGt({1}, {{1, "a"}}, boxes);
  Result<CocoResult> r = CocoEvaluate(gt, dets);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->stats[kAR1], 1.0 / 12, 1e-15);
  EXPECT_NEAR(r->stats[kAR10], 10.0 / 12, 1e-15);
  EXPECT_NEAR(r->stats[kAR100], 1.0, 1e-15);
}

TEST(CocoEvalTest, JsonHasTheCliShape) {
  GroundTruth gt = ThreeImages();
  Result<CocoResult> r = CocoEvaluate(gt, Noisy());
  ASSERT_TRUE(r.ok());
  std::string j = CocoResultToJson(*r);
  EXPECT_EQ(j.rfind("{\"metric\": \"coco\", \"stats\": {\"AP\": ", 0), 0u) << j;
  EXPECT_NE(j.find("\"per_class\": {\"1\": {\"AP\": "), std::string::npos) << j;
  std::string text = CocoResultToText(*r);
  EXPECT_NE(text.find(" Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = "),
            std::string::npos)
      << text;
}

// np.sum / np.mean of a[i] = frac(i * golden ratio) * (1000 when i % 7 == 0, else 1),
// by numpy 1.24 (Debian 12), as C99 hex floats: bit for bit, past the 8192 block too.
TEST(CocoEvalTest, PairwiseSumEqualsNumpyToTheLastBit) {
  const std::pair<size_t, double> expected[] = {{8192, 0x1.2086df0f0a55ep+19},
                                                {8193, 0x1.2086fcf5f0531p+19},
                                                {9090, 0x1.405c3612d7c06p+19},
                                                {20000, 0x1.5f44d159233c9p+20}};
  for (const auto& [n, sum] : expected) {
    std::vector<double> a(n);
    for (size_t i = 0; i < n; ++i)
      a[i] = std::fmod(static_cast<double>(i) * 0.6180339887498949, 1.0) * (i % 7 == 0 ? 1e3 : 1.0);
    EXPECT_EQ(internal::PairwiseSum(a.data(), n), sum) << n;
  }
}

TEST(CocoEvalTest, PairwiseSumMatchesPlainSumClosely) {
  std::vector<double> v(1000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 1.0 / double(i + 1);
  double plain = 0;
  for (double x : v) plain += x;
  EXPECT_NEAR(internal::PairwiseSum(v.data(), v.size()), plain, 1e-12);
  EXPECT_EQ(internal::PairwiseSum(v.data(), 3), 1.0 + 0.5 + 1.0 / 3);
}

}  // namespace
}  // namespace maskbench::scoring
