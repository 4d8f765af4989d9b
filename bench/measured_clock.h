// The core's clock as a benchmark measures it, for figures in cycles: a
// virtual machine's /proc/cpuinfo shows the nominal clock, not the one the
// core runs at. Used by int8_roofline and amx_probe.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace maskbench::bench {

// The core's clock while it runs: a chain of dependent 64-bit multiplies
// retires at one per 3 cycles (imul r64, r64: latency 3 on Intel since Sandy
// Bridge and on AMD Zen), so 3 x multiplies / seconds is the clock (boost
// included), best of 5; 0 off x86-64. (A chain of immediate adds is not a clock: Golden Cove
// folds `add $1` at rename and retires several per cycle.)
inline double MeasuredGhz() {
#if defined(__x86_64__)
  double best = 0;
  for (int round = 0; round < 5; ++round) {
    const uint64_t iterations = 20'000'000;
    uint64_t x = 1, n = iterations;
    const uint64_t one = 1;
    const auto t0 = std::chrono::steady_clock::now();
    asm volatile(
        "1:\n"
        "imul %2, %0\n imul %2, %0\n imul %2, %0\n imul %2, %0\n imul %2, %0\n"
        "imul %2, %0\n imul %2, %0\n imul %2, %0\n imul %2, %0\n imul %2, %0\n"
        "dec %1\n jnz 1b\n"
        : "+r"(x), "+r"(n)
        : "r"(one)
        : "cc");
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, 30.0 * static_cast<double>(iterations) / s / 1e9);
  }
  return best;
#else
  return 0;
#endif
}

}  // namespace maskbench::bench
