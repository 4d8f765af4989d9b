// Results store and leaderboard export speed.
//
//   BM_CommitRun/N          one run of N timed frames (+ 20 metrics, 2 audits,
//                           3 precision-recall curves of 101 points) written by
//                           BeginRun + CommitRun (one transaction) into a WAL file
//   BM_BuildLeaderboard/N   BuildLeaderboard over N submissions of 1,000 frames each
//   BM_WritePage/N          WriteLeaderboardPage (4 files) for N submissions
//
// Files live in $TMPDIR; the store uses synchronous=NORMAL (see docs/results-db.md).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "maskbench/core/files.h"
#include "maskbench/scoring/rules.h"
#include "maskbench/web_export/leaderboard.h"
#include "maskbench/web_export/store.h"

namespace {

using namespace maskbench;
using namespace maskbench::web_export;
namespace fs = std::filesystem;

// prefix + n, built by appending (GCC 12 warns falsely on "literal" + std::string).
std::string Numbered(const char* prefix, int64_t n) {
  std::string s = prefix;
  s += std::to_string(n);
  return s;
}

fs::path TempDir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("mb_web_bench_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

RunOutcome MakeOutcome(int frames, int seed) {
  RunOutcome o;
  o.status = "ok";
  for (int f = 0; f < frames; ++f) {
    o.frames.push_back({f, Numbered("frame_", f), 5'000'000 + (f * 7919 + seed) % 900'000,
                        5'050'000 + (f * 104729 + seed) % 900'000, 1 + f % 4});
  }
  for (int m = 0; m < 20; ++m) o.metrics[Numbered("metric_", m)] = 0.01 * m;
  o.metrics["mAP50"] = 0.80 + 0.001 * (seed % 50);
  o.metrics["speedup"] = 10.0 + seed;
  o.metrics["latency_p90_ms"] = 5.5;
  o.metrics["latency_ms"] = 5.5;
  o.audits = {{"consistency", true, "ok"}, {"caching", true, "ok"}};
  for (int c = 0; c < 3; ++c) {
    PrCurve curve{c, Numbered("class_", c), {}};
    for (int i = 0; i <= 100; ++i) curve.points.emplace_back(i / 100.0, 1.0 - i / 200.0);
    o.pr_curves.push_back(curve);
  }
  return o;
}

struct Ids {
  int64_t dataset, rules, machine;
};

Ids Context(Store& s) {
  std::string rules(scoring::DefaultRulesJson());
  return {*s.UpsertDataset({std::string(64, 'd'), "bench", "test"}),
          *s.UpsertRules({Sha256Hex(rules), rules}), *s.UpsertMachine({"bench-machine", "cpu", 2})};
}

void BM_CommitRun(benchmark::State& state) {
  fs::path dir = TempDir("commit");
  auto store = Store::Open(dir / "r.sqlite");
  Ids ids = Context(**store);
  RunOutcome outcome = MakeOutcome(static_cast<int>(state.range(0)), 1);
  int64_t n = 0;
  for (auto _ : state) {
    auto sub = (*store)->UpsertSubmission(
        {Numbered("s", n), "t", "1", std::to_string(n), "1.0.0", "measured"});
    auto t = (*store)->BeginRun({*sub, ids.dataset, ids.rules, ids.machine, "0.1.0"});
    Status st = (*store)->CommitRun(t->run_id, outcome);
    if (!st.ok()) state.SkipWithError(st.message().c_str());
    ++n;
  }
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(n * state.range(0)), benchmark::Counter::kIsRate);
  store->reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_CommitRun)->Arg(100)->Arg(1000)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);

// A store with `n` judged submissions (1,000 frames each).
std::unique_ptr<Store> FilledStore(const fs::path& dir, int n) {
  auto store = Store::Open(dir / "r.sqlite");
  Ids ids = Context(**store);
  for (int i = 0; i < n; ++i) {
    auto sub = (*store)->UpsertSubmission(
        {Numbered("s", i), "t", "1", std::to_string(i), "1.0.0", "measured"});
    auto t = (*store)->BeginRun({*sub, ids.dataset, ids.rules, ids.machine, "0.1.0"});
    (void)(*store)->CommitRun(t->run_id, MakeOutcome(1000, i));
  }
  return std::move(*store);
}

void BM_BuildLeaderboard(benchmark::State& state) {
  fs::path dir = TempDir("build");
  auto store = FilledStore(dir, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto doc = BuildLeaderboard(*store);
    if (!doc.ok()) state.SkipWithError(doc.status().message().c_str());
    benchmark::DoNotOptimize(doc);
  }
  store.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_BuildLeaderboard)->Arg(10)->Arg(50)->Unit(benchmark::kMillisecond);

void BM_WritePage(benchmark::State& state) {
  fs::path dir = TempDir("page");
  auto store = FilledStore(dir, static_cast<int>(state.range(0)));
  auto doc = BuildLeaderboard(*store);
  for (auto _ : state) {
    Status st = WriteLeaderboardPage(*doc, dir / "page");
    if (!st.ok()) state.SkipWithError(st.message().c_str());
  }
  store.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_WritePage)->Arg(50)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
