#include "maskbench/contest/rules.h"

#include <gtest/gtest.h>

#include "maskbench/contest/expression.h"
#include "maskbench/contest/metrics.h"
#include "maskbench/contest/ranking.h"
#include "maskbench/core/files.h"

namespace maskbench::contest {
namespace {

std::string RulesError(const std::string& text) {
  Result<Rules> r = ParseRules(text, "rules.json");
  return r.ok() ? std::string("(parsed)") : r.status().message();
}

// A format-2 file with the given tracks (a JSON array) and optional extra top-level keys.
std::string V2(const std::string& tracks, const std::string& extra = "") {
  return R"({"format_version": 2, )" + (extra.empty() ? std::string() : extra + ", ") +
         R"("tracks": )" + tracks + "}";
}

TEST(RulesTest, DefaultsAreEmbedded) {
  const Rules& r = DefaultRules();
  EXPECT_EQ(r.format_version, 2);
  EXPECT_EQ(r.split, "val");
  EXPECT_EQ(r.headline_percentile, 90);
  EXPECT_EQ(r.references.baseline, "reference-baseline");
  EXPECT_EQ(r.references.gate, "reference-fp32");
  ASSERT_EQ(r.tracks.size(), 2u);
  const Track& measured = r.tracks[0];
  EXPECT_EQ(measured.name, "measured");
  EXPECT_EQ(measured.latency_kind, LatencyKind::kMeasured);
  EXPECT_EQ(r.tracks[1].name, "modeled");
  EXPECT_EQ(r.tracks[1].latency_kind, LatencyKind::kModeled);
  EXPECT_EQ(r.FindTrack("modeled"), &r.tracks[1]);
  EXPECT_EQ(r.FindTrack("nope"), nullptr);
  for (const Track& t : r.tracks) {
    SCOPED_TRACE(t.name);
    EXPECT_TRUE(t.gate.enabled);
    EXPECT_EQ(t.gate.metric, "mAP50");
    EXPECT_EQ(t.gate.min_ratio, 0.99);
    EXPECT_EQ(t.primary.key, "speedup");
    EXPECT_TRUE(t.primary.higher_is_better);
    ASSERT_EQ(t.tie_breaks.size(), 2u);
    EXPECT_EQ(t.tie_breaks[0].key, "mAP50");
    EXPECT_EQ(t.tie_breaks[1].key, "latency_ms");
    EXPECT_FALSE(t.tie_breaks[1].higher_is_better);
    EXPECT_FALSE(t.composite.has_value());
  }
  EXPECT_TRUE(r.outside_scores.empty());
  EXPECT_EQ(r.limits.max_detections_per_frame, 100);
  EXPECT_EQ(r.warmup_frames, 5);
  EXPECT_EQ(r.measurement.trials, 1);
  EXPECT_EQ(r.uncertainty.bootstrap_samples, 200);
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
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->split, "test");
  EXPECT_EQ(r->limits.max_detections_per_frame, 100);
  EXPECT_EQ(r->warmup_frames, 5);
  EXPECT_EQ(r->source, "rules.json");
  ASSERT_EQ(r->tracks.size(), 1u);
  EXPECT_EQ(r->tracks[0].primary.key, "speedup");
}

TEST(RulesTest, FormatOneFilesStillLoadAsOneTrack) {
  const std::string text = R"({
    "format_version": 1,
    "name": "old rules",
    "split": "test",
    "latency": {"kind": "modeled", "headline_percentile": 50},
    "gate": {"enabled": true, "metric": "AP", "min_ratio": 0.95, "reference": "my-fp32"},
    "ranking": {"primary": {"key": "latency_ms"}, "tie_breaks": [{"key": "mAP50"}],
                "composite": null},
    "limits": {"per_frame_timeout_ms": 500, "max_detections_per_frame": 20},
    "frames": {"warmup": 2, "min": 3}
  })";
  Result<Rules> r = ParseRules(text, "old.json");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->format_version, 1);
  EXPECT_EQ(r->name, "old rules");
  EXPECT_EQ(r->split, "test");
  EXPECT_EQ(r->headline_percentile, 50);
  EXPECT_EQ(r->references.gate, "my-fp32");
  EXPECT_EQ(r->references.baseline, "reference-baseline");  // format 1 had no choice
  ASSERT_EQ(r->tracks.size(), 1u);
  const Track& t = r->tracks[0];
  EXPECT_EQ(t.name, "modeled");  // named after its latency kind
  EXPECT_EQ(t.latency_kind, LatencyKind::kModeled);
  EXPECT_EQ(t.gate.metric, "AP");
  EXPECT_EQ(t.gate.min_ratio, 0.95);
  EXPECT_EQ(t.primary.key, "latency_ms");
  EXPECT_FALSE(t.primary.higher_is_better);  // the metric's direction
  ASSERT_EQ(t.tie_breaks.size(), 1u);
  EXPECT_EQ(t.tie_breaks[0].key, "mAP50");
  EXPECT_FALSE(t.composite.has_value());
  EXPECT_EQ(r->limits.per_frame_timeout_ms, 500);
  EXPECT_EQ(r->limits.max_detections_per_frame, 20);
  EXPECT_EQ(r->warmup_frames, 2);
  EXPECT_EQ(r->min_frames, 3);
  EXPECT_EQ(r->sha256, Sha256Hex(text));
  // A format-1 file's default: a measured track with the format-1 default tie-break.
  Result<Rules> plain = ParseRules(R"({"format_version": 1})", "plain.json");
  ASSERT_TRUE(plain.ok()) << plain.status().message();
  ASSERT_EQ(plain->tracks.size(), 1u);
  EXPECT_EQ(plain->tracks[0].name, "measured");
  EXPECT_EQ(plain->tracks[0].latency_kind, LatencyKind::kMeasured);
  ASSERT_EQ(plain->tracks[0].tie_breaks.size(), 1u);
  EXPECT_EQ(plain->tracks[0].tie_breaks[0].key, "mAP50");
  // Its canonical dump is format 2 and means the same.
  Result<Rules> back = ParseRules(RulesToJson(*r), "dump");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->format_version, 2);
  EXPECT_EQ(RulesToJson(*back), RulesToJson(*r));
  // Format-2 keys are not format-1 keys.
  EXPECT_EQ(RulesError(R"({"format_version": 1, "tracks": []})"),
            "rules.json: tracks: unknown key (see docs/rules.md)");
}

TEST(RulesTest, FormatTwoWithAMeasuredAndAModeledTrack) {
  const std::string text = R"({
    "format_version": 2,
    "name": "two tracks",
    "split": "test",
    "headline_percentile": 99,
    "references": {"baseline": "base", "gate": "fp32"},
    "tracks": [
      {"name": "cpu", "latency_kind": "measured",
       "primary": {"key": "speedup"},
       "gate": {"min_ratio": 0.98},
       "one_node_class": true},
      {"name": "fpga", "latency_kind": "modeled",
       "primary": {"key": "edp"},
       "tie_breaks": [{"key": "mAP50"}],
       "gate": {"enabled": false},
       "rank_hardware_models_by_wall_time": true,
       "board": {"part": "xc7z020", "luts": 53200, "ffs": 106400, "dsps": 220, "brams": 140}}
    ],
    "measurement": {"trials": 3, "retries": 0},
    "uncertainty": {"bootstrap_samples": 0}
  })";
  Result<Rules> r = ParseRules(text, "two.json");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->format_version, 2);
  EXPECT_EQ(r->headline_percentile, 99);
  EXPECT_EQ(r->references.baseline, "base");
  EXPECT_EQ(r->references.gate, "fp32");
  ASSERT_EQ(r->tracks.size(), 2u);
  const Track* cpu = r->FindTrack("cpu");
  const Track* fpga = r->FindTrack("fpga");
  ASSERT_NE(cpu, nullptr);
  ASSERT_NE(fpga, nullptr);
  EXPECT_EQ(cpu->latency_kind, LatencyKind::kMeasured);
  EXPECT_EQ(cpu->primary.key, "speedup");
  EXPECT_TRUE(cpu->gate.enabled);
  EXPECT_EQ(cpu->gate.min_ratio, 0.98);
  EXPECT_TRUE(cpu->one_node_class);
  EXPECT_FALSE(cpu->rank_hardware_models_by_wall_time);
  ASSERT_EQ(cpu->tie_breaks.size(), 2u);  // the format-2 default tie-breaks
  EXPECT_EQ(cpu->tie_breaks[1].key, "latency_ms");
  EXPECT_FALSE(cpu->board.has_value());
  EXPECT_EQ(fpga->latency_kind, LatencyKind::kModeled);
  EXPECT_EQ(fpga->primary.key, "edp");
  EXPECT_FALSE(fpga->primary.higher_is_better);  // energy-delay: lower is better
  ASSERT_EQ(fpga->tie_breaks.size(), 1u);
  EXPECT_FALSE(fpga->gate.enabled);
  EXPECT_TRUE(fpga->rank_hardware_models_by_wall_time);
  ASSERT_TRUE(fpga->board.has_value());
  EXPECT_EQ(fpga->board->part, "xc7z020");
  EXPECT_EQ(fpga->board->luts, 53200);
  EXPECT_EQ(fpga->board->brams, 140);
  EXPECT_EQ(r->measurement.trials, 3);
  EXPECT_EQ(r->measurement.retries, 0);
  EXPECT_EQ(r->uncertainty.bootstrap_samples, 0);
  Result<Rules> back = ParseRules(RulesToJson(*r), "dump");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(RulesToJson(*back), RulesToJson(*r));
}

TEST(RulesTest, ValidationErrorsAreClear) {
  EXPECT_EQ(RulesError(R"({"split": "val"})"),
            "rules.json: format_version: missing (this build reads versions 1 and 2)");
  EXPECT_EQ(RulesError(R"({"format_version": 3})"),
            "rules.json: format_version: version 3 is not supported (this build reads 1 and 2)");
  EXPECT_EQ(RulesError(R"({"format_version": 1, "gate": {"min_ratio": 1.5}})"),
            "rules.json: gate.min_ratio: must be in (0, 1], got 1.5");
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
                .find("ranking.primary.key: \"composite\" needs the track's \"composite\" formula"),
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
  EXPECT_EQ(RulesError("[1]"), "rules.json: rules: must be an object");
  // A stored metric that is not rankable (an interval end) is no ranking key.
  EXPECT_NE(RulesError(R"({"format_version": 1, "ranking": {"primary": {"key": "mAP50_lo"}}})")
                .find("unknown metric key \"mAP50_lo\""),
            std::string::npos);
  EXPECT_NE(RulesError(R"({"format_version": 1, "gate": {"metric": "speedup"}})")
                .find("gate.metric: \"speedup\" is not a stored accuracy metric"),
            std::string::npos);
}

TEST(RulesTest, FormatTwoUnknownKeysAreRejectedNamingThePath) {
  const std::string ok_track = R"({"name": "a"})";
  EXPECT_EQ(RulesError(V2("[" + ok_track + "]", R"("trakcs": [])")),
            "rules.json: trakcs: unknown key (see docs/rules.md)");
  EXPECT_EQ(RulesError(V2("[" + ok_track + R"(, {"name": "b", "gate": {"min_rato": 0.9}}])")),
            "rules.json: tracks[1].gate.min_rato: unknown key (see docs/rules.md)");
  EXPECT_EQ(RulesError(V2("[" + ok_track + R"(, {"name": "b", "gate": {"min_ratio": 1.5}}])")),
            "rules.json: tracks[1].gate.min_ratio: must be in (0, 1], got 1.5");
  // A track's gate has no reference of its own (the references are rules-wide).
  EXPECT_EQ(RulesError(V2(R"([{"name": "a", "gate": {"reference": "x"}}])")),
            "rules.json: tracks[0].gate.reference: unknown key (see docs/rules.md)");
  EXPECT_EQ(RulesError(V2(R"([{"name": "a", "latency": "measured"}])")),
            "rules.json: tracks[0].latency: unknown key (see docs/rules.md)");
  EXPECT_EQ(RulesError(V2(R"([{"name": "a", "board": {"part": "x", "lut": 5}}])")),
            "rules.json: tracks[0].board.lut: unknown key (see docs/rules.md)");
  EXPECT_EQ(RulesError(V2(R"([{"name": "a", "primary": {"key": "speedup", "dir": "up"}}])")),
            "rules.json: tracks[0].primary.dir: unknown key (see docs/rules.md)");
  EXPECT_EQ(RulesError(V2("[" + ok_track + "]", R"("references": {"fp32": "x"})")),
            "rules.json: references.fp32: unknown key (see docs/rules.md)");
  EXPECT_EQ(RulesError(V2("[" + ok_track + "]", R"("measurement": {"trails": 3})")),
            "rules.json: measurement.trails: unknown key (see docs/rules.md)");
  EXPECT_EQ(RulesError(V2("[" + ok_track + "]", R"("uncertainty": {"sed": 3})")),
            "rules.json: uncertainty.sed: unknown key (see docs/rules.md)");
  // Format-1 keys are not format-2 keys.
  EXPECT_EQ(RulesError(V2("[" + ok_track + "]", R"("ranking": {})")),
            "rules.json: ranking: unknown key (see docs/rules.md)");
  EXPECT_EQ(RulesError(V2(R"([{"name": "a", "latency_kind": "guessed"}])")),
            "rules.json: tracks[0].latency_kind: must be \"measured\" or \"modeled\", got "
            "\"guessed\"");
}

TEST(RulesTest, FormatTwoTracksAreRequiredNamedAndUnique) {
  EXPECT_EQ(RulesError(R"({"format_version": 2})"),
            "rules.json: tracks: must be a non-empty array of tracks");
  EXPECT_EQ(RulesError(V2("[]")), "rules.json: tracks: must be a non-empty array of tracks");
  EXPECT_EQ(RulesError(V2(R"([{"latency_kind": "measured"}])")),
            "rules.json: tracks[0].name: missing");
  EXPECT_EQ(RulesError(V2(R"([{"name": ""}])")), "rules.json: tracks[0].name: must not be empty");
  EXPECT_EQ(RulesError(V2(R"([{"name": "open", "latency_kind": "measured"},
                        {"name": "open", "latency_kind": "modeled"}])")),
            "rules.json: tracks[1].name: \"open\" used twice");
}

TEST(RulesTest, AnOutsideScoreCanBeUsedInAComposite) {
  const std::string text =
      V2(R"([{"name": "overall", "composite": "0.7 * speedup / 100 + 0.3 * presentation",
              "primary": {"key": "composite"}, "tie_breaks": [{"key": "presentation"}]}])",
         R"("outside_scores": ["presentation"])");
  Result<Rules> r = ParseRules(text, "rules.json");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->outside_scores, std::vector<std::string>{"presentation"});
  ASSERT_EQ(r->tracks.size(), 1u);
  const Track& t = r->tracks[0];
  ASSERT_TRUE(t.composite.has_value());
  EXPECT_EQ(*t.composite, "0.7 * speedup / 100 + 0.3 * presentation");
  EXPECT_EQ(t.primary.key, "composite");
  ASSERT_EQ(t.tie_breaks.size(), 1u);
  EXPECT_EQ(t.tie_breaks[0].key, "presentation");
  EXPECT_TRUE(t.tie_breaks[0].higher_is_better);  // an outside score: higher by default
  // The canonical dump keeps the outside score and the formula.
  Result<Rules> back = ParseRules(RulesToJson(*r), "dump");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(RulesToJson(*back), RulesToJson(*r));
  EXPECT_EQ(back->outside_scores, r->outside_scores);

  // Ranked by it: 0.7 * 50 / 100 + 0.3 * 0.5 = 0.5; 0.7 * 20 / 100 + 0.3 * 1 = 0.44.
  RankInput fast{
      "fast", true, "", "", {{"speedup", 50}, {"mAP50", 0.9}, {"presentation", 0.5}}, std::nullopt};
  RankInput pretty{
      "pretty", true, "", "", {{"speedup", 20}, {"mAP50", 0.9}, {"presentation", 1}}, std::nullopt};
  RankInput unscored{"unscored", true, "", "", {{"speedup", 80}, {"mAP50", 0.9}}, std::nullopt};
  std::vector<RankOutput> out = RankTrack({pretty, unscored, fast}, t, 0.9);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].id, "fast");
  EXPECT_EQ(out[0].rank, std::optional<int>(1));
  ASSERT_TRUE(out[0].composite.has_value());
  EXPECT_DOUBLE_EQ(*out[0].composite, 0.5);
  EXPECT_EQ(out[1].id, "pretty");
  EXPECT_EQ(out[1].rank, std::optional<int>(2));
  EXPECT_DOUBLE_EQ(*out[1].composite, 0.44);
  EXPECT_EQ(out[2].id, "unscored");
  EXPECT_FALSE(out[2].rank);
  EXPECT_FALSE(out[2].composite.has_value());
  EXPECT_NE(out[2].reason.find("composite score"), std::string::npos) << out[2].reason;
  EXPECT_NE(out[2].reason.find("missing metric \"presentation\""), std::string::npos)
      << out[2].reason;
  // Also as a plain ranking key.
  Result<Rules> by_score =
      ParseRules(V2(R"([{"name": "show", "primary": {"key": "presentation"}, "tie_breaks": []}])",
                    R"("outside_scores": ["presentation"])"),
                 "rules.json");
  ASSERT_TRUE(by_score.ok()) << by_score.status().message();
  out = RankTrack({fast, pretty}, by_score->tracks[0], std::nullopt);
  EXPECT_EQ(out[0].id, "pretty");
}

TEST(RulesTest, CompositeKeysMustBeKnown) {
  // A typo of the outside score.
  std::string e = RulesError(V2(R"([{"name": "overall",
                                     "composite": "0.7 * speedup / 100 + 0.3 * presentaton"}])",
                                R"("outside_scores": ["presentation"])"));
  EXPECT_NE(e.find("rules.json: tracks[0].composite: "), std::string::npos) << e;
  EXPECT_NE(e.find("unknown metric key \"presentaton\""), std::string::npos) << e;
  // An outside score not listed in outside_scores is unknown.
  e = RulesError(
      V2(R"([{"name": "overall", "composite": "0.7 * speedup / 100 + 0.3 * presentation"}])"));
  EXPECT_NE(e.find("tracks[0].composite"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown metric key \"presentation\""), std::string::npos) << e;
  // ... and so is it as a ranking key.
  e = RulesError(V2(R"([{"name": "a", "primary": {"key": "presentation"}}])"));
  EXPECT_NE(e.find("tracks[0].primary.key: unknown metric key \"presentation\""), std::string::npos)
      << e;
  // A composite cannot use itself.
  e = RulesError(V2(R"([{"name": "a", "composite": "composite * 2"}])"));
  EXPECT_NE(e.find("unknown metric key \"composite\""), std::string::npos) << e;
  // Syntax errors name the character.
  e = RulesError(V2(R"([{"name": "a", "composite": "mAP50 * (speedup"}])"));
  EXPECT_NE(e.find("tracks[0].composite"), std::string::npos) << e;
  EXPECT_NE(e.find("expected ')' at character 17"), std::string::npos) << e;
  // Outside scores are names, not harness metrics.
  EXPECT_EQ(RulesError(V2(R"([{"name": "a"}])", R"("outside_scores": ["mAP50"])")),
            "rules.json: outside_scores[0]: \"mAP50\" is a harness metric, not an outside score");
  EXPECT_EQ(RulesError(V2(R"([{"name": "a"}])", R"("outside_scores": [""])")),
            "rules.json: outside_scores[0]: must be a non-empty name");
  EXPECT_EQ(RulesError(V2(R"([{"name": "a"}])", R"("outside_scores": "presentation")")),
            "rules.json: outside_scores: must be an array of metric names");
}

TEST(RankingTest, CompositeExpressions) {
  std::map<std::string, double> m = {{"mAP50", 0.8}, {"speedup", 16}};
  EXPECT_DOUBLE_EQ(*EvaluateExpression("mAP50 * speedup ^ 0.5", m), 3.2);
  EXPECT_DOUBLE_EQ(*EvaluateExpression("-(mAP50 - 1) * 2 + log(1) + max(speedup, 20) / 4", m),
                   0.4 + 5);
  EXPECT_DOUBLE_EQ(*EvaluateExpression("2 ^ 3 ^ 2", m), 512);
  EXPECT_DOUBLE_EQ(*EvaluateExpression("-2 ^ 2", m), -4);  // -(2 ^ 2)
  EXPECT_DOUBLE_EQ(*EvaluateExpression("sqrt(speedup) + abs(-1) + min(1, 2) + log10(100)", m), 8);
  EXPECT_FALSE(EvaluateExpression("fps * 2", m).ok());  // missing metric
  EXPECT_NE(EvaluateExpression("fps * 2", m).status().message().find("missing metric \"fps\""),
            std::string::npos);
  EXPECT_FALSE(EvaluateExpression("log(0)", m).ok());  // not finite
  EXPECT_FALSE(EvaluateExpression("mAP50 +", m).ok());
  EXPECT_FALSE(EvaluateExpression("max(1)", m).ok());
  EXPECT_FALSE(EvaluateExpression("exp(1)", m).ok());  // unknown function
  std::vector<std::string> keys;
  ASSERT_TRUE(CheckExpression(
                  "0.7 * speedup / 100 + 0.3 * presentation",
                  [](const std::string&) { return true; }, &keys)
                  .ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"speedup", "presentation"}));
  Status bad = CheckExpression(
      "speedup + presentaton", [](const std::string& k) { return k == "speedup"; }, nullptr);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("unknown metric key \"presentaton\" at character 11"),
            std::string::npos)
      << bad.message();
}

RankInput E(const std::string& id, double speedup, double map50, bool completed = true) {
  RankInput e;
  e.id = id;
  e.completed = completed;
  e.status = completed ? "" : "crashed";
  e.metrics = {{"speedup", speedup}, {"mAP50", map50}, {"latency_ms", 1000.0 / speedup}};
  return e;
}

const Track& Measured() { return *DefaultRules().FindTrack("measured"); }

TEST(RankingTest, EqualValuesShareARank) {
  std::vector<RankOutput> r =
      RankTrack({E("slow", 2, 0.9), E("fast-a", 10, 0.9), E("fast-b", 10, 0.9), E("mid", 5, 0.95)},
                Measured(), 0.9);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].id, "fast-a");
  EXPECT_EQ(r[1].id, "fast-b");
  EXPECT_EQ(*r[0].rank, 1);
  EXPECT_EQ(*r[1].rank, 1);
  EXPECT_EQ(r[2].id, "mid");
  EXPECT_EQ(*r[2].rank, 3);
  EXPECT_EQ(r[3].id, "slow");
  EXPECT_EQ(*r[3].rank, 4);
}

TEST(RankingTest, TieBreaksAndUnranked) {
  std::vector<RankOutput> r =
      RankTrack({E("a", 10, 0.90), E("b", 10, 0.95), E("inaccurate", 50, 0.80),
                 E("crash", 99, 0.99, false), E("c", 3, 0.90)},
                Measured(), 0.90);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[0].id, "b");  // same speedup, better mAP50
  EXPECT_EQ(*r[0].rank, 1);
  EXPECT_EQ(r[1].id, "a");
  EXPECT_EQ(*r[1].rank, 2);
  EXPECT_EQ(r[2].id, "c");
  EXPECT_EQ(r[3].id, "inaccurate");
  EXPECT_FALSE(r[3].rank);
  EXPECT_EQ(r[3].gate_passed, std::optional<bool>(false));
  EXPECT_NE(r[3].reason.find("accuracy gate: mAP50 0.8 < 0.99 x reference 0.9"), std::string::npos)
      << r[3].reason;
  EXPECT_EQ(r[4].id, "crash");
  EXPECT_FALSE(r[4].rank);
  EXPECT_EQ(r[4].reason, "run did not complete (crashed)");
  EXPECT_EQ(r[1].gate_passed, std::optional<bool>(true));  // 0.90 >= 0.99 * 0.90
  // An entry without the gate's metric is unranked when the gate applies.
  RankInput no_map;
  no_map.id = "no-map";
  no_map.metrics = {{"speedup", 5}, {"latency_ms", 200}};
  r = RankTrack({no_map}, Measured(), 0.9);
  EXPECT_FALSE(r[0].rank);
  EXPECT_EQ(r[0].reason, "missing metric mAP50 for the accuracy gate");
}

TEST(RankingTest, ExcludedEntriesKeepTheirReasonAndGateResult) {
  RankInput reference = E("reference-fp32", 1, 0.90);
  reference.excluded = "organiser reference (shown, not ranked)";
  RankInput partial = E("partial", 30, 0.50);
  partial.excluded = "partial run (first:10)";
  std::vector<RankOutput> r = RankTrack({reference, partial, E("ok", 5, 0.9)}, Measured(), 0.90);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].id, "ok");
  EXPECT_EQ(r[0].rank, std::optional<int>(1));
  EXPECT_EQ(r[1].id, "reference-fp32");
  EXPECT_FALSE(r[1].rank);
  EXPECT_EQ(r[1].reason, "organiser reference (shown, not ranked)");
  EXPECT_EQ(r[1].gate_passed, std::optional<bool>(true));
  EXPECT_EQ(r[2].id, "partial");
  EXPECT_FALSE(r[2].rank);
  EXPECT_EQ(r[2].reason, "partial run (first:10)");
  EXPECT_EQ(r[2].gate_passed, std::optional<bool>(false));
  // Without a reference the gate is unknown, excluded or not.
  r = RankTrack({reference}, Measured(), std::nullopt);
  EXPECT_FALSE(r[0].gate_passed.has_value());
}

TEST(RankingTest, PerEntryGateReferenceOverridesTheTrackOne) {
  // The track-wide reference is 0.90 (bar 0.891); each entry may carry the
  // reference's value on its own frames instead.
  RankInput strict = E("strict", 10, 0.93);
  strict.gate_reference = 0.95;  // bar 0.9405: fails
  RankInput lenient = E("lenient", 8, 0.85);
  lenient.gate_reference = 0.85;  // bar 0.8415: passes (0.85 < 0.891 would fail)
  RankInput plain = E("plain", 5, 0.90);
  std::vector<RankOutput> r = RankTrack({strict, lenient, plain}, Measured(), 0.90);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].id, "lenient");
  EXPECT_EQ(r[0].rank, std::optional<int>(1));
  EXPECT_EQ(r[0].gate_passed, std::optional<bool>(true));
  EXPECT_EQ(r[1].id, "plain");
  EXPECT_EQ(r[1].gate_passed, std::optional<bool>(true));
  EXPECT_EQ(r[2].id, "strict");
  EXPECT_FALSE(r[2].rank);
  EXPECT_EQ(r[2].gate_passed, std::optional<bool>(false));
  EXPECT_NE(r[2].reason.find("x reference 0.95"), std::string::npos) << r[2].reason;
  // With no track-wide reference, an entry's own reference still gates it.
  r = RankTrack({strict, plain}, Measured(), std::nullopt);
  EXPECT_EQ(r[0].id, "plain");
  EXPECT_FALSE(r[0].gate_passed.has_value());
  EXPECT_EQ(r[1].id, "strict");
  EXPECT_EQ(r[1].gate_passed, std::optional<bool>(false));
  EXPECT_FALSE(r[1].rank);
  // A disabled gate ignores every reference.
  Track off = Measured();
  off.gate.enabled = false;
  r = RankTrack({strict}, off, 0.99);
  EXPECT_EQ(r[0].rank, std::optional<int>(1));
  EXPECT_FALSE(r[0].gate_passed.has_value());
}

TEST(RankingTest, NoReferenceMeansNoGateAndLowerIsBetterWorks) {
  Result<Rules> rules = ParseRules(
      R"({"format_version": 1, "ranking": {"primary": {"key": "latency_ms"}, "tie_breaks": []}})",
      "r.json");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  std::vector<RankOutput> r =
      RankTrack({E("a", 2, 0.1), E("b", 4, 0.1)}, rules->tracks[0], std::nullopt);
  EXPECT_EQ(r[0].id, "b");
  EXPECT_FALSE(r[0].gate_passed.has_value());
  EXPECT_EQ(r[1].id, "a");
  EXPECT_EQ(r[1].rank, std::optional<int>(2));
}

TEST(RankingTest, CompositeRanks) {
  Result<Rules> rules = ParseRules(
      R"({"format_version": 1, "ranking": {"composite": "mAP50 * speedup", "primary": {"key": "composite"}, "tie_breaks": []}})",
      "r.json");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  const Track& t = rules->tracks[0];
  std::vector<RankOutput> r =
      RankTrack({E("a", 10, 0.5), E("b", 6, 0.9), E("c", 5, 0.6)}, t, std::nullopt);
  EXPECT_EQ(r[0].id, "b");  // 0.9 * 6 = 5.4 beats 0.5 * 10 = 5
  EXPECT_EQ(r[1].id, "a");
  EXPECT_DOUBLE_EQ(*r[0].composite, 5.4);
  RankInput missing;
  missing.id = "m";
  missing.metrics = {{"speedup", 3}};
  r = RankTrack({missing}, t, std::nullopt);
  EXPECT_FALSE(r[0].rank);
  EXPECT_NE(r[0].reason.find("missing metric \"mAP50\""), std::string::npos) << r[0].reason;
}

TEST(RankingTest, RoundedNumbers) {
  EXPECT_EQ(RoundedNumber(0.99123456), "0.9912");
  EXPECT_EQ(RoundedNumber(0.9), "0.9");
  EXPECT_EQ(RoundedNumber(1234.4), "1234");
}

}  // namespace
}  // namespace maskbench::contest
