// The reference against a third-party detector (issue: "the reference must beat
// it on every class it has"), both run as ordinary plugins through the real
// isolated harness on the real face-mask val split, scored with the VOC
// devkit rules. Needs ../shared (the images and the AIZOO Caffe files); skipped
// with a message without it. Label: shared.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/importers.h"
#include "maskbench/harness/run_summary.h"
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
  // Per-class VOC AP50 of a submission on face-mask val, run isolated.
  scoring::VocResult Evaluate(const std::string& submission, const std::string& config) {
    auto ds = datasets::LoadDataset(*dir_ / "face-mask");
    EXPECT_TRUE(ds.ok());
    auto cache = datasets::FrameCache::Open(*ds, "val");
    EXPECT_TRUE(cache.ok());
    harness::FrameCacheSource frames(std::move(*cache));
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
    auto gt = harness::GroundTruthForFrames(*ds, "val", r.frame_ids);
    EXPECT_TRUE(gt.ok());
    auto voc = scoring::VocEvaluate(*gt, harness::RunDetections(r));
    EXPECT_TRUE(voc.ok());
    return *voc;
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
  const scoring::VocResult aizoo = Evaluate(folder.string(), "{}");
  const scoring::VocResult ref = Evaluate("reference-fp32", "{}");
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
