#include "maskbench/scoring/task_metrics.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace maskbench::scoring {
namespace {

using testing::D;
using testing::MakeGt;

TEST(TaskMetricsTest, CountsAtTheOperatingPoint) {
  GroundTruth gt =
      MakeGt({1, 2}, {{0, "with_mask"}, {1, "without_mask"}, {2, "mask_weared_incorrect"}},
             {{1, 0, 0, 0, 20, 20},
              {1, 1, 50, 50, 20, 20},
              {2, 2, 0, 0, 20, 20},
              {2, 1, 100, 100, 20, 20},
              {2, 0, 300, 300, 20, 20, false, true}});  // difficult
  std::vector<Detection> dets = {
      D(1, 0, 0, 0, 20, 20, 0.9),      // with_mask TP
      D(1, 0, 1, 1, 20, 20, 0.8),      // duplicate: FP
      D(1, 1, 50, 50, 20, 20, 0.4),    // below the score threshold: dropped
      D(2, 1, 0, 0, 20, 20, 0.7),      // a violation face found as the other violation class
      D(2, 0, 300, 300, 20, 20, 0.9),  // on the difficult box: ignored
  };
  Result<TaskMetrics> m = ComputeTaskMetrics(gt, dets);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const PrfCounts& with = m->per_class[0].counts;
  EXPECT_EQ(with.tp, 1);
  EXPECT_EQ(with.fp, 1);
  EXPECT_EQ(with.fn, 0);
  EXPECT_DOUBLE_EQ(with.precision, 0.5);
  EXPECT_DOUBLE_EQ(with.recall, 1.0);
  EXPECT_DOUBLE_EQ(with.f1, 2 * 0.5 / 1.5);
  const PrfCounts& without = m->per_class[1].counts;
  EXPECT_EQ(without.tp, 0);
  EXPECT_EQ(without.fp, 1);
  EXPECT_EQ(without.fn, 2);
  EXPECT_EQ(without.f1, 0.0);
  ASSERT_TRUE(m->violation.has_value());
  EXPECT_EQ(m->violation->tp, 1);  // pooled: class confusion inside the violation group is a hit
  EXPECT_EQ(m->violation->fp, 0);
  EXPECT_EQ(m->violation->fn, 2);
  EXPECT_DOUBLE_EQ(m->violation->recall, 1.0 / 3);
  EXPECT_DOUBLE_EQ(m->violation->precision, 1.0);
}

TEST(TaskMetricsTest, NoViolationClassesNoViolationMetrics) {
  GroundTruth gt = MakeGt({1}, {{1, "person"}}, {{1, 1, 0, 0, 10, 10}});
  Result<TaskMetrics> m = ComputeTaskMetrics(gt, {D(1, 1, 0, 0, 10, 10, 0.9)});
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->violation.has_value());
  EXPECT_EQ(m->per_class[0].counts.tp, 1);
  TaskMetricsOptions strict;
  strict.score_threshold = 0.95;
  EXPECT_EQ(ComputeTaskMetrics(gt, {D(1, 1, 0, 0, 10, 10, 0.9)}, strict)->per_class[0].counts.fn,
            1);
}

}  // namespace
}  // namespace maskbench::scoring
