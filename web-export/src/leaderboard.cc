#include "maskbench/web_export/leaderboard.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "maskbench/core/files.h"
#include "maskbench/scoring/ranking.h"
#include "maskbench/scoring/rules.h"
#include "page_assets.h"

namespace maskbench::web_export {
namespace {

using nlohmann::json;

json OptionalNumber(const std::map<std::string, std::optional<double>>& metrics, const char* name) {
  auto it = metrics.find(name);
  if (it == metrics.end() || !it->second || !std::isfinite(*it->second)) return nullptr;
  return *it->second;
}

// The latency that ranks under `rules`: a stored "latency_ms" metric, else the
// modeled latency or the measured headline percentile ("latency_p90_ms").
json HeadlineLatency(const std::map<std::string, std::optional<double>>& metrics,
                     const scoring::Rules& rules) {
  json v = OptionalNumber(metrics, metric::kHeadlineLatencyMs);
  if (!v.is_null()) return v;
  if (rules.latency_kind == scoring::LatencyKind::kModeled) {
    return OptionalNumber(metrics, metric::kModeledLatencyMs);
  }
  char name[48];
  std::snprintf(name, sizeof name, "latency_p%g_ms", rules.headline_percentile);
  return OptionalNumber(metrics, name);
}

// Picks the single hash among `hashes` that starts with `prefix`.
Result<std::string> ResolvePrefix(const std::set<std::string>& hashes, const std::string& prefix,
                                  const std::string& what, const std::string& db) {
  std::vector<std::string> hits;
  for (const std::string& h : hashes) {
    if (h.compare(0, prefix.size(), prefix) == 0) hits.push_back(h);
  }
  if (hits.size() == 1) return hits[0];
  std::string known;
  for (const std::string& h : hashes) known += (known.empty() ? "" : ", ") + h.substr(0, 12);
  if (hits.empty()) {
    return Status::NotFound(
        db, "no complete run for " + what + " " + prefix + " (complete runs have: " + known + ")");
  }
  return Status::InvalidArgument(db, what + " prefix " + prefix + " is ambiguous (" + known + ")");
}

// Equal-width histogram of the frames' latencies, in milliseconds.
json LatencyHistogram(const std::vector<FrameResult>& frames, int bins) {
  std::vector<double> ms;
  for (const FrameResult& f : frames) {
    if (f.latency_ns) ms.push_back(static_cast<double>(*f.latency_ns) / 1e6);
  }
  json h = {{"unit", "ms"}, {"edges", json::array()}, {"counts", json::array()}};
  if (ms.empty() || bins < 1) return h;
  auto [lo_it, hi_it] = std::minmax_element(ms.begin(), ms.end());
  double lo = *lo_it, hi = *hi_it;
  if (hi <= lo) {
    h["edges"] = {lo, lo + std::max(1e-6, lo * 1e-3)};
    h["counts"] = {static_cast<int64_t>(ms.size())};
    return h;
  }
  std::vector<int64_t> counts(static_cast<size_t>(bins), 0);
  double width = (hi - lo) / bins;
  for (double v : ms) {
    auto b = static_cast<size_t>((v - lo) / width);
    counts[std::min(b, counts.size() - 1)]++;
  }
  for (int i = 0; i <= bins; ++i) h["edges"].push_back(lo + width * i);
  h["counts"] = counts;
  return h;
}

json PrCurvesJson(const std::vector<PrCurve>& curves) {
  constexpr size_t kMaxPoints = 201;
  json out = json::array();
  for (const PrCurve& c : curves) {
    json pts = json::array();
    size_t n = c.points.size();
    size_t step = n > kMaxPoints ? (n + kMaxPoints - 1) / kMaxPoints : 1;
    for (size_t i = 0; i < n; i += step) pts.push_back({c.points[i].first, c.points[i].second});
    if (n > 0 && (n - 1) % step != 0)
      pts.push_back({c.points[n - 1].first, c.points[n - 1].second});
    out.push_back({{"class_id", c.class_id}, {"class_name", c.class_name}, {"points", pts}});
  }
  return out;
}

}  // namespace

namespace internal {

void RankEntries(json& doc, const scoring::Rules& rules) {
  std::vector<scoring::RankKey> keys{rules.primary};
  keys.insert(keys.end(), rules.tie_breaks.begin(), rules.tie_breaks.end());
  json ranking = {{"method",
                   "scoring::Rank: accuracy gate, then the primary key, then tie-breaks; "
                   "equal values share a rank (1, 1, 3)"},
                  {"primary", rules.primary.key},
                  {"tie_breaks", json::array()},
                  {"order", json::array()},
                  {"latency_kind", scoring::LatencyKindName(rules.latency_kind)},
                  {"headline_percentile", rules.headline_percentile},
                  {"gate",
                   {{"enabled", rules.gate.enabled},
                    {"metric", rules.gate.metric},
                    {"min_ratio", rules.gate.min_ratio},
                    {"reference", rules.gate.reference},
                    {"reference_value", nullptr}}}};
  for (size_t i = 1; i < keys.size(); ++i) ranking["tie_breaks"].push_back(keys[i].key);
  for (const auto& k : keys) ranking["order"].push_back(k.higher_is_better ? "desc" : "asc");
  if (rules.composite) ranking["composite"] = *rules.composite;

  json& entries = doc["entries"];
  // The gate's bar: the reference submission's value in this context.
  std::optional<double> reference_value;
  for (const json& e : entries) {
    if (e["name"] == rules.gate.reference && e["status"] == "ok" &&
        e["metrics"].contains(rules.gate.metric)) {
      reference_value = e["metrics"][rules.gate.metric].get<double>();
    }
  }
  if (reference_value) ranking["gate"]["reference_value"] = *reference_value;

  std::vector<scoring::RankEntry> eligible;
  for (size_t i = 0; i < entries.size(); ++i) {
    json& e = entries[i];
    std::string reason;
    if (e["status"] != "ok") {
      reason = "status " + e["status"].get<std::string>();
      if (!e["message"].get<std::string>().empty())
        reason += ": " + e["message"].get<std::string>();
    }
    if (reason.empty()) {
      for (const json& a : e["audits"]) {
        if (!a["passed"].get<bool>()) {
          reason = "audit " + a["name"].get<std::string>() + " failed";
          if (!a["detail"].get<std::string>().empty())
            reason += ": " + a["detail"].get<std::string>();
          break;
        }
      }
    }
    // Without the reference in this context, the gate result stored with the run decides.
    if (reason.empty() && !reference_value && rules.gate.enabled && e["gate_passed"] == false) {
      reason = "accuracy gate not passed (as judged)";
    }
    e["rank"] = nullptr;
    e["unranked_reason"] = reason.empty() ? json(nullptr) : json(reason);
    if (!reason.empty()) continue;
    scoring::RankEntry r;
    r.name = std::to_string(i);
    for (const auto& [k, v] : e["metrics"].items()) r.metrics[k] = v.get<double>();
    eligible.push_back(std::move(r));
  }
  for (const scoring::RankedEntry& r : scoring::Rank(eligible, rules, reference_value)) {
    json& e = entries[std::stoul(r.name)];
    if (r.rank) {
      e["rank"] = *r.rank;
    } else {
      e["unranked_reason"] = r.reason.empty() ? "not ranked" : r.reason;
    }
    if (r.gate_passed) e["gate_passed"] = *r.gate_passed;
    if (r.composite) e["score"] = *r.composite;
  }
  doc["context"]["ranking"] = ranking;

  // Ranked entries first by rank, then the unranked ones; ties by team and name.
  std::vector<size_t> order(entries.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto key = [&](size_t i) {
    const json& e = entries[i];
    return std::make_tuple(e["rank"].is_null() ? 1 : 0,
                           e["rank"].is_null() ? int64_t{0} : e["rank"].get<int64_t>(),
                           e["team"].get<std::string>(), e["name"].get<std::string>());
  };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) < key(b); });
  json sorted = json::array();
  for (size_t i : order) {
    json e = std::move(entries[i]);
    e.erase("metrics");  // the ranking inputs; the public fields carry the values
    sorted.push_back(std::move(e));
  }
  entries = std::move(sorted);
}

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

Result<json> BuildLeaderboard(Store& store, const LeaderboardOptions& options) {
  const std::string db = store.path().string();
  Result<std::vector<StoredRun>> all = store.ListRuns(RunFilter{});
  if (!all.ok()) return all.status();
  if (all->empty()) return Status::NotFound(db, "no complete run in the results database");

  // The context: data set, then rules, then machine and harness version.
  std::vector<StoredRun> runs = std::move(*all);
  auto narrow = [&](auto field, const std::string& flag, const std::string& what) -> Status {
    std::set<std::string> hashes;
    for (const StoredRun& r : runs) hashes.insert(field(r));
    std::string chosen = field(runs.front());  // most recently finished
    if (!flag.empty()) {
      Result<std::string> hit = ResolvePrefix(hashes, flag, what, db);
      if (!hit.ok()) return hit.status();
      chosen = *hit;
    }
    std::erase_if(runs, [&](const StoredRun& r) { return field(r) != chosen; });
    return Status::Ok();
  };
  MB_RETURN_IF_ERROR(narrow([](const StoredRun& r) { return r.dataset.manifest_sha256; },
                            options.dataset_sha256, "data set"));
  MB_RETURN_IF_ERROR(narrow([](const StoredRun& r) { return r.dataset.split; }, "", "split"));
  MB_RETURN_IF_ERROR(
      narrow([](const StoredRun& r) { return r.rules_sha256; }, options.rules_sha256, "rules"));
  MB_RETURN_IF_ERROR(
      narrow([](const StoredRun& r) { return r.machine.fingerprint; }, "", "machine"));
  MB_RETURN_IF_ERROR(narrow([](const StoredRun& r) { return r.harness_version; }, "", "harness"));

  const StoredRun& head = runs.front();
  json rules = nullptr;
  Result<std::string> rules_text = store.LoadRulesJson(head.rules_sha256);
  if (!rules_text.ok()) return rules_text.status();
  rules = json::parse(*rules_text, nullptr, /*allow_exceptions=*/false);
  if (rules.is_discarded()) {
    return Status::Corruption(db, "rules " + head.rules_sha256 + ": stored text is not valid JSON");
  }
  Result<scoring::Rules> parsed =
      scoring::ParseRules(*rules_text, db + ": rules " + head.rules_sha256.substr(0, 12));
  if (!parsed.ok()) return parsed.status();
  json doc;
  doc["schema_version"] = kLeaderboardSchemaVersion;
  doc["context"] = {
      {"harness_version", head.harness_version},
      {"dataset",
       {{"manifest_sha256", head.dataset.manifest_sha256},
        {"name", head.dataset.name},
        {"split", head.dataset.split}}},
      {"rules_sha256", head.rules_sha256},
      {"rules", rules},
      {"machine",
       {{"fingerprint", head.machine.fingerprint},
        {"cpu_model", head.machine.cpu_model},
        {"cores", head.machine.cores}}},
      {"generated_at", options.generated_at.empty() ? NowUtcIso8601() : options.generated_at},
  };
  doc["entries"] = json::array();
  std::set<std::pair<std::string, std::string>> seen;
  for (const StoredRun& r : runs) {
    if (!seen.insert({r.submission.team, r.submission.name}).second) continue;  // older run
    Result<std::vector<FrameResult>> frames = store.LoadFrames(r.id);
    if (!frames.ok()) return frames.status();
    Result<std::vector<PrCurve>> curves = store.LoadPrCurves(r.id);
    if (!curves.ok()) return curves.status();
    json e;
    e["rank"] = nullptr;
    e["unranked_reason"] = nullptr;
    e["team"] = r.submission.team;
    e["name"] = r.submission.name;
    e["version"] = r.submission.version;
    e["artifact_sha256"] = r.submission.artifact_sha256;
    e["latency_kind"] = r.submission.latency_kind;
    e["run_id"] = r.id;
    e["finished_at"] = r.finished_at;
    e["status"] = r.status;
    e["message"] = r.message;
    e["frames"] = static_cast<int64_t>(frames->size());
    e["accuracy"] = {{"mAP50", OptionalNumber(r.metrics, metric::kMap50)},
                     {"AP", OptionalNumber(r.metrics, metric::kAp)},
                     {"violation_recall", OptionalNumber(r.metrics, metric::kViolationRecall)}};
    e["latency_ms"] = {{"p50", OptionalNumber(r.metrics, metric::kLatencyP50Ms)},
                       {"p90", OptionalNumber(r.metrics, metric::kLatencyP90Ms)},
                       {"p99", OptionalNumber(r.metrics, metric::kLatencyP99Ms)}};
    e["modeled_latency_ms"] = OptionalNumber(r.metrics, metric::kModeledLatencyMs);
    e["speedup"] = OptionalNumber(r.metrics, metric::kSpeedup);
    e["headline_latency_ms"] = HeadlineLatency(r.metrics, *parsed);
    e["score"] = nullptr;  // the rules' composite score, set by the ranking
    json gate = OptionalNumber(r.metrics, metric::kGatePassed);
    e["gate_passed"] = gate.is_null() ? json(nullptr) : json(gate.get<double>() != 0.0);
    {
      // How the run was sealed (runs stored before schema 2 have no report).
      const json seal = json::parse(r.seal_json.empty() ? "{}" : r.seal_json, nullptr, false);
      const bool known = seal.is_object() && seal.contains("level") && seal["level"].is_string();
      e["seal"] = {
          {"level", known ? seal["level"] : json("unknown")},
          {"reason", known && seal.contains("reason") && seal["reason"].is_string() ? seal["reason"]
                                                                                    : json("")}};
    }
    e["audits"] = json::array();
    for (const AuditResult& a : r.audits) {
      e["audits"].push_back({{"name", a.name}, {"passed", a.passed}, {"detail", a.detail}});
    }
    e["latency_histogram"] = LatencyHistogram(*frames, options.histogram_bins);
    e["pr_curves"] = PrCurvesJson(*curves);
    // The ranking's inputs (removed again by RankEntries).
    e["metrics"] = json::object();
    for (const std::string& k : scoring::KnownMetricKeys()) {
      json v = k == "latency_ms" ? e["headline_latency_ms"] : OptionalNumber(r.metrics, k.c_str());
      if (v.is_number()) e["metrics"][k] = v;
    }
    doc["entries"].push_back(std::move(e));
  }
  internal::RankEntries(doc, *parsed);
  return doc;
}

Status WriteLeaderboardJson(const json& doc, const std::filesystem::path& path) {
  return WriteFileAtomic(path, doc.dump(2) + "\n");
}

Status WriteLeaderboardPage(const json& doc, const std::filesystem::path& final_dir) {
  // Written whole into a sibling, then swapped in: never half a page.
  Result<StagingDir> staging = StagingDir::Create(final_dir, "leaderboard.json");
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
      text.replace(at, placeholder.size(), internal::EscapeJsonForScript(doc.dump()));
    }
    MB_RETURN_IF_ERROR(WriteFileAtomic(dir / asset.name, text));
  }
  MB_RETURN_IF_ERROR(WriteLeaderboardJson(doc, dir / "leaderboard.json"));
  return staging->Commit();
}

}  // namespace maskbench::web_export
