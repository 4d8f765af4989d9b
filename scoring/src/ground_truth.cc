#include "maskbench/scoring/ground_truth.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>

#include "maskbench/core/files.h"

namespace maskbench::scoring {

using nlohmann::json;

int64_t GroundTruth::ImageIndex(int64_t image_id) const {
  auto it = image_index_.find(image_id);
  return it == image_index_.end() ? -1 : it->second;
}

int GroundTruth::CategoryIndex(int64_t category_id) const {
  auto it = category_index_.find(category_id);
  return it == category_index_.end() ? -1 : it->second;
}

std::string GroundTruth::CategoryName(int64_t category_id) const {
  int k = CategoryIndex(category_id);
  return k < 0 ? std::string() : categories[k].name;
}

void GroundTruth::BuildIndex() {
  image_index_.clear();
  category_index_.clear();
  image_index_.reserve(image_ids.size() * 2);
  for (size_t i = 0; i < image_ids.size(); ++i) image_index_.emplace(image_ids[i], int64_t(i));
  for (size_t k = 0; k < categories.size(); ++k) category_index_.emplace(categories[k].id, int(k));
}

namespace {

// An integer id: a JSON integer, or a float with an integral value.
bool GetId(const json& j, int64_t* out) {
  if (j.is_number_integer()) {
    *out = j.get<int64_t>();
    return true;
  }
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
      *out = int64_t(d);
      return true;
    }
  }
  return false;
}

// A 0/1 flag given as a boolean or a number.
bool GetFlag(const json& j, bool* out) {
  if (j.is_boolean()) {
    *out = j.get<bool>();
    return true;
  }
  if (j.is_number()) {
    *out = j.get<double>() != 0;
    return true;
  }
  return false;
}

}  // namespace

Result<GroundTruth> ParseCocoGroundTruth(std::string_view text, const std::string& where) {
  // Segmentation polygons can be most of a COCO file and are not needed: drop them while parsing.
  json doc;
  try {
    doc = json::parse(
        text.begin(), text.end(),
        [](int /*depth*/, json::parse_event_t event, json& parsed) {
          return !(event == json::parse_event_t::key && parsed == "segmentation");
        });
  } catch (const json::exception& e) {
    return Status::Corruption(where, std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object()) return Status::Corruption(where, "expected a JSON object with images, annotations, categories");
  for (const char* key : {"images", "annotations", "categories"}) {
    if (!doc.contains(key) || !doc[key].is_array())
      return Status::Corruption(where, std::string("missing array \"") + key + "\"");
  }
  GroundTruth gt;
  const json& images = doc["images"];
  gt.image_ids.reserve(images.size());
  std::unordered_set<int64_t> seen;
  for (size_t i = 0; i < images.size(); ++i) {
    const json& im = images[i];
    std::string rec = "images[" + std::to_string(i) + "]";
    int64_t id;
    if (!im.is_object() || !im.contains("id") || !GetId(im["id"], &id))
      return Status::Corruption(where, rec + ": needs an integer \"id\"");
    if (!seen.insert(id).second) return Status::Corruption(where, rec + ": duplicate image id " + std::to_string(id));
    gt.image_ids.push_back(id);
  }
  seen.clear();
  const json& cats = doc["categories"];
  for (size_t i = 0; i < cats.size(); ++i) {
    const json& c = cats[i];
    std::string rec = "categories[" + std::to_string(i) + "]";
    GtCategory cat;
    if (!c.is_object() || !c.contains("id") || !GetId(c["id"], &cat.id))
      return Status::Corruption(where, rec + ": needs an integer \"id\"");
    if (!seen.insert(cat.id).second)
      return Status::Corruption(where, rec + ": duplicate category id " + std::to_string(cat.id));
    if (c.contains("name")) {
      if (!c["name"].is_string()) return Status::Corruption(where, rec + ": \"name\" must be a string");
      cat.name = c["name"].get<std::string>();
    }
    gt.categories.push_back(std::move(cat));
  }
  gt.BuildIndex();
  seen.clear();
  const json& anns = doc["annotations"];
  gt.boxes.reserve(anns.size());
  for (size_t i = 0; i < anns.size(); ++i) {
    const json& a = anns[i];
    std::string rec = "annotations[" + std::to_string(i) + "]";
    if (!a.is_object()) return Status::Corruption(where, rec + ": expected an object");
    GtBox b;
    b.id = int64_t(i) + 1;
    if (auto it = a.find("id"); it != a.end() && !GetId(*it, &b.id))
      return Status::Corruption(where, rec + ": \"id\" must be an integer");
    if (!seen.insert(b.id).second)
      return Status::Corruption(where, rec + ": duplicate annotation id " + std::to_string(b.id));
    if (!a.contains("image_id") || !GetId(a["image_id"], &b.image_id))
      return Status::Corruption(where, rec + ": needs an integer \"image_id\"");
    if (gt.ImageIndex(b.image_id) < 0)
      return Status::Corruption(where, rec + ": unknown image_id " + std::to_string(b.image_id));
    if (!a.contains("category_id") || !GetId(a["category_id"], &b.category_id))
      return Status::Corruption(where, rec + ": needs an integer \"category_id\"");
    if (gt.CategoryIndex(b.category_id) < 0)
      return Status::Corruption(where, rec + ": unknown category_id " + std::to_string(b.category_id));
    auto bb = a.find("bbox");
    if (bb == a.end() || !bb->is_array() || bb->size() != 4)
      return Status::Corruption(where, rec + ": bbox must be 4 numbers");
    for (int k = 0; k < 4; ++k) {
      const json& v = (*bb)[k];
      if (!v.is_number()) return Status::Corruption(where, rec + ": bbox must be 4 numbers");
      b.bbox[k] = v.get<double>();
      if (!std::isfinite(b.bbox[k])) return Status::Corruption(where, rec + ": bbox values must be finite");
    }
    if (b.bbox[2] < 0 || b.bbox[3] < 0) return Status::Corruption(where, rec + ": bbox w and h must be >= 0");
    b.area = b.bbox[2] * b.bbox[3];
    if (auto it = a.find("area"); it != a.end()) {
      if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0)
        return Status::Corruption(where, rec + ": area must be a finite number >= 0");
      b.area = it->get<double>();
    }
    if (auto it = a.find("iscrowd"); it != a.end() && !GetFlag(*it, &b.iscrowd))
      return Status::Corruption(where, rec + ": iscrowd must be 0/1 or a boolean");
    if (auto it = a.find("difficult"); it != a.end() && !GetFlag(*it, &b.difficult))
      return Status::Corruption(where, rec + ": difficult must be 0/1 or a boolean");
    gt.boxes.push_back(b);
  }
  return gt;
}

Result<GroundTruth> LoadCocoGroundTruth(const std::filesystem::path& path) {
  Result<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseCocoGroundTruth(*bytes, path.string());
}

}  // namespace maskbench::scoring
