// CalibrateBaseline and the maskbench-calibrate-baseline tool against the real
// reference-baseline plugin in <build>/submissions, on a small synthetic data set.
#include "maskbench/reference/calibrate.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "maskbench/core/files.h"
#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/synth.h"

namespace maskbench::reference {
namespace {

namespace fs = std::filesystem;

fs::path BuildDir() {
  const char* dir = std::getenv("MASKBENCH_BUILD_DIR");
  return dir ? fs::path(dir) : fs::path(".");
}

class CalibrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mb-calibrate-test-" + std::to_string(getpid()));
    fs::remove_all(dir_);
    datasets::SynthOptions o;
    o.frames = 5;  // frame 4 is val, 0-3 train
    o.width = 160;
    o.height = 120;
    ASSERT_TRUE(datasets::SynthesizeDataset(dir_ / "ds", o).ok());
    auto ds = datasets::LoadDataset((dir_ / "ds").string());
    ASSERT_TRUE(ds.ok()) << ds.status().message();
    ds_ = std::move(*ds);
    auto sub = harness::LoadSubmission(BuildDir() / "submissions" / "reference-baseline");
    ASSERT_TRUE(sub.ok()) << sub.status().message();
    sub_ = std::move(*sub);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  datasets::Dataset ds_;
  harness::Submission sub_;
};

TEST_F(CalibrateTest, MeasuresTheBaselineOnTheFirstFrames) {
  auto cache = datasets::FrameCache::Open(ds_, "train");
  ASSERT_TRUE(cache.ok()) << cache.status().message();
  harness::FrameCacheSource source(std::move(*cache));
  Result<BaselineCalibration> c = CalibrateBaseline(sub_, source, ds_, "train", 2, 1);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->machine_fingerprint, MachineFingerprint());
  EXPECT_EQ(c->submission, "reference-baseline");
  EXPECT_EQ(c->dataset_manifest_sha256, ds_.manifest_sha256);
  EXPECT_EQ(c->split, "train");
  EXPECT_EQ(c->frame_ids, (std::vector<int64_t>{source.Get(0).frame_id, source.Get(1).frame_id}));
  EXPECT_EQ(c->warmup_frames, 1);
  ASSERT_EQ(c->latency_ns.size(), 2u);
  EXPECT_GT(c->p90_ms, 0);
  EXPECT_EQ(c->modeled_cycles_per_frame, 306'182'251u) << "the naive NPU's cycle model";
  EXPECT_EQ(c->clock_hz, 200'000'000u);
  Result<std::string> sha = Sha256File(sub_.dir / "refnet-int8.json");
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(c->model_sha256, *sha);
  EXPECT_EQ(c->created_utc.size(), 20u) << c->created_utc;  // 2026-11-25T10:00:00Z
  // What it returns can be saved and loaded back.
  ASSERT_TRUE(SaveBaselineCalibration(dir_ / "cal.json", *c).ok());
  Result<BaselineCalibration> back =
      LoadBaselineCalibrationFor(dir_ / "cal.json", MachineFingerprint());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->latency_ns, c->latency_ns);
}

TEST_F(CalibrateTest, TooFewFramesIsAnErrorNamingTheDataSet) {
  auto cache = datasets::FrameCache::Open(ds_, "val");  // one frame
  ASSERT_TRUE(cache.ok());
  harness::FrameCacheSource source(std::move(*cache));
  Result<BaselineCalibration> c = CalibrateBaseline(sub_, source, ds_, "val", 2, 1);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find(ds_.dir.string()), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("needs 3"), std::string::npos) << c.status().message();
}

TEST_F(CalibrateTest, ToolWritesTheFileAndFailsWithAMessage) {
  const std::string tool = (BuildDir() / "maskbench-calibrate-baseline").string();
  const fs::path out = dir_ / "tool-cal.json";
  const std::string ok_cmd = tool + " --dataset " + (dir_ / "ds").string() +
                             " --split train --frames 1 --warmup 0 --out " + out.string() +
                             " > /dev/null 2>&1";
  ASSERT_EQ(std::system(ok_cmd.c_str()), 0) << ok_cmd;
  Result<BaselineCalibration> c = LoadBaselineCalibration(out);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->latency_ns.size(), 1u);
  const std::string bad_cmd = tool + " --dataset " + (dir_ / "ds").string() +
                              " --split val --frames 4 --out " + (dir_ / "never.json").string() +
                              " 2>&1";
  FILE* p = popen(bad_cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string text;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) text += buf;
  const int status = pclose(p);
  EXPECT_NE(WEXITSTATUS(status), 0);
  EXPECT_NE(text.find("calibration needs 5"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(dir_ / "never.json"));
}

}  // namespace
}  // namespace maskbench::reference
