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

#include "maskbench/datasets/synth.h"
#include "maskbench/web_export/store.h"

namespace maskbench::app {
namespace {

namespace fs = std::filesystem;

fs::path BuildDir() {
  const char* b = std::getenv("MASKBENCH_BUILD_DIR");
  return b ? fs::path(b) : fs::path(".");
}

std::string WriterLockHolder(const fs::path& db) { return web_export::WriterLock::Holder(db); }

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
      "format_version": 1, "name": "judge test", "split": "train",
      "latency": {"kind": "measured", "headline_percentile": 90},
      "gate": {"enabled": false, "metric": "mAP50", "min_ratio": 0.99, "reference": "reference-fp32"},
      "ranking": {"primary": {"key": "latency_ms", "better": "lower"},
                  "tie_breaks": [{"key": "mAP50", "better": "higher"}], "composite": null},
      "limits": {"per_frame_timeout_ms": 1500, "total_timeout_s": 60, "memory_mb": 1024,
                 "max_detections_per_frame": 100},
      "frames": {"warmup": 1, "min": 1}})";
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
            "--no-pin"};
  }
  static fs::path root_;
};
fs::path JudgeTest::root_;

TEST_F(JudgeTest, JudgesEverySubmissionWithItsStatusAndRanksTheGoodOnes) {
  const fs::path db = root_ / "full.sqlite";
  std::vector<std::string> args = JudgeArgs(db);
  args.push_back("--json");
  std::vector<std::string> with_reports = args;
  with_reports.insert(with_reports.end(), {"--reports", (root_ / "reports").string()});
  std::string out;
  ASSERT_EQ(Exec(with_reports, &out), 0) << out;
  nlohmann::json report = nlohmann::json::parse(out);
  // --reports: one report per run made, failed runs included.
  for (const char* folder : {"echo", "segfault"}) {
    const fs::path page = root_ / "reports" / folder / "report.html";
    EXPECT_TRUE(fs::exists(page)) << page;
    for (const auto& s : report["submissions"])
      if (s["folder"] == folder) EXPECT_EQ(s["report"], page.string());
  }
  std::ifstream echo_page(root_ / "reports" / "echo" / "report.html");
  const std::string echo_html((std::istreambuf_iterator<char>(echo_page)),
                              std::istreambuf_iterator<char>());
  EXPECT_NE(echo_html.find("echo"), std::string::npos);
  std::map<std::string, std::string> status;
  for (const auto& s : report["submissions"]) status[s["folder"]] = s["status"];
  EXPECT_EQ(status.size(), 7u) << out;  // not-a-submission is not one
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
  for (const auto& s : report["submissions"]) {
    EXPECT_TRUE(s["reused"].get<bool>()) << s.dump();
    EXPECT_TRUE(s["report"].is_null()) << "no --reports, and nothing was run";
  }

  const fs::path lb = root_ / "lb.json";
  ASSERT_EQ(Exec({(BuildDir() / "maskbench").string(), "leaderboard", "--db", db.string(), "--out",
                  lb.string()}),
            0);
  nlohmann::json doc = nlohmann::json::parse(std::ifstream(lb));
  std::map<std::string, nlohmann::json> entries;
  for (const auto& e : doc["entries"]) entries[e["name"]] = e;
  ASSERT_EQ(entries.size(), 7u);
  for (const char* good : {"echo", "noop", "sleep-10ms"}) {
    EXPECT_TRUE(entries[good]["rank"].is_number()) << entries[good].dump();
    EXPECT_EQ(entries[good]["audits"].size(), 2u);
  }
  // Every run was sealed, and the page's JSON says so.
  for (const auto& [name, e] : entries)
    EXPECT_EQ(e["seal"]["level"], "full") << name << ": " << e["seal"].dump();
  // The audits say how to reproduce them.
  EXPECT_NE(entries["echo"]["audits"][0]["detail"].get<std::string>().find("seed "),
            std::string::npos);
  // Ranked by latency, lower first: sleep-10ms is last of the three.
  EXPECT_GT(entries["sleep-10ms"]["rank"].get<int>(), entries["noop"]["rank"].get<int>());
  for (const char* bad : {"segfault", "hang", "wrong-abi", "nan-boxes"}) {
    EXPECT_TRUE(entries[bad]["rank"].is_null()) << bad;
    EXPECT_TRUE(entries[bad]["unranked_reason"].is_string()) << bad;
  }
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
  // alone takes the 1.5 s frame timeout).
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  kill(pid, SIGKILL);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  ASSERT_TRUE(WIFSIGNALED(wstatus))
      << "judge finished before the kill; the test needs a slower judge";

  ASSERT_EQ(Exec(args), 0);
  const auto resumed = Snapshot(db);
  EXPECT_EQ(resumed.size(), 7u);
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
  for (const auto& e : doc["entries"]) {
    if (e["name"] != "noop" && e["name"] != "echo") continue;
    EXPECT_EQ(e["seal"]["level"], "reduced") << e.dump();
    EXPECT_NE(e["seal"]["reason"].get<std::string>().find("disabled"), std::string::npos);
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

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
  for (const auto& sub : report["submissions"]) EXPECT_TRUE(sub["reused"].get<bool>()) << sub;
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
