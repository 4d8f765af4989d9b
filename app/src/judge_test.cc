// End-to-end tests of `maskbench judge` and `maskbench leaderboard`: the real
// executable, the real test plugins in <build>/submissions/testing, a real
// synthetic data set and a real SQLite file; one run killed with SIGKILL.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "maskbench/contest/store.h"
#include "maskbench/datasets/synth.h"

namespace maskbench::app {
namespace {

namespace fs = std::filesystem;

fs::path BuildDir() {
  const char* b = std::getenv("MASKBENCH_BUILD_DIR");
  return b ? fs::path(b) : fs::path(".");
}

std::string WriterLockHolder(const fs::path& db) { return contest::WriterLock::Holder(db); }

// Runs argv, returns the exit code; stdout into *out.
int Exec(const std::vector<std::string>& argv, std::string* out = nullptr) {
  std::string cmd;
  for (const auto& a : argv) cmd += "'" + a + "' ";
  cmd += "2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  int rc = pclose(p);
  if (out) *out = text;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Everything of the store but timings: submission -> "status|frames|detections|metric
// names|audits".
std::map<std::string, std::string> Snapshot(const fs::path& db) {
  std::map<std::string, std::string> snap;
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  const char* sql =
      "SELECT s.name, r.status, r.id FROM runs r JOIN submissions s ON s.id = r.submission_id "
      "ORDER BY s.name";
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::string name = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    std::string status = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    int64_t run = sqlite3_column_int64(st, 2);
    std::ostringstream line;
    line << status;
    auto scalar = [&](const std::string& q) {
      sqlite3_stmt* s2 = nullptr;
      sqlite3_prepare_v2(h, q.c_str(), -1, &s2, nullptr);
      std::string v;
      while (sqlite3_step(s2) == SQLITE_ROW) {
        const unsigned char* t = sqlite3_column_text(s2, 0);
        v += (t ? reinterpret_cast<const char*>(t) : "NULL") + std::string(",");
      }
      sqlite3_finalize(s2);
      return v;
    };
    line << "|frames "
         << scalar("SELECT COUNT(*) FROM frame_results WHERE run_id = " + std::to_string(run));
    line << "|dets "
         << scalar("SELECT detections FROM frame_results WHERE run_id = " + std::to_string(run) +
                   " ORDER BY frame_index");
    line << "|metrics "
         << scalar("SELECT name FROM metrics WHERE run_id = " + std::to_string(run) +
                   " ORDER BY name");
    line << "|mAP "
         << scalar("SELECT value FROM metrics WHERE name = 'mAP50' AND run_id = " +
                   std::to_string(run));
    line << "|audits "
         << scalar("SELECT name || '=' || passed FROM audits WHERE run_id = " +
                   std::to_string(run) + " ORDER BY name");
    EXPECT_EQ(snap.count(name), 0u) << "two runs of " << name;
    snap[name] = line.str();
  }
  sqlite3_finalize(st);
  sqlite3_close(h);
  return snap;
}

class JudgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("mb_judge_test_" + std::to_string(getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "subs");
    datasets::SynthOptions o;
    o.frames = 10;  // 8 train frames
    o.width = 320;
    o.height = 240;
    ASSERT_TRUE(datasets::SynthesizeDataset(root_ / "ds", o).ok());
    const fs::path testing = BuildDir() / "submissions" / "testing";
    for (const char* name :
         {"echo", "noop", "sleep-10ms", "segfault", "hang", "wrong-abi", "nan-boxes"}) {
      ASSERT_TRUE(fs::exists(testing / name)) << testing / name;
      fs::create_directory_symlink(testing / name, root_ / "subs" / name);
    }
    fs::create_directories(root_ / "subs" / "not-a-submission");  // no plugin: ignored
    std::ofstream(root_ / "rules.json") << R"({
      "format_version": 2, "name": "judge test", "split": "train", "headline_percentile": 90,
      "references": {"baseline": "reference-baseline", "gate": "reference-fp32"},
      "tracks": [
        {"name": "measured", "latency_kind": "measured",
         "primary": {"key": "latency_ms", "better": "lower"},
         "tie_breaks": [{"key": "mAP50", "better": "higher"}],
         "gate": {"enabled": false, "metric": "mAP50", "min_ratio": 0.99}},
        {"name": "modeled", "latency_kind": "modeled",
         "primary": {"key": "speedup", "better": "higher"},
         "gate": {"enabled": false, "metric": "mAP50", "min_ratio": 0.99}}],
      "limits": {"per_frame_timeout_ms": 5000, "total_timeout_s": 60, "memory_mb": 1024,
                 "max_detections_per_frame": 100},
      "frames": {"warmup": 1, "min": 1},
      "uncertainty": {"bootstrap_samples": 50, "seed": 1, "confidence": 0.95}})";
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  std::vector<std::string> JudgeArgs(const fs::path& db) {
    return {(BuildDir() / "maskbench").string(),
            "judge",
            "--submissions",
            (root_ / "subs").string(),
            "--dataset",
            (root_ / "ds").string(),
            "--db",
            db.string(),
            "--rules",
            (root_ / "rules.json").string(),
            "--audit-frames",
            "3",
            "--no-pin",
            "--no-noise-check"};
  }
  static fs::path root_;
};
fs::path JudgeTest::root_;

// Runs argv with stdout and stderr together into *text; returns the exit code.
int ExecAll(const std::vector<std::string>& argv, std::string* text) {
  std::string cmd;
  for (const auto& a : argv) cmd += "'" + a + "' ";
  FILE* p = popen((cmd + "2>&1").c_str(), "r");
  if (!p) return -1;
  text->clear();
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) text->append(buf, n);
  const int rc = pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The entries of one track of a leaderboard document, by team id.
std::map<std::string, nlohmann::json> TrackEntries(const nlohmann::json& doc,
                                                   const std::string& track) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& t : doc["tracks"])
    if (t["name"] == track)
      for (const auto& e : t["entries"]) out[e["team_id"].get<std::string>()] = e;
  return out;
}

int64_t CountRows(const fs::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  int64_t n = -1;
  if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

TEST_F(JudgeTest, JudgesEverySubmissionWithItsStatusAndRanksTheGoodOnes) {
  const fs::path db = root_ / "full.sqlite";
  std::vector<std::string> args = JudgeArgs(db);
  args.push_back("--json");
  std::vector<std::string> with_reports = args;
  with_reports.insert(with_reports.end(), {"--reports", (root_ / "page" / "reports").string()});
  std::string out;
  ASSERT_EQ(Exec(with_reports, &out), 0) << out;
  nlohmann::json report = nlohmann::json::parse(out);
  // --reports: one report per run made, failed runs included.
  for (const char* folder : {"echo", "segfault"}) {
    const fs::path page = root_ / "page" / "reports" / folder / "report.html";
    EXPECT_TRUE(fs::exists(page)) << page;
    for (const auto& s : report["entries"])
      if (s["folder"] == folder) EXPECT_EQ(s["report"], page.string());
  }
  std::ifstream echo_page(root_ / "page" / "reports" / "echo" / "report.html");
  const std::string echo_html((std::istreambuf_iterator<char>(echo_page)),
                              std::istreambuf_iterator<char>());
  EXPECT_NE(echo_html.find("echo"), std::string::npos);
  std::map<std::string, std::string> status;
  std::map<std::string, bool> reference;
  for (const auto& s : report["entries"]) {
    status[s["team_id"]] = s["status"];
    reference[s["team_id"]] = s["reference"];
  }
  // The folder has no references: the build's are judged first, as references.
  std::vector<std::string> order;
  for (const auto& s : report["entries"])
    if (s["status"] != "skipped") order.push_back(s["team_id"]);
  ASSERT_GE(order.size(), 2u) << out;
  EXPECT_EQ(order[0], "reference-baseline") << out;
  EXPECT_EQ(order[1], "reference-fp32") << out;
  EXPECT_TRUE(reference["reference-baseline"] && reference["reference-fp32"]);
  EXPECT_EQ(status.size(), 10u) << out;  // 2 references, 7 entries, not-a-submission skipped
  EXPECT_EQ(status["not-a-submission"], "skipped");
  EXPECT_EQ(status["reference-baseline"], "ok");
  EXPECT_EQ(status["reference-fp32"], "ok");
  EXPECT_EQ(status["echo"], "ok");
  EXPECT_EQ(status["noop"], "ok");
  EXPECT_EQ(status["sleep-10ms"], "ok");
  EXPECT_EQ(status["segfault"], "crashed");
  EXPECT_EQ(status["hang"], "timeout");
  EXPECT_EQ(status["wrong-abi"], "abi_mismatch");
  EXPECT_EQ(status["nan-boxes"], "invalid_output");

  // A second judge finds everything complete and runs nothing again.
  ASSERT_EQ(Exec(args, &out), 0);
  report = nlohmann::json::parse(out);
  for (const auto& s : report["entries"]) {
    if (s["status"] == "skipped") continue;
    EXPECT_TRUE(s["reused"].get<bool>()) << s.dump();
    EXPECT_TRUE(s["report"].is_null()) << "no --reports, and nothing was run";
  }

  const fs::path lb = root_ / "lb.json";
  ASSERT_EQ(Exec({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db.string(), "--out",
                  lb.string(), "--rules", (root_ / "rules.json").string()}),
            0);
  nlohmann::json doc = nlohmann::json::parse(std::ifstream(lb));
  // The page beside the judge's reports: written (twice) whole, the reports kept and linked.
  for (int round = 0; round < 2; ++round) {
    ASSERT_EQ(Exec({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db.string(),
                    "--out", lb.string(), "--rules", (root_ / "rules.json").string(), "--html",
                    (root_ / "page").string()}),
              0);
    EXPECT_TRUE(fs::exists(root_ / "page" / "index.html"));
    EXPECT_TRUE(fs::exists(root_ / "page" / "reports" / "echo" / "report.html")) << round;
    const nlohmann::json linked = nlohmann::json::parse(std::ifstream(lb));
    bool found = false;
    for (const auto& t : linked["tracks"])
      for (const auto& e : t["entries"])
        if (e["team_id"] == "echo") {
          found = true;
          EXPECT_EQ(e["report"], "reports/echo/report.html") << round;
        }
    EXPECT_TRUE(found);
  }
  ASSERT_EQ(doc["tracks"].size(), 2u);
  EXPECT_EQ(doc["tracks"][0]["latency_kind"], "measured");
  EXPECT_EQ(doc["tracks"][1]["latency_kind"], "modeled");
  auto measured = TrackEntries(doc, "measured");
  auto modeled = TrackEntries(doc, "modeled");
  ASSERT_EQ(measured.size(), 9u);
  for (const char* good : {"noop", "sleep-10ms"}) {
    EXPECT_TRUE(measured[good]["rank"].is_number()) << measured[good].dump();
    EXPECT_EQ(measured[good]["audits"].size(), 2u);
    EXPECT_TRUE(measured[good]["speedup"].is_number()) << measured[good].dump();
    EXPECT_EQ(modeled.count(good), 0u) << good << " reports no cycles: not in the modeled track";
  }
  // References are shown, flagged and never ranked.
  for (const char* ref : {"reference-baseline", "reference-fp32"}) {
    EXPECT_TRUE(measured[ref]["reference"].get<bool>()) << ref;
    EXPECT_TRUE(measured[ref]["rank"].is_null()) << ref;
  }
  // echo reports cycles: a hardware model, never ranked by its wall time, and
  // ranked by modeled latency in the modeled track (above the baseline's).
  EXPECT_TRUE(measured["echo"]["rank"].is_null()) << measured["echo"].dump();
  EXPECT_NE(measured["echo"]["unranked_reason"].get<std::string>().find("hardware model"),
            std::string::npos);
  ASSERT_EQ(modeled.count("echo"), 1u);
  EXPECT_EQ(modeled["echo"]["rank"], 1) << modeled["echo"].dump();
  EXPECT_GT(modeled["echo"]["speedup"].get<double>(), 1.0);
  EXPECT_EQ(modeled["echo"]["cycles"], "self-reported");
  EXPECT_TRUE(modeled["reference-baseline"]["rank"].is_null());
  EXPECT_DOUBLE_EQ(modeled["reference-baseline"]["speedup"].get<double>(), 1.0);
  // Every run was sealed, and the page's JSON says so.
  for (const auto& [name, e] : measured)
    EXPECT_EQ(e["seal"]["level"], "full") << name << ": " << e["seal"].dump();
  // The audits say how to reproduce them.
  EXPECT_NE(measured["noop"]["audits"][0]["detail"].get<std::string>().find("seed "),
            std::string::npos);
  // Ranked by latency, lower first: sleep-10ms after noop.
  EXPECT_GT(measured["sleep-10ms"]["rank"].get<int>(), measured["noop"]["rank"].get<int>());
  for (const char* bad : {"segfault", "hang", "wrong-abi", "nan-boxes"}) {
    EXPECT_TRUE(measured[bad]["rank"].is_null()) << bad;
    EXPECT_TRUE(measured[bad]["unranked_reason"].is_string()) << bad;
  }
  // Intervals: bootstrap over frames, the value inside its interval.
  const auto& ci = measured["noop"]["intervals"]["latency_ms"];
  ASSERT_TRUE(ci.is_array()) << measured["noop"].dump();
  EXPECT_LE(ci[0].get<double>(), measured["noop"]["latency_ms"].get<double>());
  EXPECT_GE(ci[1].get<double>(), measured["noop"]["latency_ms"].get<double>());

  // Re-ranking under other rules (mAP50 first) adds no run and re-orders.
  const int64_t runs_before = CountRows(db, "SELECT COUNT(*) FROM runs");
  std::ifstream rules_in(root_ / "rules.json");
  nlohmann::json rules = nlohmann::json::parse(rules_in);
  rules["tracks"][0]["primary"] = {{"key", "latency_ms"}, {"better", "higher"}};
  std::ofstream(root_ / "slowest-first.json") << rules.dump();
  const fs::path lb2 = root_ / "lb2.json";
  ASSERT_EQ(Exec({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db.string(), "--out",
                  lb2.string(), "--rules", (root_ / "slowest-first.json").string()}),
            0);
  auto reranked = TrackEntries(nlohmann::json::parse(std::ifstream(lb2)), "measured");
  EXPECT_LT(reranked["sleep-10ms"]["rank"].get<int>(), reranked["noop"]["rank"].get<int>());
  EXPECT_EQ(CountRows(db, "SELECT COUNT(*) FROM runs"), runs_before);

  // An outside score inside a composite: presentation + 1 / latency.
  std::ofstream(root_ / "presentation.csv")
      << "team_id,metric,value\nnoop,presentation,0\nsleep-10ms,presentation,10000000\n";
  rules = nlohmann::json::parse(std::ifstream(root_ / "rules.json"));
  rules["outside_scores"] = {"presentation"};
  rules["tracks"][0]["composite"] = "presentation + 1 / latency_ms";
  rules["tracks"][0]["primary"] = {{"key", "composite"}, {"better", "higher"}};
  std::ofstream(root_ / "composite.json") << rules.dump();
  std::string text;
  ASSERT_EQ(ExecAll({(BuildDir() / "maskbench").string(), "scores", "import", "--db", db.string(),
                     "--rules", (root_ / "composite.json").string(),
                     (root_ / "presentation.csv").string()},
                    &text),
            0)
      << text;
  ASSERT_EQ(Exec({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db.string(), "--out",
                  lb2.string(), "--rules", (root_ / "composite.json").string()}),
            0);
  auto composite = TrackEntries(nlohmann::json::parse(std::ifstream(lb2)), "measured");
  EXPECT_EQ(composite["sleep-10ms"]["rank"], 1) << composite["sleep-10ms"].dump();
  EXPECT_GT(composite["sleep-10ms"]["score"].get<double>(), 1e7);
  EXPECT_EQ(composite["sleep-10ms"]["outside_scores"]["presentation"], 1e7);
  EXPECT_EQ(CountRows(db, "SELECT COUNT(*) FROM runs"), runs_before);
  // A score for a metric the rules do not list is refused, naming it.
  std::ofstream(root_ / "bad.csv") << "team_id,metric,value\nnoop,charisma,3\n";
  EXPECT_NE(ExecAll({(BuildDir() / "maskbench").string(), "scores", "import", "--db", db.string(),
                     "--rules", (root_ / "composite.json").string(), (root_ / "bad.csv").string()},
                    &text),
            0);
  EXPECT_NE(text.find("charisma"), std::string::npos) << text;

  // `run` gives the same accuracy as the judge for the same submission, data
  // set and machine, and latency of the same kind: the parent's round trip of
  // a plugin that sleeps 10 ms is at least 10 ms in both (no upper bound: a
  // busy host may add any delay, and timing is for benchmarks, not tests).
  ASSERT_EQ(
      Exec({(BuildDir() / "maskbench").string(), "run", (root_ / "subs" / "sleep-10ms").string(),
            "--dataset", (root_ / "ds").string(), "--rules", (root_ / "rules.json").string(),
            "--db", (root_ / "run.sqlite").string(), "--json"},
           &out),
      0);
  nlohmann::json run = nlohmann::json::parse(out);
  for (const char* k : {"mAP50", "AP", "violation_recall", "violation_precision"})
    EXPECT_EQ(run["accuracy"][k], measured["sleep-10ms"]["accuracy"][k]) << k;
  EXPECT_EQ(run["frames"], measured["sleep-10ms"]["frames"]);
  ASSERT_TRUE(run["tracks"][0]["latency_ms"].is_number()) << out;
  ASSERT_TRUE(run["speedup"].is_number()) << out;
  EXPECT_EQ(run["tracks"][0]["latency_kind"], "measured");
  EXPECT_GE(run["tracks"][0]["latency_ms"].get<double>(), 10.0) << out;
  EXPECT_GE(measured["sleep-10ms"]["latency_ms"].get<double>(), 10.0);
}

TEST_F(JudgeTest, ASmokeJudgeIsPartialAndTheFullJudgeIsMeasuredAndShown) {
  const fs::path db = root_ / "smoke.sqlite";
  std::vector<std::string> smoke = JudgeArgs(db);
  smoke.insert(smoke.end(), {"--frames", "5", "--json"});
  std::string out;
  ASSERT_EQ(Exec(smoke, &out), 0) << out;
  const nlohmann::json smoke_doc = nlohmann::json::parse(out);
  for (const auto& e : smoke_doc["entries"])
    if (e["status"] != "skipped") EXPECT_TRUE(e["partial"].get<bool>()) << e.dump();
  std::vector<std::string> full = JudgeArgs(db);
  full.push_back("--json");
  ASSERT_EQ(Exec(full, &out), 0) << out;
  const nlohmann::json full_doc = nlohmann::json::parse(out);
  for (const auto& e : full_doc["entries"]) {
    if (e["status"] == "skipped") continue;
    EXPECT_FALSE(e["reused"].get<bool>()) << "the smoke run is not the judgement: " << e.dump();
    EXPECT_FALSE(e["partial"].get<bool>()) << e.dump();
  }
  const fs::path lb = root_ / "smoke.json";
  ASSERT_EQ(Exec({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db.string(), "--out",
                  lb.string(), "--rules", (root_ / "rules.json").string()}),
            0);
  for (const auto& [team, e] : TrackEntries(nlohmann::json::parse(std::ifstream(lb)), "measured")) {
    EXPECT_FALSE(e["partial"].get<bool>()) << team;
    EXPECT_EQ(e["frame_selection"], "all") << team;
  }
  // Asked for, the partial runs are not shown when a full one exists; a smoke
  // judge alone shows its partial runs, never ranked.
  const fs::path db2 = root_ / "smoke-only.sqlite";
  smoke = JudgeArgs(db2);
  smoke.insert(smoke.end(), {"--frames", "5"});
  ASSERT_EQ(Exec(smoke), 0);
  ASSERT_EQ(Exec({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db2.string(), "--out",
                  lb.string(), "--rules", (root_ / "rules.json").string(), "--include-partial"}),
            0);
  auto partial = TrackEntries(nlohmann::json::parse(std::ifstream(lb)), "measured");
  ASSERT_EQ(partial.count("noop"), 1u);
  EXPECT_TRUE(partial["noop"]["partial"].get<bool>());
  EXPECT_TRUE(partial["noop"]["rank"].is_null());
  EXPECT_NE(partial["noop"]["unranked_reason"].get<std::string>().find("partial"),
            std::string::npos);
}

TEST_F(JudgeTest, TheTemplateIsRefusedAndDuplicateClaimsAreJudgedApart) {
  const fs::path subs = root_ / "claims";
  fs::create_directories(subs);
  const fs::path tmpl = BuildDir() / "submissions" / "template";
  for (const char* team : {"team-a", "team-b"}) {
    fs::create_directories(subs / team);
    fs::copy_file(tmpl / "libmy_accelerator.so", subs / team / "libmy_accelerator.so",
                  fs::copy_options::overwrite_existing);
  }
  // team-a kept the template's identity; team-b and team-c claim the same one.
  fs::copy_file(tmpl / "submission.json", subs / "team-a" / "submission.json",
                fs::copy_options::overwrite_existing);
  std::ofstream(subs / "team-b" / "submission.json")
      << R"({"name": "fast-net", "team": "the-fast-ones", "version": "1"})";
  fs::create_directories(subs / "team-c");
  fs::copy_file(BuildDir() / "submissions/testing/noop/libnoop.so", subs / "team-c" / "libnoop.so",
                fs::copy_options::overwrite_existing);
  std::ofstream(subs / "team-c" / "submission.json")
      << R"({"name": "fast-net", "team": "the-fast-ones", "version": "1"})";
  const fs::path db = root_ / "claims.sqlite";
  std::vector<std::string> args = JudgeArgs(db);
  args[3] = subs.string();
  std::string text;
  ASSERT_EQ(ExecAll(args, &text), 0) << text;
  EXPECT_NE(text.find("unchanged template"), std::string::npos) << text;
  EXPECT_NE(text.find("WARNING: claims the same team and name"), std::string::npos) << text;
  const fs::path lb = root_ / "claims.json";
  ASSERT_EQ(Exec({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db.string(), "--out",
                  lb.string(), "--rules", (root_ / "rules.json").string()}),
            0);
  auto entries = TrackEntries(nlohmann::json::parse(std::ifstream(lb)), "measured");
  EXPECT_EQ(entries.count("team-a"), 0u) << "the template is refused";
  ASSERT_EQ(entries.count("team-b"), 1u);
  ASSERT_EQ(entries.count("team-c"), 1u);
  EXPECT_EQ(entries["team-b"]["display_name"], "fast-net");
  EXPECT_EQ(entries["team-c"]["display_name"], "fast-net");
}

TEST_F(JudgeTest, TheModeledTrackRanksTheNpuByModeledLatencyAndLeavesOutMeasuredOnly) {
  const fs::path subs = root_ / "hardware";
  fs::create_directories(subs);
  for (const char* name : {"int8-fast", "systolic-16x16"})
    fs::create_directory_symlink(BuildDir() / "submissions" / name, subs / name);
  const fs::path db = root_ / "hardware.sqlite";
  std::vector<std::string> args = JudgeArgs(db);
  args[3] = subs.string();
  std::string text;
  ASSERT_EQ(ExecAll(args, &text), 0) << text;
  const fs::path lb = root_ / "hardware.json";
  ASSERT_EQ(Exec({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db.string(), "--out",
                  lb.string(), "--rules", (root_ / "rules.json").string()}),
            0);
  const nlohmann::json doc = nlohmann::json::parse(std::ifstream(lb));
  auto modeled = TrackEntries(doc, "modeled");
  auto measured = TrackEntries(doc, "measured");
  ASSERT_EQ(modeled.count("systolic-16x16"), 1u) << doc.dump();
  EXPECT_EQ(modeled.count("int8-fast"), 0u) << "measured only: not in the modeled track";
  EXPECT_EQ(modeled["systolic-16x16"]["rank"], 1) << modeled["systolic-16x16"].dump();
  EXPECT_EQ(modeled["systolic-16x16"]["cycles"], "self-reported");
  // Ranked above the baseline by modeled latency (the baseline's is its own).
  EXPECT_LT(modeled["systolic-16x16"]["latency_ms"].get<double>(),
            modeled["reference-baseline"]["latency_ms"].get<double>());
  EXPECT_NEAR(modeled["systolic-16x16"]["speedup"].get<double>(),
              modeled["reference-baseline"]["latency_ms"].get<double>() /
                  modeled["systolic-16x16"]["latency_ms"].get<double>(),
              1e-9 * modeled["systolic-16x16"]["speedup"].get<double>());
  EXPECT_DOUBLE_EQ(modeled["systolic-16x16"]["latency_ms"].get<double>(),
                   modeled["systolic-16x16"]["modeled_latency_ms"].get<double>());
  // In the measured track the NPU's simulator wall time never ranks it.
  EXPECT_TRUE(measured["systolic-16x16"]["rank"].is_null());
  EXPECT_NE(measured["systolic-16x16"]["unranked_reason"].get<std::string>().find("hardware model"),
            std::string::npos);
  EXPECT_EQ(measured["int8-fast"]["rank"], 1) << measured["int8-fast"].dump();
  // Unless the rules ask for it.
  nlohmann::json rules = nlohmann::json::parse(std::ifstream(root_ / "rules.json"));
  rules["tracks"][0]["rank_hardware_models_by_wall_time"] = true;
  std::ofstream(root_ / "wall-time.json") << rules.dump();
  ASSERT_EQ(ExecAll({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db.string(),
                     "--out", lb.string(), "--rules", (root_ / "wall-time.json").string()},
                    &text),
            0)
      << text;
  measured = TrackEntries(nlohmann::json::parse(std::ifstream(lb)), "measured");
  EXPECT_TRUE(measured["systolic-16x16"]["rank"].is_number()) << measured["systolic-16x16"].dump();
}

TEST_F(JudgeTest, KilledMidRunThenResumedGivesTheSameResults) {
  const fs::path reference_db = root_ / "uninterrupted.sqlite";
  ASSERT_EQ(Exec(JudgeArgs(reference_db)), 0);

  const fs::path db = root_ / "killed.sqlite";
  std::vector<std::string> args = JudgeArgs(db);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  // Kill once some runs are committed and another is under way (the hang plugin
  // alone takes the 5 s frame timeout).
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  kill(pid, SIGKILL);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  ASSERT_TRUE(WIFSIGNALED(wstatus))
      << "judge finished before the kill; the test needs a slower judge";

  ASSERT_EQ(Exec(args), 0);
  const auto resumed = Snapshot(db);
  EXPECT_EQ(resumed.size(), 9u);  // 7 entries and the 2 references
  EXPECT_EQ(resumed, Snapshot(reference_db));
}

TEST_F(JudgeTest, RefusesToJudgeUnsealedUnlessAllowedAndRecordsTheReducedSeal) {
  // No bubblewrap: the full seal cannot be made.
  const fs::path db = root_ / "unsealed.sqlite";
  std::vector<std::string> args = JudgeArgs(db);
  args.insert(args.begin(), {"env", "MASKBENCH_BWRAP=none"});
  std::string cmd;
  for (const auto& a : args) cmd += "'" + a + "' ";
  FILE* p = popen((cmd + "2>&1").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  const int rc = pclose(p);
  EXPECT_NE(WEXITSTATUS(rc), 0) << text;
  EXPECT_NE(text.find("full seal cannot be made"), std::string::npos) << text;
  EXPECT_NE(text.find("--allow-unsealed"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(db)) << "nothing is written when the judge refuses";

  args.push_back("--allow-unsealed");
  ASSERT_EQ(Exec(args), 0);
  const fs::path lb = root_ / "unsealed.json";
  ASSERT_EQ(Exec({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db.string(), "--out",
                  lb.string()}),
            0);
  nlohmann::json doc = nlohmann::json::parse(std::ifstream(lb));
  int checked = 0;
  for (const auto& e : doc["tracks"][0]["entries"]) {
    if (e["team_id"] != "noop" && e["team_id"] != "echo") continue;
    EXPECT_EQ(e["seal"]["level"], "reduced") << e.dump();
    EXPECT_NE(e["seal"]["reason"].get<std::string>().find("disabled"), std::string::npos);
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

pid_t Spawn(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<char*> argv;
    for (auto a : args) argv.push_back(strdup(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

TEST_F(JudgeTest, ASecondJudgeOnTheSameFileIsRefusedOrWaits) {
  const fs::path db = root_ / "two.sqlite";
  const pid_t first = Spawn(JudgeArgs(db));
  // Wait until the first holds the lock.
  for (int i = 0; i < 500 && WriterLockHolder(db).empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_FALSE(WriterLockHolder(db).empty()) << "the first judge never took the lock";
  std::string text;
  EXPECT_NE(ExecAll(JudgeArgs(db), &text), 0) << text;
  EXPECT_NE(text.find("in use by another judge"), std::string::npos) << text;
  EXPECT_NE(text.find("pid " + std::to_string(first)), std::string::npos) << text;
  // With --wait it waits for the first, then finds everything judged.
  std::vector<std::string> waiting = JudgeArgs(db);
  waiting.insert(waiting.end(), {"--wait", "--json"});
  std::string out;
  ASSERT_EQ(Exec(waiting, &out), 0);
  int status = 0;
  waitpid(first, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  nlohmann::json report = nlohmann::json::parse(out);
  for (const auto& sub : report["entries"])
    if (sub["status"] != "skipped") EXPECT_TRUE(sub["reused"].get<bool>()) << sub;
  // No run was started twice, and the first's timings are a lone judge's.
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, "SELECT max(attempts) FROM runs", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 1);
  sqlite3_finalize(st);
  sqlite3_prepare_v2(h,
                     "SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id JOIN "
                     "submissions s ON s.id = r.submission_id WHERE s.name = 'sleep-10ms' AND "
                     "m.name = 'latency_p50_ms'",
                     -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  const double p50 = sqlite3_column_double(st, 0);
  EXPECT_GT(p50, 9.9);
  EXPECT_LT(p50, 15.0) << "a second judge on the same CPU would have doubled it";
  sqlite3_finalize(st);
  sqlite3_close(h);
}

TEST_F(JudgeTest, ADamagedDatabaseIsRefusedByJudgeAndLeaderboard) {
  const fs::path db = root_ / "damaged.sqlite";
  ASSERT_EQ(Exec(JudgeArgs(db)), 0);
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(db) / 2));
    const std::string junk(4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  std::ifstream before_in(db, std::ios::binary);
  const std::string before((std::istreambuf_iterator<char>(before_in)), {});
  std::string text;
  EXPECT_NE(ExecAll(JudgeArgs(db), &text), 0) << text;
  EXPECT_NE(text.find("damaged"), std::string::npos) << text;
  const fs::path lb = root_ / "damaged.json";
  EXPECT_NE(ExecAll({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db.string(),
                     "--out", lb.string()},
                    &text),
            0)
      << text;
  EXPECT_NE(text.find("damaged"), std::string::npos) << text;
  EXPECT_FALSE(fs::exists(lb));
  std::ifstream after_in(db, std::ios::binary);
  const std::string after((std::istreambuf_iterator<char>(after_in)), {});
  EXPECT_EQ(before, after) << "nothing written into a damaged database";
}

TEST_F(JudgeTest, ExportsOnAFullDiskSayDiskFullAndLeaveNothingHalfWritten) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (a private tmpfs in its own mount namespace)";
  std::string text;
  if (ExecAll({"unshare", "-m", "true"}, &text) != 0) GTEST_SKIP() << "no unshare -m: " << text;
  const fs::path db = root_ / "full.sqlite";
  ASSERT_EQ(Exec(JudgeArgs(db)), 0);
  const fs::path small = root_ / "small-disk";
  fs::create_directories(small);
  // A 64 KiB file system: the page (~100 KiB of assets) cannot fit.
  const std::string mb = (BuildDir() / "maskbench").string();
  const std::string script = "mount -t tmpfs -o size=64k tmpfs '" + small.string() + "' && '" + mb +
                             "' leaderboard --db '" + db.string() + "' --out '" +
                             (small / "lb.json").string() + "' --html '" +
                             (small / "web").string() + "'; rc=$?; echo LISTING; ls -A '" +
                             small.string() + "'; exit $rc";
  const int rc = ExecAll({"unshare", "-m", "sh", "-c", script}, &text);
  EXPECT_NE(rc, 0) << text;
  EXPECT_NE(text.find("disk full"), std::string::npos) << text;
  const std::string listing = text.substr(text.find("LISTING") + 7);
  EXPECT_EQ(listing.find(".tmp"), std::string::npos) << "temporaries left behind:" << listing;
  EXPECT_EQ(listing.find("web"), std::string::npos) << "a half page:" << listing;
}

}  // namespace
}  // namespace maskbench::app
