#include "maskbench/web_export/leaderboard.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "maskbench/core/files.h"
#include "test_fixture.h"

namespace maskbench::web_export {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class LeaderboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mb_leaderboard_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto store = Store::Open(dir_ / "results.sqlite");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
    auto filled = testing::FillFixtureStore(*store_);
    ASSERT_TRUE(filled.ok()) << filled.status().message();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  json Build(const LeaderboardOptions& o = {}) {
    auto doc = BuildLeaderboard(*store_, o);
    EXPECT_TRUE(doc.ok()) << doc.status().message();
    return doc.ok() ? *doc : json();
  }
  fs::path dir_;
  std::unique_ptr<Store> store_;
};

std::map<std::string, json> ByName(const json& doc) {
  std::map<std::string, json> out;
  for (const json& e : doc["entries"]) out[e["name"].get<std::string>()] = e;
  return out;
}

TEST_F(LeaderboardTest, RanksByRulesWithSharedRanksAndReasons) {
  json doc = Build();
  ASSERT_EQ(doc["schema_version"], kLeaderboardSchemaVersion);
  EXPECT_EQ(doc["context"]["harness_version"], "0.1.0");
  EXPECT_EQ(doc["context"]["dataset"]["split"], "test");
  EXPECT_EQ(doc["context"]["machine"]["fingerprint"], "fp-test-machine");
  EXPECT_EQ(doc["context"]["ranking"]["primary"], "speedup");
  EXPECT_EQ(doc["context"]["ranking"]["tie_breaks"], json::array({"mAP50", "latency_ms"}));
  EXPECT_EQ(doc["context"]["ranking"]["gate"]["reference_value"], 0.88);
  ASSERT_EQ(doc["entries"].size(), testing::FixtureSubmissionNames().size());
  auto e = ByName(doc);
  EXPECT_EQ(e["lightning"]["rank"], 1);
  EXPECT_EQ(e["systolic-sim"]["rank"], 2);
  EXPECT_EQ(e["quantized-int8"]["rank"], 3);
  EXPECT_EQ(e["twin-a"]["rank"], 4);  // equal speedup and mAP: a shared rank
  EXPECT_EQ(e["twin-b"]["rank"], 4);
  EXPECT_EQ(e["reference-fp32"]["rank"], 6);
  EXPECT_EQ(e["reference-baseline"]["rank"], 7);
  EXPECT_TRUE(e["memo"]["rank"].is_null());
  EXPECT_NE(e["memo"]["unranked_reason"].get<std::string>().find("audit caching failed"),
            std::string::npos);
  EXPECT_TRUE(e["tiny"]["rank"].is_null());
  EXPECT_NE(e["tiny"]["unranked_reason"].get<std::string>().find("accuracy gate"),
            std::string::npos)
      << e["tiny"]["unranked_reason"];
  EXPECT_EQ(e["segfault"]["unranked_reason"],
            "status crashed: child killed by signal 11 (SIGSEGV) at frame 3");
  EXPECT_NE(e["hang"]["unranked_reason"].get<std::string>().find("status timeout"),
            std::string::npos);
  EXPECT_EQ(e["lightning"]["unranked_reason"], nullptr);
  // Entries come in rank order, unranked ones last.
  EXPECT_EQ(doc["entries"][0]["name"], "lightning");
  EXPECT_TRUE(doc["entries"].back()["rank"].is_null());
  // Values come from the stored metrics, the histogram from the stored frames.
  EXPECT_DOUBLE_EQ(e["lightning"]["speedup"].get<double>(), 66.7);
  EXPECT_DOUBLE_EQ(e["lightning"]["accuracy"]["mAP50"].get<double>(), 0.875);
  EXPECT_EQ(e["lightning"]["gate_passed"], true);
  EXPECT_EQ(e["tiny"]["gate_passed"], false);
  EXPECT_EQ(e["hang"]["gate_passed"], nullptr);
  EXPECT_EQ(e["systolic-sim"]["modeled_latency_ms"], 10.0);
  EXPECT_DOUBLE_EQ(e["lightning"]["headline_latency_ms"].get<double>(), 6.0 * 1.08);  // p90
  EXPECT_FALSE(e["lightning"].contains("metrics"));
  int64_t total = 0;
  for (const json& c : e["lightning"]["latency_histogram"]["counts"]) total += c.get<int64_t>();
  EXPECT_EQ(total, e["lightning"]["frames"].get<int64_t>());
  EXPECT_EQ(e["lightning"]["latency_histogram"]["edges"].size(),
            e["lightning"]["latency_histogram"]["counts"].size() + 1);
  EXPECT_EQ(e["lightning"]["pr_curves"].size(), 3u);
  EXPECT_EQ(e["lightning"]["pr_curves"][1]["class_name"], "without_mask");
  EXPECT_EQ(e["lightning"]["audits"].size(), 2u);
  EXPECT_EQ(e["hang"]["frames"], 0);
}

TEST_F(LeaderboardTest, LatestRunPerSubmissionWins) {
  // A rebuilt "lightning" (new artifact, version 2.0) judged later in the same context.
  auto dataset = store_->UpsertDataset({std::string(64, 'd'), "facemask-synth", "test"});
  testing::FixtureOptions defaults;
  auto rules = store_->UpsertRules({Sha256Hex(defaults.rules_json), defaults.rules_json});
  auto machine = store_->UpsertMachine({"fp-test-machine", "Test CPU @ 2.0GHz", 2});
  auto sub = store_->UpsertSubmission(
      {"lightning", "Team Volt", "2.0", std::string(64, '7'), "1.0.0", "measured"});
  auto t = store_->BeginRun({*sub, *dataset, *rules, *machine, "0.1.0"});
  ASSERT_TRUE(t.ok());
  RunOutcome o;
  o.status = "ok";
  o.metrics = {{"mAP50", 0.877}, {"speedup", 70.0}, {"latency_p90_ms", 5.5}, {"gate_passed", 1}};
  ASSERT_TRUE(store_->CommitRun(t->run_id, o).ok());
  json doc = Build();
  int lightning = 0;
  for (const json& e : doc["entries"]) lightning += e["name"] == "lightning";
  EXPECT_EQ(lightning, 1);
  auto e = ByName(doc);
  EXPECT_EQ(e["lightning"]["version"], "2.0");
  EXPECT_EQ(e["lightning"]["speedup"], 70.0);
  EXPECT_EQ(e["lightning"]["rank"], 1);
}

TEST_F(LeaderboardTest, ContextChoiceByFlagsOrMostRecent) {
  testing::FixtureOptions newer;
  newer.harness_version = "0.2.0";
  newer.rules_json =
      R"({"format_version": 1, "ranking": {"primary": {"key": "mAP50", "better": "higher"},)"
      R"( "tie_breaks": [{"key": "speedup", "better": "higher"}]}})";
  newer.frames = 10;
  ASSERT_TRUE(testing::FillFixtureStore(*store_, newer).ok());
  json latest = Build();
  EXPECT_EQ(latest["context"]["rules_sha256"], Sha256Hex(newer.rules_json));
  EXPECT_EQ(latest["context"]["harness_version"], "0.2.0");
  EXPECT_EQ(latest["context"]["ranking"]["primary"], "mAP50");
  auto e = ByName(latest);
  EXPECT_EQ(e["quantized-int8"]["rank"], 1);  // best mAP, faster than reference-fp32
  EXPECT_EQ(e["reference-fp32"]["rank"], 2);

  testing::FixtureOptions old;
  LeaderboardOptions by_rules;
  by_rules.rules_sha256 = Sha256Hex(old.rules_json).substr(0, 10);
  json first = Build(by_rules);
  EXPECT_EQ(first["context"]["rules_sha256"], Sha256Hex(old.rules_json));
  EXPECT_EQ(first["context"]["harness_version"], "0.1.0");

  LeaderboardOptions unknown;
  unknown.dataset_sha256 = "ffff";
  auto missing = BuildLeaderboard(*store_, unknown);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no complete run for data set ffff"), std::string::npos)
      << missing.status().message();
  EXPECT_NE(missing.status().message().find("results.sqlite"), std::string::npos);
}

TEST_F(LeaderboardTest, EmptyStoreIsAnError) {
  auto empty = Store::Open(dir_ / "empty.sqlite");
  ASSERT_TRUE(empty.ok());
  auto doc = BuildLeaderboard(**empty);
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("no complete run"), std::string::npos);
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

TEST_F(LeaderboardTest, ExportValidatesAgainstSchemaAndBrokenExportsDoNot) {
  if (std::string(MASKBENCH_SYSTEM_PYTHON3).empty()) {
    GTEST_FAIL() << "no /usr/bin/python3 found at configure time; run ./setup.sh";
  }
  json doc = Build();
  fs::path good = dir_ / "leaderboard.json";
  ASSERT_TRUE(WriteLeaderboardJson(doc, good).ok());
  std::string out;
  int rc = Validate(good, &out);
  ASSERT_NE(rc, 2) << "validator could not run (python3-jsonschema missing? run ./setup.sh): "
                   << out;
  EXPECT_EQ(rc, 0) << out;

  // Each of these breaks the schema and must be caught.
  std::vector<std::pair<std::string, std::function<void(json&)>>> breakages = {
      {"missing schema_version", [](json& d) { d.erase("schema_version"); }},
      {"rank as string", [](json& d) { d["entries"][0]["rank"] = "1"; }},
      {"ranked entry with a reason", [](json& d) { d["entries"][0]["unranked_reason"] = "x"; }},
      {"unranked entry without a reason",
       [](json& d) { d["entries"].back()["unranked_reason"] = nullptr; }},
      {"mAP above 1", [](json& d) { d["entries"][0]["accuracy"]["mAP50"] = 1.5; }},
      {"missing generated_at", [](json& d) { d["context"].erase("generated_at"); }},
      {"audit passed as string", [](json& d) { d["entries"][0]["audits"][0]["passed"] = "yes"; }},
      {"incomplete status", [](json& d) { d["entries"][0]["status"] = "running"; }},
      {"unknown field", [](json& d) { d["entries"][0]["speed"] = 3; }},
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
  json doc = Build();
  doc["entries"][0]["team"] = "</script><script>alert(1)</script><!--";
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
  json embedded = json::parse(html.substr(a, b - a));
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
}

json RankDoc(std::vector<json> entries) {
  json doc = {{"context", json::object()}, {"entries", entries}};
  return doc;
}

json RankInput(const char* name, const char* status, json metrics, json audits = json::array()) {
  return json{{"team", "t"},      {"name", name},      {"status", status},
              {"message", ""},    {"audits", audits},  {"gate_passed", nullptr},
              {"score", nullptr}, {"metrics", metrics}};
}

TEST(RankEntriesTest, LowerLatencyRanksFirstAndTiesShare) {
  auto rules = scoring::ParseRules(
      R"({"format_version": 1, "gate": {"enabled": false},)"
      R"( "ranking": {"primary": {"key": "latency_ms", "better": "lower"}, "tie_breaks": []}})",
      "test rules");
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  json doc = RankDoc(
      {RankInput("b", "ok", {{"latency_ms", 30.0}}), RankInput("a", "ok", {{"latency_ms", 10.0}}),
       RankInput("c", "ok", {{"latency_ms", 10.0}}), RankInput("d", "crashed", json::object()),
       RankInput(
           "e", "ok", {{"latency_ms", 1.0}},
           json::array(
               {{{"name", "consistency"}, {"passed", false}, {"detail", "frame 3 differs"}}}))});
  internal::RankEntries(doc, *rules);
  EXPECT_EQ(doc["context"]["ranking"]["primary"], "latency_ms");
  EXPECT_EQ(doc["context"]["ranking"]["order"], json::array({"asc"}));
  ASSERT_EQ(doc["entries"].size(), 5u);
  EXPECT_EQ(doc["entries"][0]["name"], "a");
  EXPECT_EQ(doc["entries"][0]["rank"], 1);
  EXPECT_EQ(doc["entries"][1]["name"], "c");
  EXPECT_EQ(doc["entries"][1]["rank"], 1);
  EXPECT_EQ(doc["entries"][2]["name"], "b");
  EXPECT_EQ(doc["entries"][2]["rank"], 3);
  EXPECT_EQ(doc["entries"][3]["name"], "d");
  EXPECT_EQ(doc["entries"][3]["unranked_reason"], "status crashed");
  EXPECT_EQ(doc["entries"][4]["unranked_reason"], "audit consistency failed: frame 3 differs");
}

TEST(RankEntriesTest, MissingRankingMetricIsAReason) {
  const scoring::Rules& rules = scoring::DefaultRules();
  json doc = RankDoc({RankInput("x", "ok", {{"mAP50", 0.9}, {"latency_ms", 3.0}})});
  internal::RankEntries(doc, rules);
  EXPECT_TRUE(doc["entries"][0]["rank"].is_null());
  EXPECT_NE(doc["entries"][0]["unranked_reason"].get<std::string>().find("speedup"),
            std::string::npos);
}

}  // namespace
}  // namespace maskbench::web_export
