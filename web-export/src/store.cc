#include "maskbench/web_export/store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <thread>
#include <utility>

#include "maskbench/core/files.h"
#include "maskbench/core/text.h"

namespace maskbench::web_export {
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
  const int code = sqlite3_errcode(db);
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
  MB_RETURN_IF_ERROR(Exec(path, db, "PRAGMA foreign_keys = ON", "enabling foreign keys"));
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
      if ((rc2 == SQLITE_BUSY || rc2 == SQLITE_LOCKED || rc2 == SQLITE_ROW) &&
          std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      return DbError(path, db, "switching to WAL journal mode");
    }
  }
  MB_RETURN_IF_ERROR(Exec(path, db, "PRAGMA synchronous = NORMAL", "setting synchronous mode"));
  MB_RETURN_IF_ERROR(store->Migrate());
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
      "INSERT INTO submissions (name, team, version, artifact_sha256, abi_version, latency_kind) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT (team, name, version, artifact_sha256) DO UPDATE SET "
      "abi_version = CASE WHEN excluded.abi_version <> '' THEN excluded.abi_version "
      "ELSE abi_version END, latency_kind = excluded.latency_kind "
      "RETURNING id");
  q.Bind(1, s.name).Bind(2, s.team).Bind(3, s.version).Bind(4, s.artifact_sha256);
  q.Bind(5, s.abi_version).Bind(6, s.latency_kind);
  return UpsertReturningId(path_, db_, q, "storing submission " + s.name);
}

Result<int64_t> Store::UpsertDataset(const DatasetInfo& d) {
  if (d.manifest_sha256.empty()) {
    return Status::InvalidArgument(path_.string(), "data set needs a manifest hash");
  }
  Stmt q(db_,
         "INSERT INTO datasets (manifest_sha256, name, split) VALUES (?1, ?2, ?3) "
         "ON CONFLICT (manifest_sha256, split) DO UPDATE SET name = excluded.name "
         "RETURNING id");
  q.Bind(1, d.manifest_sha256).Bind(2, d.name).Bind(3, d.split);
  return UpsertReturningId(path_, db_, q, "storing data set " + d.name);
}

Result<int64_t> Store::UpsertMachine(const MachineInfo& m) {
  if (m.fingerprint.empty()) {
    return Status::InvalidArgument(path_.string(), "machine needs a fingerprint");
  }
  Stmt q(db_,
         "INSERT INTO machines (fingerprint, cpu_model, cores) VALUES (?1, ?2, ?3) "
         "ON CONFLICT (fingerprint) DO UPDATE SET cpu_model = excluded.cpu_model, "
         "cores = excluded.cores RETURNING id");
  q.Bind(1, m.fingerprint).Bind(2, m.cpu_model).Bind(3, static_cast<int64_t>(m.cores));
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

Result<RunTicket> Store::BeginRun(const RunKey& key) {
  Transaction tx(path_, db_);
  MB_RETURN_IF_ERROR(tx.Begin());
  RunTicket ticket;
  std::string running_status;
  {
    Stmt q(db_,
           "SELECT id, status, attempts FROM runs WHERE submission_id = ?1 AND dataset_id = ?2 "
           "AND rules_id = ?3 AND harness_version = ?4 AND machine_id = ?5");
    q.Bind(1, key.submission_id).Bind(2, key.dataset_id).Bind(3, key.rules_id);
    q.Bind(4, key.harness_version).Bind(5, key.machine_id);
    if (!q.prepared()) return DbError(path_, db_, "looking up run");
    int rc = q.Step();
    if (rc == SQLITE_ROW) {
      ticket.run_id = q.Int(0);
      ticket.attempts = static_cast<int>(q.Int(2));
      running_status = q.Text(1);
      if (IsFinalStatus(q.Text(1))) {
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
    // A stale pending/running row (its process died) or a harness error: restart it.
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
             "INSERT INTO runs (submission_id, dataset_id, rules_id, machine_id, harness_version, "
             "status, started_at) VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6)");
    ins.Bind(1, key.submission_id).Bind(2, key.dataset_id).Bind(3, key.rules_id);
    ins.Bind(4, key.machine_id).Bind(5, key.harness_version).Bind(6, now);
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
    int rc = q.Step();
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
             "detections) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    for (const FrameResult& f : o.frames) {
      ins.Reset();
      ins.Bind(1, run_id).Bind(2, f.frame_index).Bind(3, f.frame_id).Bind(4, f.latency_ns);
      ins.Bind(5, f.round_trip_ns).Bind(6, f.detections);
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
            "effective_settings = ?6, seal = ?7 WHERE id = ?1");
    up.Bind(1, run_id).Bind(2, o.status).Bind(3, o.message).Bind(4, NowUtcIso8601());
    up.Bind(5, o.requested_settings_json).Bind(6, o.effective_settings_json).Bind(7, o.seal_json);
    if (up.Step() != SQLITE_DONE) return DbError(path_, db_, "finishing run");
  }
  return tx.Commit();
}

Result<std::vector<StoredRun>> Store::ListRuns(const RunFilter& f) {
  Stmt q(
      db_,
      "SELECT r.id, s.name, s.team, s.version, s.artifact_sha256, s.abi_version, s.latency_kind, "
      "d.manifest_sha256, d.name, d.split, ru.sha256, m.fingerprint, m.cpu_model, m.cores, "
      "r.harness_version, r.status, r.message, r.started_at, coalesce(r.finished_at, ''), "
      "r.attempts, r.requested_settings, r.effective_settings, r.seal "
      "FROM runs r JOIN submissions s ON s.id = r.submission_id "
      "JOIN datasets d ON d.id = r.dataset_id JOIN rules ru ON ru.id = r.rules_id "
      "JOIN machines m ON m.id = r.machine_id "
      "WHERE (?1 = '' OR d.manifest_sha256 = ?1) AND (?2 = '' OR d.split = ?2) "
      "AND (?3 = '' OR ru.sha256 = ?3) AND (?4 = '' OR m.fingerprint = ?4) "
      "AND (?5 = '' OR r.harness_version = ?5) "
      "AND (?6 = 0 OR r.status NOT IN ('pending', 'running')) "
      "ORDER BY coalesce(r.finished_at, '') DESC, r.started_at DESC, r.id DESC");
  if (!q.prepared()) return DbError(path_, db_, "preparing run listing");
  q.Bind(1, f.dataset_manifest_sha256).Bind(2, f.split).Bind(3, f.rules_sha256);
  q.Bind(4, f.machine_fingerprint).Bind(5, f.harness_version);
  q.Bind(6, static_cast<int64_t>(f.complete_only ? 1 : 0));
  std::vector<StoredRun> runs;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    StoredRun r;
    r.id = q.Int(0);
    r.submission = {q.Text(1), q.Text(2), q.Text(3), q.Text(4), q.Text(5), q.Text(6)};
    r.dataset = {q.Text(7), q.Text(8), q.Text(9)};
    r.rules_sha256 = q.Text(10);
    r.machine = {q.Text(11), q.Text(12), static_cast<int>(q.Int(13))};
    r.harness_version = q.Text(14);
    r.status = q.Text(15);
    r.message = q.Text(16);
    r.started_at = q.Text(17);
    r.finished_at = q.Text(18);
    r.attempts = static_cast<int>(q.Int(19));
    r.requested_settings_json = q.Text(20);
    r.effective_settings_json = q.Text(21);
    r.seal_json = q.Text(22);
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

Result<std::vector<FrameResult>> Store::LoadFrames(int64_t run_id) {
  Stmt q(db_,
         "SELECT frame_index, frame_id, latency_ns, round_trip_ns, detections FROM frame_results "
         "WHERE run_id = ?1 ORDER BY frame_index");
  if (!q.prepared()) return DbError(path_, db_, "preparing frame query");
  q.Bind(1, run_id);
  std::vector<FrameResult> frames;
  int rc;
  while ((rc = q.Step()) == SQLITE_ROW) {
    FrameResult f;
    f.frame_index = q.Int(0);
    f.frame_id = q.Text(1);
    if (!q.IsNull(2)) f.latency_ns = q.Int(2);
    if (!q.IsNull(3)) f.round_trip_ns = q.Int(3);
    f.detections = q.Int(4);
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
    int64_t cls = q.Int(0);
    if (curves.empty() || curves.back().class_id != cls) {
      curves.push_back({cls, q.Text(1), {}});
    }
    curves.back().points.emplace_back(q.Double(2), q.Double(3));
  }
  if (rc != SQLITE_DONE) return DbError(path_, db_, "reading precision-recall curves");
  return curves;
}

Result<std::string> Store::LoadRulesJson(const std::string& sha256) {
  Stmt q(db_, "SELECT json FROM rules WHERE sha256 = ?1");
  q.Bind(1, sha256);
  int rc = q.Step();
  if (rc == SQLITE_ROW) return q.Text(0);
  if (rc == SQLITE_DONE) return Status::NotFound(path_.string(), "no rules with hash " + sha256);
  return DbError(path_, db_, "reading rules");
}

}  // namespace maskbench::web_export
