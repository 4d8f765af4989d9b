#include "maskbench/scoring/rules.h"

#include <gtest/gtest.h>

#include "maskbench/core/files.h"
#include "maskbench/scoring/ranking.h"

namespace maskbench::scoring {
namespace {

std::string RulesError(const std::string& text) {
  Result<Rules> r = ParseRules(text, "rules.json");
  return r.ok() ? std::string("(parsed)") : r.status().message();
}

TEST(RulesTest, DefaultsAreEmbedded) {
  const Rules& r = DefaultRules();
  EXPECT_EQ(r.format_version, 1);
  EXPECT_EQ(r.split, "val");
  EXPECT_EQ(r.latency_kind, LatencyKind::kMeasured);
  EXPECT_EQ(r.headline_percentile, 90);
  EXPECT_TRUE(r.gate.enabled);
  EXPECT_EQ(r.gate.min_ratio, 0.99);
  EXPECT_EQ(r.primary.key, "speedup");
  ASSERT_EQ(r.tie_breaks.size(), 2u);
  EXPECT_EQ(r.tie_breaks[1].key, "latency_ms");
  EXPECT_FALSE(r.tie_breaks[1].higher_is_better);
  EXPECT_EQ(r.sha256, Sha256Hex(DefaultRulesJson()));
  EXPECT_EQ(r.sha256.size(), 64u);
  EXPECT_EQ(r.source, "<default>");
  // The canonical dump parses back to the same rules.
  Result<Rules> back = ParseRules(RulesToJson(r), "dump");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(RulesToJson(*back), RulesToJson(r));
}

TEST(RulesTest, MinimalFileTakesDefaults) {
  Result<Rules> r = ParseRules(R"({"format_version": 1, "split": "test"})", "rules.json");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->split, "test");
  EXPECT_EQ(r->limits.max_detections_per_frame, 100);
  EXPECT_EQ(r->warmup_frames, 5);
}

TEST(RulesTest, ValidationErrorsAreClear) {
  EXPECT_EQ(RulesError(R"({"split": "val"})"),
            "rules.json: format_version: missing (this build reads version 1)");
  EXPECT_EQ(RulesError(R"({"format_version": 2})"),
            "rules.json: format_version: version 2 is not supported (this build reads 1)");
  EXPECT_EQ(RulesError(R"({"format_version": 1, "gate": {"min_ratio": 1.5}})"),
            "rules.json: gate.min_ratio: must be in (0.0, 1.0], got 1.5");
  EXPECT_EQ(RulesError(R"({"format_version": 1, "gate": {"min_rato": 0.9}})"),
            "rules.json: gate.min_rato: unknown key (see docs/rules.md)");
  EXPECT_EQ(RulesError(R"({"format_version": 1, "latency": {"kind": "guessed"}})"),
            "rules.json: latency.kind: must be \"measured\" or \"modeled\", got \"guessed\"");
  EXPECT_EQ(RulesError(R"({"format_version": 1, "limits": {"per_frame_timeout_ms": 0}})"),
            "rules.json: limits.per_frame_timeout_ms: must be >= 1, got 0");
  EXPECT_EQ(RulesError(R"({"format_version": 1, "frames": {"warmup": 2.5}})"),
            "rules.json: frames.warmup: must be an integer, got 2.5");
  EXPECT_NE(RulesError(R"({"format_version": 1, "ranking": {"primary": {"key": "speed"}}})")
                .find("ranking.primary.key: unknown metric key \"speed\""),
            std::string::npos);
  EXPECT_NE(RulesError(R"({"format_version": 1, "ranking": {"primary": {"key": "composite"}}})")
                .find("\"composite\" needs ranking.composite"),
            std::string::npos);
  EXPECT_NE(RulesError(R"({"format_version": 1, "ranking": {"composite": "mAP50 * (speedup"}})")
                .find("ranking.composite"),
            std::string::npos);
  EXPECT_NE(RulesError(R"({"format_version": 1, "ranking": {"composite": "mAP50 * sped"}})")
                .find("unknown metric key \"sped\""),
            std::string::npos);
  EXPECT_NE(RulesError(R"({"format_version": 1, "ranking": {"tie_breaks": [{"key": "speedup"}]}})")
                .find("used twice"),
            std::string::npos);
  EXPECT_NE(RulesError("{").find("rules.json: not valid JSON"), std::string::npos);
}

TEST(RankingTest, CompositeExpressions) {
  std::map<std::string, double> m = {{"mAP50", 0.8}, {"speedup", 16}};
  EXPECT_DOUBLE_EQ(*EvaluateComposite("mAP50 * speedup ^ 0.5", m), 3.2);
  EXPECT_DOUBLE_EQ(*EvaluateComposite("-(mAP50 - 1) * 2 + log(1) + max(speedup, 20) / 4", m),
                   0.4 + 5);
  EXPECT_DOUBLE_EQ(*EvaluateComposite("2 ^ 3 ^ 2", m), 512);
  EXPECT_FALSE(EvaluateComposite("fps * 2", m).ok());  // missing metric
  EXPECT_FALSE(EvaluateComposite("log(0)", m).ok());   // not finite
  EXPECT_FALSE(EvaluateComposite("mAP50 +", m).ok());
}

RankEntry E(const std::string& name, double speedup, double map50, bool completed = true) {
  RankEntry e;
  e.name = name;
  e.completed = completed;
  e.status = completed ? "" : "crashed";
  e.metrics = {{"speedup", speedup}, {"mAP50", map50}, {"latency_ms", 1000.0 / speedup}};
  return e;
}

TEST(RankingTest, EqualValuesShareARank) {
  Rules rules = DefaultRules();
  std::vector<RankedEntry> r =
      Rank({E("slow", 2, 0.9), E("fast-a", 10, 0.9), E("fast-b", 10, 0.9), E("mid", 5, 0.95)},
           rules, 0.9);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].name, "fast-a");
  EXPECT_EQ(r[1].name, "fast-b");
  EXPECT_EQ(*r[0].rank, 1);
  EXPECT_EQ(*r[1].rank, 1);
  EXPECT_EQ(r[2].name, "mid");
  EXPECT_EQ(*r[2].rank, 3);
  EXPECT_EQ(*r[3].rank, 4);
}

TEST(RankingTest, TieBreaksAndUnranked) {
  Rules rules = DefaultRules();
  std::vector<RankedEntry> r = Rank({E("a", 10, 0.90), E("b", 10, 0.95), E("inaccurate", 50, 0.80),
                                     E("crash", 99, 0.99, false), E("c", 3, 0.90)},
                                    rules, 0.90);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].name, "b");  // same speedup, better mAP50
  EXPECT_EQ(*r[0].rank, 1);
  EXPECT_EQ(r[1].name, "a");
  EXPECT_EQ(*r[1].rank, 2);
  EXPECT_EQ(r[2].name, "c");
  EXPECT_EQ(r[3].name, "inaccurate");
  EXPECT_FALSE(r[3].rank);
  EXPECT_EQ(r[3].gate_passed, std::optional<bool>(false));
  EXPECT_NE(r[3].reason.find("accuracy gate: mAP50 0.8 < 0.99 x reference 0.9"), std::string::npos)
      << r[3].reason;
  EXPECT_EQ(r[4].name, "crash");
  EXPECT_FALSE(r[4].rank);
  EXPECT_EQ(r[4].reason, "run did not complete (crashed)");
  EXPECT_EQ(r[1].gate_passed, std::optional<bool>(true));  // 0.90 >= 0.99 * 0.90
}

TEST(RankingTest, NoReferenceMeansNoGateAndLowerIsBetterWorks) {
  Result<Rules> rules = ParseRules(
      R"({"format_version": 1, "ranking": {"primary": {"key": "latency_ms"}, "tie_breaks": []}})",
      "r.json");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  std::vector<RankedEntry> r = Rank({E("a", 2, 0.1), E("b", 4, 0.1)}, *rules, std::nullopt);
  EXPECT_EQ(r[0].name, "b");
  EXPECT_FALSE(r[0].gate_passed.has_value());
}

TEST(RankingTest, CompositeRanks) {
  Result<Rules> rules = ParseRules(
      R"({"format_version": 1, "ranking": {"composite": "mAP50 * speedup", "primary": {"key": "composite"}, "tie_breaks": []}})",
      "r.json");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  std::vector<RankedEntry> r =
      Rank({E("a", 10, 0.5), E("b", 6, 0.9), E("c", 5, 0.6)}, *rules, std::nullopt);
  EXPECT_EQ(r[0].name, "b");  // 0.9 * 6 = 5.4 beats 0.5 * 10 = 5
  EXPECT_EQ(r[1].name, "a");
  EXPECT_DOUBLE_EQ(*r[0].composite, 5.4);
  RankEntry missing;
  missing.name = "m";
  missing.metrics = {{"speedup", 3}};
  r = Rank({missing}, *rules, std::nullopt);
  EXPECT_FALSE(r[0].rank);
  EXPECT_NE(r[0].reason.find("missing metric \"mAP50\""), std::string::npos) << r[0].reason;
}

}  // namespace
}  // namespace maskbench::scoring
