#include "maskbench/web_export/leaderboard.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "maskbench/contest/metrics.h"
#include "maskbench/core/files.h"
#include "page_assets.h"

namespace maskbench::web_export {
namespace {

using nlohmann::json;
namespace metric = contest::metric;

json Opt(const std::map<std::string, double>& m, const char* key) {
  auto it = m.find(key);
  if (it == m.end() || !std::isfinite(it->second)) return nullptr;
  return it->second;
}

json Interval(const std::map<std::string, double>& m, const char* lo, const char* hi) {
  json a = Opt(m, lo), b = Opt(m, hi);
  if (a.is_null() || b.is_null()) return nullptr;
  return json::array({a, b});
}

// Equal-width histogram of the per-frame latencies, in milliseconds.
json LatencyHistogram(const std::vector<double>& ms, int bins) {
  json h = {{"unit", "ms"}, {"edges", json::array()}, {"counts", json::array()}};
  if (ms.empty() || bins < 1) return h;
  auto [lo_it, hi_it] = std::minmax_element(ms.begin(), ms.end());
  const double lo = *lo_it, hi = *hi_it;
  if (hi <= lo) {
    h["edges"] = {lo, lo + std::max(1e-6, lo * 1e-3)};
    h["counts"] = {static_cast<int64_t>(ms.size())};
    return h;
  }
  std::vector<int64_t> counts(static_cast<size_t>(bins), 0);
  const double width = (hi - lo) / bins;
  for (double v : ms) {
    auto b = static_cast<size_t>((v - lo) / width);
    counts[std::min(b, counts.size() - 1)]++;
  }
  for (int i = 0; i <= bins; ++i) h["edges"].push_back(lo + width * i);
  h["counts"] = counts;
  return h;
}

json CurvesJson(const std::vector<contest::PrCurve>& curves) {
  json out = json::array();
  for (const contest::PrCurve& c : curves) {
    json pts = json::array();
    for (const auto& [r, p] : c.points) pts.push_back({r, p});
    out.push_back({{"class_id", c.class_id}, {"class_name", c.class_name}, {"points", pts}});
  }
  return out;
}

json EntryJson(const contest::BoardEntry& e, const LeaderboardOptions& options) {
  const auto& m = e.metrics;
  json resources = nullptr;
  if (m.count(metric::kLuts) || m.count(metric::kFfs) || m.count(metric::kDsps) ||
      m.count(metric::kBrams))
    resources = {{"luts", Opt(m, metric::kLuts)},
                 {"ffs", Opt(m, metric::kFfs)},
                 {"dsps", Opt(m, metric::kDsps)},
                 {"brams", Opt(m, metric::kBrams)}};
  json audits = json::array();
  for (const contest::AuditResult& a : e.audits)
    audits.push_back({{"name", a.name}, {"passed", a.passed}, {"detail", a.detail}});
  json outside = json::object();
  for (const auto& [k, v] : m)
    if (contest::FindMetric(k) == nullptr) outside[k] = v;
  std::optional<std::string> report;
  if (options.report_link) report = options.report_link(e.team_id);
  return {{"team_id", e.team_id},
          {"display_name", e.display_name},
          {"submission", e.submission.name},
          {"team", e.submission.team},
          {"version", e.submission.version},
          {"artifact_sha256", e.submission.artifact_sha256},
          {"rank", e.rank ? json(*e.rank) : json(nullptr)},
          {"unranked_reason", e.rank ? json(nullptr) : json(e.unranked_reason)},
          {"reference", e.reference},
          {"run_id", e.run_id},
          {"status", e.status},
          {"message", e.message},
          {"frames", e.frames},
          {"partial", e.partial},
          {"frame_selection", e.frame_selection},
          {"speedup", Opt(m, metric::kSpeedup)},
          {"latency_ms", Opt(m, metric::kLatencyMs)},
          {"score", e.score ? json(*e.score) : json(nullptr)},
          {"gate_passed", e.gate_passed ? json(*e.gate_passed) : json(nullptr)},
          {"tie_group", e.tie_group > 0 ? json(e.tie_group) : json(nullptr)},
          {"accuracy",
           {{"mAP50", Opt(m, metric::kMap50)},
            {"AP", Opt(m, metric::kAp)},
            {"violation_recall", Opt(m, metric::kViolationRecall)},
            {"violation_precision", Opt(m, metric::kViolationPrecision)}}},
          {"measured_latency_ms",
           {{"p50", Opt(m, metric::kLatencyP50Ms)},
            {"p90", Opt(m, metric::kLatencyP90Ms)},
            {"p99", Opt(m, metric::kLatencyP99Ms)}}},
          {"modeled_latency_ms", Opt(m, metric::kModeledLatencyMs)},
          {"energy_uj", Opt(m, metric::kEnergyUj)},
          {"resources", resources},
          {"intervals",
           {{"mAP50", Interval(m, metric::kMap50Lo, metric::kMap50Hi)},
            {"latency_ms", Interval(m, metric::kLatencyLoMs, metric::kLatencyHiMs)},
            {"speedup", Interval(m, metric::kSpeedupLo, metric::kSpeedupHi)}}},
          {"outside_scores", outside},
          {"seal", {{"level", e.seal_level}, {"reason", e.seal_reason}}},
          {"cycles", e.cycles_source.empty() ? json(nullptr) : json(e.cycles_source)},
          {"node_class", e.node_class},
          {"machine", e.machine_fingerprint},
          {"trials", e.trials},
          {"trial_spread", e.trial_spread ? json(*e.trial_spread) : json(nullptr)},
          {"noise_load", Opt(m, metric::kNoiseLoad)},
          {"audits", audits},
          {"latency_histogram", LatencyHistogram(e.latency_ms, options.histogram_bins)},
          {"pr_curves", CurvesJson(e.pr_curves)},
          {"pr_curves_metric", e.pr_curves_metric},
          {"report", report ? json(*report) : json(nullptr)}};
}

}  // namespace

json LeaderboardJson(const contest::Board& board, const LeaderboardOptions& options) {
  json machines = json::array();
  for (const contest::MachineInfo& mi : board.machines)
    machines.push_back({{"fingerprint", mi.fingerprint},
                        {"cpu_model", mi.cpu_model},
                        {"cores", mi.cores},
                        {"node_class", mi.node_class}});
  json tracks = json::array();
  for (const contest::BoardTrack& t : board.tracks) {
    json entries = json::array();
    for (const contest::BoardEntry& e : t.entries) entries.push_back(EntryJson(e, options));
    json budget = nullptr;
    if (t.board)
      budget = {{"part", t.board->part},
                {"luts", t.board->luts},
                {"ffs", t.board->ffs},
                {"dsps", t.board->dsps},
                {"brams", t.board->brams}};
    tracks.push_back(
        {{"name", t.name},
         {"latency_kind", contest::LatencyKindName(t.latency_kind)},
         {"primary",
          {{"key", t.primary.key}, {"better", t.primary.higher_is_better ? "higher" : "lower"}}},
         {"composite", t.composite ? json(*t.composite) : json(nullptr)},
         {"board", budget},
         {"baseline_latency_ms",
          t.baseline_latency_ms ? json(*t.baseline_latency_ms) : json(nullptr)},
         {"gate_reference_value", t.gate_reference ? json(*t.gate_reference) : json(nullptr)},
         {"entries", entries}});
  }
  json rules = json::parse(contest::RulesToJson(board.rules));
  return {{"schema_version", kLeaderboardSchemaVersion},
          {"context",
           {{"harness_version", board.harness_version},
            {"dataset",
             {{"manifest_sha256", board.dataset.manifest_sha256},
              {"name", board.dataset.name},
              {"split", board.dataset.split},
              {"frames", board.dataset.frames}}},
            {"rules_sha256", board.rules.sha256},
            {"rules_source", board.rules.source},
            {"rules", rules},
            {"machines", machines},
            {"notes", board.notes},
            {"generated_at",
             options.generated_at.empty() ? contest::NowUtcIso8601() : options.generated_at}}},
          {"tracks", tracks}};
}

Result<json> BuildLeaderboard(contest::Store& store, const contest::Rules& rules,
                              const LeaderboardOptions& options) {
  Result<contest::Board> board = contest::BuildBoard(store, rules, options.board);
  if (!board.ok()) return board.status();
  return LeaderboardJson(*board, options);
}

namespace internal {

std::string EscapeJsonForScript(const std::string& text) {
  // '<' only occurs inside JSON strings, where \u003c is the same character; this
  // keeps "</script>" and "<!--" in a team name from ending the script element.
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace internal

Status WriteLeaderboardJson(const json& doc, const std::filesystem::path& path) {
  return WriteFileAtomic(path, doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

Status WriteLeaderboardPage(const json& doc, const std::filesystem::path& final_dir) {
  // Written whole into a sibling, then swapped in: never half a page.
  Result<StagingDir> staging = StagingDir::Create(final_dir, "leaderboard.json", {"reports"});
  if (!staging.ok()) return staging.status();
  const std::filesystem::path dir = staging->staging();
  const std::string placeholder = "<!--LEADERBOARD_JSON-->";
  for (const internal::PageAsset& asset : internal::PageAssets()) {
    std::string text(asset.data, asset.size);
    if (std::string(asset.name) == "index.html") {
      size_t at = text.find(placeholder);
      if (at == std::string::npos) {
        return Status::Corruption("index.html (embedded)", "missing " + placeholder);
      }
      text.replace(
          at, placeholder.size(),
          internal::EscapeJsonForScript(doc.dump(-1, ' ', false, json::error_handler_t::replace)));
    }
    MB_RETURN_IF_ERROR(WriteFileAtomic(dir / asset.name, text));
  }
  MB_RETURN_IF_ERROR(WriteLeaderboardJson(doc, dir / "leaderboard.json"));
  // Reports a judge wrote beside the page (`judge --reports DIR/reports`) are
  // kept: copied into the new page before it is swapped in.
  std::error_code ec;
  const std::filesystem::path reports = final_dir / "reports";
  if (std::filesystem::is_directory(reports, ec)) {
    std::filesystem::copy(reports, dir / "reports", std::filesystem::copy_options::recursive, ec);
    if (ec)
      return Status::IOError(reports.string(),
                             "cannot keep the reports beside the page: " + ec.message());
  }
  return staging->Commit();
}

}  // namespace maskbench::web_export
