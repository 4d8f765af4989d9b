// Harness overhead per frame: the parent's round trip minus the runner's own
// timing of the infer call, with the noop plugin on 640x480 BGR frames,
// isolated under each seal (full: bubblewrap namespaces + seccomp + Landlock;
// reduced: no namespaces; off: none) and in-process. Each benchmark iteration
// is one run of kFrames frames; the counters are medians and p99s of the
// per-frame overhead over the last run. BM_SealedStartup times what a sealed
// run costs before the plugin loads (copying the submission, starting
// bubblewrap and the runner, sealing it). Run:
//   <build>/bench/harness_bench   (needs <build>/maskbench-runner and the test plugins)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "maskbench/harness/runner.h"

namespace {

namespace fs = std::filesystem;
using namespace maskbench::harness;

constexpr int kFrames = 2000;

// kFrames views cycling over a few real 640x480 frames.
class RepeatingSource : public FrameSource {
 public:
  RepeatingSource(std::unique_ptr<MemoryFrameSource> base, size_t n)
      : base_(std::move(base)), n_(n) {}
  size_t size() const override { return n_; }
  FrameRef Get(size_t i) const override {
    FrameRef f = base_->Get(i % base_->size());
    f.frame_id = static_cast<int64_t>(i);
    return f;
  }

 private:
  std::unique_ptr<MemoryFrameSource> base_;
  size_t n_;
};

fs::path TestPlugin(const std::string& name) {
  fs::path build = fs::read_symlink("/proc/self/exe").parent_path().parent_path();
  if (const char* env = std::getenv("MASKBENCH_BUILD_DIR")) build = env;
  return build / "submissions/testing" / name / ("lib" + name + ".so");
}
fs::path NoopPlugin() { return TestPlugin("noop"); }

int64_t Quantile(std::vector<int64_t> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1))];
}

// The seal a benchmark asks for: 0 full, 1 reduced, 2 off.
void UseSeal(RunSettings& settings, int seal) {
  if (seal == 1) {
    setenv("MASKBENCH_BWRAP", "none", 1);  // no bubblewrap: the reduced seal
  } else {
    unsetenv("MASKBENCH_BWRAP");
  }
  settings.seal = seal == 0   ? SealPolicy::kRequire
                  : seal == 1 ? SealPolicy::kBestEffort
                              : SealPolicy::kOff;
}

void RunOverhead(benchmark::State& state, bool in_process, int seal) {
  RepeatingSource frames(MakeSyntheticFrames(4, 640, 480), kFrames);
  RunSettings settings;
  settings.warmup_frames = 50;
  settings.in_process = in_process;
  UseSeal(settings, seal);
  RunRecord last;
  for (auto _ : state) {
    last = RunPlugin(NoopPlugin(), frames, settings);
    if (!last.ok()) {
      state.SkipWithError(last.message.c_str());
      return;
    }
  }
  std::vector<int64_t> overhead(last.latency_ns.size());
  for (size_t i = 0; i < overhead.size(); ++i)
    overhead[i] = last.round_trip_ns[i] - last.child_latency_ns[i];
  state.counters["overhead_p50_us"] = Quantile(overhead, 0.5) / 1e3;
  state.counters["overhead_p99_us"] = Quantile(overhead, 0.99) / 1e3;
  state.counters["round_trip_p50_us"] = Quantile(last.round_trip_ns, 0.5) / 1e3;
  state.counters["infer_p50_us"] = Quantile(last.child_latency_ns, 0.5) / 1e3;
  state.counters["frames"] = static_cast<double>(last.frames());
  state.SetLabel("seal " + last.seal.level);
}

void BM_IsolatedNoopOverhead(benchmark::State& state) {
  RunOverhead(state, false, static_cast<int>(state.range(0)));
}
void BM_InProcessNoopOverhead(benchmark::State& state) { RunOverhead(state, true, 2); }

BENCHMARK(BM_IsolatedNoopOverhead)
    ->ArgName("seal")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);
BENCHMARK(BM_InProcessNoopOverhead)->Unit(benchmark::kMillisecond)->Iterations(3);

// What one sealed run costs before its first frame: the wall time of a run of
// one frame (no warm-up), and the record's startup_ns (copy + sandbox + seal,
// up to the runner's hello), medians over the iterations.
void BM_SealedStartup(benchmark::State& state) {
  auto frames = MakeSyntheticFrames(1, 640, 480);
  RunSettings settings;
  settings.warmup_frames = 0;
  UseSeal(settings, static_cast<int>(state.range(0)));
  std::vector<int64_t> startup;
  for (auto _ : state) {
    RunRecord r = RunPlugin(NoopPlugin(), *frames, settings);
    if (!r.ok()) {
      state.SkipWithError(r.message.c_str());
      return;
    }
    startup.push_back(r.seal.startup_ns);
    state.SetLabel("seal " + r.seal.level);
  }
  state.counters["startup_p50_ms"] = Quantile(startup, 0.5) / 1e6;
}
BENCHMARK(BM_SealedStartup)
    ->ArgName("seal")
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(20);

// Offline: the `batch` plugin with no sleep (one box per frame) in batches of
// state.range(0); harness cost per frame = (round trip - timed call) / frames,
// and frames/s of the do-nothing plugin (the harness's Offline ceiling: frame
// copies into the slots are outside both, as in SingleStream).
void BM_IsolatedOfflineOverhead(benchmark::State& state) {
  RepeatingSource frames(MakeSyntheticFrames(4, 640, 480), kFrames);
  RunSettings settings;
  settings.warmup_frames = 50;
  settings.scenario = Scenario::kOffline;
  settings.batch_size = static_cast<uint32_t>(state.range(0));
  settings.config_json = R"({"us": 0, "max_batch": 1024})";
  UseSeal(settings, 0);
  RunRecord last;
  for (auto _ : state) {
    last = RunPlugin(TestPlugin("batch"), frames, settings);
    if (!last.ok()) {
      state.SkipWithError(last.message.c_str());
      return;
    }
  }
  std::vector<int64_t> per_frame(last.batch_ns.size());
  for (size_t i = 0; i < per_frame.size(); ++i)
    per_frame[i] = (last.batch_round_trip_ns[i] - last.batch_child_ns[i]) / last.batch_frames[i];
  state.counters["overhead_per_frame_p50_us"] = Quantile(per_frame, 0.5) / 1e3;
  state.counters["frames_per_s"] = OfflineFramesPerSecond(last).value_or(0);
  state.counters["batches"] = static_cast<double>(last.batch_ns.size());
}
BENCHMARK(BM_IsolatedOfflineOverhead)
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
