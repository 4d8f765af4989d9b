// COCO ground-truth JSON importer (see docs/datasets.md, "import coco").
#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "import_util.h"
#include "maskbench/core/files.h"
#include "maskbench/datasets/importers.h"

namespace maskbench::datasets {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A number or a bool as 0/1 ("iscrowd": 1, "difficult": true).
bool AsFlag(const json& v, bool* out) {
  if (v.is_boolean()) {
    *out = v.get<bool>();
    return true;
  }
  if (v.is_number_integer() && (v.get<int64_t>() == 0 || v.get<int64_t>() == 1)) {
    *out = v.get<int64_t>() == 1;
    return true;
  }
  return false;
}

}  // namespace

Result<ImportReport> ImportCoco(const fs::path& gt_json, const fs::path& images_dir,
                                const ImportOptions& options) {
  const std::string origin = gt_json.string();
  auto text = ReadFile(gt_json);
  if (!text.ok()) return text.status();
  json j;
  try {
    j = json::parse(*text);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for e.g. 1e309
    return Status::Corruption(origin, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) return Status::Corruption(origin, "top level is not a JSON object");
  for (const char* key : {"images", "annotations", "categories"})
    if (!j.contains(key) || !j[key].is_array())
      return Status::Corruption(origin, std::string("\"") + key + "\" must be an array");
  auto split_of = internal::ReadSplitLists(options.splits);
  if (!split_of.ok()) return split_of.status();

  Manifest m;
  m.source = "import coco";
  std::map<int, std::string> cats;
  for (size_t i = 0; i < j["categories"].size(); ++i) {
    const json& c = j["categories"][i];
    std::string where = "categories[" + std::to_string(i) + "]";
    if (!c.is_object() || !c.contains("id") || !c["id"].is_number_integer() ||
        !c.contains("name") || !c["name"].is_string())
      return Status::Corruption(origin, where + ": needs an integer \"id\" and a string \"name\"");
    int id = c["id"].get<int>();
    if (!cats.emplace(id, c["name"].get<std::string>()).second)
      return Status::Corruption(origin, where + ": duplicate category id " + std::to_string(id));
  }
  if (!options.classes_file.empty()) {
    auto fixed = internal::ReadClassesFile(options.classes_file);
    if (!fixed.ok()) return fixed.status();
    for (const auto& entry : cats) {
      const std::string& name = entry.second;
      if (std::none_of(fixed->begin(), fixed->end(),
                       [&](const ClassInfo& c) { return c.name == name; }))
        return Status::InvalidArgument(origin, "category " + std::to_string(entry.first) + " \"" +
                                                   name + "\" is not in " +
                                                   options.classes_file.string());
    }
  }
  for (const auto& [id, name] : cats) m.classes.push_back({id, name});

  std::map<int64_t, size_t> frame_of_image;  // image id -> index in m.frames
  std::set<std::string> found;
  const json& images = j["images"];
  internal::Progress progress("import coco", static_cast<int64_t>(images.size()), options.progress);
  for (size_t i = 0; i < images.size(); ++i) {
    const json& im = images[i];
    std::string where = "images[" + std::to_string(i) + "]";
    if (!im.is_object() || !im.contains("id") || !im["id"].is_number_integer() ||
        !im.contains("file_name") || !im["file_name"].is_string())
      return Status::Corruption(origin,
                                where + ": needs an integer \"id\" and a string \"file_name\"");
    int64_t id = im["id"].get<int64_t>();
    std::string file_name = im["file_name"].get<std::string>();
    where += " (id " + std::to_string(id) + ", " + file_name + ")";
    if (im.contains("frame_index"))
      return Status::Unsupported(
          origin, where + ": a video frame; import videos with `dataset import video`");
    if (frame_of_image.count(id)) return Status::Corruption(origin, where + ": duplicate image id");
    Result<fs::path> inside = internal::ImagePathInside(
        images_dir, file_name, options.allow_outside_images, origin + ": " + where);
    if (!inside.ok()) return inside.status();
    const fs::path path = *inside;
    auto info = internal::ReadImageFile(path, options.image_limits);
    if (!info.ok())
      return Status(info.status().code() == Status::Code::kNotFound
                        ? Status::NotFound(origin, where + ": " + info.status().message())
                        : Status::Corruption(origin, where + ": " + info.status().message()));
    for (const char* key : {"width", "height"}) {
      if (!im.contains(key)) continue;
      if (!im[key].is_number_integer())
        return Status::Corruption(origin, where + ": \"" + key + "\" must be an integer");
      int v = im[key].get<int>();
      int actual = std::string(key) == "width" ? info->width : info->height;
      if (v != actual)
        return Status::Corruption(origin, where + ": \"" + key + "\" is " + std::to_string(v) +
                                              " but the image is " + std::to_string(info->width) +
                                              "x" + std::to_string(info->height));
    }
    Media md;
    md.kind = Media::Kind::kImage;
    md.path = internal::RelativeTo(path, options.out);
    md.sha256 = info->sha256;
    md.bytes = info->bytes;
    m.media.push_back(md);
    Frame f;
    f.id = id;
    f.name = fs::path(file_name).stem().string();
    f.media = static_cast<int>(m.media.size()) - 1;
    f.width = info->width;
    f.height = info->height;
    auto sit = split_of->find(f.name);
    if (sit != split_of->end()) f.split = sit->second;
    found.insert(f.name);
    frame_of_image[id] = m.frames.size();
    m.frames.push_back(std::move(f));
    progress.Step();
  }

  const json& anns = j["annotations"];
  for (size_t i = 0; i < anns.size(); ++i) {
    const json& an = anns[i];
    std::string where = "annotations[" + std::to_string(i) + "]";
    if (!an.is_object()) return Status::Corruption(origin, where + ": not an object");
    if (an.contains("id") && an["id"].is_number_integer())
      where += " (id " + std::to_string(an["id"].get<int64_t>()) + ")";
    if (!an.contains("image_id") || !an["image_id"].is_number_integer())
      return Status::Corruption(origin, where + ": needs an integer \"image_id\"");
    if (!an.contains("category_id") || !an["category_id"].is_number_integer())
      return Status::Corruption(origin, where + ": needs an integer \"category_id\"");
    int64_t image_id = an["image_id"].get<int64_t>();
    auto fit = frame_of_image.find(image_id);
    if (fit == frame_of_image.end())
      return Status::Corruption(
          origin, where + ": image_id " + std::to_string(image_id) + " is not in \"images\"");
    int cat = an["category_id"].get<int>();
    if (!cats.count(cat))
      return Status::Corruption(
          origin, where + ": category_id " + std::to_string(cat) + " is not in \"categories\"");
    if (!an.contains("bbox") || !an["bbox"].is_array() || an["bbox"].size() != 4 ||
        !std::all_of(an["bbox"].begin(), an["bbox"].end(),
                     [](const json& v) { return v.is_number(); }))
      return Status::Corruption(origin, where + ": \"bbox\" must be 4 numbers [x, y, w, h]");
    Annotation a;
    a.x = an["bbox"][0].get<float>();
    a.y = an["bbox"][1].get<float>();
    a.w = an["bbox"][2].get<float>();
    a.h = an["bbox"][3].get<float>();
    a.class_id = cat;
    Frame& f = m.frames[fit->second];
    if (!(a.w > 0 && a.h > 0) || !std::isfinite(a.x) || !std::isfinite(a.y))
      return Status::Corruption(origin, where + ": bbox has no positive size");
    const float tol = internal::kBoxTolerancePx;
    if (a.x < -tol || a.y < -tol || a.x + a.w > f.width + tol || a.y + a.h > f.height + tol)
      return Status::Corruption(origin, where + ": bbox [" + std::to_string(a.x) + ", " +
                                            std::to_string(a.y) + ", " + std::to_string(a.w) +
                                            ", " + std::to_string(a.h) + "] is outside the " +
                                            std::to_string(f.width) + "x" +
                                            std::to_string(f.height) + " image (tolerance 0.5 px)");
    if (an.contains("iscrowd") && !AsFlag(an["iscrowd"], &a.crowd))
      return Status::Corruption(origin, where + ": \"iscrowd\" must be 0 or 1");
    if (an.contains("difficult") && !AsFlag(an["difficult"], &a.difficult))
      return Status::Corruption(origin, where + ": \"difficult\" must be 0 or 1");
    if (an.contains("area")) {
      if (!an["area"].is_number() || !(an["area"].get<double>() >= 0))
        return Status::Corruption(origin, where + ": \"area\" must be a non-negative number");
      a.area = an["area"].get<double>();
    } else {
      a.area = static_cast<double>(a.w) * a.h;
    }
    f.annotations.push_back(a);
  }
  return internal::FinishImport(std::move(m), options, *split_of, found, /*renumber=*/false);
}

}  // namespace maskbench::datasets
