// The facts of a run: the ground truth built from the manifest (equal to the
// COCO export route), the PR curves of one VOC evaluation, bootstrap intervals.
#include "maskbench/contest/facts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "maskbench/contest/metrics.h"
#include "maskbench/datasets/export_coco.h"
#include "maskbench/datasets/synth.h"
#include "maskbench/scoring/coco_eval.h"
#include "maskbench/scoring/voc_eval.h"

namespace maskbench::contest {
namespace {

namespace fs = std::filesystem;

class FactsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("mb_facts_test_" + std::to_string(getpid())));
    fs::remove_all(*dir_);
    datasets::SynthOptions o;
    o.frames = 12;
    o.width = 320;
    o.height = 240;
    Result<datasets::Dataset> ds = datasets::SynthesizeDataset(*dir_, o);
    ASSERT_TRUE(ds.ok()) << ds.status().message();
    ds_ = new datasets::Dataset(*ds);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete ds_;
  }
  static fs::path* dir_;
  static datasets::Dataset* ds_;
};
fs::path* FactsTest::dir_ = nullptr;
datasets::Dataset* FactsTest::ds_ = nullptr;

std::vector<int64_t> AllFrameIds(const datasets::Dataset& ds) {
  std::vector<int64_t> ids;
  for (const auto& f : ds.manifest.frames) ids.push_back(f.id);
  return ids;
}

// Detections that are the ground truth itself, shifted by `dx` pixels, with
// descending scores: a deterministic, imperfect detector.
std::vector<scoring::Detection> Shifted(const scoring::GroundTruth& gt, double dx) {
  std::vector<scoring::Detection> dets;
  double score = 0.99;
  for (const scoring::GtBox& b : gt.boxes) {
    scoring::Detection d;
    d.image_id = b.image_id;
    d.category_id = b.category_id;
    d.bbox[0] = b.bbox[0] + dx * static_cast<double>(b.id % 3);
    d.bbox[1] = b.bbox[1];
    d.bbox[2] = b.bbox[2];
    d.bbox[3] = b.bbox[3];
    d.score = score;
    score = std::max(0.01, score - 0.013);
    dets.push_back(d);
  }
  return dets;
}

TEST_F(FactsTest, GroundTruthFromTheManifestEqualsTheCocoExportRoute) {
  Result<scoring::GroundTruth> direct = GroundTruthForFrames(*ds_, "", AllFrameIds(*ds_));
  ASSERT_TRUE(direct.ok()) << direct.status().message();
  Result<std::string> coco = datasets::ExportCocoJson(*ds_, "");
  ASSERT_TRUE(coco.ok()) << coco.status().message();
  Result<scoring::GroundTruth> parsed = scoring::ParseCocoGroundTruth(*coco, "export");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_GT(direct->boxes.size(), 5u);
  EXPECT_EQ(direct->image_ids, parsed->image_ids);
  ASSERT_EQ(direct->boxes.size(), parsed->boxes.size());
  for (size_t i = 0; i < direct->boxes.size(); ++i) {
    const auto &a = direct->boxes[i], &b = parsed->boxes[i];
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.image_id, b.image_id);
    EXPECT_EQ(a.category_id, b.category_id);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(a.bbox[k], b.bbox[k]) << i << " " << k;  // bit-equal
    EXPECT_EQ(a.area, b.area);
  }
  // The same evaluation, to the last bit, through both.
  const auto dets = Shifted(*direct, 7.0);
  Result<scoring::CocoResult> x = scoring::CocoEvaluate(*direct, dets);
  Result<scoring::CocoResult> y = scoring::CocoEvaluate(*parsed, dets);
  ASSERT_TRUE(x.ok() && y.ok());
  EXPECT_EQ(x->stats, y->stats);
  // Restricted to some frames: only theirs.
  const std::vector<int64_t> some = {ds_->manifest.frames[0].id, ds_->manifest.frames[3].id};
  Result<scoring::GroundTruth> part = GroundTruthForFrames(*ds_, "", some);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->image_ids.size(), 2u);
  for (const auto& b : part->boxes) EXPECT_TRUE(b.image_id == some[0] || b.image_id == some[1]);
}

TEST_F(FactsTest, PrCurvesComeFromOneVocEvaluationAndAreLabelledByIt) {
  Result<scoring::GroundTruth> gt = GroundTruthForFrames(*ds_, "", AllFrameIds(*ds_));
  ASSERT_TRUE(gt.ok());
  const auto dets = Shifted(*gt, 9.0);
  scoring::VocOptions vo;
  vo.keep_curves = true;
  Result<scoring::VocResult> voc = scoring::VocEvaluate(*gt, dets, vo);
  ASSERT_TRUE(voc.ok());
  for (const auto& c : voc->per_class) {
    if (c.num_dets == 0) continue;
    ASSERT_FALSE(c.curve.empty()) << c.name;
    // The curve ends at the class's overall recall and precision.
    EXPECT_DOUBLE_EQ(c.curve.back().first, c.recall) << c.name;
    EXPECT_DOUBLE_EQ(c.curve.back().second, c.precision) << c.name;
    // All-point AP is the area under the curve's precision envelope.
    double area = 0, prev_recall = 0;
    for (size_t i = 0; i < c.curve.size(); ++i) {
      double envelope = 0;
      for (size_t j = i; j < c.curve.size(); ++j) envelope = std::max(envelope, c.curve[j].second);
      area += (c.curve[i].first - prev_recall) * envelope;
      prev_recall = c.curve[i].first;
    }
    EXPECT_NEAR(area, c.ap, 1e-12) << c.name;
  }
}

TEST_F(FactsTest, BootstrapIntervalsAreSeededAndHoldThePointEstimate) {
  Result<scoring::GroundTruth> gt = GroundTruthForFrames(*ds_, "", AllFrameIds(*ds_));
  ASSERT_TRUE(gt.ok());
  const auto dets = Shifted(*gt, 12.0);
  Result<scoring::CocoResult> point = scoring::CocoEvaluate(*gt, dets);
  ASSERT_TRUE(point.ok());
  auto a = BootstrapMap50(*gt, dets, 100, 7, 0.95);
  auto b = BootstrapMap50(*gt, dets, 100, 7, 0.95);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b) << "same seed, same interval";
  EXPECT_LE(a->first, a->second);
  EXPECT_GE(a->first, 0.0);
  EXPECT_LE(a->second, 1.0);
  EXPECT_LT(a->first, a->second) << "an imperfect detector on 12 frames has a spread";
  // Latency: the nearest-rank percentile of the values lies in its interval.
  std::vector<int64_t> ns;
  for (int i = 0; i < 200; ++i) ns.push_back(1'000'000 + (i * 7919) % 50'000);
  const auto ci = BootstrapPercentile(ns, 90, 200, 3, 0.95);
  ASSERT_TRUE(ci.has_value());
  const int64_t p90 = *PercentileOf(ns, 90);
  EXPECT_LE(ci->first, static_cast<double>(p90));
  EXPECT_GE(ci->second, static_cast<double>(p90));
  EXPECT_EQ(ci, BootstrapPercentile(ns, 90, 200, 3, 0.95));
  EXPECT_FALSE(BootstrapPercentile({}, 90, 200, 3, 0.95).has_value());
  EXPECT_FALSE(BootstrapPercentile(ns, 90, 0, 3, 0.95).has_value()) << "0 samples: no interval";
}

}  // namespace
}  // namespace maskbench::contest
