#include "maskbench/scoring/latency.h"

#include <gtest/gtest.h>

#include <numeric>

namespace maskbench::scoring {
namespace {

TEST(LatencyTest, NearestRankPercentiles) {
  std::vector<int64_t> ten(10);
  std::iota(ten.begin(), ten.end(), 1);  // 1..10
  std::reverse(ten.begin(), ten.end());  // order does not matter
  Result<LatencyStats> s = ComputeLatencyStats(ten);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->count, 10);
  EXPECT_EQ(s->min_ns, 1);
  EXPECT_EQ(s->max_ns, 10);
  EXPECT_EQ(s->p50_ns, 5);   // rank ceil(5)
  EXPECT_EQ(s->p90_ns, 9);   // rank ceil(9), not 10
  EXPECT_EQ(s->p99_ns, 10);  // rank ceil(9.9)
  EXPECT_DOUBLE_EQ(s->mean_ns, 5.5);
  EXPECT_DOUBLE_EQ(s->fps, 1e9 / 5.5);

  std::vector<int64_t> four = {4, 1, 3, 2};
  EXPECT_EQ(*Percentile(four, 50), 2);
  EXPECT_EQ(*Percentile(four, 90), 4);
  EXPECT_EQ(*Percentile(four, 0), 1);
  EXPECT_EQ(*Percentile(four, 100), 4);
  EXPECT_EQ(*Percentile(four, 25), 1);
  EXPECT_EQ(*Percentile(four, 25.1), 2);

  std::vector<int64_t> hundred(100);
  std::iota(hundred.begin(), hundred.end(), 1);
  EXPECT_EQ(ComputeLatencyStats(hundred)->p99_ns, 99);
  EXPECT_EQ(ComputeLatencyStats(hundred)->p90_ns, 90);
  EXPECT_EQ(ComputeLatencyStats({42})->p50_ns, 42);
}

TEST(LatencyTest, RejectsBadInput) {
  EXPECT_FALSE(ComputeLatencyStats({}).ok());
  EXPECT_FALSE(ComputeLatencyStats({5, -1}).ok());
  EXPECT_FALSE(Percentile({1, 2}, 101).ok());
  EXPECT_FALSE(Percentile({}, 50).ok());
}

TEST(LatencyTest, SpeedupAndGate) {
  EXPECT_DOUBLE_EQ(*Speedup(1800e9, 67.3e6), 1800e9 / 67.3e6);
  EXPECT_FALSE(Speedup(0, 1).ok());
  EXPECT_FALSE(Speedup(1, 0).ok());
  EXPECT_TRUE(GatePassed(0.99, 1.0, 0.99));
  EXPECT_FALSE(GatePassed(0.9899, 1.0, 0.99));
  EXPECT_TRUE(GatePassed(0.5, 0.5, 1.0));
}

}  // namespace
}  // namespace maskbench::scoring
