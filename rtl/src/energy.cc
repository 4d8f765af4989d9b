#include "maskbench/rtl/energy.h"

#include <cmath>

namespace maskbench::rtl {

double Sram64Picojoules(uint64_t sram_bytes, const EnergyTable& t) {
  if (sram_bytes <= 8 * 1024) return t.sram64_8k_pj;
  if (sram_bytes <= 32 * 1024) return t.sram64_32k_pj;
  if (sram_bytes <= 1024 * 1024) return t.sram64_1m_pj;
  return t.sram64_1m_pj * std::sqrt(static_cast<double>(sram_bytes) / (1024.0 * 1024.0));
}

EnergyBreakdown Energy(const EnergyEvents& e, const EnergyTable& t) {
  EnergyBreakdown b;
  b.arithmetic_pj = static_cast<double>(e.int8_mults) * t.int8_mult_pj +
                    static_cast<double>(e.int32_adds) * t.int32_add_pj +
                    static_cast<double>(e.int32_mults) * t.int32_mult_pj;
  for (const SramEvents& s : e.srams)
    b.sram_pj += static_cast<double>(s.accesses64) * Sram64Picojoules(s.bytes, t);
  b.dram_pj = static_cast<double>(e.dram_bytes) / 8.0 * t.dram64_pj;
  return b;
}

}  // namespace maskbench::rtl
