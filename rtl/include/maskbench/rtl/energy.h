// The energy model of the hardware track (docs/rtl.md, "Energy model").
//
// Energy = sum over events of count x cost, with per-event costs at 45 nm,
// 0.9 V from M. Horowitz, "Computing's energy problem (and what we can do about
// it)", ISSCC 2014: int8 multiply 0.2 pJ, int32 add 0.1 pJ, int32 multiply
// 3.1 pJ; SRAM read of 64 bits 10 pJ (8 KiB), 20 pJ (32 KiB), 100 pJ (1 MiB);
// DRAM access of 64 bits 1.3-2.6 nJ (the model charges the lower 1300 pJ). An
// SRAM is charged at the smallest table size that holds it; writes cost as
// reads (the table gives reads). Wider accesses count as several 64-bit ones.
//
// Plain values; functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace maskbench::rtl {

struct EnergyTable {
  double int8_mult_pj = 0.2;
  double int32_add_pj = 0.1;
  double int32_mult_pj = 3.1;
  double sram64_8k_pj = 10;
  double sram64_32k_pj = 20;
  double sram64_1m_pj = 100;
  double dram64_pj = 1300;
};

// The cost of one 64-bit access to an SRAM of `sram_bytes` (> 1 MiB: scaled
// by sqrt(size / 1 MiB), the wire-length growth the table's rows follow).
double Sram64Picojoules(uint64_t sram_bytes, const EnergyTable& table = {});

struct SramEvents {
  std::string name;
  uint64_t bytes = 0;       // capacity
  uint64_t accesses64 = 0;  // 64-bit reads + writes
};

struct EnergyEvents {
  uint64_t int8_mults = 0;
  uint64_t int32_adds = 0;
  uint64_t int32_mults = 0;  // requantization
  std::vector<SramEvents> srams;
  uint64_t dram_bytes = 0;  // read + written
};

struct EnergyBreakdown {
  double arithmetic_pj = 0, sram_pj = 0, dram_pj = 0;
  double total_pj() const { return arithmetic_pj + sram_pj + dram_pj; }
};

EnergyBreakdown Energy(const EnergyEvents& events, const EnergyTable& table = {});

}  // namespace maskbench::rtl
