// The isolated runner against the real test plugins in <build>/submissions/testing.
#include "maskbench/harness/runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

#include "plugin_host.h"

namespace maskbench::harness {
namespace {

namespace fs = std::filesystem;

fs::path BuildDir() {
  const char* dir = std::getenv("MASKBENCH_BUILD_DIR");
  return dir ? fs::path(dir) : fs::path(".");
}

fs::path Plugin(const std::string& name) {
  return BuildDir() / "submissions" / "testing" / name / ("lib" + name + ".so");
}

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    frames_ = MakeSyntheticFrames(6, 64, 48);
    settings_.warmup_frames = 2;
    settings_.frame_timeout_s = 5;
  }
  RunRecord Run(const std::string& name, const std::string& config = "{}") {
    RunSettings s = settings_;
    s.config_json = config;
    const fs::path plugin = Plugin(name);
    EXPECT_TRUE(fs::exists(plugin)) << plugin;
    return RunPlugin(plugin, *frames_, s);
  }
  std::unique_ptr<MemoryFrameSource> frames_;
  RunSettings settings_;
};

TEST_F(RunnerTest, NoopRunsEveryFrameIsolated) {
  RunRecord r = Run("noop");
  ASSERT_EQ(r.status, RunStatus::kOk) << r.message;
  EXPECT_EQ(r.mode, "isolated");
  EXPECT_EQ(r.frames(), 6);
  EXPECT_EQ(r.warmup_done, 2);
  EXPECT_EQ(r.plugin_abi, "1.0.0");
  EXPECT_EQ(r.seal.level, "full") << r.seal.reason;
  ASSERT_EQ(r.round_trip_ns.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_GE(r.latency_ns[i], 0);
    EXPECT_GE(r.round_trip_ns[i], r.latency_ns[i]);
    EXPECT_EQ(r.frame_ids[i], static_cast<int64_t>(i));
    EXPECT_TRUE(r.detections[i].empty());
  }
  EXPECT_EQ(r.failing_frame, -1);
  EXPECT_FALSE(r.timing_flagged);
}

TEST_F(RunnerTest, MaxFramesAndRequestedVersusInEffect) {
  settings_.max_frames = 100;
  RunRecord r = Run("noop");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.requested.max_frames, 100);
  EXPECT_EQ(r.in_effect.max_frames, 6);
  settings_.max_frames = 3;
  r = Run("noop");
  EXPECT_EQ(r.frames(), 3);
}

TEST_F(RunnerTest, EchoReturnsDetectionsCyclesAndDescription) {
  RunRecord r = Run("echo", R"({"count": 2})");
  ASSERT_EQ(r.status, RunStatus::kOk) << r.message;
  ASSERT_EQ(r.detections.size(), 6u);
  ASSERT_EQ(r.detections[0].size(), 2u);
  const Detection& d = r.detections[3][1];
  EXPECT_FLOAT_EQ(d.x, 32 - 8);
  EXPECT_FLOAT_EQ(d.y, 24 - 6);
  EXPECT_FLOAT_EQ(d.w, 16);
  EXPECT_FLOAT_EQ(d.h, 12);
  EXPECT_EQ(d.class_id, 0);
  EXPECT_FLOAT_EQ(d.score, 0.9f);
  EXPECT_EQ(r.clock_hz, 1'000'000'000u);
  ASSERT_EQ(r.cycles.size(), 6u);
  EXPECT_EQ(r.cycles[0], 64u * 48u / 4u);
  EXPECT_EQ(r.description.name, "echo");
  EXPECT_EQ(r.description.team, "maskbench");
}

TEST_F(RunnerTest, InProcessGivesTheSameDetections) {
  RunRecord isolated = Run("echo");
  settings_.in_process = true;
  RunRecord local = Run("echo");
  ASSERT_TRUE(isolated.ok()) << isolated.message;
  ASSERT_TRUE(local.ok()) << local.message;
  EXPECT_EQ(local.mode, "in-process");
  EXPECT_EQ(local.in_effect.seal, SealPolicy::kOff);
  EXPECT_EQ(local.in_effect.memory_limit_bytes, 0u);
  ASSERT_EQ(local.detections.size(), isolated.detections.size());
  for (size_t i = 0; i < local.detections.size(); ++i) {
    ASSERT_EQ(local.detections[i].size(), 1u);
    EXPECT_EQ(local.detections[i][0].x, isolated.detections[i][0].x);
  }
  EXPECT_EQ(local.cycles, isolated.cycles);
}

TEST_F(RunnerTest, CrashAtFrameKKeepsKLatencies) {
  for (int k : {0, 3}) {
    RunRecord r = Run("segfault", "{\"crash_at_call\": " + std::to_string(2 + k) + "}");
    EXPECT_EQ(r.status, RunStatus::kCrashed) << r.message;
    EXPECT_EQ(r.signal_name, "SIGSEGV");
    EXPECT_EQ(r.failing_frame, k);
    EXPECT_EQ(r.failing_call, 2 + k);
    EXPECT_EQ(r.frames(), k);
    EXPECT_EQ(r.latency_ns.size(), static_cast<size_t>(k));
    EXPECT_NE(r.message.find("frame " + std::to_string(k)), std::string::npos) << r.message;
  }
}

TEST_F(RunnerTest, CrashDuringWarmUpHasNoFrameIndex) {
  RunRecord r = Run("segfault", R"({"crash_at_call": 1})");
  EXPECT_EQ(r.status, RunStatus::kCrashed);
  EXPECT_EQ(r.failing_frame, -1);
  EXPECT_EQ(r.failing_call, 1);
  EXPECT_NE(r.message.find("warm-up call 1"), std::string::npos) << r.message;
}

TEST_F(RunnerTest, AbortIsACrashWithSigabrt) {
  RunRecord r = Run("abort", R"({"crash_at_call": 4})");
  EXPECT_EQ(r.status, RunStatus::kCrashed) << r.message;
  EXPECT_EQ(r.signal_name, "SIGABRT");
  EXPECT_EQ(r.failing_frame, 2);
  EXPECT_EQ(r.frames(), 2);
}

TEST_F(RunnerTest, HangIsATimeoutAndTheChildIsKilled) {
  settings_.frame_timeout_s = 0.3;
  const auto t0 = std::chrono::steady_clock::now();
  RunRecord r = Run("hang", R"({"hang_at_call": 3})");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, RunStatus::kTimeout) << r.message;
  EXPECT_EQ(r.failing_frame, 1);
  EXPECT_EQ(r.frames(), 1);
  EXPECT_NE(r.message.find("frame timeout"), std::string::npos) << r.message;
  EXPECT_LT(seconds, 3.0);
}

TEST_F(RunnerTest, TotalTimeoutEndsALongRun) {
  settings_.total_timeout_s = 0.08;
  settings_.warmup_frames = 0;
  frames_ = MakeSyntheticFrames(30, 16, 16);
  RunRecord r = Run("sleep-10ms");
  EXPECT_EQ(r.status, RunStatus::kTimeout) << r.message;
  EXPECT_NE(r.message.find("total timeout"), std::string::npos) << r.message;
  EXPECT_LT(r.frames(), 30);
  EXPECT_GT(r.frames(), 0);
}

TEST_F(RunnerTest, SleepLatencyIsAtLeastTheSleep) {
  settings_.warmup_frames = 1;
  frames_ = MakeSyntheticFrames(3, 16, 16);
  RunRecord r = Run("sleep-10ms");
  ASSERT_TRUE(r.ok()) << r.message;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_GE(r.latency_ns[i], 10'000'000);
    EXPECT_GE(r.round_trip_ns[i], r.latency_ns[i]);
  }
}

TEST_F(RunnerTest, MallocBombHitsTheMemoryLimit) {
  settings_.memory_limit_bytes = 512ull << 20;
  RunRecord r = Run("malloc-bomb", R"({"chunk_mb": 16})");
  EXPECT_EQ(r.status, RunStatus::kMemoryLimit) << r.message;
  EXPECT_EQ(r.failing_call, 0);
  EXPECT_NE(r.message.find("bad_alloc"), std::string::npos) << r.message;
}

TEST_F(RunnerTest, NanBoxesAreInvalidOutput) {
  RunRecord r = Run("nan-boxes");
  EXPECT_EQ(r.status, RunStatus::kInvalidOutput);
  EXPECT_NE(r.message.find("detection 1: NaN"), std::string::npos) << r.message;
}

TEST_F(RunnerTest, TooManyBoxesAreInvalidOutput) {
  settings_.max_detections = 10;
  RunRecord r = Run("too-many-boxes");
  EXPECT_EQ(r.status, RunStatus::kInvalidOutput);
  EXPECT_NE(r.message.find("60 detections, more than the maximum 10"), std::string::npos)
      << r.message;
}

TEST_F(RunnerTest, WrongAbiIsRefusedNamingBothVersions) {
  RunRecord r = Run("wrong-abi");
  EXPECT_EQ(r.status, RunStatus::kAbiMismatch);
  EXPECT_NE(r.message.find("99.0.0"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("1.0.0"), std::string::npos) << r.message;
  EXPECT_EQ(r.frames(), 0);
  settings_.in_process = true;
  EXPECT_EQ(Run("wrong-abi").status, RunStatus::kAbiMismatch);
}

TEST_F(RunnerTest, ExceptionOutOfInferIsInferFailed) {
  RunRecord r = Run("throws", R"({"throw_at_call": 3})");
  EXPECT_EQ(r.status, RunStatus::kInferFailed);
  EXPECT_EQ(r.failing_frame, 1);
  EXPECT_EQ(r.frames(), 1);
  EXPECT_NE(r.message.find("infer gave up on frame 3"), std::string::npos) << r.message;
}

TEST_F(RunnerTest, InitFailureCarriesThePluginsText) {
  RunRecord r = Run("init-fails");
  EXPECT_EQ(r.status, RunStatus::kInitFailed);
  EXPECT_NE(r.message.find("weights.bin not found"), std::string::npos) << r.message;
}

TEST_F(RunnerTest, NotAPluginIsLoadFailed) {
  const fs::path bogus =
      fs::temp_directory_path() / ("mb-bogus-" + std::to_string(getpid()) + ".so");
  std::ofstream(bogus) << "not an ELF file";
  RunRecord r = RunPlugin(bogus, *frames_, settings_);
  EXPECT_EQ(r.status, RunStatus::kLoadFailed);
  EXPECT_NE(r.message.find(bogus.string()), std::string::npos) << r.message;
  fs::remove(bogus);
}

TEST_F(RunnerTest, WritingAFileIsKilledBySandbox) {
  const fs::path target =
      fs::temp_directory_path() / ("mb-writes-file-" + std::to_string(getpid()) + ".txt");
  fs::remove(target);
  const std::string config = "{\"path\": \"" + target.string() + "\"}";
  RunRecord r = Run("writes-file", config);
  EXPECT_EQ(r.status, RunStatus::kSandboxViolation) << r.message;
  EXPECT_EQ(r.signal_name, "SIGSYS");
  EXPECT_EQ(r.failing_call, 0);
  EXPECT_FALSE(fs::exists(target));
  // Without the sandbox the same plugin writes the file (documented behaviour).
  settings_.seal = SealPolicy::kOff;
  r = Run("writes-file", config);
  EXPECT_EQ(r.status, RunStatus::kOk) << r.message;
  EXPECT_EQ(r.seal.level, "off");
  EXPECT_TRUE(fs::exists(target));
  fs::remove(target);
}

TEST_F(RunnerTest, ReadingAFileAfterCreateIsRefusedBySandbox) {
  const fs::path target =
      fs::temp_directory_path() / ("mb-reads-file-" + std::to_string(getpid()) + ".txt");
  { std::ofstream(target) << "labels\n"; }
  const std::string config = "{\"path\": \"" + target.string() + "\"}";
  RunRecord r = Run("reads-file", config);
  ASSERT_EQ(r.status, RunStatus::kOk) << r.message;
  ASSERT_GT(r.frames(), 0);
  for (const auto& dets : r.detections) EXPECT_TRUE(dets.empty());  // open() refused: nothing read
  settings_.seal = SealPolicy::kOff;
  r = Run("reads-file", config);
  ASSERT_EQ(r.status, RunStatus::kOk) << r.message;
  ASSERT_GT(r.frames(), 0);
  for (const auto& dets : r.detections) EXPECT_EQ(dets.size(), 1u);  // without the sandbox it reads
  fs::remove(target);
}

TEST_F(RunnerTest, TamperedTimingIsFlagged) {
  settings_.warmup_frames = 0;
  RunRecord r = Run("tamper-timing");
  EXPECT_EQ(r.status, RunStatus::kInvalidOutput) << r.message;
  EXPECT_TRUE(r.timing_flagged);
  EXPECT_NE(r.message.find("frame 0: the runner's time 10000000000 ns exceeds the round trip"),
            std::string::npos)
      << r.message;
  EXPECT_EQ(r.failing_frame, 0);
  EXPECT_EQ(r.frames(), 0);
}

TEST_F(RunnerTest, HarnessSurvivesEveryFaultyPluginInARow) {
  settings_.frame_timeout_s = 0.3;
  settings_.memory_limit_bytes = 512ull << 20;
  for (const char* name :
       {"segfault", "abort", "hang", "nan-boxes", "wrong-abi", "throws", "malloc-bomb"}) {
    RunRecord r = Run(name);
    EXPECT_FALSE(r.ok()) << name;
  }
  RunRecord r = Run("noop");
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST_F(RunnerTest, MissingRunnerIsAHarnessError) {
  setenv("MASKBENCH_RUNNER", "/nonexistent/maskbench-runner", 1);
  RunRecord r = Run("noop");
  unsetenv("MASKBENCH_RUNNER");
  EXPECT_EQ(r.status, RunStatus::kHarnessError);
  EXPECT_NE(r.message.find("/nonexistent/maskbench-runner"), std::string::npos) << r.message;
}

TEST(CheckDetectionsTest, NamesTheFirstProblem) {
  const int classes[] = {0, 1, 2};
  auto check = [&](mb_detection_t d) {
    return internal::CheckDetections(&d, 1, 10, 100, 50, 2.0f, classes, 3);
  };
  EXPECT_EQ(check({10, 10, 20, 20, 1, 0.5f}), "");
  EXPECT_EQ(check({-2, -2, 104, 54, 2, 1.0f}), "");  // exactly at the tolerance
  EXPECT_NE(check({90, 10, 20, 20, 1, 0.5f}).find("outside the 100x50 frame"), std::string::npos);
  EXPECT_NE(check({10, 10, 0, 20, 1, 0.5f}).find("is not > 0"), std::string::npos);
  EXPECT_NE(check({10, 10, 20, -1, 1, 0.5f}).find("is not > 0"), std::string::npos);
  EXPECT_NE(check({10, 10, 20, 20, 3, 0.5f}).find("unknown class id 3"), std::string::npos);
  EXPECT_NE(check({10, 10, 20, 20, 0, 1.5f}).find("score"), std::string::npos);
  EXPECT_NE(
      check({10, std::numeric_limits<float>::infinity(), 20, 20, 0, 0.5f}).find("NaN or infinite"),
      std::string::npos);
  mb_detection_t two[2] = {{1, 1, 1, 1, 0, 0.1f}, {1, 1, 1, 1, 0, 0.1f}};
  EXPECT_NE(internal::CheckDetections(two, 11, 10, 100, 50, 2.0f, classes, 3)
                .find("more than the maximum"),
            std::string::npos);
}

TEST(RunStatusTest, NamesRoundTrip) {
  for (RunStatus s : {RunStatus::kOk, RunStatus::kCrashed, RunStatus::kTimeout,
                      RunStatus::kInvalidOutput, RunStatus::kAbiMismatch, RunStatus::kInitFailed,
                      RunStatus::kLoadFailed, RunStatus::kInferFailed, RunStatus::kMemoryLimit,
                      RunStatus::kSandboxViolation, RunStatus::kHarnessError}) {
    auto back = ParseRunStatus(RunStatusName(s));
    ASSERT_TRUE(back.has_value()) << RunStatusName(s);
    EXPECT_EQ(*back, s);
  }
  EXPECT_STREQ(RunStatusName(RunStatus::kInvalidOutput), "invalid_output");
  EXPECT_FALSE(ParseRunStatus("fine").has_value());
}

}  // namespace
}  // namespace maskbench::harness
