// The leaderboard: a contest::Board (judgements derived from the stored facts
// under the rules given now, one block per track) as a JSON document (format:
// docs/leaderboard.md, JSON Schema: web-export/schema/leaderboard.schema.json)
// and as a static HTML page that works from file:// with no network (the JSON
// is embedded in index.html).
//
// Thread-safety: the functions share no state; a Store must not be used by two
// threads at once (see contest/store.h).
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "maskbench/contest/board.h"
#include "maskbench/contest/rules.h"
#include "maskbench/contest/store.h"
#include "maskbench/core/status.h"

namespace maskbench::web_export {

// The version of the leaderboard JSON format ("schema_version").
inline constexpr int kLeaderboardSchemaVersion = 2;

struct LeaderboardOptions {
  contest::BoardOptions board;  // which data set split, partial runs
  // The "generated_at" stamp. Default: empty = now (UTC).
  std::string generated_at;
  // Number of latency histogram bins per entry. Default: 20.
  int histogram_bins = 20;
  // The link to an entry's report (relative to the page), or nullopt for none.
  std::function<std::optional<std::string>(const std::string& team_id)> report_link;
};

// The board as the leaderboard document.
nlohmann::json LeaderboardJson(const contest::Board& board, const LeaderboardOptions& options = {});

// BuildBoard + LeaderboardJson.
Result<nlohmann::json> BuildLeaderboard(contest::Store& store, const contest::Rules& rules,
                                        const LeaderboardOptions& options = {});

// Writes the document as pretty JSON to `path` (atomically).
Status WriteLeaderboardJson(const nlohmann::json& doc, const std::filesystem::path& path);

// Writes index.html (with the document embedded), app.js, style.css and
// leaderboard.json into `dir`, whole (a sibling folder swapped in); a
// `reports/` folder already in `dir` is carried over. No network.
Status WriteLeaderboardPage(const nlohmann::json& doc, const std::filesystem::path& dir);

namespace internal {
// The JSON text made safe to sit inside <script type="application/json">.
std::string EscapeJsonForScript(const std::string& json_text);
}  // namespace internal

}  // namespace maskbench::web_export
