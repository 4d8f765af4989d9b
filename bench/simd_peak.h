// Throughput loops of the vector int8 multiply-accumulate instructions, for
// bench/simd_probe (which prints them) and bench/int8_roofline (which takes
// each vector path's peak from them). Each loop runs its instructions on
// independent accumulators (12; the AVX2 triple 4, as its kernel has), so
// only throughput counts, except the chain.
// x86-64 only; call a loop only when the CPU has its instructions.
#pragma once

#if defined(__x86_64__)

#include <chrono>
#include <cstdint>

namespace maskbench::bench {

inline constexpr long kIterations = 2'000'000;

// Twelve independent accumulators, `body` issued on each per iteration.
#define MB_TWELVE(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

__attribute__((target("avx512f,avx512vnni"))) inline void DpbusdZmm(long n) {
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

__attribute__((target("avx512f,avx512vl,avx512vnni"))) inline void DpbusdYmm(long n) {
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
__attribute__((target("avx512f,avx512vnni"))) inline void DpbusdZmmBroadcast(long n) {
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

__attribute__((target("avx512f,avx512vnni"))) inline void DpbusdZmmChain(long n) {
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
__attribute__((target("avx2"))) inline void MaddubsAvx2(long n) {
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

inline double BestNsPerIteration(void (*f)(long)) {
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

// MACs per cycle of int8-fast's inner loop for the AVX-512 VNNI path
// (vpdpbusd zmm) and the AVX2 path (the vpmaddubsw triple) on this core, at
// the clock `ghz`.
inline double VnniMacsPerCycle(double ghz) {
  return 12.0 * 64 / (BestNsPerIteration(DpbusdZmm) * ghz);
}
inline double Avx2MacsPerCycle(double ghz) {
  return 4.0 * 32 / (BestNsPerIteration(MaddubsAvx2) * ghz);
}

}  // namespace maskbench::bench

#endif
