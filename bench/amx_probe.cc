// What one AMX tile instruction costs on this core (the figures behind
// int8-fast's kernel choices, docs/submissions/int8-fast.md): tile loads of
// 16 rows of 16, 32, 48 and 64 bytes (on cache-line boundaries, and 64-byte
// rows that each cross one), a B-shaped load (8 and 16 rows of 64
// bytes), and TDPBUSD at K = 32 and K = 64 (two independent products, and one
// accumulating into itself). Each figure is the best of 5 runs of 200,000
// iterations, in ns and in cycles at the clock given (--ghz, default the
// dependent-multiply measurement of measured_clock.h). Prints "no AMX" and
// exits 0 on a CPU without AMX-TILE/AMX-INT8 or without the kernel's permission.
//
//   <build>/bench/amx_probe [--ghz G]
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "measured_clock.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0, reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

bool HaveAmx() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0) return false;
  if (((d >> 24) & 1) == 0 || ((d >> 25) & 1) == 0) return false;
  return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */) == 0;
}

enum class Op { kLoadA, kLoadASplit, kLoadB, kDpPair, kDpChain };

// tmm0, tmm1: C (16 x 16 int32); tmm2, tmm3: A (16 rows of `a_bytes`);
// tmm4: B (a_bytes / 4 rows of 64 bytes, or `b_rows` for kLoadB).
__attribute__((target("amx-tile,amx-int8"))) double NsPerIteration(Op op, int a_bytes, int b_rows) {
  // 64-byte aligned, so that kLoadA's rows start on a cache line.
  alignas(64) static int8_t buf[1 << 16];
  TileConfig cfg;
  cfg.rows[0] = cfg.rows[1] = 16;
  cfg.colsb[0] = cfg.colsb[1] = 64;
  cfg.rows[2] = cfg.rows[3] = 16;
  cfg.colsb[2] = cfg.colsb[3] = static_cast<uint16_t>(a_bytes);
  cfg.rows[4] = static_cast<uint8_t>(op == Op::kLoadB ? b_rows : a_bytes / 4);
  cfg.colsb[4] = 64;
  __asm__ volatile("ldtilecfg %0" ::"m"(cfg));
  __asm__ volatile(
      "tilezero %%tmm0\n tilezero %%tmm1\n tilezero %%tmm2\n tilezero %%tmm3\n"
      "tilezero %%tmm4" ::
          : "memory");
  double best = 1e30;
  const int n = 200000;
  const long a_stride = a_bytes, b_stride = 64;
  for (int round = 0; round < 5; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) {
      const int8_t* p = buf + (i % 32) * 64;
      switch (op) {
        case Op::kLoadA:
          __asm__ volatile("tileloadd (%0,%1,1), %%tmm2" ::"r"(p), "r"(a_stride) : "memory");
          break;
        case Op::kLoadASplit:  // rows starting 32 bytes into a cache line
          __asm__ volatile("tileloadd (%0,%1,1), %%tmm2" ::"r"(p + 32), "r"(a_stride) : "memory");
          break;
        case Op::kLoadB:
          __asm__ volatile("tileloadd (%0,%1,1), %%tmm4" ::"r"(p), "r"(b_stride) : "memory");
          break;
        case Op::kDpPair:
          __asm__ volatile("tdpbusd %%tmm4, %%tmm2, %%tmm0\n tdpbusd %%tmm4, %%tmm3, %%tmm1" ::);
          break;
        case Op::kDpChain:
          __asm__ volatile("tdpbusd %%tmm4, %%tmm2, %%tmm0" ::);
          break;
      }
    }
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, ns / n);
  }
  __asm__ volatile("tilerelease" ::: "memory");
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  double ghz = 0;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--ghz" && i + 1 < argc) {
      ghz = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: amx_probe [--ghz G]\n");
      return 2;
    }
  }
  if (!HaveAmx()) {
    std::printf("amx_probe: no AMX on this CPU (or no tile permission): nothing to measure\n");
    return 0;
  }
  if (ghz <= 0) ghz = maskbench::bench::MeasuredGhz();
  auto row = [&](const char* what, double ns) {
    std::printf("%-44s %7.2f ns %6.1f cycles\n", what, ns, ns * ghz);
  };
  std::printf("clock %.3f GHz\n", ghz);
  for (int bytes : {16, 32, 48, 64}) {
    const std::string what = "tileloadd A: 16 rows of " + std::to_string(bytes) + " bytes";
    row(what.c_str(), NsPerIteration(Op::kLoadA, bytes, 0));
  }
  row("tileloadd A: 16 rows of 64 bytes, each across 2 lines",
      NsPerIteration(Op::kLoadASplit, 64, 0));
  row("tileloadd A: 16 rows of 32 bytes, 32 into a line", NsPerIteration(Op::kLoadASplit, 32, 0));
  row("tileloadd B: 8 rows of 64 bytes (K = 32)", NsPerIteration(Op::kLoadB, 32, 8));
  row("tileloadd B: 16 rows of 64 bytes (K = 64)", NsPerIteration(Op::kLoadB, 64, 16));
  for (int k : {32, 64}) {
    const std::string pair = "tdpbusd x2 independent, K = " + std::to_string(k);
    row(pair.c_str(), NsPerIteration(Op::kDpPair, k, 0));
    const std::string chain = "tdpbusd into its own C (dependent), K = " + std::to_string(k);
    row(chain.c_str(), NsPerIteration(Op::kDpChain, k, 0));
  }
  return 0;
}

#else
int main() {
  std::printf("amx_probe: not an x86-64 build: nothing to measure\n");
  return 0;
}
#endif
