#include "maskbench/datasets/manifest.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "maskbench/core/files.h"

namespace maskbench::datasets {

using nlohmann::json;

const ClassInfo* Manifest::FindClass(int id) const {
  for (const auto& c : classes)
    if (c.id == id) return &c;
  return nullptr;
}

const ClassInfo* Manifest::FindClassByName(const std::string& n) const {
  for (const auto& c : classes)
    if (c.name == n) return &c;
  return nullptr;
}

std::vector<const Frame*> Manifest::FramesOfSplit(const std::string& split) const {
  std::vector<const Frame*> out;
  for (const auto& f : frames)
    if (split.empty() || f.split == split) out.push_back(&f);
  return out;
}

std::vector<ClassInfo> FaceMaskClasses() {
  return {{0, "with_mask"}, {1, "without_mask"}, {2, "mask_weared_incorrect"}};
}

std::string ManifestToJson(const Manifest& m) {
  json j;
  j["format"] = "maskbench.dataset";
  j["format_version"] = m.format_version;
  j["name"] = m.name;
  j["source"] = m.source;
  j["classes"] = json::array();
  for (const auto& c : m.classes) j["classes"].push_back({{"id", c.id}, {"name", c.name}});
  j["splits"] = m.splits;
  j["media"] = json::array();
  for (const auto& md : m.media) {
    j["media"].push_back({{"kind", md.kind == Media::Kind::kImage ? "image" : "video"},
                          {"path", md.path},
                          {"sha256", md.sha256},
                          {"bytes", md.bytes}});
  }
  j["frames"] = json::array();
  for (const auto& f : m.frames) {
    json jf = {{"id", f.id},       {"name", f.name},
               {"media", f.media}, {"frame_index", f.frame_index},
               {"width", f.width}, {"height", f.height},
               {"split", f.split}};
    jf["annotations"] = json::array();
    for (const auto& a : f.annotations) {
      jf["annotations"].push_back({{"bbox", {a.x, a.y, a.w, a.h}},
                                   {"class", a.class_id},
                                   {"difficult", a.difficult},
                                   {"crowd", a.crowd},
                                   {"area", a.area}});
    }
    j["frames"].push_back(std::move(jf));
  }
  return j.dump(1) + "\n";
}

namespace {

// Field access that reports the path of a missing or mistyped field.
template <typename T>
Status Get(const json& obj, const char* key, T* out, const std::string& origin,
           const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end())
    return Status::Corruption(origin, where + ": missing \"" + std::string(key) + "\"");
  try {
    *out = it->get<T>();
  } catch (const json::exception&) {
    return Status::Corruption(origin, where + ": \"" + std::string(key) + "\" has the wrong type");
  }
  return Status::Ok();
}

}  // namespace

Result<Manifest> ManifestFromJson(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for e.g. 1e309
    return Status::Corruption(origin, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return Status::Corruption(origin, "top level is not a JSON object");
  Manifest m;
  std::string format;
  MB_RETURN_IF_ERROR(Get(j, "format", &format, origin, "manifest"));
  if (format != "maskbench.dataset")
    return Status::Corruption(origin,
                              "\"format\" is \"" + format + "\", expected \"maskbench.dataset\"");
  MB_RETURN_IF_ERROR(Get(j, "format_version", &m.format_version, origin, "manifest"));
  if (m.format_version != kManifestFormatVersion)
    return Status::Unsupported(origin, "format_version " + std::to_string(m.format_version) +
                                           ", this harness reads " +
                                           std::to_string(kManifestFormatVersion));
  if (j.contains("name")) MB_RETURN_IF_ERROR(Get(j, "name", &m.name, origin, "manifest"));
  if (j.contains("source")) MB_RETURN_IF_ERROR(Get(j, "source", &m.source, origin, "manifest"));
  MB_RETURN_IF_ERROR(Get(j, "splits", &m.splits, origin, "manifest"));

  if (!j.contains("classes") || !j["classes"].is_array())
    return Status::Corruption(origin, "manifest: \"classes\" must be an array");
  std::set<int> class_ids;
  for (size_t i = 0; i < j["classes"].size(); ++i) {
    const json& jc = j["classes"][i];
    std::string where = "class " + std::to_string(i);
    ClassInfo c;
    MB_RETURN_IF_ERROR(Get(jc, "id", &c.id, origin, where));
    MB_RETURN_IF_ERROR(Get(jc, "name", &c.name, origin, where));
    if (!class_ids.insert(c.id).second)
      return Status::Corruption(origin, where + ": duplicate class id " + std::to_string(c.id));
    m.classes.push_back(std::move(c));
  }

  if (!j.contains("media") || !j["media"].is_array())
    return Status::Corruption(origin, "manifest: \"media\" must be an array");
  for (size_t i = 0; i < j["media"].size(); ++i) {
    const json& jm = j["media"][i];
    std::string where = "media " + std::to_string(i);
    Media md;
    std::string kind;
    MB_RETURN_IF_ERROR(Get(jm, "kind", &kind, origin, where));
    if (kind == "image")
      md.kind = Media::Kind::kImage;
    else if (kind == "video")
      md.kind = Media::Kind::kVideo;
    else
      return Status::Corruption(origin, where + ": kind \"" + kind + "\" is not image or video");
    MB_RETURN_IF_ERROR(Get(jm, "path", &md.path, origin, where));
    MB_RETURN_IF_ERROR(Get(jm, "sha256", &md.sha256, origin, where));
    if (md.sha256.size() != 64)
      return Status::Corruption(origin, where + " (" + md.path + "): sha256 is not 64 hex digits");
    MB_RETURN_IF_ERROR(Get(jm, "bytes", &md.bytes, origin, where));
    m.media.push_back(std::move(md));
  }

  if (!j.contains("frames") || !j["frames"].is_array())
    return Status::Corruption(origin, "manifest: \"frames\" must be an array");
  std::set<int64_t> frame_ids;
  std::set<std::string> split_names(m.splits.begin(), m.splits.end());
  for (size_t i = 0; i < j["frames"].size(); ++i) {
    const json& jf = j["frames"][i];
    std::string where = "frame " + std::to_string(i);
    Frame f;
    MB_RETURN_IF_ERROR(Get(jf, "id", &f.id, origin, where));
    if (!frame_ids.insert(f.id).second)
      return Status::Corruption(origin, where + ": duplicate frame id " + std::to_string(f.id));
    if (jf.contains("name")) MB_RETURN_IF_ERROR(Get(jf, "name", &f.name, origin, where));
    MB_RETURN_IF_ERROR(Get(jf, "media", &f.media, origin, where));
    if (f.media < 0 || f.media >= static_cast<int>(m.media.size()))
      return Status::Corruption(
          origin, where + ": media index " + std::to_string(f.media) + " out of range");
    MB_RETURN_IF_ERROR(Get(jf, "frame_index", &f.frame_index, origin, where));
    MB_RETURN_IF_ERROR(Get(jf, "width", &f.width, origin, where));
    MB_RETURN_IF_ERROR(Get(jf, "height", &f.height, origin, where));
    if (f.width <= 0 || f.height <= 0)
      return Status::Corruption(origin, where + ": width and height must be positive");
    MB_RETURN_IF_ERROR(Get(jf, "split", &f.split, origin, where));
    if (!f.split.empty() && !split_names.count(f.split))
      return Status::Corruption(origin, where + ": split \"" + f.split + "\" is not in \"splits\"");
    if (!jf.contains("annotations") || !jf["annotations"].is_array())
      return Status::Corruption(origin, where + ": \"annotations\" must be an array");
    for (size_t k = 0; k < jf["annotations"].size(); ++k) {
      const json& ja = jf["annotations"][k];
      std::string aw = where + " annotation " + std::to_string(k);
      Annotation a;
      std::vector<float> bbox;
      MB_RETURN_IF_ERROR(Get(ja, "bbox", &bbox, origin, aw));
      if (bbox.size() != 4) return Status::Corruption(origin, aw + ": bbox must have 4 numbers");
      a.x = bbox[0];
      a.y = bbox[1];
      a.w = bbox[2];
      a.h = bbox[3];
      MB_RETURN_IF_ERROR(Get(ja, "class", &a.class_id, origin, aw));
      if (!class_ids.count(a.class_id))
        return Status::Corruption(origin, aw + ": unknown class id " + std::to_string(a.class_id));
      if (ja.contains("difficult"))
        MB_RETURN_IF_ERROR(Get(ja, "difficult", &a.difficult, origin, aw));
      if (ja.contains("crowd")) MB_RETURN_IF_ERROR(Get(ja, "crowd", &a.crowd, origin, aw));
      if (ja.contains("area"))
        MB_RETURN_IF_ERROR(Get(ja, "area", &a.area, origin, aw));
      else
        a.area = static_cast<double>(a.w) * a.h;
      f.annotations.push_back(a);
    }
    m.frames.push_back(std::move(f));
  }
  return m;
}

Result<std::string> SaveManifest(const std::filesystem::path& dir, const Manifest& m) {
  std::string text = ManifestToJson(m);
  MB_RETURN_IF_ERROR(WriteFileAtomic(dir / kManifestFileName, text));
  return Sha256Hex(text);
}

std::filesystem::path Dataset::MediaPath(const Media& m) const {
  std::filesystem::path p(m.path);
  if (p.is_absolute()) return p;
  return (dir / p).lexically_normal();
}

Result<Dataset> LoadDataset(const std::filesystem::path& dir_or_file) {
  std::filesystem::path file = dir_or_file;
  std::error_code ec;
  if (std::filesystem::is_directory(dir_or_file, ec)) file = dir_or_file / kManifestFileName;
  auto text = ReadFile(file);
  if (!text.ok()) return text.status();
  auto m = ManifestFromJson(*text, file.string());
  if (!m.ok()) return m.status();
  Dataset ds;
  ds.dir = std::filesystem::absolute(file).parent_path();
  ds.manifest = std::move(m).value();
  ds.manifest_sha256 = Sha256Hex(*text);
  return ds;
}

}  // namespace maskbench::datasets
