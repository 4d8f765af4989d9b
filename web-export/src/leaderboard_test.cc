#include "maskbench/web_export/leaderboard.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "maskbench/contest/board.h"
#include "maskbench/contest/metrics.h"
#include "maskbench/contest/rules.h"
#include "maskbench/contest/scores.h"
#include "maskbench/contest/store.h"
#include "maskbench/core/files.h"
#include "test_fixture.h"

namespace maskbench::web_export {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
namespace fixture = contest::testing;

constexpr const char* kHardwareModelReason =
    "a hardware model (it reports cycles): ranked by modeled latency in a modeled track, never by "
    "its simulator's wall time";
constexpr const char* kReferenceReason = "organiser reference (shown, never ranked)";

// Rows of `table` in the results file, read by a connection of its own.
int64_t CountRows(const fs::path& db_path, const std::string& table) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return -1;
  }
  const std::string sql = "SELECT COUNT(*) FROM " + table;
  sqlite3_stmt* st = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  else
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

contest::Rules ParseRulesOrDie(const std::string& text) {
  auto rules = contest::ParseRules(text, "test rules");
  EXPECT_TRUE(rules.ok()) << rules.status().message();
  return rules.ok() ? *rules : contest::DefaultRules();
}

class LeaderboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mb_leaderboard_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = dir_ / "results.sqlite";
    auto store = contest::Store::Open(db_);
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  fixture::FillReport Fill(const fixture::FixtureOptions& o = {}) {
    auto filled = fixture::FillFixtureStore(*store_, o);
    EXPECT_TRUE(filled.ok()) << filled.status().message();
    return filled.ok() ? *filled : fixture::FillReport{};
  }
  json Build(const contest::Rules& rules = contest::DefaultRules(), LeaderboardOptions o = {}) {
    o.generated_at = "2026-11-25T08:30:00.123Z";
    auto doc = BuildLeaderboard(*store_, rules, o);
    EXPECT_TRUE(doc.ok()) << doc.status().message();
    return doc.ok() ? *doc : json();
  }
  int64_t Runs() { return CountRows(db_, "runs"); }

  fs::path dir_, db_;
  std::unique_ptr<contest::Store> store_;
};

// The track named `name` of a leaderboard document (null when absent).
json TrackOf(json doc, const std::string& name) {
  if (!doc.contains("tracks")) return nullptr;
  for (json t : doc["tracks"])
    if (t["name"] == name) return t;
  return nullptr;
}

std::map<std::string, json> ByTeam(json track) {
  std::map<std::string, json> out;
  if (!track.is_object()) return out;
  for (json e : track["entries"]) out[e["team_id"].get<std::string>()] = e;
  return out;
}

std::vector<std::string> TeamOrder(json track) {
  std::vector<std::string> out;
  for (json e : track["entries"]) out.push_back(e["team_id"].get<std::string>());
  return out;
}

std::vector<std::string> RankedTeams(json track) {
  std::vector<std::string> out;
  for (json e : track["entries"])
    if (!e["rank"].is_null()) out.push_back(e["team_id"].get<std::string>());
  return out;
}

std::string Reason(json e) {
  return e["unranked_reason"].is_string() ? e["unranked_reason"].get<std::string>() : "";
}

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Entries come ranked (non-decreasing ranks) first, then the unranked ones, each with a reason.
void ExpectRankOrder(json track) {
  bool unranked_seen = false;
  int last = 0;
  for (json e : track["entries"]) {
    if (e["rank"].is_null()) {
      unranked_seen = true;
      EXPECT_FALSE(Reason(e).empty()) << e["team_id"] << " is unranked without a reason";
      continue;
    }
    EXPECT_FALSE(unranked_seen) << e["team_id"] << " is ranked after an unranked entry";
    EXPECT_GE(e["rank"].get<int>(), last) << e["team_id"];
    last = e["rank"].get<int>();
    EXPECT_TRUE(e["unranked_reason"].is_null()) << e["team_id"];
  }
}

TEST_F(LeaderboardTest, RanksEachTrackFromTheStoredFacts) {
  Fill();
  json doc = Build();
  ASSERT_EQ(doc["schema_version"], kLeaderboardSchemaVersion);
  EXPECT_EQ(doc["schema_version"], 2);
  EXPECT_FALSE(doc.contains("entries"));  // v1's flat list is gone
  EXPECT_EQ(doc["context"]["harness_version"], "0.1.0");
  EXPECT_EQ(doc["context"]["dataset"]["split"], "test");  // no "val" run: the runs' split
  EXPECT_EQ(doc["context"]["dataset"]["manifest_sha256"], std::string(64, 'd'));
  EXPECT_EQ(doc["context"]["dataset"]["frames"], 40);
  EXPECT_EQ(doc["context"]["rules_sha256"], contest::DefaultRules().sha256);
  EXPECT_EQ(doc["context"]["rules_source"], "<default>");
  EXPECT_EQ(doc["context"]["rules"]["format_version"], 2);
  EXPECT_EQ(doc["context"]["generated_at"], "2026-11-25T08:30:00.123Z");
  ASSERT_EQ(doc["context"]["machines"].size(), 1u);
  EXPECT_EQ(doc["context"]["machines"][0]["fingerprint"], "fp-test-machine");
  EXPECT_EQ(doc["context"]["notes"], json::array()) << doc["context"]["notes"];
  ASSERT_EQ(doc["tracks"].size(), 2u);
  EXPECT_EQ(doc["tracks"][0]["name"], "measured");
  EXPECT_EQ(doc["tracks"][1]["name"], "modeled");

  // The measured track: every entry of the store.
  json measured = TrackOf(doc, "measured");
  ASSERT_TRUE(measured.is_object());
  EXPECT_EQ(measured["latency_kind"], "measured");
  EXPECT_EQ(measured["primary"], json({{"key", "speedup"}, {"better", "higher"}}));
  EXPECT_EQ(measured["gate_reference_value"], 0.88);
  ExpectRankOrder(measured);
  auto m = ByTeam(measured);
  std::set<std::string> teams;
  for (const auto& [id, e] : m) teams.insert(id);
  const std::vector<std::string> all = fixture::FixtureTeamIds();
  EXPECT_EQ(teams, std::set<std::string>(all.begin(), all.end()));
  EXPECT_EQ(measured["entries"].size(), all.size());

  // Ranked by speedup: the baseline's latency over the entry's, on the same frames and machine.
  EXPECT_EQ(RankedTeams(measured),
            (std::vector<std::string>{"lightning", "quantized-int8", "twin-a", "twin-b"}))
      << measured.dump(1);
  EXPECT_EQ(m["lightning"]["rank"], 1);
  EXPECT_EQ(m["quantized-int8"]["rank"], 2);
  ASSERT_TRUE(measured["baseline_latency_ms"].is_number());
  const double base_ms = measured["baseline_latency_ms"].get<double>();
  // p90 of the fixture's per-frame latencies around 400 ms (x exp(±0.125), +0.4 on a spike).
  EXPECT_GT(base_ms, 400.0);
  EXPECT_LT(base_ms, 400.0 * std::exp(0.525));
  double previous = INFINITY;
  for (const std::string& id : RankedTeams(measured)) {
    json e = m[id];
    ASSERT_TRUE(e["speedup"].is_number()) << id;
    ASSERT_TRUE(e["latency_ms"].is_number()) << id;
    EXPECT_NEAR(e["speedup"].get<double>(), base_ms / e["latency_ms"].get<double>(), 1e-9) << id;
    EXPECT_LE(e["speedup"].get<double>(), previous) << id;
    previous = e["speedup"].get<double>();
    EXPECT_EQ(e["gate_passed"], true) << id;
    EXPECT_EQ(e["reference"], false) << id;
    EXPECT_EQ(e["status"], "ok") << id;
  }
  EXPECT_GT(m["lightning"]["speedup"].get<double>(), 400.0 / 6.0 * std::exp(-0.525));
  EXPECT_LT(m["lightning"]["speedup"].get<double>(), 400.0 / 6.0 * std::exp(0.525));

  // References: shown, with their figures, never ranked.
  for (const char* ref : {"reference-baseline", "reference-fp32"}) {
    json e = m[ref];
    EXPECT_EQ(e["reference"], true) << ref;
    EXPECT_TRUE(e["rank"].is_null()) << ref;
    EXPECT_EQ(e["unranked_reason"], kReferenceReason) << ref;
    EXPECT_TRUE(e["speedup"].is_number()) << ref;
  }
  EXPECT_NEAR(m["reference-baseline"]["speedup"].get<double>(), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(m["reference-baseline"]["latency_ms"].get<double>(), base_ms);

  // The hardware model (it has cycles) is shown in the measured track, unranked.
  EXPECT_TRUE(m["systolic-sim"]["rank"].is_null());
  EXPECT_EQ(m["systolic-sim"]["unranked_reason"], kHardwareModelReason);
  EXPECT_EQ(m["systolic-sim"]["cycles"], "self-reported");
  EXPECT_TRUE(m["lightning"]["cycles"].is_null());

  // The other reasons.
  EXPECT_TRUE(Contains(Reason(m["memo"]), "failed audit caching")) << m["memo"];
  EXPECT_TRUE(Contains(Reason(m["tiny"]), "accuracy gate: mAP50 0.61 < 0.99 x reference 0.88"))
      << m["tiny"];
  EXPECT_EQ(m["tiny"]["gate_passed"], false);
  EXPECT_EQ(m["segfault"]["unranked_reason"], "run did not complete (crashed)");
  EXPECT_EQ(m["segfault"]["status"], "crashed");
  EXPECT_EQ(m["segfault"]["message"], "child killed by signal 11 (SIGSEGV) at frame 3");
  EXPECT_EQ(m["segfault"]["frames"], 3);
  EXPECT_EQ(m["hang"]["unranked_reason"], "run did not complete (timeout)");
  EXPECT_EQ(m["hang"]["frames"], 0);
  EXPECT_TRUE(m["hang"]["gate_passed"].is_null());
  EXPECT_TRUE(m["hang"]["speedup"].is_null());

  // Values come from the stored facts, the histogram from the stored frames.
  json l = m["lightning"];
  EXPECT_EQ(l["display_name"], "lightning");
  EXPECT_EQ(l["submission"], "lightning");
  EXPECT_EQ(l["team"], "Team Volt");
  EXPECT_EQ(l["version"], "1.0");
  EXPECT_EQ(l["artifact_sha256"], Sha256Hex("artifact:lightning"));
  EXPECT_EQ(l["frames"], 40);
  EXPECT_EQ(l["partial"], false);
  EXPECT_EQ(l["frame_selection"], "all");
  EXPECT_DOUBLE_EQ(l["accuracy"]["mAP50"].get<double>(), 0.875);
  EXPECT_DOUBLE_EQ(l["measured_latency_ms"]["p90"].get<double>(), 6.0 * 1.08);
  EXPECT_TRUE(l["modeled_latency_ms"].is_null());
  EXPECT_EQ(l["seal"], json({{"level", "full"}, {"reason", ""}}));
  EXPECT_EQ(l["machine"], "fp-test-machine");
  EXPECT_EQ(l["trials"], 1);
  ASSERT_TRUE(l["intervals"]["speedup"].is_array());
  EXPECT_LE(l["intervals"]["speedup"][0].get<double>(), l["speedup"].get<double>());
  EXPECT_GE(l["intervals"]["speedup"][1].get<double>(), l["speedup"].get<double>());
  EXPECT_EQ(l["intervals"]["mAP50"], json::array({0.875 - 0.01, 0.875 + 0.01}));
  int64_t total = 0;
  for (json c : l["latency_histogram"]["counts"]) total += c.get<int64_t>();
  EXPECT_EQ(total, 40);
  EXPECT_EQ(l["latency_histogram"]["edges"].size(), l["latency_histogram"]["counts"].size() + 1);
  EXPECT_EQ(l["latency_histogram"]["counts"].size(), 20u);
  // The stored precision-recall curves of the run (3 classes, 101 points each).
  auto stored_curves = store_->LoadPrCurves(l["run_id"].get<int64_t>());
  ASSERT_TRUE(stored_curves.ok()) << stored_curves.status().message();
  EXPECT_EQ(stored_curves->size(), 3u);
  EXPECT_EQ(l["pr_curves"].size(), 3u) << "the board does not carry the stored curves";
  if (l["pr_curves"].size() == 3u) {
    EXPECT_EQ(l["pr_curves"][1]["class_id"], 1);
    EXPECT_EQ(l["pr_curves"][1]["class_name"], "without_mask");
    EXPECT_EQ(l["pr_curves"][1]["points"].size(), 101u);
    EXPECT_EQ(l["pr_curves"][1]["points"][100][0], 1.0);  // recall order
  }
  EXPECT_EQ(l["pr_curves_metric"], "VOC AP50 (all-point)");
  EXPECT_EQ(l["audits"].size(), 2u);
  EXPECT_TRUE(l["report"].is_null());

  // The modeled track: only the entries that report cycles.
  json modeled = TrackOf(doc, "modeled");
  ASSERT_TRUE(modeled.is_object());
  EXPECT_EQ(modeled["latency_kind"], "modeled");
  ExpectRankOrder(modeled);
  auto d = ByTeam(modeled);
  EXPECT_EQ(TeamOrder(modeled), (std::vector<std::string>{"systolic-sim", "reference-baseline"}));
  for (const char* absent : {"lightning", "quantized-int8", "twin-a", "twin-b", "memo", "tiny",
                             "reference-fp32", "segfault", "hang"})
    EXPECT_EQ(d.count(absent), 0u) << absent << " has no cycles";
  json sys = d["systolic-sim"];
  EXPECT_EQ(sys["rank"], 1);
  EXPECT_TRUE(sys["unranked_reason"].is_null());
  EXPECT_EQ(sys["gate_passed"], true);
  EXPECT_EQ(sys["cycles"], "self-reported");
  EXPECT_DOUBLE_EQ(sys["modeled_latency_ms"].get<double>(), 2.157);
  // cycles / clock at p90: the model's 2.157 ms scaled by up to -2 %.
  ASSERT_TRUE(sys["latency_ms"].is_number());
  EXPECT_GE(sys["latency_ms"].get<double>(), 2.157 * 0.98 - 1e-6);
  EXPECT_LE(sys["latency_ms"].get<double>(), 2.157 + 1e-6);
  // The baseline's modeled latency over the model's (the same per-frame jitter for both).
  EXPECT_NEAR(sys["speedup"].get<double>(), 1530.9 / 2.157, 0.01);
  ASSERT_TRUE(modeled["baseline_latency_ms"].is_number());
  EXPECT_NEAR(modeled["baseline_latency_ms"].get<double>(), 1530.9, 1530.9 * 0.021);
  EXPECT_EQ(modeled["gate_reference_value"], 0.88);
  // Its per-frame histogram is of modeled latency here.
  EXPECT_LT(sys["latency_histogram"]["edges"].back().get<double>(), 3.0);
  EXPECT_GT(m["systolic-sim"]["latency_histogram"]["edges"].back().get<double>(), 50.0);
  EXPECT_EQ(d["reference-baseline"]["reference"], true);
  EXPECT_TRUE(d["reference-baseline"]["rank"].is_null());
  EXPECT_EQ(d["reference-baseline"]["unranked_reason"], kReferenceReason);
}

TEST_F(LeaderboardTest, LateBaselineAddsSpeedupsWithoutRerunningAnything) {
  fixture::FixtureOptions without;
  without.without_baseline = true;
  fixture::FillReport first = Fill(without);
  EXPECT_EQ(first.started, static_cast<int>(fixture::FixtureTeamIds().size()) - 1);
  json before = Build();
  ASSERT_EQ(before["tracks"].size(), 2u);
  for (json t : before["tracks"]) {
    EXPECT_TRUE(t["baseline_latency_ms"].is_null()) << t["name"];
    EXPECT_TRUE(RankedTeams(t).empty()) << t["name"] << ": " << t.dump(1);
    for (json e : t["entries"]) {
      EXPECT_TRUE(e["speedup"].is_null()) << t["name"] << " " << e["team_id"];
      EXPECT_NE(e["team_id"], "reference-baseline");
    }
  }
  std::vector<std::string> notes = before["context"]["notes"].get<std::vector<std::string>>();
  EXPECT_EQ(notes, (std::vector<std::string>{
                       "track measured: no reference-baseline run on these frames: no speedups",
                       "track modeled: no reference-baseline run on these frames: no speedups"}));
  auto m = ByTeam(TrackOf(before, "measured"));
  EXPECT_EQ(m["lightning"]["unranked_reason"],
            "no speedup: no reference-baseline run on the same frames and machine");
  EXPECT_TRUE(m["lightning"]["latency_ms"].is_number());  // the facts are there
  EXPECT_EQ(m["lightning"]["gate_passed"], true);
  EXPECT_TRUE(Contains(Reason(m["memo"]), "failed audit caching")) << m["memo"];
  EXPECT_EQ(ByTeam(TrackOf(before, "modeled"))["systolic-sim"]["unranked_reason"],
            "no speedup: no reference-baseline run on the same frames");

  // The baseline comes late: one run is added, nothing else is run again.
  const int64_t runs_before = Runs();
  EXPECT_EQ(runs_before, static_cast<int64_t>(fixture::FixtureTeamIds().size()) - 1);
  fixture::FixtureOptions only;
  only.only_baseline = true;
  fixture::FillReport second = Fill(only);
  EXPECT_EQ(second.started, 1);
  EXPECT_EQ(second.skipped, 0);
  EXPECT_EQ(Runs(), runs_before + 1);
  json after = Build();
  EXPECT_EQ(Runs(), runs_before + 1);  // building a board writes no run
  EXPECT_EQ(after["context"]["notes"], json::array()) << after["context"]["notes"];
  json measured = TrackOf(after, "measured");
  EXPECT_TRUE(measured["baseline_latency_ms"].is_number());
  EXPECT_EQ(RankedTeams(measured),
            (std::vector<std::string>{"lightning", "quantized-int8", "twin-a", "twin-b"}));
  auto a = ByTeam(measured);
  for (const char* id : {"lightning", "quantized-int8", "twin-a", "twin-b", "reference-fp32"})
    EXPECT_TRUE(a[id]["speedup"].is_number()) << id;
  // The same runs as before (the ids did not change): only the judgement did.
  for (const char* id : {"lightning", "quantized-int8", "reference-fp32", "memo"})
    EXPECT_EQ(a[id]["run_id"], m[id]["run_id"]) << id;
  EXPECT_EQ(a["reference-baseline"]["reference"], true);
  auto d = ByTeam(TrackOf(after, "modeled"));
  EXPECT_EQ(d["systolic-sim"]["rank"], 1);
  EXPECT_NEAR(d["systolic-sim"]["speedup"].get<double>(), 1530.9 / 2.157, 0.01);

  // And the result is the board of a store filled in one go.
  auto clean = contest::Store::Open(dir_ / "clean.sqlite");
  ASSERT_TRUE(clean.ok());
  ASSERT_TRUE(fixture::FillFixtureStore(**clean).ok());
  LeaderboardOptions o;
  o.generated_at = "2026-11-25T08:30:00.123Z";
  auto one_go = BuildLeaderboard(**clean, contest::DefaultRules(), o);
  ASSERT_TRUE(one_go.ok()) << one_go.status().message();
  for (const char* track : {"measured", "modeled"}) {
    EXPECT_EQ(RankedTeams(TrackOf(*one_go, track)), RankedTeams(TrackOf(after, track))) << track;
    auto c = ByTeam(TrackOf(*one_go, track));
    for (auto& [id, e] : ByTeam(TrackOf(after, track))) {
      EXPECT_EQ(e["speedup"], c[id]["speedup"]) << track << " " << id;
      EXPECT_EQ(e["rank"], c[id]["rank"]) << track << " " << id;
      EXPECT_EQ(e["unranked_reason"], c[id]["unranked_reason"]) << track << " " << id;
    }
  }
}

TEST_F(LeaderboardTest, OtherRulesReRankTheSameRuns) {
  Fill();
  const int64_t runs = Runs();
  const int64_t rules_rows = CountRows(db_, "rules");
  json by_speed = Build();
  const contest::Rules by_accuracy = ParseRulesOrDie(R"({
    "format_version": 2,
    "name": "accuracy first",
    "tracks": [{"name": "measured", "latency_kind": "measured",
                "primary": {"key": "mAP50", "better": "higher"},
                "tie_breaks": [{"key": "latency_ms", "better": "lower"}]}]
  })");
  json doc = Build(by_accuracy);
  EXPECT_EQ(Runs(), runs);
  EXPECT_EQ(CountRows(db_, "rules"), rules_rows);
  EXPECT_EQ(doc["context"]["rules_sha256"], by_accuracy.sha256);
  EXPECT_NE(doc["context"]["rules_sha256"], by_speed["context"]["rules_sha256"]);
  EXPECT_EQ(doc["context"]["rules"]["name"], "accuracy first");
  ASSERT_EQ(doc["tracks"].size(), 1u);
  json t = doc["tracks"][0];
  EXPECT_EQ(t["primary"], json({{"key", "mAP50"}, {"better", "higher"}}));
  ExpectRankOrder(t);
  // mAP50 0.880 > 0.878 = 0.878 (the faster twin first) > 0.875.
  auto e = ByTeam(t);
  const bool a_faster =
      e["twin-a"]["latency_ms"].get<double>() < e["twin-b"]["latency_ms"].get<double>();
  const std::vector<std::string> expected =
      a_faster ? std::vector<std::string>{"quantized-int8", "twin-a", "twin-b", "lightning"}
               : std::vector<std::string>{"quantized-int8", "twin-b", "twin-a", "lightning"};
  EXPECT_EQ(RankedTeams(t), expected) << t.dump(1);
  EXPECT_NE(RankedTeams(t), RankedTeams(TrackOf(by_speed, "measured")));
  EXPECT_EQ(e["quantized-int8"]["rank"], 1);
  EXPECT_EQ(e["lightning"]["rank"], 4);
  // The same runs, the same stored facts, the same speedups.
  auto s = ByTeam(TrackOf(by_speed, "measured"));
  for (const auto& [id, entry] : e) {
    EXPECT_EQ(entry["run_id"], s[id]["run_id"]) << id;
    EXPECT_EQ(entry["speedup"], s[id]["speedup"]) << id;
    EXPECT_EQ(entry["accuracy"], s[id]["accuracy"]) << id;
  }
  // Rebuilding with the default rules gives the first board again.
  json again = Build();
  EXPECT_EQ(again, by_speed);
}

TEST_F(LeaderboardTest, PartialRunsAreShownOnlyOnRequest) {
  fixture::FixtureOptions partial;
  partial.frame_selection = "first:5";
  Fill(partial);
  // Only partial runs: without include_partial there is nothing to show.
  auto none = BuildLeaderboard(*store_, contest::DefaultRules());
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(Contains(none.status().message(), "no entry has a complete run"))
      << none.status().message();
  LeaderboardOptions with;
  with.board.include_partial = true;
  json shown = Build(contest::DefaultRules(), with);
  json measured = TrackOf(shown, "measured");
  EXPECT_EQ(measured["entries"].size(), fixture::FixtureTeamIds().size());
  EXPECT_TRUE(RankedTeams(measured).empty()) << measured.dump(1);
  for (json e : measured["entries"]) {
    EXPECT_EQ(e["partial"], true) << e["team_id"];
    EXPECT_EQ(e["frame_selection"], "first:5") << e["team_id"];
  }
  auto m = ByTeam(measured);
  EXPECT_EQ(Reason(m["lightning"]), "partial run: 40 of 40 frames (first:5)");
  EXPECT_EQ(Reason(m["reference-fp32"]), kReferenceReason);
  // The baseline's partial run on the same frames still gives speedups.
  EXPECT_TRUE(m["lightning"]["speedup"].is_number());

  // Complete runs added later: the default board shows them and no partial run.
  Fill();
  json full = Build();
  for (json t : full["tracks"])
    for (json e : t["entries"]) {
      EXPECT_EQ(e["partial"], false) << t["name"] << " " << e["team_id"];
      EXPECT_EQ(e["frame_selection"], "all") << t["name"] << " " << e["team_id"];
    }
  EXPECT_EQ(RankedTeams(TrackOf(full, "measured")),
            (std::vector<std::string>{"lightning", "quantized-int8", "twin-a", "twin-b"}));
}

TEST_F(LeaderboardTest, OverlappingIntervalsShareATieGroup) {
  Fill();
  json doc = Build();
  for (json t : doc["tracks"]) {
    const std::string key = t["primary"]["key"];
    ASSERT_EQ(key, "speedup");
    json prev;  // the ranked entry before, null for none
    for (json e : t["entries"]) {
      if (e["rank"].is_null()) {
        EXPECT_TRUE(e["tie_group"].is_null()) << e["team_id"] << ": unranked, in no tie group";
        continue;
      }
      json iv = e["intervals"]["speedup"];
      ASSERT_TRUE(iv.is_array()) << e["team_id"];
      if (!prev.is_null()) {
        json pv = prev["intervals"]["speedup"];
        const bool overlap = iv[0].get<double>() <= pv[1].get<double>() &&
                             pv[0].get<double>() <= iv[1].get<double>();
        if (overlap) {
          EXPECT_TRUE(e["tie_group"].is_number()) << e["team_id"];
          EXPECT_EQ(e["tie_group"], prev["tie_group"]) << e["team_id"];
        } else {
          EXPECT_TRUE(e["tie_group"].is_null() || e["tie_group"] != prev["tie_group"])
              << e["team_id"] << " and " << prev["team_id"] << " do not overlap";
        }
      }
      prev = e;
    }
  }
  auto m = ByTeam(TrackOf(doc, "measured"));
  // The twins: the same model, the same latency distribution, different draws.
  EXPECT_NE(m["twin-a"]["speedup"], m["twin-b"]["speedup"]);
  EXPECT_NE(m["twin-a"]["rank"], m["twin-b"]["rank"]);
  ASSERT_TRUE(m["twin-a"]["tie_group"].is_number()) << m["twin-a"];
  EXPECT_GT(m["twin-a"]["tie_group"].get<int>(), 0);
  EXPECT_EQ(m["twin-a"]["tie_group"], m["twin-b"]["tie_group"]);
  // Far apart: lightning (~67x) ties with no one.
  EXPECT_TRUE(m["lightning"]["tie_group"].is_null()) << m["lightning"]["intervals"];
  EXPECT_NE(m["quantized-int8"]["tie_group"], m["twin-a"]["tie_group"]);
}

TEST_F(LeaderboardTest, OutsideScoresFeedTheComposite) {
  Fill();
  const std::string csv =
      "team_id,metric,value\n"
      "lightning,presentation,1\n"
      "quantized-int8,presentation,9\n"
      "twin-a,presentation,5\n";
  auto scores = contest::ParseScoresCsv(csv, "scores.csv", {"presentation"});
  ASSERT_TRUE(scores.ok()) << scores.status().message();
  ASSERT_EQ(scores->size(), 3u);
  ASSERT_TRUE(store_->ImportScores(*scores).ok());
  const int64_t runs = Runs();
  const contest::Rules rules = ParseRulesOrDie(R"({
    "format_version": 2,
    "name": "with presentation",
    "outside_scores": ["presentation"],
    "tracks": [{"name": "overall", "latency_kind": "measured",
                "composite": "speedup / 10 + presentation",
                "primary": {"key": "composite", "better": "higher"},
                "tie_breaks": [{"key": "mAP50", "better": "higher"}]}]
  })");
  json doc = Build(rules);
  EXPECT_EQ(Runs(), runs);
  EXPECT_EQ(doc["context"]["rules"]["outside_scores"], json::array({"presentation"}));
  ASSERT_EQ(doc["tracks"].size(), 1u);
  json t = doc["tracks"][0];
  EXPECT_EQ(t["name"], "overall");
  EXPECT_EQ(t["composite"], "speedup / 10 + presentation");
  EXPECT_EQ(t["primary"], json({{"key", "composite"}, {"better", "higher"}}));
  ExpectRankOrder(t);
  auto e = ByTeam(t);
  const std::map<std::string, double> presentation = {
      {"lightning", 1}, {"quantized-int8", 9}, {"twin-a", 5}};
  for (const auto& [id, p] : presentation) {
    EXPECT_EQ(e[id]["outside_scores"], json({{"presentation", p}})) << id;
    ASSERT_TRUE(e[id]["score"].is_number()) << id;
    EXPECT_NEAR(e[id]["score"].get<double>(), e[id]["speedup"].get<double>() / 10 + p, 1e-9) << id;
  }
  // ~1.9 + 9 > ~6.7 + 1 > ~1.6 + 5: presentation lifts quantized-int8 over lightning.
  EXPECT_EQ(RankedTeams(t), (std::vector<std::string>{"quantized-int8", "lightning", "twin-a"}))
      << t.dump(1);
  // No presentation score: no composite, no rank, and the reason says why.
  EXPECT_TRUE(e["twin-b"]["score"].is_null());
  EXPECT_TRUE(e["twin-b"]["rank"].is_null());
  EXPECT_EQ(e["twin-b"]["outside_scores"], json::object());
  EXPECT_TRUE(Contains(Reason(e["twin-b"]), "composite score")) << e["twin-b"];
  EXPECT_TRUE(Contains(Reason(e["twin-b"]), "presentation")) << e["twin-b"];
  // The default rules know no presentation: it shows, it ranks nothing.
  json plain = Build();
  auto p = ByTeam(TrackOf(plain, "measured"));
  EXPECT_EQ(p["quantized-int8"]["outside_scores"], json({{"presentation", 9.0}}));
  EXPECT_TRUE(p["quantized-int8"]["score"].is_null());
  EXPECT_EQ(p["lightning"]["rank"], 1);
}

TEST_F(LeaderboardTest, AnEntrysLatestArtifactIsTheOneShown) {
  Fill();
  // "lightning" enters a rebuilt artifact (version 2.0), judged later on the same frames.
  auto entries = store_->ListEntries();
  ASSERT_TRUE(entries.ok());
  contest::EntryInfo lightning;
  for (const contest::EntryInfo& e : *entries)
    if (e.team_id == "lightning") lightning = e;
  ASSERT_FALSE(lightning.team_id.empty());
  auto old_runs = store_->ListRuns({});
  ASSERT_TRUE(old_runs.ok());
  const contest::StoredRun* old_run = nullptr;
  for (const contest::StoredRun& r : *old_runs)
    if (r.submission_id == lightning.submission_id) old_run = &r;
  ASSERT_NE(old_run, nullptr);
  auto sub = store_->UpsertSubmission(
      {"lightning", "Team Volt", "2.0", std::string(64, '7'), "1.0.0", "measured"});
  ASSERT_TRUE(sub.ok()) << sub.status().message();
  lightning.submission_id = *sub;
  ASSERT_TRUE(store_->UpsertEntry(lightning).ok());
  contest::RunKey key = old_run->key;
  key.submission_id = *sub;
  auto ticket = store_->BeginRun(key);
  ASSERT_TRUE(ticket.ok()) << ticket.status().message();
  ASSERT_FALSE(ticket->already_complete);
  contest::RunOutcome o;
  o.status = "ok";
  o.rules_sha256 = contest::DefaultRules().sha256;
  for (int f = 0; f < 40; ++f) {
    contest::FrameFacts fr;
    fr.frame_index = f;
    fr.frame_id = 1000 + f;
    fr.latency_ns = 3'000'000 + 10'000 * f;
    o.frames.push_back(fr);
  }
  o.metrics = {{contest::metric::kMap50, 0.877}, {contest::metric::kLatencyP90Ms, 3.35}};
  ASSERT_TRUE(store_->CommitRun(ticket->run_id, o).ok());
  json doc = Build();
  json measured = TrackOf(doc, "measured");
  int shown = 0;
  for (json e : measured["entries"]) shown += e["team_id"] == "lightning";
  EXPECT_EQ(shown, 1);
  auto m = ByTeam(measured);
  EXPECT_EQ(m["lightning"]["version"], "2.0");
  EXPECT_EQ(m["lightning"]["run_id"], ticket->run_id);
  EXPECT_EQ(m["lightning"]["rank"], 1);
  // p90 (nearest rank: the 36th of 40) of its frames.
  EXPECT_DOUBLE_EQ(m["lightning"]["latency_ms"].get<double>(), 3.35);
  EXPECT_DOUBLE_EQ(m["lightning"]["speedup"].get<double>(),
                   measured["baseline_latency_ms"].get<double>() / 3.35);
}

TEST_F(LeaderboardTest, UnknownDataSetAndEmptyStoreAreErrors) {
  auto empty = BuildLeaderboard(*store_, contest::DefaultRules());
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(Contains(empty.status().message(), "no complete run")) << empty.status().message();
  EXPECT_TRUE(Contains(empty.status().message(), "results.sqlite")) << empty.status().message();
  Fill();
  LeaderboardOptions unknown;
  unknown.board.dataset_sha256 = "ffff";
  auto missing = BuildLeaderboard(*store_, contest::DefaultRules(), unknown);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(Contains(missing.status().message(), "no run on a data set ffff"))
      << missing.status().message();
  LeaderboardOptions prefix;
  prefix.board.dataset_sha256 = "dddd";
  json doc = Build(contest::DefaultRules(), prefix);
  EXPECT_EQ(doc["context"]["dataset"]["manifest_sha256"], std::string(64, 'd'));
}

TEST_F(LeaderboardTest, ReportLinksComeFromTheOption) {
  Fill();
  LeaderboardOptions o;
  o.report_link = [](const std::string& team_id) -> std::optional<std::string> {
    if (team_id == "hang") return std::nullopt;
    return "reports/" + team_id + "/report.html";
  };
  o.histogram_bins = 5;
  json doc = Build(contest::DefaultRules(), o);
  auto m = ByTeam(TrackOf(doc, "measured"));
  EXPECT_EQ(m["lightning"]["report"], "reports/lightning/report.html");
  EXPECT_TRUE(m["hang"]["report"].is_null());
  EXPECT_EQ(m["lightning"]["latency_histogram"]["counts"].size(), 5u);
  EXPECT_EQ(m["hang"]["latency_histogram"]["counts"], json::array());
}

// Runs the schema validator (Debian python3 + python3-jsonschema); returns its exit code.
int Validate(const fs::path& doc_path, std::string* output) {
  const char* source = std::getenv("MASKBENCH_SOURCE_DIR");
  fs::path root = source ? fs::path(source) : fs::path(MASKBENCH_SOURCE_FALLBACK);
  fs::path schema = root / "web-export/schema/leaderboard.schema.json";
  fs::path script = root / "web-export/schema/validate.py";
  fs::path log = doc_path;
  log += ".log";
  std::string cmd = std::string(MASKBENCH_SYSTEM_PYTHON3) + " '" + script.string() + "' '" +
                    schema.string() + "' '" + doc_path.string() + "' > '" + log.string() + "' 2>&1";
  int rc = std::system(cmd.c_str());
  auto text = ReadFile(log);
  *output = text.ok() ? *text : "";
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The index of the first unranked entry of a track's entries.
size_t FirstUnranked(json track) {
  for (size_t i = 0; i < track["entries"].size(); ++i)
    if (track["entries"][i]["rank"].is_null()) return i;
  return track["entries"].size();
}

TEST_F(LeaderboardTest, ExportValidatesAgainstSchemaAndBrokenExportsDoNot) {
  if (std::string(MASKBENCH_SYSTEM_PYTHON3).empty()) {
    GTEST_FAIL() << "no /usr/bin/python3 found at configure time; run ./setup.sh";
  }
  Fill();
  // Outside scores and a composite, so every optional block is filled somewhere.
  ASSERT_TRUE(store_->ImportScores({{"lightning", "presentation", 7, "scores.csv", ""}}).ok());
  LeaderboardOptions o;
  o.report_link = [](const std::string& id) -> std::optional<std::string> {
    return "reports/" + id + "/report.html";
  };
  std::vector<json> docs = {Build()};
  {
    LeaderboardOptions partial;
    partial.board.include_partial = true;
    fixture::FixtureOptions p;
    p.frame_selection = "first:5";
    Fill(p);
    docs.push_back(Build(contest::DefaultRules(), partial));
    docs.push_back(Build(contest::DefaultRules(), o));
    docs.push_back(Build(ParseRulesOrDie(R"({
      "format_version": 2, "name": "composite", "outside_scores": ["presentation"],
      "tracks": [{"name": "overall", "composite": "speedup / 10 + presentation",
                  "primary": {"key": "composite"}, "tie_breaks": []}]})")));
  }
  std::string out;
  for (size_t i = 0; i < docs.size(); ++i) {
    fs::path good = dir_ / ("leaderboard_" + std::to_string(i) + ".json");
    ASSERT_TRUE(WriteLeaderboardJson(docs[i], good).ok());
    int rc = Validate(good, &out);
    ASSERT_NE(rc, 2) << "validator could not run (python3-jsonschema missing? run ./setup.sh): "
                     << out;
    EXPECT_EQ(rc, 0) << "document " << i << ": " << out;
  }

  json doc = docs[0];
  const size_t unranked = FirstUnranked(doc["tracks"][0]);
  ASSERT_LT(unranked, doc["tracks"][0]["entries"].size());
  // Each of these breaks the schema and must be caught.
  std::vector<std::pair<std::string, std::function<void(json&)>>> breakages = {
      {"missing schema_version", [](json& d) { d.erase("schema_version"); }},
      {"schema_version 1", [](json& d) { d["schema_version"] = 1; }},
      {"missing tracks", [](json& d) { d.erase("tracks"); }},
      {"v1 entries instead of tracks",
       [](json& d) {
         d["entries"] = d["tracks"][0]["entries"];
         d.erase("tracks");
       }},
      {"track without a name", [](json& d) { d["tracks"][0].erase("name"); }},
      {"unknown latency kind", [](json& d) { d["tracks"][0]["latency_kind"] = "guessed"; }},
      {"rank as string", [](json& d) { d["tracks"][0]["entries"][0]["rank"] = "1"; }},
      {"rank zero", [](json& d) { d["tracks"][0]["entries"][0]["rank"] = 0; }},
      {"ranked entry with a reason",
       [](json& d) { d["tracks"][0]["entries"][0]["unranked_reason"] = "x"; }},
      {"unranked entry without a reason",
       [unranked](json& d) { d["tracks"][0]["entries"][unranked]["unranked_reason"] = nullptr; }},
      {"reference as string", [](json& d) { d["tracks"][0]["entries"][0]["reference"] = "no"; }},
      {"mAP above 1", [](json& d) { d["tracks"][0]["entries"][0]["accuracy"]["mAP50"] = 1.5; }},
      {"missing generated_at", [](json& d) { d["context"].erase("generated_at"); }},
      {"audit passed as string",
       [](json& d) { d["tracks"][0]["entries"][0]["audits"][0]["passed"] = "yes"; }},
      {"incomplete status", [](json& d) { d["tracks"][0]["entries"][0]["status"] = "running"; }},
      {"unknown entry field", [](json& d) { d["tracks"][0]["entries"][0]["speed"] = 3; }},
      {"unknown top-level field", [](json& d) { d["extra"] = true; }},
      {"tie group as string", [](json& d) { d["tracks"][0]["entries"][0]["tie_group"] = "a"; }},
  };
  for (auto& [what, mutate] : breakages) {
    json bad = doc;
    mutate(bad);
    fs::path path = dir_ / "bad.json";
    ASSERT_TRUE(WriteLeaderboardJson(bad, path).ok());
    EXPECT_EQ(Validate(path, &out), 1) << what << ": " << out;
  }
}

TEST_F(LeaderboardTest, PageIsSelfContainedAndEscapesTheJson) {
  Fill();
  // A hostile display name from the store itself, and one put into the document.
  auto entries = store_->ListEntries();
  ASSERT_TRUE(entries.ok());
  for (contest::EntryInfo e : *entries)
    if (e.team_id == "lightning") {
      e.display_name = "</script><script>alert(1)</script><!--";
      ASSERT_TRUE(store_->UpsertEntry(e).ok());
    }
  json doc = Build();
  EXPECT_EQ(ByTeam(TrackOf(doc, "measured"))["lightning"]["display_name"],
            "</script><script>alert(1)</script><!--");
  doc["tracks"][1]["entries"][0]["team"] = "</SCRIPT><script>alert(2)</script>";
  fs::path page = dir_ / "page";
  ASSERT_TRUE(WriteLeaderboardPage(doc, page).ok());
  for (const char* f : {"index.html", "app.js", "style.css", "leaderboard.json"}) {
    EXPECT_TRUE(fs::exists(page / f)) << f;
  }
  std::string html = *ReadFile(page / "index.html");
  EXPECT_EQ(html.find("<!--LEADERBOARD_JSON-->"), std::string::npos);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  const std::string open = "<script id=\"leaderboard-data\" type=\"application/json\">";
  size_t a = html.find(open);
  ASSERT_NE(a, std::string::npos);
  a += open.size();
  size_t b = html.find("</script>", a);
  ASSERT_NE(b, std::string::npos);
  const std::string embedded_text = html.substr(a, b - a);
  EXPECT_EQ(embedded_text.find('<'), std::string::npos);
  json embedded = json::parse(embedded_text);
  EXPECT_EQ(embedded, doc);
  EXPECT_EQ(json::parse(*ReadFile(page / "leaderboard.json")), doc);
  // No network: nothing is loaded from elsewhere.
  for (const char* f : {"index.html", "app.js", "style.css"}) {
    std::string text = *ReadFile(page / f);
    for (const char* bad : {"fetch(", "XMLHttpRequest", "src=\"http", "href=\"http", "@import",
                            "url(http", "//cdn"}) {
      EXPECT_EQ(text.find(bad), std::string::npos) << f << " contains " << bad;
    }
  }
  // Written again over the old page: whole, no staging folder left behind.
  ASSERT_TRUE(WriteLeaderboardPage(doc, page).ok());
  int siblings = 0;
  for (const auto& e : fs::directory_iterator(dir_))
    siblings += Contains(e.path().filename().string(), "page");
  EXPECT_EQ(siblings, 1);
}

TEST(EscapeJsonForScriptTest, NoLessThanSurvives) {
  const std::string text = json("</script><!-- <b>").dump();
  const std::string escaped = internal::EscapeJsonForScript(text);
  EXPECT_EQ(escaped.find('<'), std::string::npos);
  EXPECT_EQ(json::parse(escaped), json("</script><!-- <b>"));
}

}  // namespace
}  // namespace maskbench::web_export
