#include "maskbench/contest/rules.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "maskbench/contest/expression.h"
#include "maskbench/contest/metrics.h"
#include "maskbench/core/files.h"

namespace maskbench::contest {

namespace internal {
// Generated at build time from contest/rules/default.json (see CMakeLists.txt).
extern const unsigned char kDefaultRulesBytes[];
extern const size_t kDefaultRulesSize;
}  // namespace internal

using nlohmann::json;

const char* LatencyKindName(LatencyKind kind) {
  return kind == LatencyKind::kMeasured ? "measured" : "modeled";
}

bool GatePassed(double value, double reference, double min_ratio) {
  return value >= min_ratio * reference;
}

const Track* Rules::FindTrack(std::string_view track_name) const {
  for (const Track& t : tracks)
    if (t.name == track_name) return &t;
  return nullptr;
}

namespace {

std::string Num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.10g", v);
  return b;
}

class RulesReader {
 public:
  explicit RulesReader(const std::string& where) : where_(where) {}

  Status Fail(const std::string& path, const std::string& what) {
    return Status::InvalidArgument(where_, path + ": " + what);
  }
  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }
  // Rejects keys of `obj` not in `allowed`.
  Status OnlyKeys(const json& obj, const std::string& path,
                  std::initializer_list<const char*> allowed) {
    if (!obj.is_object()) return Fail(path.empty() ? "rules" : path, "must be an object");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || it.key() == a;
      if (!ok) return Fail(Join(path, it.key()), "unknown key (see docs/rules.md)");
    }
    return Status::Ok();
  }
  Status Number(const json& obj, const std::string& path, const char* key, double lo, double hi,
                bool lo_open, double* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return Status::Ok();
    const std::string p = Join(path, key);
    if (!it->is_number()) return Fail(p, "must be a number");
    const double v = it->get<double>();
    const bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
    if (!ok)
      return Fail(p, std::string("must be in ") + (lo_open ? "(" : "[") + Num(lo) + ", " + Num(hi) +
                         "], got " + it->dump());
    *out = v;
    return Status::Ok();
  }
  Status Integer(const json& obj, const std::string& path, const char* key, int64_t lo,
                 int64_t* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return Status::Ok();
    const std::string p = Join(path, key);
    if (!it->is_number_integer()) return Fail(p, "must be an integer, got " + it->dump());
    const int64_t v = it->get<int64_t>();
    if (v < lo) return Fail(p, "must be >= " + std::to_string(lo) + ", got " + std::to_string(v));
    *out = v;
    return Status::Ok();
  }
  Status String(const json& obj, const std::string& path, const char* key, bool allow_empty,
                std::string* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return Status::Ok();
    const std::string p = Join(path, key);
    if (!it->is_string()) return Fail(p, "must be a string, got " + it->dump());
    if (!allow_empty && it->get<std::string>().empty()) return Fail(p, "must not be empty");
    *out = it->get<std::string>();
    return Status::Ok();
  }
  Status Bool(const json& obj, const std::string& path, const char* key, bool* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return Status::Ok();
    if (!it->is_boolean()) return Fail(Join(path, key), "must be true or false");
    *out = it->get<bool>();
    return Status::Ok();
  }

  // A key a track may rank by: a rankable metric, an outside score, "composite".
  bool Rankable(const std::string& key) const {
    if (const MetricInfo* m = FindMetric(key); m != nullptr && m->rankable) return true;
    return std::find(outside_.begin(), outside_.end(), key) != outside_.end();
  }

  Status Key(const json& j, const std::string& path, bool composite_allowed, RankKey* out) {
    MB_RETURN_IF_ERROR(OnlyKeys(j, path, {"key", "better"}));
    if (!j.contains("key") || !j["key"].is_string())
      return Fail(path + ".key", "must be a metric key string");
    const std::string key = j["key"].get<std::string>();
    if (key == metric::kComposite && !composite_allowed)
      return Fail(path + ".key", "\"composite\" needs the track's \"composite\" formula");
    if (key != metric::kComposite && !Rankable(key))
      return Fail(path + ".key", "unknown metric key \"" + key + "\" (known: " + RankableKeyList() +
                                     (outside_.empty() ? "" : ", or an outside score") + ")");
    out->key = key;
    const MetricInfo* m = FindMetric(key);
    out->higher_is_better = m == nullptr || m->direction == Direction::kHigherIsBetter;
    if (j.contains("better")) {
      const json& b = j["better"];
      if (b == "higher") {
        out->higher_is_better = true;
      } else if (b == "lower") {
        out->higher_is_better = false;
      } else {
        return Fail(path + ".better", "must be \"higher\" or \"lower\", got " + b.dump());
      }
    }
    return Status::Ok();
  }

  Status ReadGate(const json& j, const std::string& path, Gate* g, std::string* reference) {
    if (reference != nullptr) {
      MB_RETURN_IF_ERROR(OnlyKeys(j, path, {"enabled", "metric", "min_ratio", "reference"}));
      MB_RETURN_IF_ERROR(String(j, path, "reference", false, reference));
    } else {
      MB_RETURN_IF_ERROR(OnlyKeys(j, path, {"enabled", "metric", "min_ratio"}));
    }
    MB_RETURN_IF_ERROR(Bool(j, path, "enabled", &g->enabled));
    MB_RETURN_IF_ERROR(String(j, path, "metric", false, &g->metric));
    const MetricInfo* m = FindMetric(g->metric);
    if (m == nullptr || m->derived || !m->rankable)
      return Fail(path + ".metric", "\"" + g->metric + "\" is not a stored accuracy metric");
    return Number(j, path, "min_ratio", 0, 1, true, &g->min_ratio);
  }

  Status Ranking(const json& j, const std::string& path, Track* t) {
    if (auto c = j.find("composite"); c != j.end() && !c->is_null()) {
      if (!c->is_string()) return Fail(path + ".composite", "must be a formula string or null");
      std::vector<std::string> used;
      Status s = CheckExpression(
          c->get<std::string>(),
          [&](const std::string& k) { return k != metric::kComposite && Rankable(k); }, &used);
      if (!s.ok()) return Fail(path + ".composite", s.message());
      t->composite = c->get<std::string>();
    }
    if (j.contains("primary"))
      MB_RETURN_IF_ERROR(
          Key(j["primary"], path + ".primary", t->composite.has_value(), &t->primary));
    if (auto tb = j.find("tie_breaks"); tb != j.end()) {
      if (!tb->is_array()) return Fail(path + ".tie_breaks", "must be an array");
      t->tie_breaks.clear();
      for (size_t i = 0; i < tb->size(); ++i) {
        RankKey k;
        MB_RETURN_IF_ERROR(Key((*tb)[i], path + ".tie_breaks[" + std::to_string(i) + "]",
                               t->composite.has_value(), &k));
        t->tie_breaks.push_back(k);
      }
    }
    std::set<std::string> seen{t->primary.key};
    for (size_t i = 0; i < t->tie_breaks.size(); ++i)
      if (!seen.insert(t->tie_breaks[i].key).second)
        return Fail(path + ".tie_breaks[" + std::to_string(i) + "]",
                    "key \"" + t->tie_breaks[i].key + "\" is used twice");
    return Status::Ok();
  }

  Status Kind(const json& j, const std::string& path, LatencyKind* out) {
    if (j == "measured") {
      *out = LatencyKind::kMeasured;
    } else if (j == "modeled") {
      *out = LatencyKind::kModeled;
    } else {
      return Fail(path, "must be \"measured\" or \"modeled\", got " + j.dump());
    }
    return Status::Ok();
  }

  Status ReadTrack(const json& j, const std::string& path, Track* t) {
    MB_RETURN_IF_ERROR(
        OnlyKeys(j, path,
                 {"name", "latency_kind", "primary", "tie_breaks", "composite", "gate",
                  "rank_hardware_models_by_wall_time", "one_node_class", "board"}));
    if (!j.contains("name")) return Fail(path + ".name", "missing");
    MB_RETURN_IF_ERROR(String(j, path, "name", false, &t->name));
    if (j.contains("latency_kind"))
      MB_RETURN_IF_ERROR(Kind(j["latency_kind"], path + ".latency_kind", &t->latency_kind));
    t->tie_breaks = {{metric::kMap50, true}, {metric::kLatencyMs, false}};
    MB_RETURN_IF_ERROR(Ranking(j, path, t));
    if (j.contains("gate"))
      MB_RETURN_IF_ERROR(ReadGate(j["gate"], path + ".gate", &t->gate, nullptr));
    MB_RETURN_IF_ERROR(
        Bool(j, path, "rank_hardware_models_by_wall_time", &t->rank_hardware_models_by_wall_time));
    MB_RETURN_IF_ERROR(Bool(j, path, "one_node_class", &t->one_node_class));
    if (auto b = j.find("board"); b != j.end() && !b->is_null()) {
      const std::string bp = path + ".board";
      MB_RETURN_IF_ERROR(OnlyKeys(*b, bp, {"part", "luts", "ffs", "dsps", "brams"}));
      BoardBudget budget;
      MB_RETURN_IF_ERROR(String(*b, bp, "part", false, &budget.part));
      MB_RETURN_IF_ERROR(Integer(*b, bp, "luts", 0, &budget.luts));
      MB_RETURN_IF_ERROR(Integer(*b, bp, "ffs", 0, &budget.ffs));
      MB_RETURN_IF_ERROR(Integer(*b, bp, "dsps", 0, &budget.dsps));
      MB_RETURN_IF_ERROR(Integer(*b, bp, "brams", 0, &budget.brams));
      t->board = budget;
    }
    return Status::Ok();
  }

  Status Common(const json& doc, Rules* r) {
    if (auto it = doc.find("limits"); it != doc.end()) {
      MB_RETURN_IF_ERROR(
          OnlyKeys(*it, "limits",
                   {"per_frame_timeout_ms", "total_timeout_s", "memory_mb",
                    "max_detections_per_frame", "max_image_side", "max_image_pixels"}));
      MB_RETURN_IF_ERROR(
          Integer(*it, "limits", "per_frame_timeout_ms", 1, &r->limits.per_frame_timeout_ms));
      MB_RETURN_IF_ERROR(Integer(*it, "limits", "total_timeout_s", 1, &r->limits.total_timeout_s));
      MB_RETURN_IF_ERROR(Integer(*it, "limits", "memory_mb", 16, &r->limits.memory_mb));
      MB_RETURN_IF_ERROR(Integer(*it, "limits", "max_detections_per_frame", 1,
                                 &r->limits.max_detections_per_frame));
      MB_RETURN_IF_ERROR(Integer(*it, "limits", "max_image_side", 1, &r->limits.max_image_side));
      MB_RETURN_IF_ERROR(
          Integer(*it, "limits", "max_image_pixels", 1, &r->limits.max_image_pixels));
    }
    if (auto it = doc.find("frames"); it != doc.end()) {
      MB_RETURN_IF_ERROR(OnlyKeys(*it, "frames", {"warmup", "min"}));
      MB_RETURN_IF_ERROR(Integer(*it, "frames", "warmup", 0, &r->warmup_frames));
      MB_RETURN_IF_ERROR(Integer(*it, "frames", "min", 1, &r->min_frames));
    }
    return Status::Ok();
  }

  // Format 1: one latency kind, one ranking, the gate's reference in the gate.
  Status ReadV1(const json& doc, Rules* r) {
    MB_RETURN_IF_ERROR(OnlyKeys(
        doc, "",
        {"format_version", "name", "split", "latency", "gate", "ranking", "limits", "frames"}));
    Track t;
    t.tie_breaks = {{metric::kMap50, true}};
    if (auto it = doc.find("latency"); it != doc.end()) {
      MB_RETURN_IF_ERROR(OnlyKeys(*it, "latency", {"kind", "headline_percentile"}));
      if (it->contains("kind"))
        MB_RETURN_IF_ERROR(Kind((*it)["kind"], "latency.kind", &t.latency_kind));
      MB_RETURN_IF_ERROR(
          Number(*it, "latency", "headline_percentile", 0, 100, true, &r->headline_percentile));
    }
    t.name = LatencyKindName(t.latency_kind);
    if (auto it = doc.find("gate"); it != doc.end())
      MB_RETURN_IF_ERROR(ReadGate(*it, "gate", &t.gate, &r->references.gate));
    if (auto it = doc.find("ranking"); it != doc.end()) {
      MB_RETURN_IF_ERROR(OnlyKeys(*it, "ranking", {"primary", "tie_breaks", "composite"}));
      MB_RETURN_IF_ERROR(Ranking(*it, "ranking", &t));
    }
    r->tracks = {t};
    return Common(doc, r);
  }

  Status ReadV2(const json& doc, Rules* r) {
    MB_RETURN_IF_ERROR(
        OnlyKeys(doc, "",
                 {"format_version", "name", "split", "headline_percentile", "references", "tracks",
                  "outside_scores", "limits", "frames", "uncertainty", "measurement"}));
    MB_RETURN_IF_ERROR(
        Number(doc, "", "headline_percentile", 0, 100, true, &r->headline_percentile));
    if (auto it = doc.find("references"); it != doc.end()) {
      MB_RETURN_IF_ERROR(OnlyKeys(*it, "references", {"baseline", "gate"}));
      MB_RETURN_IF_ERROR(String(*it, "references", "baseline", false, &r->references.baseline));
      MB_RETURN_IF_ERROR(String(*it, "references", "gate", false, &r->references.gate));
    }
    if (auto it = doc.find("outside_scores"); it != doc.end()) {
      if (!it->is_array()) return Fail("outside_scores", "must be an array of metric names");
      for (size_t i = 0; i < it->size(); ++i) {
        const std::string p = "outside_scores[" + std::to_string(i) + "]";
        if (!(*it)[i].is_string() || (*it)[i].get<std::string>().empty())
          return Fail(p, "must be a non-empty name");
        const std::string name = (*it)[i].get<std::string>();
        if (FindMetric(name) != nullptr || name == metric::kComposite)
          return Fail(p, "\"" + name + "\" is a harness metric, not an outside score");
        outside_.push_back(name);
      }
      r->outside_scores = outside_;
    }
    if (!doc.contains("tracks") || !doc["tracks"].is_array() || doc["tracks"].empty())
      return Fail("tracks", "must be a non-empty array of tracks");
    std::set<std::string> names;
    for (size_t i = 0; i < doc["tracks"].size(); ++i) {
      Track t;
      const std::string p = "tracks[" + std::to_string(i) + "]";
      MB_RETURN_IF_ERROR(ReadTrack(doc["tracks"][i], p, &t));
      if (!names.insert(t.name).second) return Fail(p + ".name", "\"" + t.name + "\" used twice");
      r->tracks.push_back(std::move(t));
    }
    if (auto it = doc.find("uncertainty"); it != doc.end()) {
      MB_RETURN_IF_ERROR(OnlyKeys(*it, "uncertainty", {"bootstrap_samples", "seed", "confidence"}));
      MB_RETURN_IF_ERROR(
          Integer(*it, "uncertainty", "bootstrap_samples", 0, &r->uncertainty.bootstrap_samples));
      int64_t seed = static_cast<int64_t>(r->uncertainty.seed);
      MB_RETURN_IF_ERROR(Integer(*it, "uncertainty", "seed", 0, &seed));
      r->uncertainty.seed = static_cast<uint64_t>(seed);
      MB_RETURN_IF_ERROR(
          Number(*it, "uncertainty", "confidence", 0, 1, true, &r->uncertainty.confidence));
      if (r->uncertainty.confidence >= 1) return Fail("uncertainty.confidence", "must be below 1");
    }
    if (auto it = doc.find("measurement"); it != doc.end()) {
      MB_RETURN_IF_ERROR(OnlyKeys(
          *it, "measurement", {"trials", "max_load_per_cpu", "max_noop_us", "wait_s", "retries"}));
      MB_RETURN_IF_ERROR(Integer(*it, "measurement", "trials", 1, &r->measurement.trials));
      MB_RETURN_IF_ERROR(Number(*it, "measurement", "max_load_per_cpu", 0, 1e6, false,
                                &r->measurement.max_load_per_cpu));
      MB_RETURN_IF_ERROR(
          Number(*it, "measurement", "max_noop_us", 0, 1e9, false, &r->measurement.max_noop_us));
      MB_RETURN_IF_ERROR(
          Number(*it, "measurement", "wait_s", 0, 3600, false, &r->measurement.wait_s));
      MB_RETURN_IF_ERROR(Integer(*it, "measurement", "retries", 0, &r->measurement.retries));
    }
    return Common(doc, r);
  }

  Result<Rules> Read(std::string_view text) {
    json doc;
    try {
      doc = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
      return Status::Corruption(where_, std::string("not valid JSON: ") + e.what());
    }
    if (!doc.is_object()) return Fail("rules", "must be an object");
    Rules r;
    if (!doc.contains("format_version"))
      return Fail("format_version", "missing (this build reads versions 1 and 2)");
    if (!doc["format_version"].is_number_integer())
      return Fail("format_version", "must be an integer");
    r.format_version = doc["format_version"].get<int>();
    MB_RETURN_IF_ERROR(String(doc, "", "name", true, &r.name));
    MB_RETURN_IF_ERROR(String(doc, "", "split", true, &r.split));
    if (r.format_version == 1) {
      MB_RETURN_IF_ERROR(ReadV1(doc, &r));
    } else if (r.format_version == 2) {
      MB_RETURN_IF_ERROR(ReadV2(doc, &r));
    } else {
      return Fail("format_version", "version " + std::to_string(r.format_version) +
                                        " is not supported (this build reads 1 and 2)");
    }
    r.sha256 = Sha256Hex(text);
    r.source = where_;
    return r;
  }

 private:
  std::string where_;
  std::vector<std::string> outside_;
};

}  // namespace

Result<Rules> ParseRules(std::string_view json_text, const std::string& where) {
  return RulesReader(where).Read(json_text);
}

Result<Rules> LoadRules(const std::filesystem::path& path) {
  Result<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseRules(*bytes, path.string());
}

std::string_view DefaultRulesJson() {
  return std::string_view(reinterpret_cast<const char*>(internal::kDefaultRulesBytes),
                          internal::kDefaultRulesSize);
}

const Rules& DefaultRules() {
  static const Rules kRules = [] {
    Result<Rules> r = ParseRules(DefaultRulesJson(), "<default>");
    MB_CHECK_MSG(r.ok(), r.status().message());
    return std::move(r).value();
  }();
  return kRules;
}

std::string RulesToJson(const Rules& r) {
  auto key_json = [](const RankKey& k) {
    return json{{"key", k.key}, {"better", k.higher_is_better ? "higher" : "lower"}};
  };
  json tracks = json::array();
  for (const Track& t : r.tracks) {
    json tie = json::array();
    for (const RankKey& k : t.tie_breaks) tie.push_back(key_json(k));
    json jt = {
        {"name", t.name},
        {"latency_kind", LatencyKindName(t.latency_kind)},
        {"primary", key_json(t.primary)},
        {"tie_breaks", tie},
        {"composite", t.composite ? json(*t.composite) : json(nullptr)},
        {"gate",
         {{"enabled", t.gate.enabled}, {"metric", t.gate.metric}, {"min_ratio", t.gate.min_ratio}}},
        {"rank_hardware_models_by_wall_time", t.rank_hardware_models_by_wall_time},
        {"one_node_class", t.one_node_class}};
    if (t.board)
      jt["board"] = {{"part", t.board->part},
                     {"luts", t.board->luts},
                     {"ffs", t.board->ffs},
                     {"dsps", t.board->dsps},
                     {"brams", t.board->brams}};
    tracks.push_back(jt);
  }
  json doc = {
      {"format_version", kRulesFormatVersion},
      {"name", r.name},
      {"split", r.split},
      {"headline_percentile", r.headline_percentile},
      {"references", {{"baseline", r.references.baseline}, {"gate", r.references.gate}}},
      {"tracks", tracks},
      {"outside_scores", r.outside_scores},
      {"limits",
       {{"per_frame_timeout_ms", r.limits.per_frame_timeout_ms},
        {"total_timeout_s", r.limits.total_timeout_s},
        {"memory_mb", r.limits.memory_mb},
        {"max_detections_per_frame", r.limits.max_detections_per_frame},
        {"max_image_side", r.limits.max_image_side},
        {"max_image_pixels", r.limits.max_image_pixels}}},
      {"frames", {{"warmup", r.warmup_frames}, {"min", r.min_frames}}},
      {"uncertainty",
       {{"bootstrap_samples", r.uncertainty.bootstrap_samples},
        {"seed", r.uncertainty.seed},
        {"confidence", r.uncertainty.confidence}}},
      {"measurement",
       {{"trials", r.measurement.trials},
        {"max_load_per_cpu", r.measurement.max_load_per_cpu},
        {"max_noop_us", r.measurement.max_noop_us},
        {"wait_s", r.measurement.wait_s},
        {"retries", r.measurement.retries}}},
  };
  return doc.dump(2);
}

}  // namespace maskbench::contest
