#include "maskbench/rtl/energy.h"

#include <gtest/gtest.h>

namespace maskbench::rtl {
namespace {

TEST(EnergyTest, SramCostFollowsTheTableBySize) {
  EXPECT_DOUBLE_EQ(Sram64Picojoules(4096), 10);
  EXPECT_DOUBLE_EQ(Sram64Picojoules(8192), 10);
  EXPECT_DOUBLE_EQ(Sram64Picojoules(8193), 20);
  EXPECT_DOUBLE_EQ(Sram64Picojoules(32768), 20);
  EXPECT_DOUBLE_EQ(Sram64Picojoules(512 * 1024), 100);
  EXPECT_DOUBLE_EQ(Sram64Picojoules(4u << 20), 200);
}

TEST(EnergyTest, SumsEveryEventAtItsCost) {
  EnergyEvents e;
  e.int8_mults = 1000;                          // 200 pJ
  e.int32_adds = 1000;                          // 100 pJ
  e.int32_mults = 10;                           // 31 pJ
  e.srams = {{"a", 8192, 3}, {"b", 32768, 2}};  // 30 + 40 pJ
  e.dram_bytes = 16;                            // 2 x 1300 pJ
  const EnergyBreakdown b = Energy(e);
  EXPECT_DOUBLE_EQ(b.arithmetic_pj, 331);
  EXPECT_DOUBLE_EQ(b.sram_pj, 70);
  EXPECT_DOUBLE_EQ(b.dram_pj, 2600);
  EXPECT_DOUBLE_EQ(b.total_pj(), 3001);
}

}  // namespace
}  // namespace maskbench::rtl
