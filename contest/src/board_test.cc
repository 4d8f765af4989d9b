// The board: judgements derived from stored facts. The fixture's realistic
// store is exercised through the leaderboard tests (web-export); these tests
// write runs through the Store API directly for what the fixture cannot say:
// trials and their median, machines, per-entry gate references, ties.
#include "maskbench/contest/board.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "maskbench/contest/metrics.h"

namespace maskbench::contest {
namespace {

namespace fs = std::filesystem;

class BoardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() /
            ("mb_board_test_" + std::to_string(getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".sqlite");
    fs::remove(path_);
    Result<std::unique_ptr<Store>> s = Store::Open(path_);
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(*s);
    dataset_ = *store_->UpsertDataset({std::string(64, 'a'), "ds", "test", 10});
    rules_ = DefaultRules();
    rules_.tracks.resize(1);  // the measured track
    rules_.tracks[0].primary = {metric::kLatencyMs, false};
    rules_.tracks[0].tie_breaks.clear();
    rules_.tracks[0].gate.enabled = true;
  }
  void TearDown() override {
    store_.reset();
    fs::remove(path_);
    fs::remove(fs::path(path_.string() + "-wal"));
    fs::remove(fs::path(path_.string() + "-shm"));
  }
  int64_t Machine(const std::string& fp) {
    return *store_->UpsertMachine({fp, "cpu " + fp, 2, "class-" + fp});
  }
  int64_t Entry(const std::string& team, bool reference = false) {
    const int64_t id = *store_->UpsertSubmission(
        {team, "t", "1", std::string(63, '0') + team.substr(0, 1), "1.0.0", "measured"});
    EXPECT_TRUE(store_->UpsertEntry({team, team, id, reference, "", "", ""}).ok());
    return id;
  }
  // One run of 10 frames at `ms` each (frame i adds i microseconds), mAP50 `map`.
  void Run(int64_t sub, int64_t machine, double ms, double map, int64_t trial = 0,
           const std::string& selection = "all", std::vector<AuditResult> audits = {},
           std::map<std::string, double> extra = {}) {
    RunKey k;
    k.submission_id = sub;
    k.dataset_id = dataset_;
    k.machine_id = machine;
    k.frame_selection = selection;
    k.harness_version = "0.1.0";
    k.trial = trial;
    Result<RunTicket> t = store_->BeginRun(k);
    ASSERT_TRUE(t.ok()) << t.status().message();
    RunOutcome out;
    out.status = "ok";
    out.partial = selection != "all";
    for (int i = 0; i < 10; ++i) {
      FrameFacts f;
      f.frame_index = i;
      f.frame_id = i;
      f.latency_ns = static_cast<int64_t>(ms * 1e6) + i * 1000;
      out.frames.push_back(f);
    }
    out.metrics[metric::kMap50] = map;
    for (const auto& [k, v] : extra) out.metrics[k] = v;
    out.audits = std::move(audits);
    ASSERT_TRUE(store_->CommitRun(t->run_id, out).ok());
  }
  const BoardEntry* Find(const Board& b, const std::string& team) {
    for (const BoardEntry& e : b.tracks[0].entries)
      if (e.team_id == team) return &e;
    return nullptr;
  }
  fs::path path_;
  std::unique_ptr<Store> store_;
  int64_t dataset_ = 0;
  Rules rules_;
};

TEST_F(BoardTest, TheMedianTrialRanksWithItsSpread) {
  const int64_t m = Machine("m1");
  const int64_t base = Entry("reference-baseline", true);
  const int64_t fp32 = Entry("reference-fp32", true);
  Run(base, m, 100, 0.8);
  Run(fp32, m, 50, 0.9);
  const int64_t a = Entry("a");
  Run(a, m, 10, 0.9, 0);
  Run(a, m, 30, 0.9, 1);
  Run(a, m, 20, 0.9, 2);
  Result<Board> b = BuildBoard(*store_, rules_);
  ASSERT_TRUE(b.ok()) << b.status().message();
  const BoardEntry* e = Find(*b, "a");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->trials, 3);
  EXPECT_NEAR(e->metrics.at(metric::kLatencyMs), 20.008,
              1e-9);  // p90 (9th of 10, nearest rank) of the median trial
  ASSERT_TRUE(e->trial_spread.has_value());
  EXPECT_NEAR(*e->trial_spread, 20.0 / 20.008, 1e-9);
  EXPECT_NEAR(e->metrics.at(metric::kSpeedup), 100.008 / 20.008, 1e-9);
  EXPECT_EQ(e->rank, 1);
  EXPECT_EQ(e->gate_passed, true);
}

TEST_F(BoardTest, MeasuredSpeedupNeedsTheBaselineOnTheSameMachineAndFrames) {
  rules_.tracks[0].primary = {metric::kSpeedup, true};  // a track that ranks by speedup
  const int64_t m1 = Machine("m1"), m2 = Machine("m2");
  const int64_t base = Entry("reference-baseline", true);
  Entry("reference-fp32", true);
  Run(base, m1, 100, 0.8);
  const int64_t a = Entry("a"), b = Entry("b"), c = Entry("c");
  Run(a, m1, 10, 0.9);
  Run(b, m2, 10, 0.9);                // another machine: no measured baseline there
  Run(c, m1, 10, 0.9, 0, "first:5");  // other frames: no baseline on them
  BoardOptions o;
  o.include_partial = true;
  Result<Board> board = BuildBoard(*store_, rules_, o);
  ASSERT_TRUE(board.ok()) << board.status().message();
  EXPECT_TRUE(Find(*board, "a")->metrics.count(metric::kSpeedup));
  EXPECT_FALSE(Find(*board, "b")->metrics.count(metric::kSpeedup));
  EXPECT_FALSE(Find(*board, "b")->rank.has_value());
  EXPECT_NE(Find(*board, "b")->unranked_reason.find("no speedup"), std::string::npos)
      << Find(*board, "b")->unranked_reason;
  EXPECT_FALSE(Find(*board, "c")->metrics.count(metric::kSpeedup));
  EXPECT_NE(Find(*board, "c")->unranked_reason.find("partial"), std::string::npos);
  // The baseline measured on m2 later fixes b's speedup, with no other run.
  Run(base, m2, 200, 0.8);
  board = BuildBoard(*store_, rules_, o);
  ASSERT_TRUE(board.ok());
  EXPECT_NEAR(Find(*board, "b")->metrics.at(metric::kSpeedup), 200.008 / 10.008, 1e-9);
}

TEST_F(BoardTest, TheGateComparesWithTheReferenceOnTheSameFrames) {
  const int64_t m = Machine("m1");
  const int64_t base = Entry("reference-baseline", true);
  const int64_t fp32 = Entry("reference-fp32", true);
  Run(base, m, 100, 0.8);
  Run(fp32, m, 50, 0.90);
  Run(fp32, m, 50, 0.50, 0, "first:5");  // the reference scores less on 5 frames
  const int64_t a = Entry("a");
  Run(a, m, 10, 0.6, 0, "first:5");
  BoardOptions o;
  o.include_partial = true;
  Result<Board> board = BuildBoard(*store_, rules_, o);
  ASSERT_TRUE(board.ok());
  // 0.6 >= 0.99 x 0.5 on the same 5 frames (it would fail against 0.9).
  EXPECT_EQ(Find(*board, "a")->gate_passed, true);
  ASSERT_TRUE(board->tracks[0].gate_reference.has_value());
  EXPECT_DOUBLE_EQ(*board->tracks[0].gate_reference, 0.90) << "the track's is the full run's";
}

TEST_F(BoardTest, ALatencyTrackRanksWithoutABaselineButNeverWithoutTheGateReference) {
  const int64_t m = Machine("m1");
  Entry("reference-baseline", true);  // never run
  const int64_t fp32 = Entry("reference-fp32", true);
  Run(Entry("a"), m, 10, 0.9);
  Run(Entry("b"), m, 20, 0.9);
  // No gate reference run: the gate cannot be applied, so nothing is ranked.
  Result<Board> board = BuildBoard(*store_, rules_);
  ASSERT_TRUE(board.ok());
  EXPECT_FALSE(Find(*board, "a")->rank.has_value());
  EXPECT_EQ(Find(*board, "a")->unranked_reason,
            "no accuracy gate: no reference-fp32 run with mAP50 on the same frames");
  // The gate reference measured: ranked by latency, with no speedup and no speedup reason.
  Run(fp32, m, 50, 0.9);
  board = BuildBoard(*store_, rules_);
  ASSERT_TRUE(board.ok());
  EXPECT_EQ(Find(*board, "a")->rank, 1);
  EXPECT_EQ(Find(*board, "b")->rank, 2);
  EXPECT_FALSE(Find(*board, "a")->metrics.count(metric::kSpeedup));
  // A gate switched off needs no reference.
  rules_.tracks[0].gate.enabled = false;
  board = BuildBoard(*store_, rules_);
  ASSERT_TRUE(board.ok());
  EXPECT_EQ(Find(*board, "a")->rank, 1);
}

TEST_F(BoardTest, AFailedAuditOnAnyTrialCountsAndStoredDerivedValuesAreIgnored) {
  const int64_t m = Machine("m1");
  Run(Entry("reference-baseline", true), m, 100, 0.8);
  Run(Entry("reference-fp32", true), m, 50, 0.9);
  const int64_t a = Entry("a"), b = Entry("b");
  // a: the audits ran (and failed) with trial 0, which is not its median trial.
  Run(a, m, 5, 0.9, 0, "all", {{"caching", false, "repeat 10x faster"}});
  Run(a, m, 10, 0.9, 1);
  Run(a, m, 20, 0.9, 2);
  // b: a row written by an older version with its own speedup and gate.
  Run(b, m, 10, 0.9, 0, "all", {{"caching", true, ""}},
      {{metric::kSpeedup, 1e9}, {"gate_passed", 1}, {metric::kLatencyMs, 0.001}});
  rules_.tracks[0].primary = {metric::kSpeedup, true};
  Result<Board> board = BuildBoard(*store_, rules_);
  ASSERT_TRUE(board.ok());
  const BoardEntry* ea = Find(*board, "a");
  EXPECT_FALSE(ea->rank.has_value());
  EXPECT_EQ(ea->unranked_reason, "failed audit caching: repeat 10x faster");
  const BoardEntry* eb = Find(*board, "b");
  EXPECT_NEAR(eb->metrics.at(metric::kLatencyMs), 10.008, 1e-9);
  EXPECT_NEAR(eb->metrics.at(metric::kSpeedup), 100.008 / 10.008, 1e-9);
  EXPECT_EQ(eb->rank, 1);
}

TEST_F(BoardTest, OneNodeClassRanksTheClassMostRunsUsed) {
  const int64_t m1 = Machine("m1"), m2 = Machine("m2");
  rules_.tracks[0].one_node_class = true;
  rules_.tracks[0].gate.enabled = false;
  // "a" sorts first but ran alone on class-m2; b and c ran on class-m1.
  Run(Entry("a"), m2, 10, 0.9);
  Run(Entry("b"), m1, 20, 0.9);
  Run(Entry("c"), m1, 30, 0.9);
  Result<Board> board = BuildBoard(*store_, rules_);
  ASSERT_TRUE(board.ok());
  EXPECT_FALSE(Find(*board, "a")->rank.has_value());
  EXPECT_EQ(Find(*board, "a")->unranked_reason,
            "ran on node class \"class-m2\"; the track ranks runs of \"class-m1\" only");
  EXPECT_EQ(Find(*board, "b")->rank, 1);
  EXPECT_EQ(Find(*board, "c")->rank, 2);
}

TEST_F(BoardTest, OverlappingIntervalsAreStatisticallyTiedAndKeepTheirRanks) {
  const int64_t m = Machine("m1");
  Run(Entry("reference-baseline", true), m, 100, 0.8);
  Run(Entry("reference-fp32", true), m, 50, 0.9);
  Run(Entry("a"), m, 10.000, 0.9);
  Run(Entry("b"), m, 10.001, 0.9);  // within a's spread of 9 us
  Run(Entry("c"), m, 40, 0.9);
  Result<Board> board = BuildBoard(*store_, rules_);
  ASSERT_TRUE(board.ok());
  const BoardEntry *a = Find(*board, "a"), *b = Find(*board, "b"), *c = Find(*board, "c");
  EXPECT_EQ(a->rank, 1);
  EXPECT_EQ(b->rank, 2);
  EXPECT_EQ(c->rank, 3);
  EXPECT_GT(a->tie_group, 0);
  EXPECT_EQ(a->tie_group, b->tie_group);
  EXPECT_EQ(c->tie_group, 0);
}

}  // namespace
}  // namespace maskbench::contest
