#include "maskbench/reference/baseline_calibration.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "maskbench/core/files.h"

namespace maskbench::reference {
namespace {

std::filesystem::path TempPath(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("mb_cal_" + std::to_string(::getpid()) + "_" + name);
}

BaselineCalibration Sample() {
  BaselineCalibration c;
  c.machine_fingerprint = "m1";
  c.model_sha256 = std::string(64, 'b');
  c.dataset_manifest_sha256 = std::string(64, 'c');
  c.split = "val";
  c.frame_ids = {1, 2, 3, 4, 5};
  c.warmup_frames = 1;
  c.latency_ns = {5'000'000, 1'000'000, 3'000'000, 2'000'000, 4'000'000};
  c.modeled_cycles_per_frame = 123;
  c.clock_hz = 200'000'000;
  c.created_utc = "2026-11-25T09:00:00Z";
  return c;
}

TEST(BaselineCalibrationTest, RoundTripsAndSummarizes) {
  const auto path = TempPath("ok.json");
  ASSERT_TRUE(SaveBaselineCalibration(path, Sample()).ok());
  Result<BaselineCalibration> c = LoadBaselineCalibration(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->frame_ids, Sample().frame_ids);
  EXPECT_EQ(c->latency_ns, Sample().latency_ns);
  EXPECT_DOUBLE_EQ(c->mean_ms, 3.0);
  EXPECT_DOUBLE_EQ(c->p50_ms, 3.0);
  EXPECT_DOUBLE_EQ(c->p90_ms, 5.0);
  EXPECT_EQ(c->clock_hz, 200'000'000u);
  EXPECT_TRUE(LoadBaselineCalibrationFor(path, "m1").ok());
  Result<BaselineCalibration> other = LoadBaselineCalibrationFor(path, "m2");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("recalibrate"), std::string::npos);
}

TEST(BaselineCalibrationTest, RejectsInconsistentValues) {
  BaselineCalibration c = Sample();
  c.latency_ns.pop_back();
  EXPECT_FALSE(SaveBaselineCalibration(TempPath("bad.json"), c).ok());
  c = Sample();
  c.machine_fingerprint.clear();
  EXPECT_FALSE(SaveBaselineCalibration(TempPath("bad.json"), c).ok());

  const auto path = TempPath("broken.json");
  ASSERT_TRUE(WriteFileAtomic(path, "{\"format\": \"maskbench.baseline-calibration\", \"format_version\": 1}").ok());
  Result<BaselineCalibration> r = LoadBaselineCalibration(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("broken.json"), std::string::npos);
  EXPECT_NE(r.status().message().find("machine_fingerprint"), std::string::npos);
}

TEST(BaselineCalibrationTest, MachineFingerprintIsStable) {
  const std::string a = MachineFingerprint();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a, MachineFingerprint());
  EXPECT_EQ(DefaultBaselineCalibrationPath("/b"), std::filesystem::path("/b/calibration/reference-baseline.json"));
}

}  // namespace
}  // namespace maskbench::reference
