#include "maskbench/datasets/export_coco.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>

namespace maskbench::datasets {

namespace internal {

// The double whose shortest decimal form is the shortest form of `v` as a
// float, so the JSON reads "12.3" rather than "12.300000190734863" and parses
// back (as float) to exactly `v`.
double ShortestFloat(float v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf) - 1, v);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

}  // namespace internal

namespace {

using nlohmann::json;

Result<std::string> Export(const Manifest& m, const std::string& split, const std::string& origin,
                           const std::string& manifest_sha256) {
  if (!split.empty() && std::find(m.splits.begin(), m.splits.end(), split) == m.splits.end())
    return Status::InvalidArgument(
        origin, "no split \"" + split + "\" (splits: " + [&] {
          std::string s;
          for (const auto& n : m.splits) s += (s.empty() ? "" : ", ") + n;
          return s.empty() ? std::string("none") : s;
        }() + ")");
  json j;
  j["info"] = {{"description", "maskbench ground truth"},
               {"dataset", m.name},
               {"split", split},
               {"manifest_sha256", manifest_sha256}};
  j["images"] = json::array();
  j["annotations"] = json::array();
  j["categories"] = json::array();
  for (const auto& c : m.classes) j["categories"].push_back({{"id", c.id}, {"name", c.name}});
  int64_t next_ann_id = 1;
  for (const Frame* f : m.FramesOfSplit(split)) {
    const Media& md = m.media[f->media];
    json img = {{"id", f->id}, {"width", f->width}, {"height", f->height}};
    if (md.kind == Media::Kind::kImage) {
      img["file_name"] = md.path;
    } else {
      img["file_name"] = md.path + "#" + std::to_string(f->frame_index);
      img["frame_index"] = f->frame_index;
    }
    j["images"].push_back(std::move(img));
    for (const auto& a : f->annotations) {
      j["annotations"].push_back({{"id", next_ann_id++},
                                  {"image_id", f->id},
                                  {"category_id", a.class_id},
                                  {"bbox",
                                   {internal::ShortestFloat(a.x), internal::ShortestFloat(a.y),
                                    internal::ShortestFloat(a.w), internal::ShortestFloat(a.h)}},
                                  {"area", a.area},
                                  {"iscrowd", a.crowd ? 1 : 0},
                                  {"difficult", a.difficult ? 1 : 0}});
    }
  }
  return j.dump(1) + "\n";
}

}  // namespace

Result<std::string> ExportCocoJson(const Dataset& ds, const std::string& split) {
  return Export(ds.manifest, split, (ds.dir / kManifestFileName).string(), ds.manifest_sha256);
}

Result<std::string> ExportCocoJson(const Manifest& m, const std::string& split) {
  return Export(m, split, m.name.empty() ? std::string("manifest") : m.name, "");
}

}  // namespace maskbench::datasets
