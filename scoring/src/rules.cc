#include "maskbench/scoring/rules.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "internal.h"
#include "maskbench/core/files.h"

namespace maskbench::scoring {

namespace internal {
// Generated at build time from scoring/rules/default.json (see CMakeLists.txt).
extern const unsigned char kDefaultRulesBytes[];
extern const size_t kDefaultRulesSize;
}  // namespace internal

using nlohmann::json;

const char* LatencyKindName(LatencyKind kind) {
  return kind == LatencyKind::kMeasured ? "measured" : "modeled";
}

const std::vector<std::string>& KnownMetricKeys() {
  static const std::vector<std::string> kKeys = {
      "speedup", "latency_ms", "fps", "mAP50", "AP", "violation_recall", "violation_precision"};
  return kKeys;
}

bool HigherIsBetterByDefault(const std::string& key) { return key != "latency_ms"; }

namespace {

class RulesReader {
 public:
  explicit RulesReader(const std::string& where) : where_(where) {}

  Status Fail(const std::string& path, const std::string& what) {
    return Status::InvalidArgument(where_, path + ": " + what);
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
  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  Status Number(const json& obj, const std::string& path, const char* key, double lo, double hi,
                bool lo_open, double* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return Status::Ok();
    std::string p = Join(path, key);
    if (!it->is_number()) return Fail(p, "must be a number");
    double v = it->get<double>();
    bool ok = std::isfinite(v) && (lo_open ? v > lo : v >= lo) && v <= hi;
    if (!ok)
      return Fail(p, std::string("must be in ") + (lo_open ? "(" : "[") + internal::JsonNumber(lo) +
                         ", " + internal::JsonNumber(hi) + "], got " + it->dump());
    *out = v;
    return Status::Ok();
  }
  Status Integer(const json& obj, const std::string& path, const char* key, int64_t lo,
                 int64_t* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return Status::Ok();
    std::string p = Join(path, key);
    if (!it->is_number_integer()) return Fail(p, "must be an integer, got " + it->dump());
    int64_t v = it->get<int64_t>();
    if (v < lo) return Fail(p, "must be >= " + std::to_string(lo) + ", got " + std::to_string(v));
    *out = v;
    return Status::Ok();
  }
  Status String(const json& obj, const std::string& path, const char* key, bool allow_empty,
                std::string* out) {
    auto it = obj.find(key);
    if (it == obj.end()) return Status::Ok();
    std::string p = Join(path, key);
    if (!it->is_string()) return Fail(p, "must be a string, got " + it->dump());
    if (!allow_empty && it->get<std::string>().empty()) return Fail(p, "must not be empty");
    *out = it->get<std::string>();
    return Status::Ok();
  }
  Status Key(const json& j, const std::string& path, bool composite_allowed, RankKey* out) {
    MB_RETURN_IF_ERROR(OnlyKeys(j, path, {"key", "better"}));
    if (!j.contains("key") || !j["key"].is_string())
      return Fail(path + ".key", "must be a metric key string");
    std::string key = j["key"].get<std::string>();
    const auto& known = KnownMetricKeys();
    bool ok = std::find(known.begin(), known.end(), key) != known.end() ||
              (key == "composite" && composite_allowed);
    if (!ok) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return Fail(
          path + ".key",
          "unknown metric key \"" + key + "\" (known: " + list +
              (composite_allowed ? ", composite" : "; \"composite\" needs ranking.composite") +
              ")");
    }
    out->key = key;
    out->higher_is_better = HigherIsBetterByDefault(key);
    if (j.contains("better")) {
      const json& b = j["better"];
      if (b == "higher")
        out->higher_is_better = true;
      else if (b == "lower")
        out->higher_is_better = false;
      else
        return Fail(path + ".better", "must be \"higher\" or \"lower\", got " + b.dump());
    }
    return Status::Ok();
  }

  Result<Rules> Read(std::string_view text) {
    json doc;
    try {
      doc = json::parse(text.begin(), text.end());
    } catch (const json::exception& e) {
      return Status::Corruption(where_, std::string("not valid JSON: ") + e.what());
    }
    Rules r;
    MB_RETURN_IF_ERROR(OnlyKeys(
        doc, "",
        {"format_version", "name", "split", "latency", "gate", "ranking", "limits", "frames"}));
    if (!doc.contains("format_version"))
      return Fail("format_version", "missing (this build reads version 1)");
    if (!doc["format_version"].is_number_integer())
      return Fail("format_version", "must be an integer");
    r.format_version = doc["format_version"].get<int>();
    if (r.format_version != kRulesFormatVersion)
      return Fail("format_version", "version " + std::to_string(r.format_version) +
                                        " is not supported (this build reads " +
                                        std::to_string(kRulesFormatVersion) + ")");
    MB_RETURN_IF_ERROR(String(doc, "", "name", true, &r.name));
    MB_RETURN_IF_ERROR(String(doc, "", "split", true, &r.split));
    if (auto it = doc.find("latency"); it != doc.end()) {
      MB_RETURN_IF_ERROR(OnlyKeys(*it, "latency", {"kind", "headline_percentile"}));
      if (it->contains("kind")) {
        const json& k = (*it)["kind"];
        if (k == "measured")
          r.latency_kind = LatencyKind::kMeasured;
        else if (k == "modeled")
          r.latency_kind = LatencyKind::kModeled;
        else
          return Fail("latency.kind", "must be \"measured\" or \"modeled\", got " + k.dump());
      }
      MB_RETURN_IF_ERROR(
          Number(*it, "latency", "headline_percentile", 0, 100, true, &r.headline_percentile));
    }
    if (auto it = doc.find("gate"); it != doc.end()) {
      MB_RETURN_IF_ERROR(OnlyKeys(*it, "gate", {"enabled", "metric", "min_ratio", "reference"}));
      if (it->contains("enabled")) {
        if (!(*it)["enabled"].is_boolean()) return Fail("gate.enabled", "must be true or false");
        r.gate.enabled = (*it)["enabled"].get<bool>();
      }
      MB_RETURN_IF_ERROR(String(*it, "gate", "metric", false, &r.gate.metric));
      const auto& known = KnownMetricKeys();
      if (std::find(known.begin(), known.end(), r.gate.metric) == known.end())
        return Fail("gate.metric", "unknown metric key \"" + r.gate.metric + "\"");
      MB_RETURN_IF_ERROR(Number(*it, "gate", "min_ratio", 0, 1, true, &r.gate.min_ratio));
      MB_RETURN_IF_ERROR(String(*it, "gate", "reference", false, &r.gate.reference));
    }
    if (auto it = doc.find("ranking"); it != doc.end()) {
      MB_RETURN_IF_ERROR(OnlyKeys(*it, "ranking", {"primary", "tie_breaks", "composite"}));
      if (auto c = it->find("composite"); c != it->end() && !c->is_null()) {
        if (!c->is_string())
          return Fail("ranking.composite", "must be an expression string or null");
        std::vector<std::string> used;
        Status s = internal::CheckCompositeExpression(c->get<std::string>(), &used);
        if (!s.ok()) return Fail("ranking.composite", s.message());
        r.composite = c->get<std::string>();
      }
      if (it->contains("primary"))
        MB_RETURN_IF_ERROR(
            Key((*it)["primary"], "ranking.primary", r.composite.has_value(), &r.primary));
      if (auto t = it->find("tie_breaks"); t != it->end()) {
        if (!t->is_array()) return Fail("ranking.tie_breaks", "must be an array");
        r.tie_breaks.clear();
        for (size_t i = 0; i < t->size(); ++i) {
          RankKey k;
          MB_RETURN_IF_ERROR(Key((*t)[i], "ranking.tie_breaks[" + std::to_string(i) + "]",
                                 r.composite.has_value(), &k));
          r.tie_breaks.push_back(k);
        }
      }
      std::set<std::string> seen{r.primary.key};
      for (size_t i = 0; i < r.tie_breaks.size(); ++i)
        if (!seen.insert(r.tie_breaks[i].key).second)
          return Fail("ranking.tie_breaks[" + std::to_string(i) + "]",
                      "key \"" + r.tie_breaks[i].key + "\" is used twice");
    }
    if (auto it = doc.find("limits"); it != doc.end()) {
      MB_RETURN_IF_ERROR(OnlyKeys(
          *it, "limits",
          {"per_frame_timeout_ms", "total_timeout_s", "memory_mb", "max_detections_per_frame"}));
      MB_RETURN_IF_ERROR(
          Integer(*it, "limits", "per_frame_timeout_ms", 1, &r.limits.per_frame_timeout_ms));
      MB_RETURN_IF_ERROR(Integer(*it, "limits", "total_timeout_s", 1, &r.limits.total_timeout_s));
      MB_RETURN_IF_ERROR(Integer(*it, "limits", "memory_mb", 16, &r.limits.memory_mb));
      MB_RETURN_IF_ERROR(Integer(*it, "limits", "max_detections_per_frame", 1,
                                 &r.limits.max_detections_per_frame));
    }
    if (auto it = doc.find("frames"); it != doc.end()) {
      MB_RETURN_IF_ERROR(OnlyKeys(*it, "frames", {"warmup", "min"}));
      MB_RETURN_IF_ERROR(Integer(*it, "frames", "warmup", 0, &r.warmup_frames));
      MB_RETURN_IF_ERROR(Integer(*it, "frames", "min", 1, &r.min_frames));
    }
    r.sha256 = Sha256Hex(text);
    r.source = where_;
    return r;
  }

 private:
  std::string where_;
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
  json tie = json::array();
  for (const RankKey& k : r.tie_breaks) tie.push_back(key_json(k));
  json doc = {
      {"format_version", r.format_version},
      {"name", r.name},
      {"split", r.split},
      {"latency",
       {{"kind", LatencyKindName(r.latency_kind)}, {"headline_percentile", r.headline_percentile}}},
      {"gate",
       {{"enabled", r.gate.enabled},
        {"metric", r.gate.metric},
        {"min_ratio", r.gate.min_ratio},
        {"reference", r.gate.reference}}},
      {"ranking",
       {{"primary", key_json(r.primary)},
        {"tie_breaks", tie},
        {"composite", r.composite ? json(*r.composite) : json(nullptr)}}},
      {"limits",
       {{"per_frame_timeout_ms", r.limits.per_frame_timeout_ms},
        {"total_timeout_s", r.limits.total_timeout_s},
        {"memory_mb", r.limits.memory_mb},
        {"max_detections_per_frame", r.limits.max_detections_per_frame}}},
      {"frames", {{"warmup", r.warmup_frames}, {"min", r.min_frames}}},
  };
  return doc.dump(2);
}

}  // namespace maskbench::scoring
