// The RTL track's simulation speed (docs/rtl.md, "Simulation speed"): one frame
// of the reference network on the Verilated rtl-npu through the harness's
// driver and DRAM model, on one thread. Counters: simulated cycles per second
// and seconds per frame (the benchmark's own time per iteration).
//   build/bench/rtl_sim_bench [--benchmark_repetitions=3]
#include <benchmark/benchmark.h>

#include <random>

#include "maskbench/reference/int8_model.h"
#include "maskbench/reference/postprocess.h"
#include "maskbench/rtl/accelerator.h"
#include "maskbench/rtl/npu.h"

namespace {

namespace ref = maskbench::reference;

void BM_RtlNpuFrame(benchmark::State& state) {
  maskbench::Result<ref::Int8Model> m = ref::LoadInt8Model(MASKBENCH_BENCH_MODEL);
  if (!m.ok()) {
    state.SkipWithError(m.status().ToString().c_str());
    return;
  }
  std::unique_ptr<maskbench::rtl::NpuSim> sim = maskbench::rtl::MakeSim();
  maskbench::rtl::RtlNpu npu(&*m, sim.get());
  std::vector<uint8_t> rgb(3 * ref::kInputSize * ref::kInputSize);
  std::mt19937 rng(1);
  for (uint8_t& v : rgb) v = static_cast<uint8_t>(rng());
  uint64_t cycles = 0;
  for (auto _ : state) {
    npu.Run(rgb.data());
    cycles += npu.cycles();
  }
  state.counters["cycles_per_frame"] = static_cast<double>(npu.cycles());
  state.counters["cycles_per_s"] =
      benchmark::Counter(static_cast<double>(cycles), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RtlNpuFrame)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3);

}  // namespace

BENCHMARK_MAIN();
