#include "maskbench/datasets/stats.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace maskbench::datasets {

using nlohmann::ordered_json;

namespace {

// Frames in no split, shown as their own row when a data set has splits.
constexpr const char* kNoSplit = "(none)";

ordered_json CountsJson(const SplitStats& s) {
  ordered_json j;
  j["images"] = s.images;
  j["boxes"] = s.boxes;
  j["classes"] = ordered_json::object();
  for (const auto& [name, n] : s.classes) j["classes"][name] = n;
  j["sizes"] = {{"small", s.small}, {"medium", s.medium}, {"large", s.large}};
  j["difficult"] = s.difficult;
  j["crowd"] = s.crowd;
  j["empty_images"] = s.empty_images;
  return j;
}

}  // namespace

SplitStats ComputeSplitStats(const Manifest& m, const std::string& split) {
  SplitStats s;
  s.split = split;
  std::vector<int64_t> per_class(m.classes.size(), 0);
  auto frames = split == kNoSplit ? std::vector<const Frame*>() : m.FramesOfSplit(split);
  if (split == kNoSplit)
    for (const auto& f : m.frames)
      if (f.split.empty()) frames.push_back(&f);
  for (const Frame* f : frames) {
    ++s.images;
    if (f->annotations.empty()) ++s.empty_images;
    for (const auto& a : f->annotations) {
      ++s.boxes;
      s.difficult += a.difficult;
      s.crowd += a.crowd;
      if (a.area < 32.0 * 32.0)
        ++s.small;
      else if (a.area < 96.0 * 96.0)
        ++s.medium;
      else
        ++s.large;
      for (size_t c = 0; c < m.classes.size(); ++c)
        if (m.classes[c].id == a.class_id) ++per_class[c];
    }
  }
  for (size_t c = 0; c < m.classes.size(); ++c)
    s.classes.emplace_back(m.classes[c].name, per_class[c]);
  return s;
}

Result<DatasetStats> ComputeStats(const Dataset& ds, const std::string& split) {
  const Manifest& m = ds.manifest;
  if (!split.empty() && std::find(m.splits.begin(), m.splits.end(), split) == m.splits.end()) {
    std::string known;
    for (const auto& n : m.splits) known += (known.empty() ? "" : ", ") + n;
    return Status::InvalidArgument(
        (ds.dir / kManifestFileName).string(),
        "no split \"" + split + "\" (splits: " + (known.empty() ? "none" : known) + ")");
  }
  DatasetStats st;
  st.name = m.name;
  st.manifest_sha256 = ds.manifest_sha256;
  st.selected = ComputeSplitStats(m, split);
  if (split.empty()) {
    for (const auto& n : m.splits) st.splits.push_back(ComputeSplitStats(m, n));
    bool any_unassigned = std::any_of(m.frames.begin(), m.frames.end(),
                                      [](const Frame& f) { return f.split.empty(); });
    if (!m.splits.empty() && any_unassigned) st.splits.push_back(ComputeSplitStats(m, kNoSplit));
  }
  return st;
}

std::string StatsToJson(const DatasetStats& s) {
  ordered_json j = CountsJson(s.selected);
  j["split"] = s.selected.split;
  j["name"] = s.name;
  j["manifest_sha256"] = s.manifest_sha256;
  j["splits"] = ordered_json::object();
  for (const auto& sp : s.splits) j["splits"][sp.split] = CountsJson(sp);
  return j.dump(2) + "\n";
}

std::string StatsToText(const DatasetStats& s) {
  std::string out;
  char buf[256];
  out += "data set  " + s.name + "\n";
  out += "manifest  sha256 " + s.manifest_sha256 + "\n";
  std::vector<const SplitStats*> rows = {&s.selected};
  for (const auto& sp : s.splits) rows.push_back(&sp);
  // Header: split, images, boxes, then each class, then sizes.
  std::vector<std::string> cols = {"images", "boxes"};
  for (const auto& [name, n] : s.selected.classes) cols.push_back(name);
  for (const char* c : {"small", "medium", "large", "difficult", "crowd"}) cols.push_back(c);
  size_t name_w = 8;
  for (const auto* r : rows) name_w = std::max(name_w, r->split.size() + 2);
  std::snprintf(buf, sizeof(buf), "%-*s", static_cast<int>(name_w), "split");
  out += buf;
  for (const auto& c : cols) {
    std::snprintf(buf, sizeof(buf), " %*s", static_cast<int>(std::max<size_t>(c.size(), 6)),
                  c.c_str());
    out += buf;
  }
  out += "\n";
  for (const auto* r : rows) {
    std::string label = r == &s.selected ? (r->split.empty() ? "all" : r->split) : "  " + r->split;
    std::snprintf(buf, sizeof(buf), "%-*s", static_cast<int>(name_w), label.c_str());
    out += buf;
    std::vector<int64_t> vals = {r->images, r->boxes};
    for (const auto& [name, n] : r->classes) vals.push_back(n);
    for (int64_t v : {r->small, r->medium, r->large, r->difficult, r->crowd}) vals.push_back(v);
    for (size_t i = 0; i < cols.size(); ++i) {
      std::snprintf(buf, sizeof(buf), " %*lld",
                    static_cast<int>(std::max<size_t>(cols[i].size(), 6)),
                    static_cast<long long>(vals[i]));
      out += buf;
    }
    out += "\n";
  }
  out += "sizes by box area (COCO): small < 32^2, medium < 96^2, large >= 96^2 px^2\n";
  return out;
}

}  // namespace maskbench::datasets
