// The one pipeline, end to end with real plugins through the real runner: the
// frame selection, partial runs, the measurement protocol's noise record, the
// facts stored, and the store helpers `run` and `judge` share.
#include "maskbench/contest/pipeline.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "maskbench/contest/frames.h"
#include "maskbench/contest/metrics.h"
#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/synth.h"
#include "maskbench/harness/submission.h"

namespace maskbench::contest {
namespace {

namespace fs = std::filesystem;
namespace h = maskbench::harness;

fs::path BuildDir() {
  const char* b = std::getenv("MASKBENCH_BUILD_DIR");
  return b ? fs::path(b) : fs::path(".");
}

class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ =
        new fs::path(fs::temp_directory_path() / ("mb_pipeline_test_" + std::to_string(getpid())));
    fs::remove_all(*dir_);
    datasets::SynthOptions o;
    o.frames = 10;  // 8 train
    o.width = 320;
    o.height = 240;
    Result<datasets::Dataset> ds = datasets::SynthesizeDataset(*dir_ / "ds", o);
    ASSERT_TRUE(ds.ok()) << ds.status().message();
    ds_ = new datasets::Dataset(*ds);
    auto cache = datasets::FrameCache::Open(*ds_, "train");
    ASSERT_TRUE(cache.ok()) << cache.status().message();
    frames_ = new FrameCacheSource(std::move(*cache));
    rules_ = new Rules(DefaultRules());
    rules_->warmup_frames = 1;
    rules_->uncertainty.bootstrap_samples = 20;
  }
  static void TearDownTestSuite() {
    delete frames_;
    delete ds_;
    delete rules_;
    fs::remove_all(*dir_);
    delete dir_;
  }
  EvaluationContext Context() const {
    EvaluationContext c;
    c.dataset = ds_;
    c.split = "train";
    c.frames = frames_;
    c.rules = rules_;
    c.sample_noise = false;
    return c;
  }
  static h::Submission Plugin(const std::string& name) {
    Result<h::Submission> s = h::LoadSubmission(BuildDir() / "submissions/testing" / name);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return *s;
  }
  static fs::path* dir_;
  static datasets::Dataset* ds_;
  static FrameCacheSource* frames_;
  static Rules* rules_;
};
fs::path* PipelineTest::dir_ = nullptr;
datasets::Dataset* PipelineTest::ds_ = nullptr;
FrameCacheSource* PipelineTest::frames_ = nullptr;
Rules* PipelineTest::rules_ = nullptr;

TEST(FrameSelectionTest, AllOrFirstN) {
  EXPECT_EQ(FrameSelection(0, 8), "all");
  EXPECT_EQ(FrameSelection(8, 8), "all");
  EXPECT_EQ(FrameSelection(20, 8), "all");
  EXPECT_EQ(FrameSelection(5, 8), "first:5");
}

TEST_F(PipelineTest, AFullRunHasFactsAndAPartialOneIsMarked) {
  EvaluationContext c = Context();
  Result<Evaluation> e = Evaluate(Plugin("echo"), c);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_TRUE(e->record.ok()) << e->record.message;
  EXPECT_EQ(e->record.frames(), 8);
  EXPECT_FALSE(e->partial);
  EXPECT_EQ(e->frame_selection, "all");
  for (const char* k :
       {metric::kMap50, metric::kAp, metric::kViolationRecall, metric::kLatencyP90Ms,
        metric::kModeledLatencyMs, metric::kClockHz, metric::kMap50Lo, metric::kMap50Hi})
    EXPECT_EQ(e->facts.metrics.count(k), 1u) << k;
  EXPECT_EQ(e->facts.metrics.count(metric::kNoiseLoad), 0u) << "noise not sampled";
  EXPECT_EQ(e->facts.pr_curves_metric, "VOC AP50 (all-point)");
  const RunOutcome out = ToOutcome(*e, *rules_);
  ASSERT_EQ(out.frames.size(), 8u);
  for (const FrameFacts& f : out.frames) {
    EXPECT_TRUE(f.latency_ns.has_value());
    EXPECT_TRUE(f.child_ns.has_value());
    EXPECT_TRUE(f.cycles.has_value()) << "echo reports cycles";
    EXPECT_EQ(f.detections.size(), 1u);
  }
  // The same submission again: the same accuracy to the last bit.
  Result<Evaluation> again = Evaluate(Plugin("echo"), c);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->facts.metrics.at(metric::kMap50), e->facts.metrics.at(metric::kMap50));
  EXPECT_EQ(again->facts.metrics.at(metric::kAp), e->facts.metrics.at(metric::kAp));

  c.max_frames = 3;
  Result<Evaluation> p = Evaluate(Plugin("noop"), c);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->partial);
  EXPECT_EQ(p->frame_selection, "first:3");
  EXPECT_EQ(p->record.frames(), 3);
  EXPECT_EQ(p->gt.image_ids.size(), 3u) << "the ground truth of the frames that ran";
}

TEST_F(PipelineTest, AFailedRunIsNotPartialAndHasNoAccuracy) {
  Result<Evaluation> e = Evaluate(Plugin("segfault"), Context());
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->record.status, h::RunStatus::kCrashed);
  EXPECT_FALSE(e->partial) << "all frames were asked for";
  EXPECT_EQ(e->facts.metrics.count(metric::kMap50), 0u);
  EXPECT_EQ(ToOutcome(*e, *rules_).status, "crashed");
}

TEST_F(PipelineTest, TheNoiseProtocolRecordsTheHostsNoise) {
  EvaluationContext c = Context();
  c.sample_noise = true;
  c.noop = Plugin("noop");
  Rules quick = *rules_;
  quick.measurement.retries = 0;  // never wait: the figure is recorded either way
  c.rules = &quick;
  Result<Evaluation> e = Evaluate(Plugin("noop"), c);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->facts.metrics.count(metric::kNoiseLoad), 1u);
  EXPECT_GE(e->facts.metrics.at(metric::kNoiseLoad), 0.0);
  ASSERT_EQ(e->facts.metrics.count(metric::kNoiseNoopUs), 1u);
  EXPECT_GT(e->facts.metrics.at(metric::kNoiseNoopUs), 0.0);
}

TEST_F(PipelineTest, EvaluateAndCommitStoresTheRunUnderItsKey) {
  Result<std::unique_ptr<Store>> store = Store::Open(*dir_ / "p.sqlite");
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<StoreContext> sc =
      PrepareStore(**store, *ds_, "train", 8, *rules_, std::string(DefaultRulesJson()));
  ASSERT_TRUE(sc.ok()) << sc.status().message();
  const h::Submission sub = Plugin("noop");
  Result<std::string> artifact = ArtifactSha256(sub.dir);
  ASSERT_TRUE(artifact.ok());
  Result<int64_t> id = StoreEntry(**store, sub, *artifact, "team-noop", "", false, "");
  ASSERT_TRUE(id.ok()) << id.status().message();
  EvaluationContext c = Context();
  c.max_frames = 4;
  const RunKey key = KeyFor(*id, *sc, c, 0);
  EXPECT_EQ(key.frame_selection, "first:4");
  EXPECT_EQ(key.warmup, 1);
  Result<RunTicket> t = (*store)->BeginRun(key);
  ASSERT_TRUE(t.ok());
  RunOutcome out;
  Result<Evaluation> e = EvaluateAndCommit(**store, t->run_id, sub, *artifact, c, &out);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(out.status, "ok");
  Result<std::vector<FrameFacts>> frames = (*store)->LoadFrames(t->run_id);
  ASSERT_TRUE(frames.ok());
  EXPECT_EQ(frames->size(), 4u);
  Result<RunTicket> again = (*store)->BeginRun(key);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->already_complete);
  EXPECT_EQ(again->run_id, t->run_id);
  Result<SubmissionInfo> info = (*store)->LoadSubmission(*id);
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->abi_version.empty()) << "the ABI the plugin reported is kept";
}

}  // namespace
}  // namespace maskbench::contest
