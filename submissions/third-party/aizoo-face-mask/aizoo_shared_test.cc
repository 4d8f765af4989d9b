// The reference against a third-party detector (issue: "the reference must beat
// it on every class it has"), both run as ordinary plugins through the real
// isolated harness on the real face-mask val split, scored with the VOC
// devkit rules, and its facts computed the way the judge stores them
// (contest::ComputeFacts). Needs ../shared (the images and the AIZOO Caffe
// files); skipped with a message without it. Label: shared.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "maskbench/contest/facts.h"
#include "maskbench/contest/frames.h"
#include "maskbench/contest/metrics.h"
#include "maskbench/contest/rules.h"
#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/importers.h"
#include "maskbench/harness/runner.h"
#include "maskbench/harness/submission.h"
#include "maskbench/scoring/voc_eval.h"

namespace maskbench {
namespace {

namespace fs = std::filesystem;

fs::path Shared() {
  const char* s = std::getenv("MASKBENCH_SHARED_DIR");
  return s ? fs::path(s) : fs::path();
}
fs::path BuildDir() {
  const char* s = std::getenv("MASKBENCH_BUILD_DIR");
  return s ? fs::path(s) : fs::path(".");
}

class AizooSharedTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path src = Shared() / "datasets" / "face-mask";
    if (Shared().empty() || !fs::exists(src / "splits" / "val.txt") ||
        !fs::exists(Shared() / "models" / "aizoo-face-mask" / "face_mask_detection.caffemodel"))
      return;
    dir_ = new fs::path(fs::temp_directory_path() / ("mb-aizoo-test-" + std::to_string(getpid())));
    datasets::ImportOptions o;
    o.out = *dir_ / "face-mask";
    o.splits = {{"train", src / "splits/train.txt"}, {"val", src / "splits/val.txt"}};
    ASSERT_TRUE(datasets::ImportVoc(src / "images", src / "annotations", o).ok());
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) fs::remove_all(*dir_);
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (dir_ == nullptr)
      GTEST_SKIP() << "../shared not found (face-mask images and models/aizoo-face-mask): set "
                      "MASKBENCH_SHARED_DIR";
  }
  struct Evaluation {
    scoring::VocResult voc;   // per-class VOC AP50
    contest::RunFacts facts;  // what the judge stores (default rules)
  };
  // A submission on face-mask val, run isolated: its per-class VOC AP50 and its facts.
  Evaluation Evaluate(const std::string& submission, const std::string& config) {
    auto ds = datasets::LoadDataset(*dir_ / "face-mask");
    EXPECT_TRUE(ds.ok()) << ds.status().message();
    auto cache = datasets::FrameCache::Open(*ds, "val");
    EXPECT_TRUE(cache.ok()) << cache.status().message();
    contest::FrameCacheSource frames(std::move(*cache));
    auto sub = harness::LoadSubmission(fs::path(submission).is_absolute()
                                           ? fs::path(submission)
                                           : BuildDir() / "submissions" / submission);
    EXPECT_TRUE(sub.ok()) << sub.status().message();
    harness::RunSettings settings;
    settings.warmup_frames = 1;
    settings.config_json = config;
    harness::RunRecord r = harness::RunSubmission(*sub, frames, settings);
    EXPECT_TRUE(r.ok()) << submission << ": " << r.message;
    EXPECT_EQ(r.frames(), 137);
    auto gt = contest::GroundTruthForFrames(*ds, "val", r.frame_ids);
    EXPECT_TRUE(gt.ok()) << gt.status().message();
    if (!gt.ok()) return {};
    EXPECT_EQ(gt->image_ids.size(), 137u);
    auto voc = scoring::VocEvaluate(*gt, contest::RunDetections(r));
    EXPECT_TRUE(voc.ok()) << voc.status().message();
    auto facts = contest::ComputeFacts(r, &*gt, contest::DefaultRules());
    EXPECT_TRUE(facts.ok()) << facts.status().message();
    if (!voc.ok() || !facts.ok()) return {};
    return {*voc, *facts};
  }
  // A metric of the facts, NaN when absent.
  static double FactOf(const Evaluation& e, const char* key) {
    auto it = e.facts.metrics.find(key);
    return it == e.facts.metrics.end() ? std::nan("") : it->second;
  }
  static fs::path* dir_;
};
fs::path* AizooSharedTest::dir_ = nullptr;

TEST_F(AizooSharedTest, ReferenceBeatsTheThirdPartyDetectorOnEveryClassItHas) {
  // The sealed runner sees only the submission's own folder, so the Caffe files
  // go into a copy of it (made here, never in the repository).
  const fs::path built = BuildDir() / "submissions" / "third-party" / "aizoo-face-mask";
  const fs::path folder = *dir_ / "aizoo-face-mask";
  fs::create_directories(folder);
  for (const char* f : {"libaizoo-face-mask.so", "submission.json"})
    fs::copy_file(built / f, folder / f, fs::copy_options::overwrite_existing);
  for (const char* f : {"face_mask_detection.prototxt", "face_mask_detection.caffemodel"})
    fs::copy_file(Shared() / "models" / "aizoo-face-mask" / f, folder / f,
                  fs::copy_options::overwrite_existing);
  const Evaluation aizoo_eval = Evaluate(folder.string(), "{}");
  const Evaluation ref_eval = Evaluate("reference-fp32", "{}");
  const scoring::VocResult& aizoo = aizoo_eval.voc;
  const scoring::VocResult& ref = ref_eval.voc;
  ASSERT_EQ(aizoo.per_class.size(), 3u);
  ASSERT_EQ(ref.per_class.size(), 3u);
  // The detector works (a broken decode would score ~0): it finds masked faces.
  EXPECT_GT(aizoo.per_class[0].ap, 0.2) << "aizoo with_mask";
  EXPECT_EQ(aizoo.per_class[2].precision, 0) << "it has no mask_weared_incorrect class";
  for (int c : {0, 1}) {
    std::printf("%s: reference-fp32 AP50 %.4f, aizoo-face-mask AP50 %.4f\n",
                ref.per_class[c].name.c_str(), ref.per_class[c].ap, aizoo.per_class[c].ap);
    EXPECT_GT(ref.per_class[c].ap, aizoo.per_class[c].ap) << ref.per_class[c].name;
  }
  // The facts the judge would store: COCO accuracy, latency, the curves of this VOC evaluation.
  for (const Evaluation* e : {&aizoo_eval, &ref_eval}) {
    const double map50 = FactOf(*e, contest::metric::kMap50);
    EXPECT_GT(map50, 0.0);
    EXPECT_LE(map50, 1.0);
    EXPECT_LE(FactOf(*e, contest::metric::kAp), map50);
    EXPECT_LE(FactOf(*e, contest::metric::kMap50Lo), map50);
    EXPECT_GE(FactOf(*e, contest::metric::kMap50Hi), map50);
    EXPECT_GT(FactOf(*e, contest::metric::kLatencyP50Ms), 0.0);
    EXPECT_LE(FactOf(*e, contest::metric::kLatencyP50Ms),
              FactOf(*e, contest::metric::kLatencyP90Ms));
    EXPECT_EQ(e->facts.metrics.count(contest::metric::kModeledLatencyMs), 0u);  // no cycles
    EXPECT_EQ(e->facts.pr_curves_metric, "VOC AP50 (all-point)");
    EXPECT_EQ(e->facts.pr_curves.size(), 3u);  // every class has ground truth in val
    for (const contest::PrCurve& c : e->facts.pr_curves) EXPECT_LE(c.points.size(), 200u);
  }
  std::printf("mAP50 (COCO): reference-fp32 %.4f, aizoo-face-mask %.4f\n",
              FactOf(ref_eval, contest::metric::kMap50),
              FactOf(aizoo_eval, contest::metric::kMap50));
  EXPECT_GT(FactOf(ref_eval, contest::metric::kMap50), FactOf(aizoo_eval, contest::metric::kMap50));
}

// Needs no shared data: runs everywhere.
TEST(AizooPluginTest, MissingModelFilesFailInitNamingTheFile) {
  auto frames = harness::MakeSyntheticFrames(2, 64, 48);
  auto sub =
      harness::LoadSubmission(BuildDir() / "submissions" / "third-party" / "aizoo-face-mask");
  ASSERT_TRUE(sub.ok());
  harness::RunSettings settings;
  settings.config_json = R"({"model_dir": "/nonexistent/aizoo"})";
  harness::RunRecord r = harness::RunSubmission(*sub, *frames, settings);
  EXPECT_EQ(r.status, harness::RunStatus::kInitFailed);
  EXPECT_NE(r.message.find("/nonexistent/aizoo/face_mask_detection.prototxt not found"),
            std::string::npos)
      << r.message;
}

}  // namespace
}  // namespace maskbench
