// The Offline scenario (RunSettings::scenario = kOffline) against real test
// plugins: `batch` (maskbench.batch/1 in C, one sleep per call), `echo` (batch
// through the C++ helper) and `sleep-10ms` (no batch extension: infer() frame
// after frame). Both modes: isolated (maskbench-runner) and in-process.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "maskbench/harness/runner.h"

namespace maskbench::harness {
namespace {

namespace fs = std::filesystem;

fs::path Plugin(const std::string& name) {
  const char* dir = std::getenv("MASKBENCH_BUILD_DIR");
  return (dir ? fs::path(dir) : fs::path(".")) / "submissions" / "testing" / name /
         ("lib" + name + ".so");
}

// Parameter: in_process.
class OfflineTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    frames_ = MakeSyntheticFrames(20, 64, 48);
    settings_.warmup_frames = 3;
    settings_.frame_timeout_s = 5;
    settings_.scenario = Scenario::kOffline;
    settings_.in_process = GetParam();
  }
  RunRecord Run(const std::string& name, const std::string& config = "{}") {
    RunSettings s = settings_;
    s.config_json = config;
    EXPECT_TRUE(fs::exists(Plugin(name))) << Plugin(name);
    return RunPlugin(Plugin(name), *frames_, s);
  }
  std::unique_ptr<MemoryFrameSource> frames_;
  RunSettings settings_;
};

// Sum of a vector.
template <typename T>
T Sum(const std::vector<T>& v) {
  T s{};
  for (const T& x : v) s += x;
  return s;
}

TEST_P(OfflineTest, BatchesFollowTheBatchSizeAndKeepFrameOrder) {
  settings_.batch_size = 6;
  RunRecord r = Run("batch", R"({"us": 2000, "max_batch": 8})");
  ASSERT_EQ(r.status, RunStatus::kOk) << r.message;
  EXPECT_EQ(r.in_effect.scenario, Scenario::kOffline);
  EXPECT_TRUE(r.batch_extension);
  EXPECT_EQ(r.max_batch, 8u);
  EXPECT_EQ(r.in_effect.batch_size, 6u);
  EXPECT_EQ(r.warmup_done, 3);
  // 20 measured frames in batches of 6: 6, 6, 6, 2 (warm-up batches not stored).
  EXPECT_EQ(r.batch_frames, (std::vector<int64_t>{6, 6, 6, 2}));
  ASSERT_EQ(r.frames(), 20);
  ASSERT_EQ(r.batch_ns.size(), 4u);
  for (size_t b = 0; b < r.batch_ns.size(); ++b) {
    EXPECT_GE(r.batch_ns[b], 2'000'000) << "one 2 ms sleep per batch";
    EXPECT_LE(r.batch_ns[b], r.batch_round_trip_ns[b]);
  }
  for (int64_t i = 0; i < 20; ++i) {
    EXPECT_EQ(r.frame_ids[i], i);
    ASSERT_EQ(r.detections[i].size(), 1u);
    // The plugin encodes the call's sequence number (warm-up calls come first).
    EXPECT_FLOAT_EQ(r.detections[i][0].score, static_cast<float>((i + 3) % 100 + 1) / 128.0f) << i;
  }
  // Amortised per-frame times: each frame of a batch carries batch_ns / n.
  EXPECT_EQ(r.latency_ns[0], r.batch_ns[0] / 6);
  EXPECT_EQ(r.latency_ns[19], r.batch_ns[3] / 2);
  // Throughput is frames over the summed batch times.
  const auto fps = OfflineFramesPerSecond(r);
  ASSERT_TRUE(fps.has_value());
  EXPECT_NEAR(*fps, 20 * 1e9 / static_cast<double>(Sum(r.batch_ns)), 1e-6);
  EXPECT_EQ(r.clock_hz, 0u) << "modeled latency is a SingleStream figure";
}

TEST_P(OfflineTest, PluginMaxBatchCapsTheBatch) {
  settings_.batch_size = 16;
  RunRecord r = Run("batch", R"({"us": 0, "max_batch": 5})");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.requested.batch_size, 16u);
  EXPECT_EQ(r.in_effect.batch_size, 5u);
  EXPECT_EQ(r.batch_frames, (std::vector<int64_t>{5, 5, 5, 5}));
}

TEST_P(OfflineTest, BatchingRaisesThroughputOverSingleFrames) {
  // One 10 ms sleep per call: batches of 10 answer ~10x the frames per second
  // of the same plugin with batches of 1. (A ratio, not a timing threshold.)
  settings_.batch_size = 10;
  RunRecord batched = Run("batch", R"({"us": 10000, "max_batch": 10})");
  settings_.batch_size = 1;
  RunRecord single = Run("batch", R"({"us": 10000, "max_batch": 10})");
  ASSERT_TRUE(batched.ok()) << batched.message;
  ASSERT_TRUE(single.ok()) << single.message;
  EXPECT_EQ(single.batch_frames.size(), 20u);
  EXPECT_GT(*OfflineFramesPerSecond(batched), 4 * *OfflineFramesPerSecond(single));
}

TEST_P(OfflineTest, WithoutTheExtensionFramesRunBackToBack) {
  settings_.batch_size = 4;
  RunRecord r = Run("sleep-10ms", R"({"us": 1000})");
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_FALSE(r.batch_extension);
  EXPECT_EQ(r.max_batch, 0u);
  EXPECT_EQ(r.in_effect.batch_size, 4u);
  EXPECT_EQ(r.batch_frames.size(), 5u);
  for (int64_t ns : r.batch_ns) EXPECT_GE(ns, 4 * 1'000'000) << "four 1 ms frames per batch";
}

TEST_P(OfflineTest, CppHelperBatchMatchesSingleStream) {
  settings_.batch_size = 3;
  RunRecord offline = Run("echo", R"({"count": 2, "max_batch": 3})");
  settings_.scenario = Scenario::kSingleStream;
  RunRecord single = Run("echo", R"({"count": 2})");
  ASSERT_TRUE(offline.ok()) << offline.message;
  ASSERT_TRUE(single.ok()) << single.message;
  EXPECT_TRUE(offline.batch_extension);
  EXPECT_EQ(offline.max_batch, 3u);
  EXPECT_EQ(offline.batch_frames.size(), 7u);  // 3+3+3+3+3+3+2
  ASSERT_EQ(offline.detections.size(), single.detections.size());
  for (size_t i = 0; i < single.detections.size(); ++i) {
    ASSERT_EQ(offline.detections[i].size(), 2u);
    EXPECT_EQ(offline.detections[i][1].x, single.detections[i][1].x);
    EXPECT_EQ(offline.detections[i][1].w, single.detections[i][1].w);
  }
  EXPECT_FALSE(OfflineFramesPerSecond(single).has_value());
  EXPECT_TRUE(single.batch_ns.empty());
}

TEST_P(OfflineTest, InvalidFrameInABatchNamesTheFrameAndKeepsEarlierBatches) {
  settings_.batch_size = 4;
  // Sequence 3 + 9 = measured frame 9, the second frame of the third batch.
  RunRecord r = Run("batch", R"({"us": 0, "max_batch": 4, "nan_at": 12})");
  EXPECT_EQ(r.status, RunStatus::kInvalidOutput) << r.message;
  EXPECT_EQ(r.failing_frame, 9);
  EXPECT_NE(r.message.find("frame 9"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("batch of frames 8-11"), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("NaN"), std::string::npos) << r.message;
  EXPECT_EQ(r.frames(), 8) << "the two earlier batches are kept";
  EXPECT_EQ(r.batch_frames.size(), 2u);
}

TEST_P(OfflineTest, ErrorFromInferBatchIsInferFailed) {
  settings_.batch_size = 4;
  RunRecord r = Run("batch", R"({"us": 0, "fail_at": 9})");
  EXPECT_EQ(r.status, RunStatus::kInferFailed) << r.message;
  EXPECT_EQ(r.failing_frame, 4) << "the batch's first frame (the plugin does not say which)";
  EXPECT_NE(r.message.find("refusing frame with sequence 9"), std::string::npos) << r.message;
  EXPECT_EQ(r.frames(), 4);
}

INSTANTIATE_TEST_SUITE_P(Modes, OfflineTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "InProcess" : "Isolated"; });

// Isolation in Offline: a crash inside infer_batch is a crashed run with the
// signal; earlier batches' frames are kept.
TEST(OfflineIsolatedTest, CrashInABatchKeepsEarlierBatches) {
  auto frames = MakeSyntheticFrames(12, 64, 48);
  RunSettings s;
  s.warmup_frames = 2;
  s.scenario = Scenario::kOffline;
  s.batch_size = 5;
  s.config_json = R"({"us": 0, "crash_at": 9})";  // measured frame 7: the second batch (5-9)
  RunRecord r = RunPlugin(Plugin("batch"), *frames, s);
  EXPECT_EQ(r.status, RunStatus::kCrashed) << r.message;
  EXPECT_EQ(r.signal_name, "SIGSEGV");
  EXPECT_EQ(r.failing_frame, 5);
  EXPECT_NE(r.message.find("batch of frames 5-9"), std::string::npos) << r.message;
  EXPECT_EQ(r.frames(), 5);
}

// A hang inside a batch (here in the infer() fallback) is a timeout naming the batch.
TEST(OfflineIsolatedTest, HangInAnOfflineBatchTimesOut) {
  auto frames = MakeSyntheticFrames(4, 64, 48);
  RunSettings s;
  s.warmup_frames = 0;
  s.scenario = Scenario::kOffline;
  s.batch_size = 2;
  s.frame_timeout_s = 0.3;
  s.config_json = R"({"hang_at_call": 2})";
  RunRecord r = RunPlugin(Plugin("hang"), *frames, s);
  EXPECT_EQ(r.status, RunStatus::kTimeout) << r.message;
  EXPECT_EQ(r.failing_frame, 2);
  EXPECT_NE(r.message.find("batch of frames 2-3"), std::string::npos) << r.message;
  EXPECT_EQ(r.frames(), 2);
}

}  // namespace
}  // namespace maskbench::harness
