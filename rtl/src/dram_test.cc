#include "maskbench/rtl/dram.h"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>

namespace maskbench::rtl {
namespace {

TEST(DramModelTest, ReadsAnswerInOrderAfterTheLatency) {
  DramModel d(256, 5);
  for (int i = 0; i < 256; ++i) d.data()[i] = static_cast<uint8_t>(i);
  d.Request(10, false, 32, nullptr, 0);
  d.Request(11, false, 16, nullptr, 0);
  uint8_t got[16];
  EXPECT_FALSE(d.Response(14, got));
  ASSERT_TRUE(d.Response(15, got));
  EXPECT_EQ(got[0], 32);
  EXPECT_FALSE(d.Response(15, got));
  ASSERT_TRUE(d.Response(16, got));
  EXPECT_EQ(got[15], 31);
  EXPECT_TRUE(d.Idle());
  EXPECT_EQ(d.read_bytes(), 32u);
}

TEST(DramModelTest, WritesHonourTheStrobe) {
  DramModel d(64);
  uint8_t w[16];
  std::memset(w, 0xab, sizeof w);
  d.Request(0, true, 16, w, 0x00f0);
  EXPECT_EQ(d.data()[16 + 3], 0);
  EXPECT_EQ(d.data()[16 + 4], 0xab);
  EXPECT_EQ(d.data()[16 + 7], 0xab);
  EXPECT_EQ(d.data()[16 + 8], 0);
  EXPECT_EQ(d.written_bytes(), 4u);
}

TEST(DramModelTest, RefusesAddressesOutsideOrUnaligned) {
  DramModel d(64);
  EXPECT_THROW(d.Request(0, false, 64, nullptr, 0), std::runtime_error);
  EXPECT_THROW(d.Request(0, false, 8, nullptr, 0), std::runtime_error);
  try {
    d.Request(0, false, 0x1000, nullptr, 0);
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("0x00001000"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace maskbench::rtl
