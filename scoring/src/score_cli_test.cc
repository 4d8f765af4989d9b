// End-to-end tests of `maskbench score`: the real executable in a child process.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "maskbench/core/files.h"
#include "maskbench/datasets/export_coco.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/scoring/coco_eval.h"
#include "maskbench/scoring/voc_eval.h"

namespace maskbench::scoring {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct CliRun {
  int code;
  std::string out, err;
};

class ScoreCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* build = std::getenv("MASKBENCH_BUILD_DIR");
    ASSERT_NE(build, nullptr) << "MASKBENCH_BUILD_DIR is not set";
    exe_ = fs::path(build) / "maskbench";
    ASSERT_TRUE(fs::exists(exe_)) << exe_;
    dir_ = fs::temp_directory_path() /
           ("maskbench_score_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // A data set of 6 frames (3 val) with face-mask classes; its COCO export is the ground truth.
    datasets::Manifest m;
    m.name = "score-cli";
    m.classes = datasets::FaceMaskClasses();
    m.splits = {"train", "val"};
    m.media.push_back({datasets::Media::Kind::kImage, "img.jpg", std::string(64, 'a'), 10});
    std::mt19937 rng(3);
    for (int i = 0; i < 6; ++i) {
      datasets::Frame f;
      f.id = 10 + i;
      f.name = "f" + std::to_string(i);
      f.width = 640;
      f.height = 480;
      f.split = i % 2 ? "val" : "train";
      for (int b = 0; b < 4; ++b) {
        float x = float(rng() % 500), y = float(rng() % 380), w = float(10 + rng() % 120),
              h = float(10 + rng() % 90);
        f.annotations.push_back({x, y, w, h, int(rng() % 3), false, false, double(w) * double(h)});
      }
      m.frames.push_back(f);
    }
    ASSERT_TRUE(datasets::SaveManifest(dir_ / "ds", m).ok());
    Result<std::string> coco = datasets::ExportCocoJson(m, "");
    ASSERT_TRUE(coco.ok());
    ASSERT_TRUE(WriteFileAtomic(dir_ / "gt.json", *coco).ok());
    Result<GroundTruth> gt = ParseCocoGroundTruth(*coco, "gt");
    ASSERT_TRUE(gt.ok()) << gt.status().message();
    gt_ = *gt;
    // Detections: every box shifted a little, some dropped, plus false positives.
    int n = 0;
    for (const GtBox& b : gt_.boxes) {
      if (++n % 5 == 0) continue;
      Detection d{b.image_id,
                  b.category_id,
                  {b.bbox[0] + n % 4, b.bbox[1], b.bbox[2], b.bbox[3] + n % 3},
                  0.3 + 0.01 * n};
      dets_.push_back(d);
      dets_.push_back(
          {b.image_id, (b.category_id + 1) % 3, {b.bbox[0] + 200, b.bbox[1], 30, 30}, 0.01 * n});
    }
    ASSERT_TRUE(WriteFileAtomic(dir_ / "dets.json", DetectionsToCocoJson(dets_)).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  CliRun Score(const std::string& args) {
    std::string cmd = exe_.string() + " score " + args + " >" + (dir_ / "out").string() + " 2>" +
                      (dir_ / "err").string();
    int status = std::system(cmd.c_str());
    CliRun r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadFile(dir_ / "out").value();
    r.err = ReadFile(dir_ / "err").value();
    return r;
  }
  std::string P(const char* name) { return (dir_ / name).string(); }

  fs::path exe_, dir_;
  GroundTruth gt_;
  std::vector<Detection> dets_;
};

TEST_F(ScoreCliTest, CocoJsonMatchesTheLibrary) {
  CliRun r = Score("--gt " + P("gt.json") + " --detections " + P("dets.json") + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  json j = json::parse(r.out);
  EXPECT_EQ(j["metric"], "coco");
  CocoResult lib = CocoEvaluate(gt_, dets_).value();
  ASSERT_EQ(j["stats"].size(), 12u);
  for (int s = 0; s < kNumCocoStats; ++s)
    EXPECT_EQ(j["stats"][CocoStatName(s)].get<double>(), lib.stats[s]);
  ASSERT_EQ(j["per_class"].size(), 3u);
  EXPECT_EQ(j["per_class"]["1"]["AP"].get<double>(), lib.per_class[1].ap);
  EXPECT_EQ(j["per_class"]["2"]["AP50"].get<double>(), lib.per_class[2].ap50);
  EXPECT_GT(lib.stats[kAP50], 0.3);
  EXPECT_LT(lib.stats[kAP], 0.95);
}

TEST_F(ScoreCliTest, VocJsonShape) {
  CliRun r = Score("--gt " + P("gt.json") + " --detections " + P("dets.json") +
                   " --metric voc --iou 0.3 --voc-interp 11 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["metric"], "voc");
  EXPECT_EQ(j["iou"], 0.3);
  EXPECT_EQ(j["interp"], "11");
  VocResult lib = VocEvaluate(gt_, dets_, {0.3, VocInterp::kElevenPoint}).value();
  EXPECT_EQ(j["mAP"].get<double>(), lib.map);
  for (const char* k : {"AP", "precision", "recall"})
    EXPECT_TRUE(j["per_class"]["0"].contains(k)) << k;
}

TEST_F(ScoreCliTest, DatasetSplitEqualsItsExport) {
  Result<datasets::Dataset> ds = datasets::LoadDataset(dir_ / "ds");
  ASSERT_TRUE(ds.ok());
  ASSERT_TRUE(
      WriteFileAtomic(dir_ / "val.json", datasets::ExportCocoJson(*ds, "val").value()).ok());
  // Detections of the val frames only (others would name unknown images).
  std::vector<Detection> val;
  for (const Detection& d : dets_)
    if (d.image_id % 2 == 1) val.push_back(d);
  ASSERT_TRUE(WriteFileAtomic(dir_ / "val_dets.json", DetectionsToCocoJson(val)).ok());
  CliRun a =
      Score("--dataset " + P("ds") + " --split val --detections " + P("val_dets.json") + " --json");
  CliRun b = Score("--gt " + P("val.json") + " --detections " + P("val_dets.json") + " --json");
  ASSERT_EQ(a.code, 0) << a.err;
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_EQ(a.out, b.out);
  CliRun bad =
      Score("--dataset " + P("ds") + " --split val --detections " + P("dets.json") + " --json");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("unknown image_id 10"), std::string::npos) << bad.err;
}

TEST_F(ScoreCliTest, HumanOutputHasSummaryAndTaskMetrics) {
  CliRun r = Score("--gt " + P("gt.json") + " --detections " + P("dets.json"));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Average Precision  (AP) @[ IoU=0.50      | area=   all | maxDets=100 ]"),
            std::string::npos);
  EXPECT_NE(r.out.find("without_mask"), std::string::npos);
  EXPECT_NE(r.out.find("violation (pooled)"), std::string::npos);
}

TEST_F(ScoreCliTest, BadInputNamesFileAndRecord) {
  ASSERT_TRUE(
      WriteFileAtomic(dir_ / "bad.json",
                      R"([{"image_id": 10, "category_id": 0, "bbox": [1, 2, 3, 4], "score": 0.5},
                                  {"image_id": 10, "category_id": 7, "bbox": [1, 2, 3, 4], "score": 0.5}])")
          .ok());
  CliRun r = Score("--gt " + P("gt.json") + " --detections " + P("bad.json"));
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "maskbench: " + P("bad.json") + ": record 1: unknown category_id 7\n");
  ASSERT_TRUE(
      WriteFileAtomic(dir_ / "nan.json",
                      R"([{"image_id": 10, "category_id": 0, "bbox": [1, 2, 3, 4], "score": NaN}])")
          .ok());
  r = Score("--gt " + P("gt.json") + " --detections " + P("nan.json") + " --json");
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("nan.json: record 0: score is NaN"), std::string::npos) << r.err;
  r = Score("--gt " + P("missing.json") + " --detections " + P("dets.json"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;
  r = Score("--gt " + P("gt.json") + " --dataset " + P("ds") + " --detections " + P("dets.json"));
  EXPECT_NE(r.code, 0);
  r = Score("--detections " + P("dets.json"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("give exactly one of --gt GT.json or --dataset DS"), std::string::npos)
      << r.err;
  r = Score("--gt " + P("gt.json") + " --detections " + P("dets.json") + " --metric map");
  EXPECT_NE(r.code, 0);
}

}  // namespace
}  // namespace maskbench::scoring
