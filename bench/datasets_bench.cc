// Frame decode throughput: decoding every image (cold) vs the mmap'ed frame cache.
//
// The data set is the real face-mask set (imported from VOC into a temporary
// folder) when $MASKBENCH_SHARED_DIR, or the build's MASKBENCH_SHARED_DIR,
// holds datasets/face-mask; otherwise a 200-frame synth set. The label of
// each result names it. Figures: frames/s (counter "frames/s").
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "maskbench/datasets/frame_cache.h"
#include "maskbench/datasets/importers.h"
#include "maskbench/datasets/synth.h"

namespace {

namespace fs = std::filesystem;
namespace ds = maskbench::datasets;

fs::path g_tmp;
ds::Dataset g_data;
std::string g_label;

fs::path SharedDir() {
  if (const char* env = std::getenv("MASKBENCH_SHARED_DIR"); env && *env) return env;
  return MASKBENCH_BENCH_SHARED_DIR;
}

// Builds the data set once, before any benchmark runs.
bool Setup() {
  g_tmp = fs::temp_directory_path() / ("maskbench-datasets-bench-" + std::to_string(::getpid()));
  fs::remove_all(g_tmp);
  fs::create_directories(g_tmp);
  fs::path fm = SharedDir() / "datasets" / "face-mask";
  if (fs::is_directory(fm / "images") && fs::is_directory(fm / "annotations")) {
    ds::ImportOptions o;
    o.out = g_tmp / "face-mask";
    auto r = ds::ImportVoc(fm / "images", fm / "annotations", o);
    if (!r.ok()) {
      std::fprintf(stderr, "datasets_bench: import of %s failed: %s\n", fm.c_str(),
                   r.status().ToString().c_str());
      return false;
    }
    g_label = "face-mask";
  } else {
    ds::SynthOptions o;
    auto r = ds::SynthesizeDataset(g_tmp / "synth", o);
    if (!r.ok()) {
      std::fprintf(stderr, "datasets_bench: synth failed: %s\n", r.status().ToString().c_str());
      return false;
    }
    g_label = "synth (face-mask set not found under " + SharedDir().string() + ")";
  }
  auto loaded = ds::LoadDataset(g_label == "face-mask" ? g_tmp / "face-mask" : g_tmp / "synth");
  if (!loaded.ok()) return false;
  g_data = std::move(loaded).value();
  std::fprintf(stderr, "datasets_bench: %s, %zu frames\n", g_label.c_str(),
               g_data.manifest.frames.size());
  return true;
}

// Reads one byte of every 64 (every cache line) so every page of every frame is touched.
uint64_t Touch(const ds::FrameCache& c) {
  uint64_t sum = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    ds::FrameView v = c.Get(i);
    for (int y = 0; y < v.height; ++y) {
      const uint8_t* row = v.data + v.stride * y;
      for (size_t x = 0; x < v.stride; x += 64) sum += row[x];
    }
  }
  return sum;
}

void SetFrameCounters(benchmark::State& state, size_t frames) {
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(frames) * state.iterations(),
                                                  benchmark::Counter::kIsRate);
  state.SetLabel(g_label);
}

// Cold: decode every frame (cv::imread) into memory; Arg = decoding threads.
void BM_DecodeCold(benchmark::State& state) {
  ds::FrameCacheOptions o;
  o.in_memory = true;
  o.threads = static_cast<int>(state.range(0));
  size_t frames = 0;
  for (auto _ : state) {
    auto c = ds::FrameCache::Open(g_data, "", o);
    if (!c.ok()) {
      state.SkipWithError(c.status().ToString().c_str());
      return;
    }
    frames = (*c)->size();
    benchmark::DoNotOptimize(Touch(**c));
  }
  SetFrameCounters(state, frames);
}
BENCHMARK(BM_DecodeCold)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

// First run of the runner: decode and write the cache file (tmp + fdatasync + rename).
void BM_BuildCacheFile(benchmark::State& state) {
  ds::FrameCacheOptions o;
  o.cache_dir = (g_tmp / "cache-build").string();
  size_t frames = 0;
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(o.cache_dir);
    state.ResumeTiming();
    auto c = ds::FrameCache::Open(g_data, "", o);
    if (!c.ok() || !(*c)->decoded()) {
      state.SkipWithError(c.ok() ? "did not decode" : c.status().ToString().c_str());
      return;
    }
    frames = (*c)->size();
  }
  SetFrameCounters(state, frames);
}
BENCHMARK(BM_BuildCacheFile)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

// Cached: open the existing cache file (mmap, header check) and touch every frame.
void BM_Cached(benchmark::State& state) {
  ds::FrameCacheOptions o;
  o.cache_dir = (g_tmp / "cache").string();
  {
    auto warm = ds::FrameCache::Open(g_data, "", o);  // build it once, untimed
    if (!warm.ok()) {
      state.SkipWithError(warm.status().ToString().c_str());
      return;
    }
  }
  size_t frames = 0;
  for (auto _ : state) {
    auto c = ds::FrameCache::Open(g_data, "", o);
    if (!c.ok() || (*c)->decoded()) {
      state.SkipWithError(c.ok() ? "decoded again" : c.status().ToString().c_str());
      return;
    }
    frames = (*c)->size();
    benchmark::DoNotOptimize(Touch(**c));
  }
  SetFrameCounters(state, frames);
}
BENCHMARK(BM_Cached)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!Setup()) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  fs::remove_all(g_tmp);
  return 0;
}
