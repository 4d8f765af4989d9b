// The results store: one SQLite file (WAL, foreign keys on) holding the facts
// of every run the judge made: submissions (artifacts), data set splits,
// machines, the entries (who entered which artifact, under the judge's team
// id), runs with their raw per-frame facts (the parent's latency, the runner's
// own timing, modeled cycles, the detections), metrics, audits and
// precision-recall curves, and scores imported from outside (a presentation
// score). Judgements (speedup, gate, ranks) are not stored: a board derives
// them from these facts under the rules given then (board.h). The schema and
// its migrations are described in docs/results-db.md.
//
// Judging is idempotent and resumable through two calls: BeginRun() returns the
// already complete run for the same RunKey so the caller can skip it, or
// (re)starts the one row for that key in status "running"; CommitRun() writes
// all of a run's facts and its final status in ONE transaction. A process
// killed between the two leaves a stale "running" row and nothing else; the
// next writer (holding the WriterLock) reuses it.
//
// Thread-safety: a Store is not thread-safe; use one per thread. Several
// processes may open the same file (WAL, busy timeout of 10 s); one writes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "maskbench/accelerator.h"
#include "maskbench/core/status.h"

struct sqlite3;

namespace maskbench::contest {

// The schema version this build reads and writes (PRAGMA user_version).
inline constexpr int kStoreSchemaVersion = 3;

// Run statuses that mean "not finished"; every other status is a complete run.
inline constexpr const char* kStatusPending = "pending";
inline constexpr const char* kStatusRunning = "running";
// A complete run that BeginRun() nevertheless starts again: the harness itself
// failed (e.g. no runner executable), so the result says nothing of the submission.
inline constexpr const char* kStatusHarnessError = "harness_error";
// True for any status except "pending" and "running".
bool IsCompleteStatus(const std::string& status);
// True when BeginRun() skips a run in this status (complete and not harness_error).
bool IsFinalStatus(const std::string& status);

// An artifact; identity is (team, name, version, artifact_sha256) as its
// submission.json claims them (display names only: the entry says who it is).
struct SubmissionInfo {
  std::string name;
  std::string team;
  std::string version;
  std::string artifact_sha256;  // hash of what is run (the plugin and its files)
  std::string abi_version;      // e.g. "1.0.0"; an empty one never overwrites a stored one
  std::string latency_kind;     // "measured" or "modeled", as it claims
  std::string kind = "plugin";  // "plugin", or "rtl" for a design the harness built
};

// A data set split; identity is (manifest_sha256, split).
struct DatasetInfo {
  std::string manifest_sha256;
  std::string name;
  std::string split;
  int64_t frames = 0;  // frames in the split (a run of fewer is partial)
};

// The judging machine; identity is the fingerprint.
struct MachineInfo {
  std::string fingerprint;
  std::string cpu_model;
  int cores = 0;
  std::string node_class;  // e.g. the CPU model and its ISA level; rules may require one
};

// A rules file; identity is the SHA-256 of its bytes.
struct RulesInfo {
  std::string sha256;
  std::string json;  // the file's text, kept verbatim
};

// Who entered what: the judge's team id (a folder or a roster's id), the
// display name, the artifact entered last, and whether it is an organiser
// reference (shown, never ranked).
struct EntryInfo {
  std::string team_id;
  std::string display_name;
  int64_t submission_id = 0;
  bool reference = false;
  std::string folder;  // where the judge found it
  std::string track;   // a roster's track, "" = every track it qualifies for
  std::string updated_at;
};

// What identifies a run (docs/contest.md, "The run key").
struct RunKey {
  int64_t submission_id = 0;
  int64_t dataset_id = 0;  // manifest + split
  int64_t machine_id = 0;
  std::string frame_selection = "all";  // "all", or "first:N"
  std::string scenario = "single-stream";
  int64_t warmup = 0;
  std::string harness_version;
  int64_t trial = 0;  // 0, 1, … when the rules ask for several timed runs
};

// The raw facts of one measured frame.
struct FrameFacts {
  int64_t frame_index = 0;               // position in the run, 0-based
  int64_t frame_id = 0;                  // the manifest's frame id
  std::optional<int64_t> latency_ns;     // the ranked latency (parent clock)
  std::optional<int64_t> round_trip_ns;  // the parent's raw round trip
  std::optional<int64_t> child_ns;       // the runner's own timing
  std::optional<uint64_t> cycles;        // modeled cycles (hardware models)
  std::vector<mb_detection_t> detections;
};

struct AuditResult {
  std::string name;  // e.g. "consistency", "caching"
  bool passed = false;
  std::string detail;
};

// A precision-recall curve of one class, points in recall order.
struct PrCurve {
  int64_t class_id = 0;
  std::string class_name;
  std::vector<std::pair<double, double>> points;  // (recall, precision)
};

// Everything a finished run writes, committed at once by CommitRun().
struct RunOutcome {
  std::string status;   // "ok", "crashed", "timeout", … (not pending/running)
  std::string message;  // why, for a status other than ok
  std::string requested_settings_json = "{}";
  std::string effective_settings_json = "{}";
  std::string seal_json = "{}";  // the run's seal report (harness::SealReportToJson)
  std::string rules_sha256;      // the rules the run was made under (limits, warm-up)
  bool partial = false;          // fewer frames than the split holds
  std::vector<FrameFacts> frames;
  // Metric key (metrics.h) -> value; a non-finite value is stored as NULL.
  std::map<std::string, double> metrics;
  std::vector<AuditResult> audits;
  std::vector<PrCurve> pr_curves;
  std::string pr_curves_metric;  // what produced them, e.g. "VOC AP50 (all-point)"
};

struct RunTicket {
  int64_t run_id = 0;
  bool already_complete = false;  // true: the run exists and is final; skip it
  int attempts = 1;               // how many times this run has been started
};

// A stored run with its identity, status and summary (frames/curves load apart).
struct StoredRun {
  int64_t id = 0;
  int64_t submission_id = 0;
  SubmissionInfo submission;
  DatasetInfo dataset;
  MachineInfo machine;
  RunKey key;
  std::string rules_sha256;
  std::string status;
  std::string message;
  std::string started_at;   // ISO 8601 UTC, e.g. 2026-11-25T08:30:00.123Z
  std::string finished_at;  // empty while incomplete
  int attempts = 0;
  bool partial = false;
  std::string requested_settings_json;
  std::string effective_settings_json;
  std::string seal_json;
  std::string pr_curves_metric;
  std::map<std::string, std::optional<double>> metrics;  // NULL -> nullopt
  std::vector<AuditResult> audits;
};

// Which runs ListRuns() returns; an empty field (or 0) matches everything.
struct RunFilter {
  std::string dataset_manifest_sha256;
  std::string split;
  std::string machine_fingerprint;
  std::string harness_version;
  int64_t submission_id = 0;
  bool complete_only = true;
};

// A score from outside the harness (a presentation score), per team.
struct OutsideScore {
  std::string team_id;
  std::string metric;
  double value = 0;
  std::string source;  // the file it came from
  std::string imported_at;
};

// The one-writer lock of a results file: an exclusive flock(2) on `<db>.lock`,
// which holds the owner's pid, host, start time and command line. The kernel
// drops it when the owner exits, however it ends, so a held lock means a live
// owner and a free one means every earlier writer is gone.
class WriterLock {
 public:
  // Takes the lock of `db`; when another process holds it, waits (`wait`) or
  // fails naming the holder: "results.sqlite: in use by another judge (pid
  // 1234 on host h, since …: maskbench judge …); wait for it to finish, or
  // pass --wait".
  static Result<std::unique_ptr<WriterLock>> Acquire(const std::filesystem::path& db, bool wait);
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  // Who holds the lock of `db` now, as stored in the lock file ("" when free).
  static std::string Holder(const std::filesystem::path& db);

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

struct StoreOptions {
  // Create the file when it does not exist. Default: true.
  bool create_if_missing = true;
  // Hold the WriterLock for as long as the Store is open: what a judge (any
  // process that runs submissions into the file) must do. Only a holder may
  // take over a run left "running". Default: false.
  bool writer_lock = false;
  // With writer_lock: wait for another holder to finish instead of failing.
  // Default: false.
  bool wait_for_lock = false;
  // Run PRAGMA quick_check on an existing file before anything else, and refuse
  // a damaged one (Corruption, nothing written). Default: true.
  bool check_integrity = true;
};

class Store;
namespace internal {
Status SetMaxPageCountForTesting(Store& store, int64_t pages);
}  // namespace internal

class Store {
 public:
  // Opens (or creates) the file and migrates it to kStoreSchemaVersion.
  // Fails naming the file when it is not a SQLite database, is damaged, or its
  // schema is newer than this build (naming both versions).
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& path,
                                             const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The schema version of the open file (== kStoreSchemaVersion after Open).
  Result<int> SchemaVersion();

  // Insert-or-update by identity; return the row id.
  Result<int64_t> UpsertSubmission(const SubmissionInfo& s);
  Result<int64_t> UpsertDataset(const DatasetInfo& d);
  Result<int64_t> UpsertMachine(const MachineInfo& m);
  Result<int64_t> UpsertRules(const RulesInfo& r);
  // Records (or updates) who entered what.
  Status UpsertEntry(const EntryInfo& e);
  Result<std::vector<EntryInfo>> ListEntries();
  Result<SubmissionInfo> LoadSubmission(int64_t submission_id);

  // Returns the key's run if its status is final (already_complete = true), or
  // marks the key's one row "running" (inserting it, or resetting a stale
  // pending/running/harness_error row, its child rows deleted, attempt counted).
  // A "running" row is taken over only by a Store holding the writer lock (its
  // owner is then provably gone); otherwise that is InvalidArgument.
  // `replace_complete`: restart even a final run (what `maskbench run` does: a
  // contestant's new measurement replaces the old one of the same key).
  Result<RunTicket> BeginRun(const RunKey& key, bool replace_complete = false);
  // Writes every fact, the settings and the final status of a running run in
  // one transaction. Fails if the run is unknown or already complete.
  Status CommitRun(int64_t run_id, const RunOutcome& outcome);

  // Runs matching `filter`, most recently finished (then started) first.
  Result<std::vector<StoredRun>> ListRuns(const RunFilter& filter);
  Result<std::vector<FrameFacts>> LoadFrames(int64_t run_id);
  Result<std::vector<PrCurve>> LoadPrCurves(int64_t run_id);
  // The text of a stored rules file by its SHA-256 or a unique prefix; NotFound if absent.
  Result<std::string> LoadRulesJson(const std::string& sha256);

  // Stores outside scores (one transaction; a (team, metric) pair is replaced).
  Status ImportScores(const std::vector<OutsideScore>& scores);
  Result<std::vector<OutsideScore>> ListScores();

  // PRAGMA quick_check: Ok, or Corruption naming the file and the first problem.
  Status QuickCheck();
  // True when this Store holds the writer lock.
  bool holds_writer_lock() const { return lock_ != nullptr; }

 private:
  Store(std::filesystem::path path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  Status Migrate();
  friend Status internal::SetMaxPageCountForTesting(Store& store, int64_t pages);
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<WriterLock> lock_;
};

// The current time as ISO 8601 UTC with milliseconds ("2026-11-25T08:30:00.123Z").
std::string NowUtcIso8601();

namespace internal {
// Test hook: called inside CommitRun's transaction after the frames are written
// (before metrics, audits and the status), so a test can kill the process there.
void SetCommitHookForTesting(void (*hook)(int64_t run_id));
// The ordered migration steps; step i takes the schema from version i to i + 1.
const std::vector<std::string>& MigrationSteps();
}  // namespace internal

}  // namespace maskbench::contest
