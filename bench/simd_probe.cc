// What the vector int8 multiply-accumulate instructions cost on this core
// (the per-path peaks behind int8-fast's roofline,
// docs/submissions/int8-fast.md): with 12 independent accumulators, so only
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

#if defined(__x86_64__)

namespace {

constexpr long kIterations = 2'000'000;

// Twelve independent accumulators, `body` issued on each per iteration.
#define MB_TWELVE(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx512f,avx512vnni"))) void DpbusdZmm(long n) {
  asm volatile("vpxord %%zmm0, %%zmm0, %%zmm0\n"
#define X(i) "vmovdqa64 %%zmm0, %%zmm" #i "\n"
               MB_TWELVE(X)
#undef X
                   "vpternlogd $0xff, %%zmm20, %%zmm20, %%zmm20\n"
                   "vmovdqa64 %%zmm20, %%zmm21\n"
                   "1:\n"
#define X(i) "vpdpbusd %%zmm21, %%zmm20, %%zmm" #i "\n"
               MB_TWELVE(X)
#undef X
                   "dec %0\n jnz 1b\n"
               : "+r"(n)
               :
               : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                 "xmm9", "xmm10", "xmm11", "xmm20", "xmm21");
}

__attribute__((target("avx512f,avx512vl,avx512vnni"))) void DpbusdYmm(long n) {
  asm volatile("vpxord %%ymm0, %%ymm0, %%ymm0\n"
#define X(i) "vmovdqa64 %%ymm0, %%ymm" #i "\n"
               MB_TWELVE(X)
#undef X
                   "vpcmpeqd %%ymm14, %%ymm14, %%ymm14\n"
                   "vmovdqa %%ymm14, %%ymm15\n"
                   "1:\n"
#define X(i) "vpdpbusd %%ymm15, %%ymm14, %%ymm" #i "\n"
               MB_TWELVE(X)
#undef X
                   "dec %0\n jnz 1b\n"
               : "+r"(n)
               :
               : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                 "xmm9", "xmm10", "xmm11", "xmm14", "xmm15");
}

// The VNNI kernel's pattern: per pixel a 4-byte broadcast load, used for
// three weight registers (12 accumulators = 4 pixels x 3).
__attribute__((target("avx512f,avx512vnni"))) void DpbusdZmmBroadcast(long n) {
  alignas(64) static int32_t input[64] = {};
  const int32_t* p = input;
  asm volatile("vpxord %%zmm0, %%zmm0, %%zmm0\n"
#define X(i) "vmovdqa64 %%zmm0, %%zmm" #i "\n"
               MB_TWELVE(X)
#undef X
                   "vpternlogd $0xff, %%zmm20, %%zmm20, %%zmm20\n"
                   "vmovdqa64 %%zmm20, %%zmm22\n"
                   "vmovdqa64 %%zmm20, %%zmm23\n"
                   "1:\n"
                   "vpbroadcastd 0(%1), %%zmm21\n"
                   "vpdpbusd %%zmm20, %%zmm21, %%zmm0\n vpdpbusd %%zmm22, %%zmm21, %%zmm1\n"
                   "vpdpbusd %%zmm23, %%zmm21, %%zmm2\n"
                   "vpbroadcastd 4(%1), %%zmm21\n"
                   "vpdpbusd %%zmm20, %%zmm21, %%zmm3\n vpdpbusd %%zmm22, %%zmm21, %%zmm4\n"
                   "vpdpbusd %%zmm23, %%zmm21, %%zmm5\n"
                   "vpbroadcastd 8(%1), %%zmm21\n"
                   "vpdpbusd %%zmm20, %%zmm21, %%zmm6\n vpdpbusd %%zmm22, %%zmm21, %%zmm7\n"
                   "vpdpbusd %%zmm23, %%zmm21, %%zmm8\n"
                   "vpbroadcastd 12(%1), %%zmm21\n"
                   "vpdpbusd %%zmm20, %%zmm21, %%zmm9\n vpdpbusd %%zmm22, %%zmm21, %%zmm10\n"
                   "vpdpbusd %%zmm23, %%zmm21, %%zmm11\n"
                   "dec %0\n jnz 1b\n"
               : "+r"(n)
               : "r"(p)
               : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                 "xmm8", "xmm9", "xmm10", "xmm11", "xmm20", "xmm21", "xmm22", "xmm23");
}

__attribute__((target("avx512f,avx512vnni"))) void DpbusdZmmChain(long n) {
  asm volatile(
      "vpxord %%zmm0, %%zmm0, %%zmm0\n"
      "vpternlogd $0xff, %%zmm20, %%zmm20, %%zmm20\n"
      "1:\n"
      "vpdpbusd %%zmm20, %%zmm20, %%zmm0\n vpdpbusd %%zmm20, %%zmm20, %%zmm0\n"
      "vpdpbusd %%zmm20, %%zmm20, %%zmm0\n vpdpbusd %%zmm20, %%zmm20, %%zmm0\n"
      "dec %0\n jnz 1b\n"
      : "+r"(n)
      :
      : "cc", "xmm0", "xmm20");
}

// AVX2, as int8-fast's AVX2 kernel: 4 accumulators, each fed per iteration by
// vpmaddubsw, vpmaddwd with int16 ones and vpaddd (32 MACs per triple).
__attribute__((target("avx2"))) void MaddubsAvx2(long n) {
  asm volatile(
      "vpxor %%ymm0, %%ymm0, %%ymm0\n vpxor %%ymm1, %%ymm1, %%ymm1\n"
      "vpxor %%ymm2, %%ymm2, %%ymm2\n vpxor %%ymm3, %%ymm3, %%ymm3\n"
      "vpcmpeqd %%ymm12, %%ymm12, %%ymm12\n vpabsb %%ymm12, %%ymm13\n"
      "vpsrlw $15, %%ymm12, %%ymm14\n"  // int16 ones
      "1:\n"
      "vpmaddubsw %%ymm13, %%ymm12, %%ymm4\n vpmaddwd %%ymm14, %%ymm4, %%ymm4\n"
      "vpaddd %%ymm4, %%ymm0, %%ymm0\n"
      "vpmaddubsw %%ymm13, %%ymm12, %%ymm5\n vpmaddwd %%ymm14, %%ymm5, %%ymm5\n"
      "vpaddd %%ymm5, %%ymm1, %%ymm1\n"
      "vpmaddubsw %%ymm13, %%ymm12, %%ymm6\n vpmaddwd %%ymm14, %%ymm6, %%ymm6\n"
      "vpaddd %%ymm6, %%ymm2, %%ymm2\n"
      "vpmaddubsw %%ymm13, %%ymm12, %%ymm7\n vpmaddwd %%ymm14, %%ymm7, %%ymm7\n"
      "vpaddd %%ymm7, %%ymm3, %%ymm3\n"
      "dec %0\n jnz 1b\n"
      : "+r"(n)
      :
      : "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm12", "xmm13",
        "xmm14");
}

double BestNsPerIteration(void (*f)(long)) {
  double best = 1e30;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    f(kIterations);
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    if (ns / kIterations < best) best = ns / kIterations;
  }
  return best;
}

}  // namespace

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
  std::printf("%-44s %10s %12s\n", "instruction (12 independent accumulators)", "cycles",
              "MAC/cycle");
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
