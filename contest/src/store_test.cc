#include "maskbench/contest/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <string>
#include <thread>

#include "maskbench/contest/rules.h"
#include "maskbench/core/files.h"
#include "test_fixture.h"

namespace maskbench::contest {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mb_contest_store_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// Every stored row that is not a timing (or a row's timestamp), as text, in a fixed order.
std::string DumpRows(const fs::path& db_path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  const char* queries[] = {
      "SELECT id, name, team, version, artifact_sha256, abi_version, latency_kind, kind "
      "FROM submissions ORDER BY id",
      "SELECT id, manifest_sha256, name, split, frames FROM datasets ORDER BY id",
      "SELECT id, fingerprint, cpu_model, cores, node_class FROM machines ORDER BY id",
      "SELECT id, sha256, json FROM rules ORDER BY id",
      "SELECT team_id, display_name, submission_id, reference, folder, track FROM entries "
      "ORDER BY team_id",
      "SELECT id, submission_id, dataset_id, machine_id, frame_selection, scenario, warmup, "
      "harness_version, trial, rules_sha256, status, message, finished_at IS NOT NULL, partial, "
      "requested_settings, effective_settings, seal, pr_curves_metric FROM runs ORDER BY id",
      "SELECT run_id, frame_index, frame_id, latency_ns, round_trip_ns, detections, child_ns, "
      "cycles, hex(boxes) FROM frame_results ORDER BY run_id, frame_index",
      "SELECT * FROM metrics ORDER BY run_id, name",
      "SELECT * FROM audits ORDER BY run_id, name",
      "SELECT * FROM pr_curves ORDER BY run_id, class_id, point_index",
      "SELECT team_id, metric, value, source FROM outside_scores ORDER BY team_id, metric",
  };
  std::string out;
  for (const char* q : queries) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, q, -1, &st, nullptr), SQLITE_OK) << q;
    out += std::string("## ") + q + "\n";
    while (sqlite3_step(st) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(st); ++c) {
        const unsigned char* t = sqlite3_column_text(st, c);
        out += (t ? reinterpret_cast<const char*>(t) : "NULL");
        out += '|';
      }
      out += '\n';
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

int64_t CountRows(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
  int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

std::string QueryText(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
  std::string out = "<no row>";
  if (sqlite3_step(st) == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(st, 0);
    out = t ? reinterpret_cast<const char*>(t) : "NULL";
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

bool HasColumn(const fs::path& db_path, const std::string& table, const std::string& column) {
  return CountRows(db_path, "SELECT count(*) FROM pragma_table_info('" + table +
                                "') WHERE name = '" + column + "'") == 1;
}

TEST_F(StoreTest, CreatesVersionedWalSchema) {
  fs::path path = dir_ / "results.sqlite";
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().message();
    EXPECT_EQ(*(*store)->SchemaVersion(), kStoreSchemaVersion);
    EXPECT_EQ(kStoreSchemaVersion, 3);
    EXPECT_FALSE((*store)->holds_writer_lock());
    EXPECT_TRUE((*store)->QuickCheck().ok());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(CountRows(path, "PRAGMA user_version"), 3);
  for (const char* table :
       {"submissions", "datasets", "machines", "rules", "runs", "frame_results", "metrics",
        "audits", "pr_curves", "entries", "outside_scores", "run_summary", "runs_by_finish"}) {
    EXPECT_EQ(CountRows(path, std::string("SELECT count(*) FROM sqlite_schema WHERE name = '") +
                                  table + "'"),
              1)
        << table;
  }
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'runs_v3'"), 0);
  // The v3 run key and frame facts.
  for (const char* column : {"frame_selection", "scenario", "warmup", "harness_version", "trial",
                             "rules_sha256", "partial", "seal", "pr_curves_metric"})
    EXPECT_TRUE(HasColumn(path, "runs", column)) << column;
  EXPECT_FALSE(HasColumn(path, "runs", "rules_id"));
  for (const char* column : {"latency_ns", "round_trip_ns", "child_ns", "cycles", "boxes"})
    EXPECT_TRUE(HasColumn(path, "frame_results", column)) << column;
  EXPECT_TRUE(HasColumn(path, "submissions", "kind"));
  EXPECT_TRUE(HasColumn(path, "datasets", "frames"));
  EXPECT_TRUE(HasColumn(path, "machines", "node_class"));
  // The summary view works on an empty file.
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM run_summary"), 0);
  // Reopening an up-to-date file changes nothing.
  auto again = Store::Open(path);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(*(*again)->SchemaVersion(), kStoreSchemaVersion);
  EXPECT_EQ(static_cast<int>(internal::MigrationSteps().size()), kStoreSchemaVersion);
}

TEST_F(StoreTest, AVersionOneFileMigratesKeepingItsRuns) {
  fs::path path = dir_ / "v1.sqlite";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  const std::string v1 = internal::MigrationSteps()[0] +
                         "INSERT INTO submissions VALUES (1, 'old', 't', '1', 'abc', '1.0.0', "
                         "'measured');"
                         "INSERT INTO datasets VALUES (1, 'ds', 'n', 'val');"
                         "INSERT INTO machines VALUES (1, 'fp', 'cpu', 2);"
                         "INSERT INTO rules VALUES (1, 'r', '{}');"
                         "INSERT INTO runs (id, submission_id, dataset_id, rules_id, machine_id, "
                         "harness_version, status, started_at, finished_at) VALUES (1, 1, 1, 1, 1, "
                         "'0.1.0', 'ok', 'a', 'b');"
                         "PRAGMA user_version = 1;";
  ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().message();
  EXPECT_EQ(*(*store)->SchemaVersion(), kStoreSchemaVersion);
  auto runs = (*store)->ListRuns({});
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].submission.name, "old");
  EXPECT_EQ((*runs)[0].seal_json, "{}");
  EXPECT_EQ((*runs)[0].rules_sha256, "r");
  EXPECT_EQ((*runs)[0].key.frame_selection, "all");
}

// A real version-2 file: the v1 -> v2 steps on a fresh file, then rows in v2 shape.
void WriteVersionTwoFile(const fs::path& path) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string sql = "BEGIN;" + internal::MigrationSteps()[0] + internal::MigrationSteps()[1];
  sql +=
      "INSERT INTO submissions VALUES (1, 'quick', 'Team Q', '2', 'aaa', '1.0.0', 'measured');"
      "INSERT INTO submissions VALUES (2, 'reference-fp32', 'organisers', '1', 'bbb', '1.0.0', "
      "'measured');"
      "INSERT INTO datasets VALUES (1, 'mmm', 'facemask', 'val');"
      "INSERT INTO machines VALUES (1, 'fp-old', 'Old CPU', 4);"
      "INSERT INTO rules VALUES (1, 'r1', '{\"format_version\": 1}');"
      "INSERT INTO rules VALUES (2, 'r2', '{\"format_version\": 1, \"split\": \"val\"}');"
      // Run 1 and run 2 differ only in the rules, which are no longer part of the
      // key: the one finished last (run 2) is kept, with its child rows.
      "INSERT INTO runs (id, submission_id, dataset_id, rules_id, machine_id, harness_version, "
      "status, message, started_at, finished_at, attempts, requested_settings, "
      "effective_settings, seal) VALUES (1, 1, 1, 1, 1, '0.1.0', 'ok', '', "
      "'2025-01-01T00:00:00.000Z', '2025-01-01T00:01:00.000Z', 1, '{\"max_frames\": 50}', "
      "'{\"scenario\": \"single-stream\", \"warmup_frames\": 3}', '{\"level\": \"old\"}');"
      "INSERT INTO runs (id, submission_id, dataset_id, rules_id, machine_id, harness_version, "
      "status, message, started_at, finished_at, attempts, requested_settings, "
      "effective_settings, seal) VALUES (2, 1, 1, 2, 1, '0.1.0', 'ok', '', "
      "'2025-01-02T00:00:00.000Z', '2025-01-02T00:01:00.000Z', 2, '{\"max_frames\": 50}', "
      "'{\"scenario\": \"single-stream\", \"warmup_frames\": 3}', '{\"level\": \"full\"}');"
      // The reference: every frame, a crash, no settings recorded.
      "INSERT INTO runs (id, submission_id, dataset_id, rules_id, machine_id, harness_version, "
      "status, message, started_at, finished_at) VALUES (3, 2, 1, 2, 1, '0.1.0', 'crashed', "
      "'signal 11', '2025-01-03T00:00:00.000Z', '2025-01-03T00:01:00.000Z');"
      "INSERT INTO frame_results VALUES (1, 0, 'f-old', 5, 6, 1);"
      "INSERT INTO frame_results VALUES (2, 0, '7', 1000, 1100, 2);"
      "INSERT INTO frame_results VALUES (2, 1, '8', NULL, 1200, 0);"
      "INSERT INTO metrics VALUES (1, 'mAP50', 0.1);"
      "INSERT INTO metrics VALUES (2, 'mAP50', 0.75);"
      "INSERT INTO metrics VALUES (2, 'latency_p90_ms', 1.25);"
      "INSERT INTO audits VALUES (2, 'consistency', 1, 'identical');"
      "INSERT INTO pr_curves VALUES (1, 0, 'with_mask', 0, 0.0, 0.5);"
      "INSERT INTO pr_curves VALUES (2, 0, 'with_mask', 0, 0.0, 1.0);"
      "INSERT INTO pr_curves VALUES (2, 0, 'with_mask', 1, 1.0, 0.25);"
      "PRAGMA user_version = 2;"
      "COMMIT;";
  char* err = nullptr;
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_close(db);
}

TEST_F(StoreTest, AVersionTwoFileMigratesKeepingItsRuns) {
  fs::path path = dir_ / "v2.sqlite";
  WriteVersionTwoFile(path);
  ASSERT_EQ(CountRows(path, "PRAGMA user_version"), 2);
  ASSERT_TRUE(HasColumn(path, "runs", "seal"));
  ASSERT_TRUE(HasColumn(path, "runs", "rules_id"));
  auto opened = Store::Open(path, StoreOptions{.writer_lock = true});
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  Store& store = **opened;
  EXPECT_EQ(*store.SchemaVersion(), 3);

  RunFilter all;
  all.complete_only = false;
  auto runs = store.ListRuns(all);
  ASSERT_TRUE(runs.ok()) << runs.status().message();
  ASSERT_EQ(runs->size(), 2u);
  // Most recently finished first: the reference's crash, then the kept run 2.
  const StoredRun& crash = (*runs)[0];
  EXPECT_EQ(crash.id, 3);
  EXPECT_EQ(crash.submission.name, "reference-fp32");
  EXPECT_EQ(crash.submission.kind, "plugin");
  EXPECT_EQ(crash.status, "crashed");
  EXPECT_EQ(crash.message, "signal 11");
  EXPECT_EQ(crash.key.frame_selection, "all");
  EXPECT_EQ(crash.key.scenario, "single-stream");
  EXPECT_EQ(crash.key.warmup, 0);
  EXPECT_EQ(crash.key.trial, 0);
  EXPECT_FALSE(crash.partial);
  EXPECT_EQ(crash.seal_json, "{}");
  EXPECT_EQ(crash.rules_sha256, "r2");
  const StoredRun& kept = (*runs)[1];
  EXPECT_EQ(kept.id, 2);
  EXPECT_EQ(kept.submission.name, "quick");
  EXPECT_EQ(kept.submission.team, "Team Q");
  EXPECT_EQ(kept.submission.artifact_sha256, "aaa");
  EXPECT_EQ(kept.dataset.manifest_sha256, "mmm");
  EXPECT_EQ(kept.dataset.split, "val");
  EXPECT_EQ(kept.dataset.frames, 0);
  EXPECT_EQ(kept.machine.fingerprint, "fp-old");
  EXPECT_EQ(kept.machine.cores, 4);
  EXPECT_EQ(kept.machine.node_class, "");
  EXPECT_EQ(kept.key.submission_id, 1);
  EXPECT_EQ(kept.key.dataset_id, 1);
  EXPECT_EQ(kept.key.machine_id, 1);
  EXPECT_EQ(kept.key.harness_version, "0.1.0");
  EXPECT_EQ(kept.key.frame_selection, "first:50");  // from max_frames
  EXPECT_TRUE(kept.partial);
  EXPECT_EQ(kept.key.scenario, "single-stream");
  EXPECT_EQ(kept.key.warmup, 3);  // from warmup_frames
  EXPECT_EQ(kept.rules_sha256, "r2");
  EXPECT_EQ(kept.seal_json, "{\"level\": \"full\"}");
  EXPECT_EQ(kept.attempts, 2);
  EXPECT_EQ(kept.started_at, "2025-01-02T00:00:00.000Z");
  EXPECT_EQ(kept.finished_at, "2025-01-02T00:01:00.000Z");
  EXPECT_EQ(kept.requested_settings_json, "{\"max_frames\": 50}");
  ASSERT_EQ(kept.metrics.size(), 2u);
  EXPECT_EQ(kept.metrics.at("mAP50"), 0.75);
  EXPECT_EQ(kept.metrics.at("latency_p90_ms"), 1.25);
  ASSERT_EQ(kept.audits.size(), 1u);
  EXPECT_EQ(kept.audits[0].name, "consistency");
  EXPECT_TRUE(kept.audits[0].passed);
  // Its frames, in v3 shape (no runner timing, cycles or boxes before v3).
  auto frames = store.LoadFrames(2);
  ASSERT_TRUE(frames.ok()) << frames.status().message();
  ASSERT_EQ(frames->size(), 2u);
  EXPECT_EQ((*frames)[0].frame_id, 7);
  EXPECT_EQ((*frames)[0].latency_ns, std::optional<int64_t>(1000));
  EXPECT_EQ((*frames)[0].round_trip_ns, std::optional<int64_t>(1100));
  EXPECT_FALSE((*frames)[0].child_ns.has_value());
  EXPECT_FALSE((*frames)[0].cycles.has_value());
  EXPECT_TRUE((*frames)[0].detections.empty());
  EXPECT_EQ((*frames)[1].frame_id, 8);
  EXPECT_FALSE((*frames)[1].latency_ns.has_value());
  auto curves = store.LoadPrCurves(2);
  ASSERT_TRUE(curves.ok());
  ASSERT_EQ(curves->size(), 1u);
  EXPECT_EQ((*curves)[0].points.size(), 2u);
  // The dropped duplicate's child rows went with it.
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM frame_results WHERE run_id = 1"), 0);
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM metrics WHERE run_id = 1"), 0);
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM pr_curves WHERE run_id = 1"), 0);
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM runs"), 2);
  // Entries named after the submissions; the fp32 reference is one.
  auto entries = store.ListEntries();
  ASSERT_TRUE(entries.ok()) << entries.status().message();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].team_id, "quick");
  EXPECT_EQ((*entries)[0].display_name, "quick");
  EXPECT_EQ((*entries)[0].submission_id, 1);
  EXPECT_FALSE((*entries)[0].reference);
  EXPECT_EQ((*entries)[1].team_id, "reference-fp32");
  EXPECT_TRUE((*entries)[1].reference);
  // Nothing dangles, and the summary view reads the new runs.
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM run_summary"), 2);
  EXPECT_EQ(QueryText(path, "SELECT frame_selection FROM run_summary WHERE run_id = 2"),
            "first:50");
  EXPECT_TRUE(store.QuickCheck().ok());
  // The migrated run is found by its v3 key: complete, so not repeated.
  auto ticket = store.BeginRun(kept.key);
  ASSERT_TRUE(ticket.ok()) << ticket.status().message();
  EXPECT_TRUE(ticket->already_complete);
  EXPECT_EQ(ticket->run_id, 2);
  // The rules texts are kept.
  EXPECT_EQ(QueryText(path, "SELECT json FROM rules WHERE sha256 = 'r2'"),
            "{\"format_version\": 1, \"split\": \"val\"}");
  // New facts go into the migrated file as into a new one.
  RunKey next = kept.key;
  next.trial = 1;
  auto t = store.BeginRun(next);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_FALSE(t->already_complete);
  RunOutcome o;
  o.status = "ok";
  FrameFacts f;
  f.frame_id = 9;
  f.child_ns = 5;
  f.detections.push_back({1, 2, 3, 4, 1, 0.5f});
  o.frames.push_back(f);
  ASSERT_TRUE(store.CommitRun(t->run_id, o).ok());
  EXPECT_EQ((*store.LoadFrames(t->run_id))[0].detections.size(), 1u);
  // Reopening the migrated file is a no-op.
  opened->reset();
  auto reopened = Store::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status().message();
  EXPECT_EQ((*reopened)->ListRuns({})->size(), 3u);
}

TEST_F(StoreTest, MissingFileWithoutCreateIsNotFound) {
  auto store = Store::Open(dir_ / "absent.sqlite", StoreOptions{.create_if_missing = false});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kNotFound);
  EXPECT_NE(store.status().message().find("absent.sqlite"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "absent.sqlite"));
  // Nor with the writer lock (and no lock file is left behind).
  store = Store::Open(dir_ / "absent.sqlite",
                      StoreOptions{.create_if_missing = false, .writer_lock = true});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kNotFound);
  EXPECT_FALSE(fs::exists(dir_ / "absent.sqlite"));
  EXPECT_FALSE(fs::exists(dir_ / "absent.sqlite.lock"));
}

TEST_F(StoreTest, NotADatabaseNamesTheFile) {
  fs::path path = dir_ / "garbage.sqlite";
  std::ofstream(path) << std::string(4096, 'x') << "this is not a database";
  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kCorruption);
  const std::string& m = store.status().message();
  EXPECT_NE(m.find(path.string()), std::string::npos) << m;
  EXPECT_NE(m.find("not a valid maskbench results database"), std::string::npos) << m;
}

TEST_F(StoreTest, ADirectoryIsRefused) {
  auto store = Store::Open(dir_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("is a directory"), std::string::npos)
      << store.status().message();
}

TEST_F(StoreTest, ForeignSqliteFileIsRefused) {
  fs::path path = dir_ / "other.sqlite";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE photos (id INTEGER)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("not a maskbench results database"), std::string::npos)
      << store.status().message();
  // Nothing was added to it.
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM sqlite_schema"), 1);
}

TEST_F(StoreTest, NewerSchemaIsRefusedNamingBothVersions) {
  fs::path path = dir_ / "future.sqlite";
  { ASSERT_TRUE(Store::Open(path).ok()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 42", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kUnsupported);
  const std::string& m = store.status().message();
  EXPECT_NE(m.find(path.string()), std::string::npos) << m;
  EXPECT_NE(m.find("schema version 42"), std::string::npos) << m;
  EXPECT_NE(m.find("version " + std::to_string(kStoreSchemaVersion)), std::string::npos) << m;
  EXPECT_EQ(CountRows(path, "PRAGMA user_version"), 42);
}

TEST_F(StoreTest, UpsertsReturnStableIds) {
  auto store = Store::Open(dir_ / "r.sqlite");
  ASSERT_TRUE(store.ok());
  Store& s = **store;
  SubmissionInfo a{"a", "team", "1", std::string(64, 'a'), "1.0.0", "measured"};
  auto id1 = s.UpsertSubmission(a);
  auto id2 = s.UpsertSubmission(a);
  ASSERT_TRUE(id1.ok() && id2.ok()) << id1.status().message();
  EXPECT_EQ(*id1, *id2);
  a.artifact_sha256 = std::string(64, 'b');  // a rebuilt plugin is a new submission row
  EXPECT_NE(*s.UpsertSubmission(a), *id1);
  // The same artifact as an RTL design: same row, kind and latency kind updated.
  SubmissionInfo rtl{"a", "team", "1", std::string(64, 'a'), "1.0.0", "modeled", "rtl"};
  EXPECT_EQ(*s.UpsertSubmission(rtl), *id1);
  auto loaded = s.LoadSubmission(*id1);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  EXPECT_EQ(loaded->kind, "rtl");
  EXPECT_EQ(loaded->latency_kind, "modeled");
  EXPECT_EQ(loaded->artifact_sha256, std::string(64, 'a'));
  EXPECT_EQ(s.LoadSubmission(9999).status().code(), Status::Code::kNotFound);

  auto m1 = s.UpsertMachine({"fp", "cpu", 2, "cpu / avx2"});
  auto m2 = s.UpsertMachine({"fp", "cpu", 4, "cpu / avx512"});
  ASSERT_TRUE(m1.ok() && m2.ok());
  EXPECT_EQ(*m1, *m2);
  EXPECT_EQ(QueryText(dir_ / "r.sqlite", "SELECT node_class FROM machines"), "cpu / avx512");
  EXPECT_EQ(CountRows(dir_ / "r.sqlite", "SELECT cores FROM machines"), 4);
  auto d1 = s.UpsertDataset({"h", "ds", "test", 10});
  auto d2 = s.UpsertDataset({"h", "ds", "test", 12});  // the same split, recounted
  ASSERT_TRUE(d1.ok() && d2.ok());
  EXPECT_EQ(*d1, *d2);
  EXPECT_EQ(CountRows(dir_ / "r.sqlite", "SELECT frames FROM datasets"), 12);
  EXPECT_NE(*s.UpsertDataset({"h", "ds", "test"}), *s.UpsertDataset({"h", "ds", "val"}));
  EXPECT_EQ(*s.UpsertRules({"r", "{}"}), *s.UpsertRules({"r", "{}"}));
  EXPECT_FALSE(s.UpsertSubmission({"", "t", "1", "x", "1", "measured"}).ok());
  EXPECT_FALSE(s.UpsertSubmission({"n", "t", "1", "", "1", "measured"}).ok());
  EXPECT_FALSE(s.UpsertDataset({"", "ds", "val"}).ok());
  EXPECT_FALSE(s.UpsertMachine({"", "cpu", 1, ""}).ok());
  EXPECT_FALSE(s.UpsertRules({"", "{}"}).ok());
}

TEST_F(StoreTest, EntriesAreUpsertedByTeamId) {
  fs::path path = dir_ / "r.sqlite";
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  Store& s = **store;
  const int64_t v1 = *s.UpsertSubmission({"volt", "Team Volt", "1", "aa", "1.0.0", "measured"});
  const int64_t v2 = *s.UpsertSubmission({"volt", "Team Volt", "2", "bb", "1.0.0", "measured"});
  const int64_t ref =
      *s.UpsertSubmission({"reference-fp32", "org", "1", "cc", "1.0.0", "measured"});
  ASSERT_TRUE(s.UpsertEntry({"volt", "Team Volt", v1, false, "/subs/volt", "", ""}).ok());
  ASSERT_TRUE(s.UpsertEntry({"reference-fp32", "fp32", ref, true, "/refs/fp32", "", ""}).ok());
  // Entering a newer artifact updates the one row of the team.
  ASSERT_TRUE(s.UpsertEntry({"volt", "Volt (v2)", v2, false, "/subs/volt-2", "measured", ""}).ok());
  auto entries = s.ListEntries();
  ASSERT_TRUE(entries.ok()) << entries.status().message();
  ASSERT_EQ(entries->size(), 2u);
  const EntryInfo& r = (*entries)[0];  // by team id
  EXPECT_EQ(r.team_id, "reference-fp32");
  EXPECT_EQ(r.display_name, "fp32");
  EXPECT_EQ(r.submission_id, ref);
  EXPECT_TRUE(r.reference);
  EXPECT_EQ(r.folder, "/refs/fp32");
  EXPECT_EQ(r.track, "");
  const EntryInfo& e = (*entries)[1];
  EXPECT_EQ(e.team_id, "volt");
  EXPECT_EQ(e.display_name, "Volt (v2)");
  EXPECT_EQ(e.submission_id, v2);
  EXPECT_FALSE(e.reference);
  EXPECT_EQ(e.folder, "/subs/volt-2");
  EXPECT_EQ(e.track, "measured");
  EXPECT_EQ(e.updated_at.size(), std::string("2026-11-25T08:30:00.123Z").size()) << e.updated_at;
  EXPECT_EQ(e.updated_at.back(), 'Z');
  // An entry needs a team id and an existing submission.
  EXPECT_FALSE(s.UpsertEntry({"", "x", v1, false, "", "", ""}).ok());
  EXPECT_FALSE(s.UpsertEntry({"x", "x", 0, false, "", "", ""}).ok());
  EXPECT_FALSE(s.UpsertEntry({"x", "x", v2 + 100, false, "", "", ""}).ok());  // foreign key
  EXPECT_EQ(s.ListEntries()->size(), 2u);
}

TEST_F(StoreTest, ImportedScoresReplaceATeamsMetric) {
  fs::path path = dir_ / "r.sqlite";
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  Store& s = **store;
  ASSERT_TRUE(s.ImportScores({{"volt", "presentation", 7.5, "jury-1.csv", ""},
                              {"qubit", "presentation", 6, "jury-1.csv", ""},
                              {"volt", "poster", 3, "jury-1.csv", ""}})
                  .ok());
  // A second import replaces (volt, presentation) and leaves the rest.
  ASSERT_TRUE(s.ImportScores({{"volt", "presentation", 9, "jury-2.csv", ""}}).ok());
  auto scores = s.ListScores();
  ASSERT_TRUE(scores.ok()) << scores.status().message();
  ASSERT_EQ(scores->size(), 3u);
  // By team id, then metric.
  EXPECT_EQ((*scores)[0].team_id, "qubit");
  EXPECT_EQ((*scores)[0].value, 6);
  EXPECT_EQ((*scores)[1].team_id, "volt");
  EXPECT_EQ((*scores)[1].metric, "poster");
  EXPECT_EQ((*scores)[1].value, 3);
  EXPECT_EQ((*scores)[2].team_id, "volt");
  EXPECT_EQ((*scores)[2].metric, "presentation");
  EXPECT_EQ((*scores)[2].value, 9);
  EXPECT_EQ((*scores)[2].source, "jury-2.csv");
  EXPECT_FALSE((*scores)[2].imported_at.empty());
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM outside_scores"), 3);
  // One bad score refuses the whole import.
  Status bad = s.ImportScores({{"qubit", "presentation", 1, "jury-3.csv", ""},
                               {"volt", "presentation", std::nan(""), "jury-3.csv", ""}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(s.ImportScores({{"", "presentation", 1, "", ""}}).ok());
  EXPECT_FALSE(s.ImportScores({{"volt", "", 1, "", ""}}).ok());
  scores = s.ListScores();
  ASSERT_TRUE(scores.ok());
  EXPECT_EQ((*scores)[0].value, 6);  // qubit unchanged
  EXPECT_EQ((*scores)[2].value, 9);
  // Nothing to import is fine.
  EXPECT_TRUE(s.ImportScores({}).ok());
}

TEST_F(StoreTest, RulesAreLoadedByHashOrUniquePrefix) {
  auto store = Store::Open(dir_ / "r.sqlite");
  ASSERT_TRUE(store.ok());
  Store& s = **store;
  const std::string a = "abc1" + std::string(60, '0');
  const std::string b = "abd2" + std::string(60, '0');
  ASSERT_TRUE(s.UpsertRules({a, "{\"a\": 1}"}).ok());
  ASSERT_TRUE(s.UpsertRules({b, "{\"b\": 2}"}).ok());
  const std::string text(DefaultRulesJson());
  const std::string sha = Sha256Hex(text);
  ASSERT_TRUE(s.UpsertRules({sha, text}).ok());
  EXPECT_EQ(*s.LoadRulesJson(a), "{\"a\": 1}");
  EXPECT_EQ(*s.LoadRulesJson(sha), text);
  EXPECT_EQ(*s.LoadRulesJson("abc"), "{\"a\": 1}");
  EXPECT_EQ(*s.LoadRulesJson("abd2"), "{\"b\": 2}");
  // Ambiguous.
  auto amb = s.LoadRulesJson("ab");
  ASSERT_FALSE(amb.ok());
  EXPECT_EQ(amb.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(amb.status().message().find("matches 2"), std::string::npos) << amb.status().message();
  // Absent.
  auto absent = s.LoadRulesJson("abe");
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(s.LoadRulesJson(a + "0").status().code(), Status::Code::kNotFound);
  // Not a lowercase hex prefix.
  for (const std::string bad : {"", "ABC", "abc%", "xyz", "ab_", "a b"}) {
    SCOPED_TRACE(bad);
    auto r = s.LoadRulesJson(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  }
}

struct Keyed {
  std::unique_ptr<Store> store;
  RunKey key;
};

StoreOptions Writer() {
  StoreOptions o;
  o.writer_lock = true;
  return o;
}

Keyed OpenWithKey(const fs::path& path, const StoreOptions& options = Writer()) {
  auto store = Store::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status().message();
  Keyed k{std::move(*store), {}};
  k.key.submission_id = *k.store->UpsertSubmission({"s", "t", "1", "abc", "1.0.0", "measured"});
  k.key.dataset_id = *k.store->UpsertDataset({"ds", "d", "test", 10});
  EXPECT_TRUE(k.store->UpsertRules({"ab12", "{}"}).ok());
  k.key.machine_id = *k.store->UpsertMachine({"m", "cpu", 2, "cpu / avx2"});
  k.key.harness_version = "0.1.0";
  k.key.warmup = 2;
  return k;
}

FrameFacts Frame(int64_t index, int64_t id, int64_t latency_ns) {
  FrameFacts f;
  f.frame_index = index;
  f.frame_id = id;
  f.latency_ns = latency_ns;
  f.round_trip_ns = latency_ns + 100;
  f.child_ns = latency_ns - 100;
  return f;
}

TEST_F(StoreTest, CompleteRunIsNotRepeated) {
  Keyed k = OpenWithKey(dir_ / "r.sqlite");
  auto t1 = k.store->BeginRun(k.key);
  ASSERT_TRUE(t1.ok()) << t1.status().message();
  EXPECT_FALSE(t1->already_complete);
  EXPECT_EQ(t1->attempts, 1);
  RunOutcome o;
  o.status = "crashed";
  o.message = "signal 11";
  o.rules_sha256 = "ab12";
  o.frames.push_back(Frame(0, 1000, 1000));
  o.metrics["x"] = 1.5;
  o.metrics["nan"] = std::nan("");
  ASSERT_TRUE(k.store->CommitRun(t1->run_id, o).ok());
  auto t2 = k.store->BeginRun(k.key);
  ASSERT_TRUE(t2.ok());
  EXPECT_TRUE(t2->already_complete);
  EXPECT_EQ(t2->run_id, t1->run_id);
  // Committing twice is refused; the stored run is unchanged.
  o.message = "changed";
  EXPECT_FALSE(k.store->CommitRun(t1->run_id, o).ok());
  auto runs = k.store->ListRuns({});
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  const StoredRun& r = (*runs)[0];
  EXPECT_EQ(r.status, "crashed");
  EXPECT_EQ(r.message, "signal 11");
  EXPECT_EQ(r.rules_sha256, "ab12");
  EXPECT_EQ(r.metrics.at("x"), 1.5);
  EXPECT_FALSE(r.metrics.at("nan").has_value());
  EXPECT_FALSE(r.finished_at.empty());
  EXPECT_EQ(r.key.submission_id, k.key.submission_id);
  EXPECT_EQ(r.key.dataset_id, k.key.dataset_id);
  EXPECT_EQ(r.key.machine_id, k.key.machine_id);
  EXPECT_EQ(r.key.frame_selection, "all");
  EXPECT_EQ(r.key.scenario, "single-stream");
  EXPECT_EQ(r.key.warmup, 2);
  EXPECT_EQ(r.key.trial, 0);
  EXPECT_EQ(r.key.harness_version, "0.1.0");
  auto frames = k.store->LoadFrames(t1->run_id);
  ASSERT_TRUE(frames.ok());
  ASSERT_EQ(frames->size(), 1u);
  EXPECT_EQ((*frames)[0].latency_ns, 1000);
  // Any other part of the run key: a new run.
  std::vector<RunKey> others;
  for (int i = 0; i < 5; ++i) others.push_back(k.key);
  others[0].harness_version = "0.2.0";
  others[1].trial = 1;
  others[2].frame_selection = "first:5";
  others[3].scenario = "offline";
  others[4].warmup = 0;
  std::set<int64_t> ids{t1->run_id};
  for (const RunKey& other : others) {
    auto t3 = k.store->BeginRun(other);
    ASSERT_TRUE(t3.ok()) << t3.status().message();
    EXPECT_FALSE(t3->already_complete);
    EXPECT_TRUE(ids.insert(t3->run_id).second) << "a new row";
  }
  EXPECT_EQ(CountRows(dir_ / "r.sqlite", "SELECT count(*) FROM runs"), 6);
}

TEST_F(StoreTest, ReplaceCompleteRestartsACompleteRunInTheSameRow) {
  fs::path path = dir_ / "r.sqlite";
  Keyed k = OpenWithKey(path);
  auto t = k.store->BeginRun(k.key);
  ASSERT_TRUE(t.ok());
  RunOutcome first;
  first.status = "ok";
  first.frames = {Frame(0, 1, 5000), Frame(1, 2, 6000)};
  first.metrics["mAP50"] = 0.5;
  first.audits.push_back({"caching", true, "fine"});
  first.pr_curves.push_back({0, "with_mask", {{0.0, 1.0}, {1.0, 0.5}}});
  ASSERT_TRUE(k.store->CommitRun(t->run_id, first).ok());
  // Without replace_complete it is skipped; with it, restarted in the same row.
  EXPECT_TRUE(k.store->BeginRun(k.key)->already_complete);
  auto again = k.store->BeginRun(k.key, /*replace_complete=*/true);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_FALSE(again->already_complete);
  EXPECT_EQ(again->run_id, t->run_id);
  EXPECT_EQ(again->attempts, 2);
  // The old facts are gone, the row is running again.
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM runs"), 1);
  EXPECT_EQ(QueryText(path, "SELECT status FROM runs"), "running");
  EXPECT_EQ(QueryText(path, "SELECT finished_at IS NULL FROM runs"), "1");
  for (const char* table : {"frame_results", "metrics", "audits", "pr_curves"})
    EXPECT_EQ(CountRows(path, std::string("SELECT count(*) FROM ") + table), 0) << table;
  EXPECT_TRUE(k.store->ListRuns({})->empty());
  RunOutcome second;
  second.status = "ok";
  second.frames = {Frame(0, 1, 4000)};
  second.metrics["mAP50"] = 0.6;
  ASSERT_TRUE(k.store->CommitRun(again->run_id, second).ok());
  auto runs = k.store->ListRuns({});
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].id, t->run_id);
  EXPECT_EQ((*runs)[0].attempts, 2);
  EXPECT_EQ((*runs)[0].metrics.at("mAP50"), 0.6);
  EXPECT_TRUE((*runs)[0].audits.empty());
  EXPECT_EQ(k.store->LoadFrames(t->run_id)->size(), 1u);
  EXPECT_TRUE(k.store->LoadPrCurves(t->run_id)->empty());
  // replace_complete on a new key simply starts it.
  RunKey fresh = k.key;
  fresh.trial = 3;
  auto n = k.store->BeginRun(fresh, /*replace_complete=*/true);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->attempts, 1);
  EXPECT_NE(n->run_id, t->run_id);
}

TEST_F(StoreTest, HarnessErrorIsRetriedInTheSameRow) {
  Keyed k = OpenWithKey(dir_ / "r.sqlite");
  auto t = k.store->BeginRun(k.key);
  ASSERT_TRUE(t.ok());
  RunOutcome o;
  o.status = kStatusHarnessError;
  o.message = "maskbench-runner not found";
  o.metrics["x"] = 1;
  ASSERT_TRUE(k.store->CommitRun(t->run_id, o).ok());
  EXPECT_EQ(k.store->ListRuns({})->size(), 1u);  // complete: listed with its status
  EXPECT_TRUE(IsCompleteStatus(kStatusHarnessError));
  EXPECT_FALSE(IsFinalStatus(kStatusHarnessError));
  auto again = k.store->BeginRun(k.key);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->already_complete);
  EXPECT_EQ(again->run_id, t->run_id);
  EXPECT_EQ(again->attempts, 2);
  EXPECT_EQ(CountRows(dir_ / "r.sqlite", "SELECT count(*) FROM metrics"), 0);
  EXPECT_EQ(CountRows(dir_ / "r.sqlite", "SELECT count(*) FROM runs"), 1);
  o.status = "ok";
  o.message = "";
  ASSERT_TRUE(k.store->CommitRun(again->run_id, o).ok());
  auto last = k.store->BeginRun(k.key);
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->already_complete);
  EXPECT_EQ(last->attempts, 2);
}

TEST_F(StoreTest, CommitNeedsFinalStatus) {
  Keyed k = OpenWithKey(dir_ / "r.sqlite");
  auto t = k.store->BeginRun(k.key);
  ASSERT_TRUE(t.ok());
  RunOutcome o;
  for (const char* status : {"running", "pending", ""}) {
    SCOPED_TRACE(status);
    o.status = status;
    Status s = k.store->CommitRun(t->run_id, o);
    EXPECT_FALSE(s.ok());
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  }
  o.status = "ok";
  Status unknown = k.store->CommitRun(t->run_id + 100, o);
  EXPECT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.code(), Status::Code::kNotFound);
  EXPECT_EQ(QueryText(dir_ / "r.sqlite", "SELECT status FROM runs"), "running");
}

TEST_F(StoreTest, FailedCommitWritesNothing) {
  Keyed k = OpenWithKey(dir_ / "r.sqlite");
  auto t = k.store->BeginRun(k.key);
  ASSERT_TRUE(t.ok());
  RunOutcome o;
  o.status = "ok";
  o.frames.push_back(Frame(0, 10, 100));
  o.frames.push_back(Frame(1, 11, 100));
  o.frames.push_back(Frame(1, 12, 100));  // duplicate frame index: the insert fails
  o.metrics["mAP50"] = 0.5;
  Status st = k.store->CommitRun(t->run_id, o);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("frame 1"), std::string::npos) << st.message();
  EXPECT_EQ(CountRows(dir_ / "r.sqlite", "SELECT count(*) FROM frame_results"), 0);
  EXPECT_EQ(CountRows(dir_ / "r.sqlite", "SELECT count(*) FROM metrics"), 0);
  EXPECT_EQ(CountRows(dir_ / "r.sqlite", "SELECT count(*) FROM runs WHERE status = 'running'"), 1);
  o.frames.pop_back();
  EXPECT_TRUE(k.store->CommitRun(t->run_id, o).ok());
  EXPECT_EQ(CountRows(dir_ / "r.sqlite", "SELECT count(*) FROM frame_results"), 2);
}

TEST_F(StoreTest, FramesRoundTrip) {
  Keyed k = OpenWithKey(dir_ / "r.sqlite");
  auto t = k.store->BeginRun(k.key);
  ASSERT_TRUE(t.ok());
  RunOutcome o;
  o.status = "ok";
  o.rules_sha256 = "ab12";
  o.partial = true;
  o.requested_settings_json = R"({"max_frames": 3})";
  o.effective_settings_json = R"({"warmup_frames": 2})";
  o.seal_json = R"({"level": "full"})";
  o.pr_curves_metric = "VOC AP50 (all-point)";
  FrameFacts a;
  a.frame_index = 0;
  a.frame_id = 123456789012;
  a.latency_ns = 1'500'000;
  a.round_trip_ns = 1'600'000;
  a.child_ns = 1'400'000;
  a.cycles = 300'000;
  a.detections = {{1.5f, 2.25f, 30.f, 40.5f, 0, 0.875f}, {-3.f, 0.f, 1e-3f, 1e6f, 2, 1.f}};
  FrameFacts b;  // nothing measured: a frame of a modeled design with huge cycles
  b.frame_index = 1;
  b.frame_id = 0;
  b.cycles = std::numeric_limits<uint64_t>::max();
  FrameFacts c;  // a frame with no detections, no cycles
  c.frame_index = 2;
  c.frame_id = -1;
  c.latency_ns = 0;
  c.round_trip_ns = 0;
  c.child_ns = 0;
  o.frames = {a, b, c};
  o.metrics = {{"mAP50", 0.5}, {"modeled_latency_ms", 1.5}};
  o.audits = {{"consistency", true, "same"}, {"caching", false, "faster on repeats"}};
  o.pr_curves = {{1, "without_mask", {{0.0, 1.0}, {0.5, 0.75}, {1.0, 0.0}}},
                 {0, "with_mask", {{0.0, 0.5}}}};
  ASSERT_TRUE(k.store->CommitRun(t->run_id, o).ok());
  auto frames = k.store->LoadFrames(t->run_id);
  ASSERT_TRUE(frames.ok()) << frames.status().message();
  ASSERT_EQ(frames->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const FrameFacts& want = o.frames[i];
    const FrameFacts& got = (*frames)[i];
    EXPECT_EQ(got.frame_index, want.frame_index);
    EXPECT_EQ(got.frame_id, want.frame_id);
    EXPECT_EQ(got.latency_ns, want.latency_ns);
    EXPECT_EQ(got.round_trip_ns, want.round_trip_ns);
    EXPECT_EQ(got.child_ns, want.child_ns);
    EXPECT_EQ(got.cycles, want.cycles);
    ASSERT_EQ(got.detections.size(), want.detections.size());
    for (size_t d = 0; d < want.detections.size(); ++d) {
      EXPECT_EQ(got.detections[d].x, want.detections[d].x);
      EXPECT_EQ(got.detections[d].y, want.detections[d].y);
      EXPECT_EQ(got.detections[d].w, want.detections[d].w);
      EXPECT_EQ(got.detections[d].h, want.detections[d].h);
      EXPECT_EQ(got.detections[d].class_id, want.detections[d].class_id);
      EXPECT_EQ(got.detections[d].score, want.detections[d].score);
    }
  }
  // The stored detection count and the boxes agree.
  EXPECT_EQ(CountRows(dir_ / "r.sqlite",
                      "SELECT detections FROM frame_results WHERE "
                      "frame_index = 0"),
            2);
  EXPECT_EQ(CountRows(dir_ / "r.sqlite",
                      "SELECT length(boxes) FROM frame_results WHERE "
                      "frame_index = 0"),
            static_cast<int64_t>(2 * sizeof(mb_detection_t)));
  // Curves come back by class, points in order.
  auto curves = k.store->LoadPrCurves(t->run_id);
  ASSERT_TRUE(curves.ok());
  ASSERT_EQ(curves->size(), 2u);
  EXPECT_EQ((*curves)[0].class_id, 0);
  EXPECT_EQ((*curves)[0].class_name, "with_mask");
  EXPECT_EQ((*curves)[1].class_name, "without_mask");
  EXPECT_EQ((*curves)[1].points, o.pr_curves[0].points);
  auto runs = k.store->ListRuns({});
  ASSERT_TRUE(runs.ok());
  ASSERT_EQ(runs->size(), 1u);
  const StoredRun& r = (*runs)[0];
  EXPECT_TRUE(r.partial);
  EXPECT_EQ(r.rules_sha256, "ab12");
  EXPECT_EQ(r.requested_settings_json, o.requested_settings_json);
  EXPECT_EQ(r.effective_settings_json, o.effective_settings_json);
  EXPECT_EQ(r.seal_json, o.seal_json);
  EXPECT_EQ(r.pr_curves_metric, o.pr_curves_metric);
  EXPECT_EQ(r.machine.node_class, "cpu / avx2");
  EXPECT_EQ(r.dataset.frames, 10);
  ASSERT_EQ(r.audits.size(), 2u);
  EXPECT_EQ(r.audits[0].name, "caching");  // by name
  EXPECT_FALSE(r.audits[0].passed);
  EXPECT_EQ(r.audits[0].detail, "faster on repeats");
  EXPECT_EQ(r.metrics.at("modeled_latency_ms"), 1.5);
  // Filters.
  RunFilter f;
  f.machine_fingerprint = "m";
  f.split = "test";
  f.dataset_manifest_sha256 = "ds";
  f.harness_version = "0.1.0";
  f.submission_id = k.key.submission_id;
  EXPECT_EQ(k.store->ListRuns(f)->size(), 1u);
  f.split = "val";
  EXPECT_TRUE(k.store->ListRuns(f)->empty());
  EXPECT_TRUE(k.store->LoadFrames(t->run_id + 1)->empty());
}

TEST_F(StoreTest, StaleRunningRowIsReusedOnResume) {
  fs::path path = dir_ / "r.sqlite";
  int64_t first_id = 0;
  {
    Keyed k = OpenWithKey(path);
    auto t = k.store->BeginRun(k.key);
    ASSERT_TRUE(t.ok());
    first_id = t->run_id;
  }  // the "process" goes away without committing
  Keyed k = OpenWithKey(path);
  auto t = k.store->BeginRun(k.key);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_FALSE(t->already_complete);
  EXPECT_EQ(t->run_id, first_id);
  EXPECT_EQ(t->attempts, 2);
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM runs"), 1);
  RunFilter all_runs;
  all_runs.complete_only = false;
  auto incomplete = k.store->ListRuns(all_runs);
  ASSERT_TRUE(incomplete.ok());
  ASSERT_EQ(incomplete->size(), 1u);
  EXPECT_EQ((*incomplete)[0].status, "running");
  EXPECT_TRUE((*incomplete)[0].finished_at.empty());
  EXPECT_TRUE(k.store->ListRuns({})->empty());
}

TEST_F(StoreTest, ARunningRowIsTakenOverOnlyWithTheWriterLock) {
  fs::path path = dir_ / "r.sqlite";
  {
    Keyed k = OpenWithKey(path);
    ASSERT_TRUE(k.store->BeginRun(k.key).ok());
  }
  {
    // Without the lock its owner may be alive: refused, and the row is untouched.
    Keyed plain = OpenWithKey(path, StoreOptions{});
    EXPECT_FALSE(plain.store->holds_writer_lock());
    auto refused = plain.store->BeginRun(plain.key);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("writer lock"), std::string::npos);
    EXPECT_EQ(CountRows(path, "SELECT attempts FROM runs"), 1);
    // Even asked to replace it.
    EXPECT_FALSE(plain.store->BeginRun(plain.key, /*replace_complete=*/true).ok());
  }
  // With the lock (its owner provably gone) it is taken over.
  Keyed writer = OpenWithKey(path);
  EXPECT_TRUE(writer.store->holds_writer_lock());
  auto taken = writer.store->BeginRun(writer.key);
  ASSERT_TRUE(taken.ok()) << taken.status().message();
  EXPECT_EQ(taken->attempts, 2);
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM runs"), 1);
}

TEST_F(StoreTest, TheWriterLockNamesItsHolderAndIsFreedWithIt) {
  fs::path path = dir_ / "r.sqlite";
  EXPECT_EQ(WriterLock::Holder(path), "");
  auto first = Store::Open(path, Writer());
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE((*first)->holds_writer_lock());
  const std::string holder = WriterLock::Holder(path);
  EXPECT_NE(holder.find("pid " + std::to_string(getpid())), std::string::npos) << holder;
  EXPECT_NE(holder.find(" on host "), std::string::npos) << holder;
  EXPECT_NE(holder.find(", since "), std::string::npos) << holder;
  // A second writer (another process: flock locks are per open file) is refused, naming it.
  pid_t pid = fork();
  if (pid == 0) {
    auto second = Store::Open(path, Writer());
    if (second.ok()) _exit(1);
    const std::string& m = second.status().message();
    _exit(m.find("in use by another judge") != std::string::npos &&
                  m.find("pid " + std::to_string(getppid())) != std::string::npos &&
                  m.find("--wait") != std::string::npos
              ? 0
              : 2);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  // Readers need no lock.
  EXPECT_TRUE(Store::Open(path).ok());
  first->reset();
  EXPECT_EQ(WriterLock::Holder(path), "");
  EXPECT_TRUE(Store::Open(path, Writer()).ok());
}

TEST_F(StoreTest, AWaitingWriterGetsTheLockWhenTheHolderExits) {
  fs::path path = dir_ / "r.sqlite";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    auto held = Store::Open(path, Writer());
    if (!held.ok()) _exit(3);
    char ready = 'r';
    if (write(fds[1], &ready, 1) != 1) _exit(4);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    _exit(0);  // the kernel frees the lock
  }
  close(fds[1]);
  char ready = 0;
  ASSERT_EQ(read(fds[0], &ready, 1), 1);
  close(fds[0]);
  EXPECT_FALSE(Store::Open(path, Writer()).ok());  // held: refused at once
  StoreOptions wait = Writer();
  wait.wait_for_lock = true;
  auto waited = Store::Open(path, wait);
  ASSERT_TRUE(waited.ok()) << waited.status().message();
  EXPECT_TRUE((*waited)->holds_writer_lock());
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST_F(StoreTest, AFullDiskSaysDiskFullAndLosesNothing) {
  fs::path path = dir_ / "r.sqlite";
  Keyed k = OpenWithKey(path);
  auto t = k.store->BeginRun(k.key);
  ASSERT_TRUE(t.ok());
  RunOutcome small;
  small.status = "ok";
  small.frames = {Frame(0, 1, 100)};
  ASSERT_TRUE(k.store->CommitRun(t->run_id, small).ok());
  const RunKey small_key = k.key;
  k.store.reset();
  // The file may not grow any more: SQLite reports SQLITE_FULL, as on a full disk.
  const int64_t pages = CountRows(path, "PRAGMA page_count");
  ASSERT_GT(pages, 0);
  auto store = Store::Open(path, Writer());
  ASSERT_TRUE(store.ok()) << store.status().message();
  Result<int64_t> sub = (*store)->UpsertSubmission({"big", "t", "1", "def", "1.0.0", "measured"});
  ASSERT_TRUE(sub.ok());
  RunKey key = small_key;
  key.submission_id = *sub;
  auto t2 = (*store)->BeginRun(key);
  ASSERT_TRUE(t2.ok()) << t2.status().message();
  ASSERT_TRUE(internal::SetMaxPageCountForTesting(**store, pages + 1).ok());
  RunOutcome big;
  big.status = "ok";
  for (int i = 0; i < 20000; ++i) {
    FrameFacts f = Frame(i, i, i + 200);
    f.detections.push_back({1, 2, 3, 4, 0, 0.5f});
    big.frames.push_back(f);
  }
  big.metrics["mAP50"] = 0.9;
  Status s = (*store)->CommitRun(t2->run_id, big);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find("disk full"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(path.string()), std::string::npos) << s.message();
  store->reset();
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM frame_results"), 1);  // the small run's
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM metrics"), 0);
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM runs WHERE status = 'ok'"), 1);
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM runs WHERE status = 'running'"), 1);
  // With room again, the run is resumed in its row and committed whole.
  auto retry = Store::Open(path, Writer());
  ASSERT_TRUE(retry.ok()) << retry.status().message();
  auto t3 = (*retry)->BeginRun(key);
  ASSERT_TRUE(t3.ok()) << t3.status().message();
  EXPECT_EQ(t3->run_id, t2->run_id);
  EXPECT_EQ(t3->attempts, 2);
  ASSERT_TRUE((*retry)->CommitRun(t3->run_id, big).ok());
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM frame_results"), 20001);
  // The small run's rows are as they were.
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM frame_results WHERE run_id = " +
                                std::to_string(t->run_id)),
            1);
  EXPECT_EQ(QueryText(path, "SELECT status FROM runs WHERE id = " + std::to_string(t->run_id)),
            "ok");
}

// ---- An I/O error other than a full disk names itself (a failing VFS). ----

sqlite3_vfs* g_real_vfs = nullptr;
std::atomic<bool> g_fail_writes{false};

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;  // follows this struct in the same allocation
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }

int FaultClose(sqlite3_file* f) {
  sqlite3_file* r = Real(f);
  return r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;
}
int FaultRead(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), buf, n, off);
}
int FaultWrite(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (g_fail_writes.load()) {
    errno = EIO;
    return SQLITE_IOERR_WRITE;
  }
  return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
}
int FaultTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int FaultSync(sqlite3_file* f, int flags) { return Real(f)->pMethods->xSync(Real(f), flags); }
int FaultFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int FaultLock(sqlite3_file* f, int l) { return Real(f)->pMethods->xLock(Real(f), l); }
int FaultUnlock(sqlite3_file* f, int l) { return Real(f)->pMethods->xUnlock(Real(f), l); }
int FaultCheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FaultFileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int FaultSectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int FaultDeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int FaultShmMap(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, out);
}
int FaultShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void FaultShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int FaultShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }
int FaultFetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  return Real(f)->pMethods->xFetch(Real(f), off, n, out);
}
int FaultUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return Real(f)->pMethods->xUnfetch(Real(f), off, p);
}

const sqlite3_io_methods kFaultMethods = {3,
                                          FaultClose,
                                          FaultRead,
                                          FaultWrite,
                                          FaultTruncate,
                                          FaultSync,
                                          FaultFileSize,
                                          FaultLock,
                                          FaultUnlock,
                                          FaultCheckReservedLock,
                                          FaultFileControl,
                                          FaultSectorSize,
                                          FaultDeviceCharacteristics,
                                          FaultShmMap,
                                          FaultShmLock,
                                          FaultShmBarrier,
                                          FaultShmUnmap,
                                          FaultFetch,
                                          FaultUnfetch};

int FaultOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  FaultFile* ff = reinterpret_cast<FaultFile*>(f);
  ff->real = reinterpret_cast<sqlite3_file*>(ff + 1);
  ff->base.pMethods = nullptr;
  const int rc = g_real_vfs->xOpen(g_real_vfs, name, ff->real, flags, out_flags);
  if (rc == SQLITE_OK) ff->base.pMethods = &kFaultMethods;
  return rc;
}

// Makes a pass-through VFS the default for as long as it lives; writes fail while
// g_fail_writes is set.
class FaultVfs {
 public:
  FaultVfs() {
    g_real_vfs = sqlite3_vfs_find(nullptr);
    vfs_ = *g_real_vfs;
    vfs_.pNext = nullptr;
    vfs_.zName = "mb_fault";
    vfs_.szOsFile = static_cast<int>(sizeof(FaultFile)) + g_real_vfs->szOsFile;
    vfs_.xOpen = &FaultOpen;
    sqlite3_vfs_register(&vfs_, /*makeDflt=*/1);
  }
  ~FaultVfs() {
    g_fail_writes = false;
    sqlite3_vfs_unregister(&vfs_);
    sqlite3_vfs_register(g_real_vfs, /*makeDflt=*/1);
  }

 private:
  sqlite3_vfs vfs_;
};

TEST_F(StoreTest, AnIoErrorNamesItselfAndLosesNothing) {
  fs::path path = dir_ / "r.sqlite";
  FaultVfs vfs;
  Keyed k = OpenWithKey(path);
  auto t = k.store->BeginRun(k.key);
  ASSERT_TRUE(t.ok()) << t.status().message();
  RunOutcome o;
  o.status = "ok";
  o.frames = {Frame(0, 1, 100), Frame(1, 2, 100)};
  o.metrics["mAP50"] = 0.5;
  g_fail_writes = true;
  Status s = k.store->CommitRun(t->run_id, o);
  g_fail_writes = false;
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_NE(s.message().find(path.string()), std::string::npos) << s.message();
  // store.cc's DbError: "I/O error while <what>: <SQLite's error>[ (<errno text>)]".
  EXPECT_NE(s.message().find("I/O error while committing: disk I/O error"), std::string::npos)
      << s.message();
  EXPECT_EQ(s.message().find("disk full"), std::string::npos) << s.message();
  // Nothing of the run was written; once writes work again it commits whole.
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM frame_results"), 0);
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM runs WHERE status = 'running'"), 1);
  Status again = k.store->CommitRun(t->run_id, o);
  EXPECT_TRUE(again.ok()) << again.message();
  EXPECT_EQ(CountRows(path, "SELECT count(*) FROM frame_results"), 2);
}

TEST_F(StoreTest, ADamagedFileIsRefusedBeforeAnythingIsWritten) {
  fs::path path = dir_ / "r.sqlite";
  {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(testing::FillFixtureStore(**store).ok());
  }
  // Damage a page in the middle of the file (past the header page).
  const auto size = fs::file_size(path);
  ASSERT_GT(size, 3 * 4096u);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    const std::string junk(4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  const auto read_all = [&] {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string bytes_before = read_all();
  auto store = Store::Open(path, Writer());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kCorruption) << store.status().message();
  EXPECT_NE(store.status().message().find(path.string()), std::string::npos);
  EXPECT_EQ(bytes_before, read_all()) << "nothing written";
  EXPECT_FALSE(fs::exists(path.string() + "-wal") && fs::file_size(path.string() + "-wal") > 0);
  // A reader is refused too.
  EXPECT_FALSE(Store::Open(path).ok());
}

TEST_F(StoreTest, ReJudgingKeepsTheAbiVersion) {
  auto store = Store::Open(dir_ / "r.sqlite");
  ASSERT_TRUE(store.ok());
  auto id = (*store)->UpsertSubmission({"s", "t", "1", "abc", "1.0.0", "measured"});
  auto again = (*store)->UpsertSubmission({"s", "t", "1", "abc", "", "measured"});
  ASSERT_TRUE(id.ok() && again.ok());
  EXPECT_EQ(*id, *again);
  EXPECT_EQ(
      CountRows(dir_ / "r.sqlite", "SELECT count(*) FROM submissions WHERE abi_version = '1.0.0'"),
      1);
  EXPECT_EQ((*store)->LoadSubmission(*id)->abi_version, "1.0.0");
  // A non-empty one does replace it.
  ASSERT_TRUE((*store)->UpsertSubmission({"s", "t", "1", "abc", "1.1.0", "measured"}).ok());
  EXPECT_EQ((*store)->LoadSubmission(*id)->abi_version, "1.1.0");
}

// ---- SIGKILL mid-run, then resume: the same rows as an uninterrupted fill. ----

int g_kill_at_begin = -1;   // fixture index whose BeginRun is followed by SIGKILL
int g_kill_at_commit = -1;  // n-th CommitRun killed inside its transaction
int g_commits = 0;

void KillAfterBegin(int index) {
  if (index == g_kill_at_begin) raise(SIGKILL);
}
void KillInsideCommit(int64_t) {
  if (++g_commits == g_kill_at_commit) raise(SIGKILL);
}

// Forks a child that fills `path`; returns its wait status. With kill_after_ms >= 0
// the parent SIGKILLs it that long after the child reports its store open
// (or, with wait_for_open false, that long after the fork).
int FillInChild(const fs::path& path, int frames, int kill_at_begin, int kill_at_commit,
                int kill_after_ms, bool wait_for_open = true) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    g_kill_at_begin = kill_at_begin;
    g_kill_at_commit = kill_at_commit;
    g_commits = 0;
    internal::SetCommitHookForTesting(&KillInsideCommit);
    auto store = Store::Open(path, Writer());
    if (!store.ok()) _exit(3);
    char ready = 'r';
    if (write(fds[1], &ready, 1) != 1) _exit(5);
    testing::FixtureOptions o;
    o.frames = frames;
    o.after_begin = &KillAfterBegin;
    auto r = testing::FillFixtureStore(**store, o);
    _exit(r.ok() ? 0 : 4);
  }
  close(fds[1]);
  if (kill_after_ms >= 0) {
    char ready;
    if (wait_for_open) (void)!read(fds[0], &ready, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
    kill(pid, SIGKILL);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);  // only now: an early close would SIGPIPE the child's write
  return status;
}

void ResumeInProcess(const fs::path& path, int frames) {
  auto store = Store::Open(path, Writer());
  ASSERT_TRUE(store.ok()) << store.status().message();
  testing::FixtureOptions o;
  o.frames = frames;
  auto r = testing::FillFixtureStore(**store, o);
  ASSERT_TRUE(r.ok()) << r.status().message();
}

TEST_F(StoreTest, SigkillMidRunThenResumeMatchesUninterruptedFill) {
  constexpr int kFrames = 300;
  const size_t n = testing::FixtureTeamIds().size();
  fs::path clean = dir_ / "clean.sqlite";
  int st = FillInChild(clean, kFrames, -1, -1, -1);
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << st;
  const std::string expected = DumpRows(clean);
  ASSERT_EQ(CountRows(clean, "SELECT count(*) FROM runs"), static_cast<int64_t>(n));
  ASSERT_EQ(CountRows(clean, "SELECT count(*) FROM entries"), static_cast<int64_t>(n));
  // The dump covers the v3 facts (runner timing, cycles, boxes).
  ASSERT_GT(CountRows(clean, "SELECT count(*) FROM frame_results WHERE cycles IS NOT NULL"), 0);
  ASSERT_GT(CountRows(clean, "SELECT count(*) FROM frame_results WHERE length(boxes) > 0"), 0);

  struct Case {
    const char* what;
    int kill_at_begin, kill_at_commit;
  };
  for (Case c :
       {Case{"after BeginRun of run 4", 4, -1}, Case{"inside the 6th CommitRun transaction", -1, 6},
        Case{"inside the 1st CommitRun transaction", -1, 1}}) {
    SCOPED_TRACE(c.what);
    fs::path path = dir_ / (std::string("killed_") + std::to_string(c.kill_at_begin) + "_" +
                            std::to_string(c.kill_at_commit) + ".sqlite");
    st = FillInChild(path, kFrames, c.kill_at_begin, c.kill_at_commit, -1);
    ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << st;
    // Killed mid-run: one stale running row, committed runs complete, nothing partial.
    EXPECT_EQ(CountRows(path, "SELECT count(*) FROM runs WHERE status = 'running'"), 1);
    EXPECT_EQ(CountRows(path,
                        "SELECT count(*) FROM frame_results f JOIN runs r ON r.id = f.run_id "
                        "WHERE r.status = 'running'"),
              0);
    EXPECT_LT(CountRows(path, "SELECT count(*) FROM runs WHERE status <> 'running'"),
              static_cast<int64_t>(n));
    ResumeInProcess(path, kFrames);
    EXPECT_EQ(DumpRows(path), expected);
    EXPECT_EQ(CountRows(path, "SELECT count(*) FROM runs WHERE attempts = 2"), 1);
  }
  // Kills at arbitrary moments (timer in the parent), then resume.
  // The first case kills during creation and migration of the file.
  int killed_mid_fill = 0;
  for (int ms : {-2, 1, 3, 6, 10, 20}) {
    SCOPED_TRACE("SIGKILL after " + std::to_string(ms) + " ms");
    fs::path path = dir_ / ("timed_" + std::to_string(ms + 2) + ".sqlite");
    int timed = ms < 0 ? FillInChild(path, kFrames, -1, -1, 2, /*wait_for_open=*/false)
                       : FillInChild(path, kFrames, -1, -1, ms);
    int64_t complete = CountRows(path, "SELECT count(*) FROM runs WHERE status <> 'running'");
    if (WIFSIGNALED(timed) && complete >= 0 && complete < static_cast<int64_t>(n)) {
      ++killed_mid_fill;
    }
    std::printf("SIGKILL after %d ms: child %s, %lld of %zu runs complete\n", ms,
                WIFSIGNALED(timed) ? "killed" : "had finished",
                static_cast<long long>(
                    CountRows(path, "SELECT count(*) FROM runs WHERE status <> 'running'")),
                n);
    ResumeInProcess(path, kFrames);
    EXPECT_EQ(DumpRows(path), expected);
    EXPECT_EQ(CountRows(path, "SELECT count(*) FROM runs"), static_cast<int64_t>(n));
  }
  // Timing-dependent, so only reported: how many timed kills landed mid-fill.
  std::printf("timed SIGKILLs that landed mid-fill: %d of 6\n", killed_mid_fill);
}

TEST_F(StoreTest, SecondFillSkipsEverything) {
  auto store = Store::Open(dir_ / "r.sqlite");
  ASSERT_TRUE(store.ok());
  auto first = testing::FillFixtureStore(**store);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->started, static_cast<int>(testing::FixtureTeamIds().size()));
  EXPECT_EQ(first->skipped, 0);
  auto second = testing::FillFixtureStore(**store);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(second->started, 0);
  EXPECT_EQ(second->skipped, first->started);
}

}  // namespace
}  // namespace maskbench::contest
