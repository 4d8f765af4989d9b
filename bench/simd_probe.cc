// What the vector int8 multiply-accumulate instructions cost on this core
// (the per-path peaks behind int8-fast's roofline,
// docs/submissions/int8-fast.md): with independent accumulators (12; 4 for
// the AVX2 triple, as its kernel has), so only
// throughput counts,
//   - vpdpbusd on zmm (64 MACs), on ymm (32 MACs), and zmm with a broadcast
//     input load per instruction (as int8-fast's VNNI kernel issues them);
//   - the AVX2 sequence vpmaddubsw + vpmaddwd + vpaddd (32 MACs);
// and one vpdpbusd zmm chain (its latency). Each figure is the best of 5 runs
// of 2,000,000 iterations, in cycles at the clock given (--ghz, default the
// dependent-multiply measurement of measured_clock.h), and MACs per cycle.
// A path the CPU lacks prints "not on this CPU".
//
//   <build>/bench/simd_probe [--ghz G]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "measured_clock.h"
#include "simd_peak.h"

#if defined(__x86_64__)

using namespace maskbench::bench;

int main(int argc, char** argv) {
  double ghz = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ghz") == 0 && i + 1 < argc) {
      ghz = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: simd_probe [--ghz G]\n");
      return 2;
    }
  }
  if (ghz <= 0) ghz = maskbench::bench::MeasuredGhz();
  __builtin_cpu_init();
  std::printf("clock %.3f GHz%s\n", ghz,
              argc > 1 ? " (given)" : " (measured: dependent multiplies)");
  std::printf("%-44s %10s %12s\n", "instruction (independent accumulators)", "cycles", "MAC/cycle");
  struct Case {
    const char* name;
    void (*f)(long);
    int instructions;  // per iteration
    int macs;          // per iteration
    bool avail;
  };
  const bool vnni = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                    __builtin_cpu_supports("avx512vnni");
  const bool avx2 = __builtin_cpu_supports("avx2");
  const Case cases[] = {
      {"vpdpbusd zmm", DpbusdZmm, 12, 12 * 64, vnni},
      {"vpdpbusd ymm", DpbusdYmm, 12, 12 * 32, vnni},
      {"vpdpbusd zmm, broadcast load per 3", DpbusdZmmBroadcast, 12, 12 * 64, vnni},
      {"vpdpbusd zmm, dependent chain", DpbusdZmmChain, 4, 4 * 64, vnni},
      {"vpmaddubsw+vpmaddwd+vpaddd ymm (per triple)", MaddubsAvx2, 4, 4 * 32, avx2},
  };
  for (const Case& c : cases) {
    if (!c.avail) {
      std::printf("%-44s %10s\n", c.name, "not on this CPU");
      continue;
    }
    const double cycles = BestNsPerIteration(c.f) * ghz;
    std::printf("%-44s %10.2f %12.1f\n", c.name, cycles / c.instructions, c.macs / cycles);
  }
  return 0;
}

#else
int main() {
  std::printf("simd_probe: x86-64 only\n");
  return 0;
}
#endif
