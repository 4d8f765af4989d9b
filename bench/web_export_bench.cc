// Results store and leaderboard export speed.
//
//   BM_CommitRun/N          one run of N timed frames (each with its parent and
//                           child timing and 1-4 detections; every stored metric
//                           of the registry, 2 audits, 3 precision-recall curves
//                           of 101 points) written by BeginRun + CommitRun (one
//                           transaction) into a WAL file
//   BM_BuildBoard/N         contest::BuildBoard (default rules: the measured and
//                           the modeled track, bootstrap intervals) over N entries
//                           of 1,000 frames each, plus the two references
//   BM_BuildLeaderboard/N   BuildBoard + LeaderboardJson over the same store
//   BM_LeaderboardJson/N    LeaderboardJson alone, from a built board
//   BM_WritePage/N          WriteLeaderboardPage (4 files) for N entries
//
// Files live in $TMPDIR; the store uses synchronous=NORMAL (see docs/results-db.md).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "maskbench/contest/board.h"
#include "maskbench/contest/metrics.h"
#include "maskbench/contest/rules.h"
#include "maskbench/contest/store.h"
#include "maskbench/core/files.h"
#include "maskbench/web_export/leaderboard.h"

namespace {

using namespace maskbench;
using namespace maskbench::contest;
using maskbench::web_export::BuildLeaderboard;
using maskbench::web_export::LeaderboardJson;
using maskbench::web_export::LeaderboardOptions;
using maskbench::web_export::WriteLeaderboardPage;
namespace fs = std::filesystem;

constexpr int kBoardFrames = 1000;  // frames per run in the BuildBoard/WritePage stores

// prefix + n, built by appending (GCC 12 warns falsely on "literal" + std::string).
std::string Numbered(const char* prefix, int64_t n) {
  std::string s = prefix;
  s += std::to_string(n);
  return s;
}

fs::path TempDir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("mb_web_bench_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A run of `frames` frames centred on `median_ms`; `seed` varies the jitter and accuracy.
RunOutcome MakeOutcome(int frames, int seed, double median_ms) {
  RunOutcome o;
  o.status = "ok";
  o.seal_json = R"({"level": "full", "reason": ""})";
  for (int f = 0; f < frames; ++f) {
    FrameFacts fr;
    fr.frame_index = f;
    fr.frame_id = 1000 + f;
    const int64_t base = static_cast<int64_t>(median_ms * 1e6);
    fr.latency_ns = base + (f * 7919 + seed * 104729) % (base / 5 + 1);
    fr.round_trip_ns = *fr.latency_ns + 50'000;
    fr.child_ns = *fr.latency_ns - 400;
    for (int d = 0; d < 1 + f % 4; ++d)
      fr.detections.push_back({10.f * d, 5.f, 20.f, 20.f, d % 3, 0.9f});
    o.frames.push_back(std::move(fr));
  }
  // Every metric a run stores (the registry's non-derived ones), then the real figures.
  for (const MetricInfo& m : Metrics())
    if (!m.derived) o.metrics[std::string(m.key)] = 0.5;
  const double map50 = 0.80 + 0.001 * (seed % 50);
  o.metrics[metric::kMap50] = map50;
  o.metrics[metric::kMap50Lo] = map50 - 0.01;
  o.metrics[metric::kMap50Hi] = map50 + 0.01;
  o.metrics[metric::kLatencyP50Ms] = median_ms;
  o.metrics[metric::kLatencyP90Ms] = median_ms * 1.1;
  o.metrics[metric::kLatencyP99Ms] = median_ms * 1.2;
  o.metrics.erase(metric::kClockHz);  // no cycles: measured track only
  o.metrics.erase(metric::kModeledLatencyMs);
  o.audits = {{"consistency", true, "ok"}, {"caching", true, "ok"}};
  for (int c = 0; c < 3; ++c) {
    PrCurve curve{c, Numbered("class_", c), {}};
    for (int i = 0; i <= 100; ++i) curve.points.emplace_back(i / 100.0, 1.0 - i / 200.0);
    o.pr_curves.push_back(curve);
  }
  o.pr_curves_metric = "VOC AP50 (all-point)";
  return o;
}

struct Ids {
  int64_t dataset, machine;
  std::string rules_sha256;
};

Ids Context(Store& s) {
  const std::string rules(DefaultRulesJson());
  const std::string sha = Sha256Hex(rules);
  (void)s.UpsertRules({sha, rules});
  return {*s.UpsertDataset({std::string(64, 'd'), "bench", "test", kBoardFrames}),
          *s.UpsertMachine({"bench-machine", "cpu", 2, "cpu / avx2"}), sha};
}

RunKey Key(int64_t submission, const Ids& ids) {
  RunKey k;
  k.submission_id = submission;
  k.dataset_id = ids.dataset;
  k.machine_id = ids.machine;
  k.harness_version = "0.1.0";
  return k;
}

// Enters `team_id` with a fresh artifact and commits one run of it.
Status Judge(Store& s, const Ids& ids, const std::string& team_id, bool reference,
             const RunOutcome& outcome) {
  Result<int64_t> sub =
      s.UpsertSubmission({team_id, "t", "1", Sha256Hex(team_id), "1.0.0", "measured"});
  if (!sub.ok()) return sub.status();
  MB_RETURN_IF_ERROR(s.UpsertEntry({team_id, team_id, *sub, reference, "", "", ""}));
  Result<RunTicket> t = s.BeginRun(Key(*sub, ids));
  if (!t.ok()) return t.status();
  RunOutcome o = outcome;
  o.rules_sha256 = ids.rules_sha256;
  return s.CommitRun(t->run_id, o);
}

void BM_CommitRun(benchmark::State& state) {
  fs::path dir = TempDir("commit");
  auto store = Store::Open(dir / "r.sqlite");
  if (!store.ok()) {
    state.SkipWithError(store.status().message().c_str());
    return;
  }
  Ids ids = Context(**store);
  RunOutcome outcome = MakeOutcome(static_cast<int>(state.range(0)), 1, 5.0);
  outcome.rules_sha256 = ids.rules_sha256;
  int64_t n = 0;
  for (auto _ : state) {
    auto sub = (*store)->UpsertSubmission(
        {Numbered("s", n), "t", "1", std::to_string(n), "1.0.0", "measured"});
    auto t = (*store)->BeginRun(Key(*sub, ids));
    Status st = t.ok() ? (*store)->CommitRun(t->run_id, outcome) : t.status();
    if (!st.ok()) state.SkipWithError(st.message().c_str());
    ++n;
  }
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(n * state.range(0)), benchmark::Counter::kIsRate);
  store->reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_CommitRun)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// A store with the two references and `n` judged entries (kBoardFrames frames each).
std::unique_ptr<Store> FilledStore(const fs::path& dir, int n, benchmark::State& state) {
  auto store = Store::Open(dir / "r.sqlite");
  if (!store.ok()) {
    state.SkipWithError(store.status().message().c_str());
    return nullptr;
  }
  Ids ids = Context(**store);
  const Rules& rules = DefaultRules();
  Status st =
      Judge(**store, ids, rules.references.baseline, true, MakeOutcome(kBoardFrames, 0, 400.0));
  if (st.ok())
    st = Judge(**store, ids, rules.references.gate, true, MakeOutcome(kBoardFrames, 1, 180.0));
  for (int i = 0; i < n && st.ok(); ++i)
    st = Judge(**store, ids, Numbered("team-", i), false,
               MakeOutcome(kBoardFrames, i + 2, 5.0 + 0.5 * i));
  if (!st.ok()) {
    state.SkipWithError(st.message().c_str());
    return nullptr;
  }
  return std::move(*store);
}

// Entries ranked in the board's first track (every non-reference entry, when the fill is right).
int64_t Ranked(const Board& board) {
  int64_t n = 0;
  if (!board.tracks.empty())
    for (const BoardEntry& e : board.tracks.front().entries) n += e.rank.has_value();
  return n;
}

void BM_BuildBoard(benchmark::State& state) {
  fs::path dir = TempDir("board");
  auto store = FilledStore(dir, static_cast<int>(state.range(0)), state);
  if (store == nullptr) return;
  int64_t ranked = 0;
  for (auto _ : state) {
    auto board = BuildBoard(*store, DefaultRules());
    if (!board.ok()) {
      state.SkipWithError(board.status().message().c_str());
      break;
    }
    ranked = Ranked(*board);
    benchmark::DoNotOptimize(board);
  }
  if (ranked != state.range(0)) state.SkipWithError("not every entry is ranked: check the fill");
  state.counters["ranked"] = static_cast<double>(ranked);
  store.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_BuildBoard)->Arg(10)->Arg(50)->Unit(benchmark::kMillisecond);

void BM_BuildLeaderboard(benchmark::State& state) {
  fs::path dir = TempDir("build");
  auto store = FilledStore(dir, static_cast<int>(state.range(0)), state);
  if (store == nullptr) return;
  for (auto _ : state) {
    auto doc = BuildLeaderboard(*store, DefaultRules());
    if (!doc.ok()) state.SkipWithError(doc.status().message().c_str());
    benchmark::DoNotOptimize(doc);
  }
  store.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_BuildLeaderboard)->Arg(10)->Arg(50)->Unit(benchmark::kMillisecond);

void BM_LeaderboardJson(benchmark::State& state) {
  fs::path dir = TempDir("json");
  auto store = FilledStore(dir, static_cast<int>(state.range(0)), state);
  if (store == nullptr) return;
  auto board = BuildBoard(*store, DefaultRules());
  if (!board.ok()) {
    state.SkipWithError(board.status().message().c_str());
    return;
  }
  LeaderboardOptions o;
  o.generated_at = "2026-11-25T08:30:00.000Z";
  for (auto _ : state) {
    auto doc = LeaderboardJson(*board, o);
    benchmark::DoNotOptimize(doc);
  }
  store.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_LeaderboardJson)->Arg(50)->Unit(benchmark::kMillisecond);

void BM_WritePage(benchmark::State& state) {
  fs::path dir = TempDir("page");
  auto store = FilledStore(dir, static_cast<int>(state.range(0)), state);
  if (store == nullptr) return;
  auto board = BuildBoard(*store, DefaultRules());
  if (!board.ok()) {
    state.SkipWithError(board.status().message().c_str());
    return;
  }
  const auto doc = LeaderboardJson(*board);
  for (auto _ : state) {
    Status st = WriteLeaderboardPage(doc, dir / "page");
    if (!st.ok()) state.SkipWithError(st.message().c_str());
  }
  store.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_WritePage)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
