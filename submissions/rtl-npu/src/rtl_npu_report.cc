// Prints the per-layer table of docs/submissions/rtl-npu.md: cycles,
// utilisation and DRAM traffic per layer, the energy breakdown, and the
// simulation speed, for one synthetic frame on the Verilated model.
//   rtl_npu_report [refnet-int8.json]
#include <chrono>
#include <cstdio>
#include <random>

#include "maskbench/reference/postprocess.h"
#include "maskbench/rtl/accelerator.h"
#include "maskbench/rtl/npu.h"

int main(int argc, char** argv) {
  namespace ref = maskbench::reference;
  const char* path = argc > 1 ? argv[1] : MASKBENCH_RTL_DEFAULT_MODEL;
  maskbench::Result<ref::Int8Model> m = ref::LoadInt8Model(path);
  if (!m.ok()) {
    std::fprintf(stderr, "%s\n", m.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<maskbench::rtl::NpuSim> sim = maskbench::rtl::MakeSim();
  maskbench::rtl::RtlNpu npu(&*m, sim.get());
  std::vector<uint8_t> rgb(3 * ref::kInputSize * ref::kInputSize);
  std::mt19937 rng(1);
  for (uint8_t& v : rgb) v = static_cast<uint8_t>(rng());
  const auto t0 = std::chrono::steady_clock::now();
  npu.Run(rgb.data());
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::fputs(maskbench::rtl::LayerTable(npu.layers(), 8).c_str(), stdout);
  const maskbench::rtl::EnergyEvents e = npu.Events();
  const maskbench::rtl::EnergyBreakdown b = maskbench::rtl::Energy(e);
  std::printf("\nenergy per frame: %.1f uJ (arithmetic %.1f, SRAM %.1f, DRAM %.1f)\n",
              b.total_pj() / 1e6, b.arithmetic_pj / 1e6, b.sram_pj / 1e6, b.dram_pj / 1e6);
  for (const maskbench::rtl::SramEvents& x : e.srams)
    std::printf("  %s (%llu B): %llu 64-bit accesses\n", x.name.c_str(),
                static_cast<unsigned long long>(x.bytes),
                static_cast<unsigned long long>(x.accesses64));
  std::printf("DRAM bytes: %llu\n", static_cast<unsigned long long>(e.dram_bytes));
  std::printf("MAC cycles: %llu, requantize multiplies: %llu\n",
              static_cast<unsigned long long>(npu.activity().mac_cycles),
              static_cast<unsigned long long>(e.int32_mults));
  std::printf("simulation: %llu cycles in %.2f s = %.2f M cycles/s\n",
              static_cast<unsigned long long>(npu.cycles()), s, npu.cycles() / s / 1e6);
  return 0;
}
