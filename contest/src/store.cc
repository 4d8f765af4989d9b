#include "maskbench/contest/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>
#include <utility>

#include "maskbench/core/files.h"
#include "maskbench/core/text.h"

namespace maskbench::contest {
namespace internal {
namespace {
void (*g_commit_hook)(int64_t) = nullptr;
}  // namespace

void SetCommitHookForTesting(void (*hook)(int64_t run_id)) { g_commit_hook = hook; }

const std::vector<std::string>& MigrationSteps() {
  // Rationale: each step is plain SQL applied in one transaction together with
  // the new user_version, so a crash mid-migration leaves the old version intact.
  static const std::vector<std::string> kSteps = {
      // 0 -> 1: the initial schema.
      R"sql(
CREATE TABLE submissions (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL,
  team            TEXT NOT NULL,
  version         TEXT NOT NULL,
  artifact_sha256 TEXT NOT NULL,
  abi_version     TEXT NOT NULL,
  latency_kind    TEXT NOT NULL,
  UNIQUE (team, name, version, artifact_sha256)
);
CREATE TABLE datasets (
  id              INTEGER PRIMARY KEY,
  manifest_sha256 TEXT NOT NULL,
  name            TEXT NOT NULL,
  split           TEXT NOT NULL,
  UNIQUE (manifest_sha256, split)
);
CREATE TABLE machines (
  id          INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  cpu_model   TEXT NOT NULL,
  cores       INTEGER NOT NULL
);
CREATE TABLE rules (
  id     INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  json   TEXT NOT NULL
);
CREATE TABLE runs (
  id                 INTEGER PRIMARY KEY,
  submission_id      INTEGER NOT NULL REFERENCES submissions(id),
  dataset_id         INTEGER NOT NULL REFERENCES datasets(id),
  rules_id           INTEGER NOT NULL REFERENCES rules(id),
  machine_id         INTEGER NOT NULL REFERENCES machines(id),
  harness_version    TEXT NOT NULL,
  status             TEXT NOT NULL CHECK (status <> ''),
  message            TEXT NOT NULL DEFAULT '',
  started_at         TEXT NOT NULL,
  finished_at        TEXT,
  attempts           INTEGER NOT NULL DEFAULT 1,
  requested_settings TEXT NOT NULL DEFAULT '{}',
  effective_settings TEXT NOT NULL DEFAULT '{}',
  UNIQUE (submission_id, dataset_id, rules_id, harness_version, machine_id)
);
CREATE INDEX runs_by_finish ON runs (finished_at);
CREATE TABLE frame_results (
  run_id        INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  frame_index   INTEGER NOT NULL,
  frame_id      TEXT NOT NULL,
  latency_ns    INTEGER,
  round_trip_ns INTEGER,
  detections    INTEGER NOT NULL,
  PRIMARY KEY (run_id, frame_index)
) WITHOUT ROWID;
CREATE TABLE metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name   TEXT NOT NULL,
  value  REAL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE TABLE audits (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name   TEXT NOT NULL,
  passed INTEGER NOT NULL CHECK (passed IN (0, 1)),
  detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
CREATE TABLE pr_curves (
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  class_id    INTEGER NOT NULL,
  class_name  TEXT NOT NULL,
  point_index INTEGER NOT NULL,
  recall      REAL NOT NULL,
  precision   REAL NOT NULL,
  PRIMARY KEY (run_id, class_id, point_index)
) WITHOUT ROWID;
CREATE VIEW run_summary AS
  SELECT r.id AS run_id, s.team, s.name, s.version, r.status, r.message,
         d.name AS dataset, d.split, substr(d.manifest_sha256, 1, 12) AS dataset_sha,
         substr(ru.sha256, 1, 12) AS rules_sha, m.fingerprint AS machine,
         r.harness_version, r.started_at, r.finished_at, r.attempts,
         (SELECT value FROM metrics WHERE run_id = r.id AND name = 'mAP50') AS mAP50,
         (SELECT value FROM metrics WHERE run_id = r.id AND name = 'latency_p90_ms') AS p90_ms,
         (SELECT value FROM metrics WHERE run_id = r.id AND name = 'speedup') AS speedup
  FROM runs r
  JOIN submissions s ON s.id = r.submission_id
  JOIN datasets d ON d.id = r.dataset_id
  JOIN rules ru ON ru.id = r.rules_id
  JOIN machines m ON m.id = r.machine_id;
)sql",
      // 1 -> 2: how each run's child was sealed, as the parent checked it.
      R"sql(
ALTER TABLE runs ADD COLUMN seal TEXT NOT NULL DEFAULT '{}';
)sql",
      // 2 -> 3: facts, not judgements. The run key loses the rules and gains the
      // frame selection, scenario, warm-up and trial; frames keep the runner's
      // timing, the cycles and the detections; entries say who entered what;
      // outside scores. Runs before version 3 become entries named after the
      // submission (the only identity they had). Runs foreign keys stay off
      // while the table is rebuilt (Open enables them afterwards).
      R"sql(
DROP VIEW IF EXISTS run_summary;
ALTER TABLE submissions ADD COLUMN kind TEXT NOT NULL DEFAULT 'plugin';
ALTER TABLE datasets ADD COLUMN frames INTEGER NOT NULL DEFAULT 0;
ALTER TABLE machines ADD COLUMN node_class TEXT NOT NULL DEFAULT '';
CREATE TABLE runs_v3 (
  id                 INTEGER PRIMARY KEY,
  submission_id      INTEGER NOT NULL REFERENCES submissions(id),
  dataset_id         INTEGER NOT NULL REFERENCES datasets(id),
  machine_id         INTEGER NOT NULL REFERENCES machines(id),
  frame_selection    TEXT NOT NULL,
  scenario           TEXT NOT NULL,
  warmup             INTEGER NOT NULL,
  harness_version    TEXT NOT NULL,
  trial              INTEGER NOT NULL DEFAULT 0,
  rules_sha256       TEXT NOT NULL DEFAULT '',
  status             TEXT NOT NULL CHECK (status <> ''),
  message            TEXT NOT NULL DEFAULT '',
  started_at         TEXT NOT NULL,
  finished_at        TEXT,
  attempts           INTEGER NOT NULL DEFAULT 1,
  partial            INTEGER NOT NULL DEFAULT 0 CHECK (partial IN (0, 1)),
  requested_settings TEXT NOT NULL DEFAULT '{}',
  effective_settings TEXT NOT NULL DEFAULT '{}',
  seal               TEXT NOT NULL DEFAULT '{}',
  pr_curves_metric   TEXT NOT NULL DEFAULT '',
  UNIQUE (submission_id, dataset_id, machine_id, frame_selection, scenario, warmup,
          harness_version, trial)
);
INSERT OR IGNORE INTO runs_v3 (id, submission_id, dataset_id, machine_id, frame_selection,
    scenario, warmup, harness_version, trial, rules_sha256, status, message, started_at,
    finished_at, attempts, partial, requested_settings, effective_settings, seal)
  SELECT r.id, r.submission_id, r.dataset_id, r.machine_id,
         CASE WHEN coalesce(json_extract(r.requested_settings, '$.max_frames'), 0) > 0
              THEN 'first:' || json_extract(r.requested_settings, '$.max_frames') ELSE 'all' END,
         coalesce(json_extract(r.effective_settings, '$.scenario'), 'single-stream'),
         coalesce(json_extract(r.effective_settings, '$.warmup_frames'), 0),
         r.harness_version, 0, ru.sha256, r.status, r.message, r.started_at, r.finished_at,
         r.attempts,
         CASE WHEN coalesce(json_extract(r.requested_settings, '$.max_frames'), 0) > 0
              THEN 1 ELSE 0 END,
         r.requested_settings, r.effective_settings, r.seal
  FROM runs r JOIN rules ru ON ru.id = r.rules_id
  ORDER BY coalesce(r.finished_at, '') DESC, r.id DESC;
DELETE FROM frame_results WHERE run_id NOT IN (SELECT id FROM runs_v3);
DELETE FROM metrics WHERE run_id NOT IN (SELECT id FROM runs_v3);
DELETE FROM audits WHERE run_id NOT IN (SELECT id FROM runs_v3);
DELETE FROM pr_curves WHERE run_id NOT IN (SELECT id FROM runs_v3);
DROP TABLE runs;
ALTER TABLE runs_v3 RENAME TO runs;
CREATE INDEX runs_by_finish ON runs (finished_at);
ALTER TABLE frame_results ADD COLUMN child_ns INTEGER;
ALTER TABLE frame_results ADD COLUMN cycles INTEGER;
ALTER TABLE frame_results ADD COLUMN boxes BLOB;
CREATE TABLE entries (
  team_id       TEXT PRIMARY KEY,
  display_name  TEXT NOT NULL,
  submission_id INTEGER NOT NULL REFERENCES submissions(id),
  reference     INTEGER NOT NULL DEFAULT 0 CHECK (reference IN (0, 1)),
  folder        TEXT NOT NULL DEFAULT '',
  track         TEXT NOT NULL DEFAULT '',
  updated_at    TEXT NOT NULL DEFAULT ''
);
INSERT OR IGNORE INTO entries (team_id, display_name, submission_id, reference)
  SELECT name, name, max(id), name IN ('reference-baseline', 'reference-fp32')
  FROM submissions GROUP BY name;
CREATE TABLE outside_scores (
  team_id     TEXT NOT NULL,
  metric      TEXT NOT NULL,
  value       REAL NOT NULL,
  source      TEXT NOT NULL DEFAULT '',
  imported_at TEXT NOT NULL,
  PRIMARY KEY (team_id, metric)
) WITHOUT ROWID;
CREATE VIEW run_summary AS
  SELECT r.id AS run_id, s.team, s.name, s.version, r.status, r.message,
         d.name AS dataset, d.split, substr(d.manifest_sha256, 1, 12) AS dataset_sha,
         r.frame_selection, r.scenario, r.trial, r.partial,
         substr(r.rules_sha256, 1, 12) AS rules_sha, m.fingerprint AS machine,
         r.harness_version, r.started_at, r.finished_at, r.attempts,
         (SELECT value FROM metrics WHERE run_id = r.id AND name = 'mAP50') AS mAP50,
         (SELECT value FROM metrics WHERE run_id = r.id AND name = 'latency_p90_ms') AS p90_ms,
         (SELECT value FROM metrics WHERE run_id = r.id AND name = 'modeled_latency_ms')
           AS modeled_ms
  FROM runs r
  JOIN submissions s ON s.id = r.submission_id
  JOIN datasets d ON d.id = r.dataset_id
  JOIN machines m ON m.id = r.machine_id;
)sql",
  };
  return kSteps;
}
}  // namespace internal

namespace {

// A prepared statement, finalized on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool prepared() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Stmt& Bind(int i, double v) {
    if (std::isfinite(v)) {
      sqlite3_bind_double(stmt_, i, v);
    } else {
      sqlite3_bind_null(stmt_, i);
    }
    return *this;
  }
  Stmt& Bind(int i, std::optional<int64_t> v) {
    if (v) {
      sqlite3_bind_int64(stmt_, i, *v);
    } else {
      sqlite3_bind_null(stmt_, i);
    }
    return *this;
  }
  Stmt& BindBlob(int i, const void* data, size_t bytes) {
    sqlite3_bind_blob(stmt_, i, bytes ? data : "", static_cast<int>(bytes), SQLITE_TRANSIENT);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return rc_ = sqlite3_step(stmt_); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int rc() const { return rc_; }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string Blob(int col) const {
    const void* p = sqlite3_column_blob(stmt_, col);
    const int n = sqlite3_column_bytes(stmt_, col);
    return p ? std::string(static_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
  }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

Status DbError(const std::filesystem::path& path, sqlite3* db, const std::string& what) {
  std::string msg = sqlite3_errmsg(db);
  // Extended result codes are on: the primary code is the low byte.
  const int code = sqlite3_errcode(db) & 0xff;
  const int extended = sqlite3_extended_errcode(db);
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
    return Status::Corruption(path.string(), "not a valid maskbench results database (SQLite: " +
                                                 msg + ") while " + what);
  }
  // The real cause first: SQLite reports a full disk in several ways (a failed
  // write, a failed journal, even a constraint on a half-written statement).
  const int err = sqlite3_system_errno(db);
  if (code == SQLITE_FULL || err == ENOSPC || err == EDQUOT)
    return Status::IOError(path.string(), "disk full: " + what + " (SQLite: " + msg + ")");
  if (code == SQLITE_IOERR)
    return Status::IOError(
        path.string(),
        "I/O error while " + what + ": " + sqlite3_errstr(extended) +
            (err != 0 ? std::string(" (") + std::strerror(err) + ")" : std::string()));
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    return Status::IOError(path.string(), what +
                                              ": the database stayed locked by another "
                                              "process for more than the 10 s busy timeout");
  if (code == SQLITE_READONLY)
    return Status::IOError(path.string(), what + ": the database is read-only (" + msg + ")");
  return Status::IOError(path.string(), what + ": " + msg);
}

Status Exec(const std::filesystem::path& path, sqlite3* db, const std::string& sql,
            const std::string& what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    sqlite3_free(err);
    return DbError(path, db, what);
  }
  return Status::Ok();
}

// Rolls back on scope exit unless Commit() succeeded.
class Transaction {
 public:
  Transaction(const std::filesystem::path& path, sqlite3* db) : path_(path), db_(db) {}
  ~Transaction() {
    if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  // BEGIN IMMEDIATE takes the write lock at once (waits up to the busy timeout).
  Status Begin() {
    MB_RETURN_IF_ERROR(Exec(path_, db_, "BEGIN IMMEDIATE", "starting a transaction"));
    open_ = true;
    return Status::Ok();
  }
  Status Commit() {
    MB_RETURN_IF_ERROR(Exec(path_, db_, "COMMIT", "committing"));
    open_ = false;
    return Status::Ok();
  }

 private:
  const std::filesystem::path& path_;
  sqlite3* db_;
  bool open_ = false;
};

}  // namespace

Result<std::unique_ptr<WriterLock>> WriterLock::Acquire(const std::filesystem::path& db,
                                                        bool wait) {
  const std::string lock_path = db.string() + ".lock";
  std::error_code ec;
  if (db.has_parent_path()) std::filesystem::create_directories(db.parent_path(), ec);
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(lock_path, "cannot open the lock file: " + ErrnoText(errno));
  for (;;) {
    if (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0) break;
    if (errno == EINTR) continue;
    const int err = errno;
    if (err == EWOULDBLOCK) {
      const std::string holder = Holder(db);
      ::close(fd);
      return Status::IOError(db.string(), "in use by another judge (" +
                                              (holder.empty() ? "unknown holder" : holder) +
                                              "); wait for it to finish, or pass --wait");
    }
    ::close(fd);
    return Status::IOError(lock_path, "cannot lock: " + ErrnoText(err));
  }
  // Who we are, for the next one who finds the lock taken.
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  std::string cmdline;
  if (Result<std::string> c = ReadFile("/proc/self/cmdline"); c.ok()) {
    cmdline = *c;
    for (char& ch : cmdline)
      if (ch == '\0') ch = ' ';
    while (!cmdline.empty() && cmdline.back() == ' ') cmdline.pop_back();
  }
  const std::string info = "pid " + std::to_string(::getpid()) + " on host " + host + ", since " +
                           NowUtcIso8601() + ": " + SanitizeText(cmdline, {.max_bytes = 512});
  if (::ftruncate(fd, 0) == 0) {
    ssize_t n = ::pwrite(fd, info.data(), info.size(), 0);
    (void)n;
  }
  return std::unique_ptr<WriterLock>(new WriterLock(fd));
}

WriterLock::~WriterLock() {
  if (fd_ >= 0) {
    if (::ftruncate(fd_, 0) != 0) {
    }
    ::close(fd_);  // releases the flock
  }
}

std::string WriterLock::Holder(const std::filesystem::path& db) {
  Result<std::string> text = ReadFile(db.string() + ".lock");
  return text.ok() ? SanitizeText(*text) : std::string();
}

bool IsCompleteStatus(const std::string& status) {
  return status != kStatusPending && status != kStatusRunning;
}

bool IsFinalStatus(const std::string& status) {
  return IsCompleteStatus(status) && status != kStatusHarnessError;
}

std::string NowUtcIso8601() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

Result<std::unique_ptr<Store>> Store::Open(const std::filesystem::path& path,
                                           const StoreOptions& options) {
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  // The writer lock comes before anything touches the file.
  std::unique_ptr<WriterLock> lock;
  if (options.writer_lock) {
    if (!exists && !options.create_if_missing)
      return Status::NotFound(path.string(), "no such results database");
    Result<std::unique_ptr<WriterLock>> l = WriterLock::Acquire(path, options.wait_for_lock);
    if (!l.ok()) return l.status();
    lock = std::move(*l);
  }
  if (!exists && !options.create_if_missing) {
    return Status::NotFound(path.string(), "no such results database");
  }
  if (exists && std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument(path.string(), "is a directory, expected a SQLite file");
  }
  if (!exists && path.has_parent_path())
    std::filesystem::create_directories(path.parent_path(), ec);
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
              (options.create_if_missing ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::IOError(path.string(), "cannot open results database: " + msg);
  }
  std::unique_ptr<Store> store(new Store(path, db));
  store->lock_ = std::move(lock);
  sqlite3_busy_timeout(db, 10000);
  sqlite3_extended_result_codes(db, 1);
  // The first statement that reads the header detects a file that is not a database.
  MB_RETURN_IF_ERROR(Exec(path, db, "PRAGMA schema_version", "reading the database header"));
  if (exists && options.check_integrity) MB_RETURN_IF_ERROR(store->QuickCheck());
  {
    // Switching the journal mode does not wait on the busy handler: retry for
    // up to the busy timeout while another process holds the file.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      std::string current;
      {
        Stmt mode(db, "PRAGMA journal_mode");
        if (mode.prepared() && mode.Step() == SQLITE_ROW) current = mode.Text(0);
      }
      if (current == "wal") break;
      int rc2;
      {
        Stmt wal(db, "PRAGMA journal_mode = WAL");
        rc2 = wal.prepared() ? wal.Step() : SQLITE_ERROR;
        if (rc2 == SQLITE_ROW && wal.Text(0) == "wal") break;
      }
      if (((rc2 & 0xff) == SQLITE_BUSY || (rc2 & 0xff) == SQLITE_LOCKED || rc2 == SQLITE_ROW) &&
          std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      return DbError(path, db, "switching to WAL journal mode");
    }
  }
  MB_RETURN_IF_ERROR(Exec(path, db, "PRAGMA synchronous = NORMAL", "setting synchronous mode"));
  // Migrations rebuild tables: foreign keys go on only afterwards.
  MB_RETURN_IF_ERROR(store->Migrate());
  MB_RETURN_IF_ERROR(Exec(path, db, "PRAGMA foreign_keys = ON", "enabling foreign keys"));
  return store;
}

Store::~Store() { sqlite3_close(db_); }

namespace internal {
Status SetMaxPageCountForTesting(Store& store, int64_t pages) {
  return Exec(store.path_, store.db_, "PRAGMA max_page_count = " + std::to_string(pages),
              "setting max_page_count");
}
}  // namespace internal

Status Store::QuickCheck() {
  Stmt q(db_, "PRAGMA quick_check");
  if (!q.prepared()) return DbError(path_, db_, "checking the database (quick_check)");
  std::vector<std::string> rows;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) rows.push_back(q.Text(0));
  if (rc != SQLITE_DONE) return DbError(path_, db_, "checking the database (quick_check)");
  if (rows.size() == 1 && rows[0] == "ok") return Status::Ok();
  std::string first = rows.empty() ? std::string("no answer") : rows[0];
  return Status::Corruption(
      path_.string(),
      "the results database is damaged (quick_check: " + first +
          (rows.size() > 1 ? "; " + std::to_string(rows.size() - 1) + " more problems"
                           : std::string()) +
          "); nothing was written: restore it from a copy");
}

Result<int> Store::SchemaVersion() {
  Stmt q(db_, "PRAGMA user_version");
  if (!q.prepared() || q.Step() != SQLITE_ROW) return DbError(path_, db_, "reading user_version");
  return static_cast<int>(q.Int(0));
}

Status Store::Migrate() {
  Result<int> before = SchemaVersion();
  if (!before.ok()) return before.status();
  const auto& steps = internal::MigrationSteps();
  if (*before > kStoreSchemaVersion) {
    return Status::Unsupported(
        path_.string(), "results database has schema version " + std::to_string(*before) +
                            ", newer than the version " + std::to_string(kStoreSchemaVersion) +
                            " this maskbench supports; use a newer maskbench");
  }
  if (*before == kStoreSchemaVersion) return Status::Ok();
  Transaction tx(path_, db_);
  MB_RETURN_IF_ERROR(tx.Begin());
  // Read again under the write lock: another process may have migrated meanwhile.
  Result<int> current = SchemaVersion();
  if (!current.ok()) return current.status();
  if (*current > kStoreSchemaVersion)
    return Status::Unsupported(
        path_.string(), "results database has schema version " + std::to_string(*current) +
                            ", newer than the version " + std::to_string(kStoreSchemaVersion) +
                            " this maskbench supports; use a newer maskbench");
  if (*current == 0) {
    // Version 0 must mean an empty file, not someone else's database.
    Stmt q(db_, "SELECT count(*) FROM sqlite_schema");
    if (!q.prepared() || q.Step() != SQLITE_ROW) return DbError(path_, db_, "reading the schema");
    if (q.Int(0) != 0) {
      return Status::Corruption(path_.string(),
                                "SQLite file has tables but no maskbench schema version "
                                "(PRAGMA user_version = 0); not a maskbench results database");
    }
  }
  for (int v = *current; v < kStoreSchemaVersion; ++v) {
    MB_RETURN_IF_ERROR(
        Exec(path_, db_, steps[static_cast<size_t>(v)],
             "migrating schema " + std::to_string(v) + " -> " + std::to_string(v + 1)));
  }
  MB_RETURN_IF_ERROR(Exec(path_, db_,
                          "PRAGMA user_version = " + std::to_string(kStoreSchemaVersion),
                          "setting user_version"));
  return tx.Commit();
}

namespace {

// Runs an upsert whose RETURNING clause yields the row id.
Result<int64_t> UpsertReturningId(const std::filesystem::path& path, sqlite3* db, Stmt& q,
                                  const std::string& what) {
  if (!q.prepared()) return DbError(path, db, "preparing " + what);
  if (q.Step() != SQLITE_ROW) return DbError(path, db, what);
  int64_t id = q.Int(0);
  q.Step();  // finish the statement
  return id;
}

}  // namespace

Result<int64_t> Store::UpsertSubmission(const SubmissionInfo& s) {
  if (s.name.empty() || s.artifact_sha256.empty()) {
    return Status::InvalidArgument(path_.string(), "submission needs a name and an artifact hash");
  }
  Stmt q(
      db_,
      "INSERT INTO submissions (name, team, version, artifact_sha256, abi_version, latency_kind, "
      "kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
      "ON CONFLICT (team, name, version, artifact_sha256) DO UPDATE SET "
      "abi_version = CASE WHEN excluded.abi_version <> '' THEN excluded.abi_version "
      "ELSE abi_version END, latency_kind = excluded.latency_kind, kind = excluded.kind "
      "RETURNING id");
  q.Bind(1, s.name).Bind(2, s.team).Bind(3, s.version).Bind(4, s.artifact_sha256);
  q.Bind(5, s.abi_version).Bind(6, s.latency_kind).Bind(7, s.kind);
  return UpsertReturningId(path_, db_, q, "storing submission " + s.name);
}

Result<int64_t> Store::UpsertDataset(const DatasetInfo& d) {
  if (d.manifest_sha256.empty()) {
    return Status::InvalidArgument(path_.string(), "data set needs a manifest hash");
  }
  Stmt q(db_,
         "INSERT INTO datasets (manifest_sha256, name, split, frames) VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT (manifest_sha256, split) DO UPDATE SET name = excluded.name, "
         "frames = excluded.frames RETURNING id");
  q.Bind(1, d.manifest_sha256).Bind(2, d.name).Bind(3, d.split).Bind(4, d.frames);
  return UpsertReturningId(path_, db_, q, "storing data set " + d.name);
}

Result<int64_t> Store::UpsertMachine(const MachineInfo& m) {
  if (m.fingerprint.empty()) {
    return Status::InvalidArgument(path_.string(), "machine needs a fingerprint");
  }
  Stmt q(db_,
         "INSERT INTO machines (fingerprint, cpu_model, cores, node_class) VALUES (?1, ?2, ?3, ?4) "
         "ON CONFLICT (fingerprint) DO UPDATE SET cpu_model = excluded.cpu_model, "
         "cores = excluded.cores, node_class = excluded.node_class RETURNING id");
  q.Bind(1, m.fingerprint).Bind(2, m.cpu_model).Bind(3, static_cast<int64_t>(m.cores));
  q.Bind(4, m.node_class);
  return UpsertReturningId(path_, db_, q, "storing machine " + m.fingerprint);
}

Result<int64_t> Store::UpsertRules(const RulesInfo& r) {
  if (r.sha256.empty()) return Status::InvalidArgument(path_.string(), "rules need a hash");
  Stmt q(db_,
         "INSERT INTO rules (sha256, json) VALUES (?1, ?2) "
         "ON CONFLICT (sha256) DO UPDATE SET json = excluded.json RETURNING id");
  q.Bind(1, r.sha256).Bind(2, r.json);
  return UpsertReturningId(path_, db_, q, "storing rules " + r.sha256);
}

Status Store::UpsertEntry(const EntryInfo& e) {
  if (e.team_id.empty() || e.submission_id <= 0)
    return Status::InvalidArgument(path_.string(), "an entry needs a team id and a submission");
  Stmt q(db_,
         "INSERT INTO entries (team_id, display_name, submission_id, reference, folder, track, "
         "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (team_id) DO UPDATE SET "
         "display_name = excluded.display_name, submission_id = excluded.submission_id, "
         "reference = excluded.reference, folder = excluded.folder, track = excluded.track, "
         "updated_at = excluded.updated_at");
  q.Bind(1, e.team_id).Bind(2, e.display_name).Bind(3, e.submission_id);
  q.Bind(4, static_cast<int64_t>(e.reference ? 1 : 0)).Bind(5, e.folder).Bind(6, e.track);
  q.Bind(7, NowUtcIso8601());
  if (!q.prepared() || q.Step() != SQLITE_DONE)
    return DbError(path_, db_, "storing entry " + e.team_id);
  return Status::Ok();
}

Result<std::vector<EntryInfo>> Store::ListEntries() {
  Stmt q(db_,
         "SELECT team_id, display_name, submission_id, reference, folder, track, updated_at "
         "FROM entries ORDER BY team_id");
  if (!q.prepared()) return DbError(path_, db_, "listing entries");
  std::vector<EntryInfo> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW)
    out.push_back({q.Text(0), q.Text(1), q.Int(2), q.Int(3) != 0, q.Text(4), q.Text(5), q.Text(6)});
  if (rc != SQLITE_DONE) return DbError(path_, db_, "listing entries");
  return out;
}

Result<SubmissionInfo> Store::LoadSubmission(int64_t submission_id) {
  Stmt q(db_,
         "SELECT name, team, version, artifact_sha256, abi_version, latency_kind, kind "
         "FROM submissions WHERE id = ?1");
  q.Bind(1, submission_id);
  const int rc = q.Step();
  if (rc == SQLITE_ROW)
    return SubmissionInfo{q.Text(0), q.Text(1), q.Text(2), q.Text(3),
                          q.Text(4), q.Text(5), q.Text(6)};
  if (rc == SQLITE_DONE)
    return Status::NotFound(path_.string(), "no submission " + std::to_string(submission_id));
  return DbError(path_, db_, "reading a submission");
}

Result<RunTicket> Store::BeginRun(const RunKey& key, bool replace_complete) {
  Transaction tx(path_, db_);
  MB_RETURN_IF_ERROR(tx.Begin());
  RunTicket ticket;
  std::string running_status;
  {
    Stmt q(db_,
           "SELECT id, status, attempts FROM runs WHERE submission_id = ?1 AND dataset_id = ?2 "
           "AND machine_id = ?3 AND frame_selection = ?4 AND scenario = ?5 AND warmup = ?6 "
           "AND harness_version = ?7 AND trial = ?8");
    q.Bind(1, key.submission_id).Bind(2, key.dataset_id).Bind(3, key.machine_id);
    q.Bind(4, key.frame_selection).Bind(5, key.scenario).Bind(6, key.warmup);
    q.Bind(7, key.harness_version).Bind(8, key.trial);
    if (!q.prepared()) return DbError(path_, db_, "looking up run");
    const int rc = q.Step();
    if (rc == SQLITE_ROW) {
      ticket.run_id = q.Int(0);
      ticket.attempts = static_cast<int>(q.Int(2));
      running_status = q.Text(1);
      if (IsFinalStatus(q.Text(1)) && !replace_complete) {
        ticket.already_complete = true;
        return ticket;  // nothing written; the transaction rolls back
      }
    } else if (rc != SQLITE_DONE) {
      return DbError(path_, db_, "looking up run");
    }
  }
  const std::string now = NowUtcIso8601();
  if (ticket.run_id != 0 && running_status == kStatusRunning && lock_ == nullptr)
    return Status::InvalidArgument(
        path_.string(), "run " + std::to_string(ticket.run_id) +
                            " is marked running and this process does not hold the writer lock, "
                            "so its owner may be alive; open the store with the writer lock");
  if (ticket.run_id != 0) {
    // A stale pending/running row (its process died), a harness error, or a
    // complete run asked to be replaced: restart it.
    for (const char* table : {"frame_results", "metrics", "audits", "pr_curves"}) {
      Stmt del(db_, (std::string("DELETE FROM ") + table + " WHERE run_id = ?1").c_str());
      del.Bind(1, ticket.run_id);
      if (del.Step() != SQLITE_DONE) return DbError(path_, db_, "clearing stale run");
    }
    Stmt up(db_,
            "UPDATE runs SET status = 'running', message = '', started_at = ?2, "
            "finished_at = NULL, attempts = attempts + 1 WHERE id = ?1");
    up.Bind(1, ticket.run_id).Bind(2, now);
    if (up.Step() != SQLITE_DONE) return DbError(path_, db_, "restarting run");
    ticket.attempts += 1;
  } else {
    Stmt ins(db_,
             "INSERT INTO runs (submission_id, dataset_id, machine_id, frame_selection, scenario, "
             "warmup, harness_version, trial, status, started_at) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'running', ?9)");
    ins.Bind(1, key.submission_id).Bind(2, key.dataset_id).Bind(3, key.machine_id);
    ins.Bind(4, key.frame_selection).Bind(5, key.scenario).Bind(6, key.warmup);
    ins.Bind(7, key.harness_version).Bind(8, key.trial).Bind(9, now);
    if (ins.Step() != SQLITE_DONE) return DbError(path_, db_, "inserting run");
    ticket.run_id = sqlite3_last_insert_rowid(db_);
    ticket.attempts = 1;
  }
  MB_RETURN_IF_ERROR(tx.Commit());
  return ticket;
}

Status Store::CommitRun(int64_t run_id, const RunOutcome& o) {
  const std::string where = path_.string() + ": run " + std::to_string(run_id);
  if (!IsCompleteStatus(o.status) || o.status.empty()) {
    return Status::InvalidArgument(where, "CommitRun needs a final status, got '" + o.status + "'");
  }
  Transaction tx(path_, db_);
  MB_RETURN_IF_ERROR(tx.Begin());
  {
    Stmt q(db_, "SELECT status FROM runs WHERE id = ?1");
    q.Bind(1, run_id);
    const int rc = q.Step();
    if (rc == SQLITE_DONE) return Status::NotFound(where, "no such run");
    if (rc != SQLITE_ROW) return DbError(path_, db_, "looking up run");
    if (IsCompleteStatus(q.Text(0))) {
      return Status::InvalidArgument(where, "already complete (status " + q.Text(0) + ")");
    }
  }
  for (const char* table : {"frame_results", "metrics", "audits", "pr_curves"}) {
    Stmt del(db_, (std::string("DELETE FROM ") + table + " WHERE run_id = ?1").c_str());
    del.Bind(1, run_id);
    if (del.Step() != SQLITE_DONE) return DbError(path_, db_, "clearing run");
  }
  {
    Stmt ins(db_,
             "INSERT INTO frame_results (run_id, frame_index, frame_id, latency_ns, round_trip_ns, "
             "detections, child_ns, cycles, boxes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    for (const FrameFacts& f : o.frames) {
      ins.Reset();
      ins.Bind(1, run_id).Bind(2, f.frame_index).Bind(3, std::to_string(f.frame_id));
      ins.Bind(4, f.latency_ns).Bind(5, f.round_trip_ns);
      ins.Bind(6, static_cast<int64_t>(f.detections.size())).Bind(7, f.child_ns);
      ins.Bind(8,
               f.cycles ? std::optional<int64_t>(static_cast<int64_t>(*f.cycles)) : std::nullopt);
      ins.BindBlob(9, f.detections.data(), f.detections.size() * sizeof(mb_detection_t));
      if (ins.Step() != SQLITE_DONE) {
        return DbError(path_, db_,
                       "run " + std::to_string(run_id) + " frame " + std::to_string(f.frame_index));
      }
    }
  }
  if (internal::g_commit_hook) internal::g_commit_hook(run_id);
  {
    Stmt ins(db_, "INSERT INTO metrics (run_id, name, value) VALUES (?1, ?2, ?3)");
    for (const auto& [name, value] : o.metrics) {
      ins.Reset();
      ins.Bind(1, run_id).Bind(2, name).Bind(3, value);
      if (ins.Step() != SQLITE_DONE) return DbError(path_, db_, "metric " + name);
    }
  }
  {
    Stmt ins(db_, "INSERT INTO audits (run_id, name, passed, detail) VALUES (?1, ?2, ?3, ?4)");
    for (const AuditResult& a : o.audits) {
      ins.Reset();
      ins.Bind(1, run_id).Bind(2, a.name).Bind(3, static_cast<int64_t>(a.passed ? 1 : 0));
      ins.Bind(4, a.detail);
      if (ins.Step() != SQLITE_DONE) return DbError(path_, db_, "audit " + a.name);
    }
  }
  {
    Stmt ins(db_,
             "INSERT INTO pr_curves (run_id, class_id, class_name, point_index, recall, precision) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (const PrCurve& c : o.pr_curves) {
      for (size_t i = 0; i < c.points.size(); ++i) {
        ins.Reset();
        ins.Bind(1, run_id).Bind(2, c.class_id).Bind(3, c.class_name);
        ins.Bind(4, static_cast<int64_t>(i)).Bind(5, c.points[i].first).Bind(6, c.points[i].second);
        if (ins.Step() != SQLITE_DONE) {
          return DbError(path_, db_, "precision-recall curve of class " + c.class_name);
        }
      }
    }
  }
  {
    Stmt up(db_,
            "UPDATE runs SET status = ?2, message = ?3, finished_at = ?4, requested_settings = ?5, "
            "effective_settings = ?6, seal = ?7, rules_sha256 = ?8, partial = ?9, "
            "pr_curves_metric = ?10 WHERE id = ?1");
    up.Bind(1, run_id).Bind(2, o.status).Bind(3, o.message).Bind(4, NowUtcIso8601());
    up.Bind(5, o.requested_settings_json).Bind(6, o.effective_settings_json).Bind(7, o.seal_json);
    up.Bind(8, o.rules_sha256).Bind(9, static_cast<int64_t>(o.partial ? 1 : 0));
    up.Bind(10, o.pr_curves_metric);
    if (up.Step() != SQLITE_DONE) return DbError(path_, db_, "finishing run");
  }
  return tx.Commit();
}

Result<std::vector<StoredRun>> Store::ListRuns(const RunFilter& f) {
  Stmt q(db_,
         "SELECT r.id, s.id, s.name, s.team, s.version, s.artifact_sha256, s.abi_version, "
         "s.latency_kind, s.kind, d.manifest_sha256, d.name, d.split, d.frames, m.fingerprint, "
         "m.cpu_model, m.cores, m.node_class, r.frame_selection, r.scenario, r.warmup, "
         "r.harness_version, r.trial, r.rules_sha256, r.status, r.message, r.started_at, "
         "coalesce(r.finished_at, ''), r.attempts, r.partial, r.requested_settings, "
         "r.effective_settings, r.seal, r.pr_curves_metric, r.dataset_id, r.machine_id "
         "FROM runs r JOIN submissions s ON s.id = r.submission_id "
         "JOIN datasets d ON d.id = r.dataset_id JOIN machines m ON m.id = r.machine_id "
         "WHERE (?1 = '' OR d.manifest_sha256 = ?1) AND (?2 = '' OR d.split = ?2) "
         "AND (?3 = '' OR m.fingerprint = ?3) AND (?4 = '' OR r.harness_version = ?4) "
         "AND (?5 = 0 OR r.submission_id = ?5) "
         "AND (?6 = 0 OR r.status NOT IN ('pending', 'running')) "
         "ORDER BY coalesce(r.finished_at, '') DESC, r.started_at DESC, r.id DESC");
  if (!q.prepared()) return DbError(path_, db_, "preparing run listing");
  q.Bind(1, f.dataset_manifest_sha256).Bind(2, f.split).Bind(3, f.machine_fingerprint);
  q.Bind(4, f.harness_version).Bind(5, f.submission_id);
  q.Bind(6, static_cast<int64_t>(f.complete_only ? 1 : 0));
  std::vector<StoredRun> runs;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    StoredRun r;
    r.id = q.Int(0);
    r.submission_id = q.Int(1);
    r.submission = {q.Text(2), q.Text(3), q.Text(4), q.Text(5), q.Text(6), q.Text(7), q.Text(8)};
    r.dataset = {q.Text(9), q.Text(10), q.Text(11), q.Int(12)};
    r.machine = {q.Text(13), q.Text(14), static_cast<int>(q.Int(15)), q.Text(16)};
    r.key.submission_id = r.submission_id;
    r.key.frame_selection = q.Text(17);
    r.key.scenario = q.Text(18);
    r.key.warmup = q.Int(19);
    r.key.harness_version = q.Text(20);
    r.key.trial = q.Int(21);
    r.rules_sha256 = q.Text(22);
    r.status = q.Text(23);
    r.message = q.Text(24);
    r.started_at = q.Text(25);
    r.finished_at = q.Text(26);
    r.attempts = static_cast<int>(q.Int(27));
    r.partial = q.Int(28) != 0;
    r.requested_settings_json = q.Text(29);
    r.effective_settings_json = q.Text(30);
    r.seal_json = q.Text(31);
    r.pr_curves_metric = q.Text(32);
    r.key.dataset_id = q.Int(33);
    r.key.machine_id = q.Int(34);
    runs.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return DbError(path_, db_, "listing runs");
  Stmt mq(db_, "SELECT name, value FROM metrics WHERE run_id = ?1 ORDER BY name");
  Stmt aq(db_, "SELECT name, passed, detail FROM audits WHERE run_id = ?1 ORDER BY name");
  for (StoredRun& r : runs) {
    mq.Reset();
    mq.Bind(1, r.id);
    while ((rc = mq.Step()) == SQLITE_ROW) {
      r.metrics[mq.Text(0)] = mq.IsNull(1) ? std::nullopt : std::optional<double>(mq.Double(1));
    }
    if (rc != SQLITE_DONE) return DbError(path_, db_, "reading metrics");
    aq.Reset();
    aq.Bind(1, r.id);
    while ((rc = aq.Step()) == SQLITE_ROW) {
      r.audits.push_back({aq.Text(0), aq.Int(1) != 0, aq.Text(2)});
    }
    if (rc != SQLITE_DONE) return DbError(path_, db_, "reading audits");
  }
  return runs;
}

Result<std::vector<FrameFacts>> Store::LoadFrames(int64_t run_id) {
  Stmt q(db_,
         "SELECT frame_index, frame_id, latency_ns, round_trip_ns, child_ns, cycles, boxes "
         "FROM frame_results WHERE run_id = ?1 ORDER BY frame_index");
  if (!q.prepared()) return DbError(path_, db_, "preparing frame query");
  q.Bind(1, run_id);
  std::vector<FrameFacts> frames;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    FrameFacts f;
    f.frame_index = q.Int(0);
    f.frame_id = std::strtoll(q.Text(1).c_str(), nullptr, 10);
    if (!q.IsNull(2)) f.latency_ns = q.Int(2);
    if (!q.IsNull(3)) f.round_trip_ns = q.Int(3);
    if (!q.IsNull(4)) f.child_ns = q.Int(4);
    if (!q.IsNull(5)) f.cycles = static_cast<uint64_t>(q.Int(5));
    const std::string blob = q.Blob(6);
    f.detections.resize(blob.size() / sizeof(mb_detection_t));
    if (!f.detections.empty())
      std::memcpy(f.detections.data(), blob.data(), f.detections.size() * sizeof(mb_detection_t));
    frames.push_back(std::move(f));
  }
  if (rc != SQLITE_DONE) return DbError(path_, db_, "reading frames");
  return frames;
}

Result<std::vector<PrCurve>> Store::LoadPrCurves(int64_t run_id) {
  Stmt q(db_,
         "SELECT class_id, class_name, recall, precision FROM pr_curves WHERE run_id = ?1 "
         "ORDER BY class_id, point_index");
  if (!q.prepared()) return DbError(path_, db_, "preparing curve query");
  q.Bind(1, run_id);
  std::vector<PrCurve> curves;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    const int64_t cls = q.Int(0);
    if (curves.empty() || curves.back().class_id != cls) curves.push_back({cls, q.Text(1), {}});
    curves.back().points.emplace_back(q.Double(2), q.Double(3));
  }
  if (rc != SQLITE_DONE) return DbError(path_, db_, "reading precision-recall curves");
  return curves;
}

Status Store::ImportScores(const std::vector<OutsideScore>& scores) {
  Transaction tx(path_, db_);
  MB_RETURN_IF_ERROR(tx.Begin());
  Stmt ins(db_,
           "INSERT INTO outside_scores (team_id, metric, value, source, imported_at) "
           "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (team_id, metric) DO UPDATE SET "
           "value = excluded.value, source = excluded.source, imported_at = excluded.imported_at");
  const std::string now = NowUtcIso8601();
  for (const OutsideScore& s : scores) {
    if (s.team_id.empty() || s.metric.empty() || !std::isfinite(s.value))
      return Status::InvalidArgument(path_.string(),
                                     "an outside score needs a team id, a metric "
                                     "and a finite value");
    ins.Reset();
    ins.Bind(1, s.team_id).Bind(2, s.metric).Bind(3, s.value).Bind(4, s.source).Bind(5, now);
    if (ins.Step() != SQLITE_DONE)
      return DbError(path_, db_, "storing the score " + s.metric + " of " + s.team_id);
  }
  return tx.Commit();
}

Result<std::vector<OutsideScore>> Store::ListScores() {
  Stmt q(db_,
         "SELECT team_id, metric, value, source, imported_at FROM outside_scores "
         "ORDER BY team_id, metric");
  if (!q.prepared()) return DbError(path_, db_, "listing outside scores");
  std::vector<OutsideScore> out;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW)
    out.push_back({q.Text(0), q.Text(1), q.Double(2), q.Text(3), q.Text(4)});
  if (rc != SQLITE_DONE) return DbError(path_, db_, "listing outside scores");
  return out;
}

Result<std::string> Store::LoadRulesJson(const std::string& sha256) {
  if (sha256.empty() || sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
    return Status::InvalidArgument(path_.string(),
                                   "a rules hash is lowercase hex, got \"" + sha256 + "\"");
  Stmt q(db_, "SELECT json FROM rules WHERE substr(sha256, 1, ?2) = ?1");
  q.Bind(1, sha256).Bind(2, static_cast<int64_t>(sha256.size()));
  std::vector<std::string> found;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) found.push_back(q.Text(0));
  if (rc != SQLITE_DONE) return DbError(path_, db_, "reading rules");
  if (found.empty()) return Status::NotFound(path_.string(), "no rules with hash " + sha256);
  if (found.size() > 1)
    return Status::InvalidArgument(path_.string(), "rules hash prefix " + sha256 + " matches " +
                                                       std::to_string(found.size()) + " files");
  return found.front();
}

}  // namespace maskbench::contest
