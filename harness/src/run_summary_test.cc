// SummarizeRun and SettingsFromRules on hand-made records and ground truth.
#include "maskbench/harness/run_summary.h"

#include <gtest/gtest.h>

namespace maskbench::harness {
namespace {

scoring::GroundTruth TwoImages() {
  scoring::GroundTruth gt;
  gt.image_ids = {10, 11};
  gt.categories = {{0, "with_mask"}, {1, "without_mask"}, {2, "mask_weared_incorrect"}};
  scoring::GtBox a;
  a.id = 1;
  a.image_id = 10;
  a.category_id = 1;
  a.bbox[0] = 10, a.bbox[1] = 10, a.bbox[2] = 40, a.bbox[3] = 40;
  a.area = 1600;
  scoring::GtBox b = a;
  b.id = 2;
  b.image_id = 11;
  b.category_id = 0;
  gt.boxes = {a, b};
  gt.BuildIndex();
  return gt;
}

RunRecord PerfectRecord() {
  RunRecord r;
  r.frame_ids = {10, 11};
  r.latency_ns = {2'000'000, 4'000'000};
  r.round_trip_ns = {2'000'500, 4'001'000};
  r.detections = {{Detection{10, 10, 40, 40, 1, 0.9f}}, {Detection{10, 10, 40, 40, 0, 0.8f}}};
  r.clock_hz = 1'000'000'000;
  r.cycles = {1'000'000, 3'000'000};
  return r;
}

TEST(RunSummaryTest, PerfectDetectionsScoreOne) {
  const scoring::GroundTruth gt = TwoImages();
  Result<RunSummary> s = SummarizeRun(PerfectRecord(), &gt, scoring::DefaultRules());
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->frames, 2);
  ASSERT_TRUE(s->map50.has_value());
  EXPECT_DOUBLE_EQ(*s->map50, 1.0);
  EXPECT_DOUBLE_EQ(*s->violation_recall, 1.0);
  EXPECT_EQ(s->latency->p50_ns, 2'000'000);
  EXPECT_DOUBLE_EQ(*s->headline_latency_ms, 4.0);  // p90 of {2, 4} ms, nearest rank
  EXPECT_DOUBLE_EQ(*s->modeled_latency_ms, 3.0);   // 3e6 cycles at 1 GHz
  EXPECT_DOUBLE_EQ(*s->overhead_p50_us, 0.5);
  EXPECT_DOUBLE_EQ(*s->overhead_p99_us, 1.0);
  EXPECT_FALSE(s->speedup.has_value());
  EXPECT_FALSE(s->gate_passed.has_value());
}

TEST(RunSummaryTest, SpeedupAndGateNeedTheirReferences) {
  const scoring::GroundTruth gt = TwoImages();
  Result<RunSummary> s = SummarizeRun(PerfectRecord(), &gt, scoring::DefaultRules(), 40.0, 0.9);
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(*s->speedup, 10.0);  // 40 ms baseline / 4 ms p90
  EXPECT_TRUE(*s->gate_passed);
  s = SummarizeRun(PerfectRecord(), &gt, scoring::DefaultRules(), 40.0, 1.0 / 0.98);
  EXPECT_FALSE(*s->gate_passed);
  nlohmann::ordered_json j = RunSummaryToJson(*s);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["speedup"], 10.0);
  EXPECT_EQ(j["latency_ms"]["p50"], 2.0);
  EXPECT_NEAR(j["accuracy"]["mAP50"].get<double>(), 1.0, 1e-12);
}

TEST(RunSummaryTest, ModeledSpeedupUnderMeasuredRules) {
  // Default rules rank measured latency; a hardware model still gets its
  // modeled speedup from the baseline's modeled latency.
  const scoring::GroundTruth gt = TwoImages();
  Result<RunSummary> s =
      SummarizeRun(PerfectRecord(), &gt, scoring::DefaultRules(), 40.0, 0.9, 1530.0);
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(*s->speedup, 10.0);           // measured: 40 / 4
  EXPECT_DOUBLE_EQ(*s->modeled_speedup, 510.0);  // modeled: 1530 / 3
  EXPECT_EQ(RunSummaryToJson(*s)["modeled_speedup"], 510.0);
  // No cycles, no modeled speedup.
  RunRecord r = PerfectRecord();
  r.clock_hz = 0;
  r.cycles.clear();
  s = SummarizeRun(r, &gt, scoring::DefaultRules(), 40.0, 0.9, 1530.0);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->modeled_speedup.has_value());
  EXPECT_TRUE(RunSummaryToJson(*s)["modeled_speedup"].is_null());
}

TEST(RunSummaryTest, FailedRunKeepsLatencyButNoAccuracy) {
  const scoring::GroundTruth gt = TwoImages();
  RunRecord r = PerfectRecord();
  r.status = RunStatus::kCrashed;
  r.signal_name = "SIGSEGV";
  r.failing_frame = 2;
  Result<RunSummary> s = SummarizeRun(r, &gt, scoring::DefaultRules(), 40.0, 0.5);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->latency.has_value());
  EXPECT_FALSE(s->map50.has_value());
  EXPECT_FALSE(s->speedup.has_value());
  EXPECT_FALSE(s->gate_passed.has_value());
  nlohmann::ordered_json j = RunSummaryToJson(*s);
  EXPECT_EQ(j["status"], "crashed");
  EXPECT_EQ(j["signal"], "SIGSEGV");
  EXPECT_TRUE(j["accuracy"]["mAP50"].is_null());
}

TEST(RunSummaryTest, SettingsFollowTheRules) {
  scoring::Rules rules = scoring::DefaultRules();
  rules.warmup_frames = 7;
  rules.limits.per_frame_timeout_ms = 2500;
  rules.limits.total_timeout_s = 60;
  rules.limits.memory_mb = 512;
  rules.limits.max_detections_per_frame = 20;
  datasets::Manifest m;
  m.classes = {{0, "a"}, {5, "b"}};
  RunSettings s = SettingsFromRules(rules, m);
  EXPECT_EQ(s.warmup_frames, 7);
  EXPECT_DOUBLE_EQ(s.frame_timeout_s, 2.5);
  EXPECT_DOUBLE_EQ(s.total_timeout_s, 60);
  EXPECT_EQ(s.memory_limit_bytes, 512ull << 20);
  EXPECT_EQ(s.max_detections, 20u);
  EXPECT_EQ(s.class_ids, (std::vector<int>{0, 5}));
}

}  // namespace
}  // namespace maskbench::harness
