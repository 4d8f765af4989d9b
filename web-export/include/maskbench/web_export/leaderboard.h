// The leaderboard: the latest complete run of every submission for one context
// (data set split, rules, machine, harness version) in a results store, ranked by
// the rules, as a JSON document (format: docs/leaderboard.md, JSON Schema:
// web-export/schema/leaderboard.schema.json) and as a static HTML page that works
// from file:// with no network (the JSON is embedded in index.html).
//
// Thread-safety: the functions share no state; a Store must not be used by two
// threads at once (see store.h).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "maskbench/core/status.h"
#include "maskbench/scoring/rules.h"
#include "maskbench/web_export/store.h"

namespace maskbench::web_export {

// The version of the leaderboard JSON format ("schema_version").
inline constexpr int kLeaderboardSchemaVersion = 1;

// Metric names (metrics table) the leaderboard reads. Latencies in milliseconds.
namespace metric {
inline constexpr const char* kMap50 = "mAP50";
inline constexpr const char* kAp = "AP";
inline constexpr const char* kViolationRecall = "violation_recall";
inline constexpr const char* kLatencyP50Ms = "latency_p50_ms";
inline constexpr const char* kLatencyP90Ms = "latency_p90_ms";
inline constexpr const char* kLatencyP99Ms = "latency_p99_ms";
inline constexpr const char* kModeledLatencyMs = "modeled_latency_ms";
inline constexpr const char* kSpeedup = "speedup";
inline constexpr const char* kGatePassed = "gate_passed";  // 1 or 0; absent = not evaluated
// The headline latency under the rules (optional; else derived, see docs/leaderboard.md).
inline constexpr const char* kHeadlineLatencyMs = "latency_ms";
inline constexpr const char* kFps = "fps";
inline constexpr const char* kViolationPrecision = "violation_precision";
}  // namespace metric

struct LeaderboardOptions {
  // Manifest SHA-256 (or a unique prefix) of the data set to show.
  // Default: empty = the data set of the most recently finished run.
  std::string dataset_sha256;
  // Rules SHA-256 (or a unique prefix). Default: empty = most recent for the data set.
  std::string rules_sha256;
  // The "generated_at" stamp. Default: empty = now (UTC).
  std::string generated_at;
  // Number of latency histogram bins per entry. Default: 20.
  int histogram_bins = 20;
};

// Builds the leaderboard document from `store`. Fails when the store has no
// complete run, or when a hash flag matches nothing or is ambiguous.
Result<nlohmann::json> BuildLeaderboard(Store& store, const LeaderboardOptions& options = {});

// Writes the document as pretty JSON to `path` (atomically).
Status WriteLeaderboardJson(const nlohmann::json& doc, const std::filesystem::path& path);

// Writes index.html (with the document embedded), app.js, style.css and
// leaderboard.json into `dir` (created if needed). The page needs no network.
Status WriteLeaderboardPage(const nlohmann::json& doc, const std::filesystem::path& dir);

namespace internal {
// Ranks the entries of `doc` in place with scoring::Rank under `rules` (entries
// not ok or with a failed audit are unranked first); sets rank, unranked_reason,
// gate_passed and score, writes context.ranking, sorts the entries and drops
// each entry's "metrics" (the ranking inputs).
void RankEntries(nlohmann::json& doc, const scoring::Rules& rules);
// The JSON text made safe to sit inside <script type="application/json">.
std::string EscapeJsonForScript(const std::string& json_text);
}  // namespace internal

}  // namespace maskbench::web_export
