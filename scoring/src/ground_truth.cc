#include "maskbench/scoring/ground_truth.h"

#include <cmath>
#include <string>
#include <unordered_set>

#include "internal.h"
#include "json_reader.h"
#include "maskbench/core/files.h"

namespace maskbench::scoring {

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

// Reads COCO ground truth with JsonReader: the three arrays are decoded,
// every other value (info, licenses, segmentation, ...) is skipped. Ids are
// checked after the whole file is read, since the arrays may come in any order.
class GtReader {
 public:
  GtReader(std::string_view text, const std::string& where) : r_(text), where_(where) {}

  Result<GroundTruth> Read() {
    if (!r_.Eat('{')) return Syntax("expected a JSON object with images, annotations, categories");
    bool seen_images = false, seen_anns = false, seen_cats = false;
    if (!r_.Eat('}')) {
      for (;;) {
        std::string_view key;
        if (!r_.ReadKey(&key)) return Syntax("expected \"key\":");
        if (key == "images") {
          MB_RETURN_IF_ERROR(ReadArray("images", [&](size_t i) { return ReadImage(i); }));
          seen_images = true;
        } else if (key == "annotations") {
          MB_RETURN_IF_ERROR(ReadArray("annotations", [&](size_t i) { return ReadAnnotation(i); }));
          seen_anns = true;
        } else if (key == "categories") {
          MB_RETURN_IF_ERROR(ReadArray("categories", [&](size_t i) { return ReadCategory(i); }));
          seen_cats = true;
        } else if (!r_.SkipValue()) {
          return Syntax("bad value of \"" + std::string(key) + "\"");
        }
        if (r_.Eat(',')) continue;
        if (r_.Eat('}')) break;
        return Syntax("expected ',' or '}'");
      }
    }
    if (!r_.AtEnd()) return Syntax("unexpected text after the object");
    if (!seen_images) return Status::Corruption(where_, "missing array \"images\"");
    if (!seen_anns) return Status::Corruption(where_, "missing array \"annotations\"");
    if (!seen_cats) return Status::Corruption(where_, "missing array \"categories\"");
    return Check();
  }

 private:
  Status Syntax(const std::string& what) {
    return Status::Corruption(where_, "not valid JSON: " + what + " " + r_.Position());
  }
  Status Bad(const std::string& rec, const std::string& what) const {
    return Status::Corruption(where_, rec + ": " + what);
  }
  static std::string Rec(const char* array, size_t i) {
    return std::string(array) + "[" + std::to_string(i) + "]";
  }

  template <typename F>
  Status ReadArray(const char* name, F read_one) {
    if (r_.Peek() != '[')
      return Status::Corruption(where_, std::string("\"") + name + "\" must be an array");
    r_.Eat('[');
    if (r_.Eat(']')) return Status::Ok();
    for (size_t i = 0;; ++i) {
      MB_RETURN_IF_ERROR(read_one(i));
      if (r_.Eat(',')) continue;
      if (r_.Eat(']')) return Status::Ok();
      return Syntax(std::string("expected ',' or ']' in \"") + name + "\"");
    }
  }

  // Calls on_key(key) for each member of an object; on_key reads or skips the value.
  template <typename F>
  Status ReadObject(const std::string& rec, F on_key) {
    if (r_.Peek() != '{') return Bad(rec, "expected an object");
    r_.Eat('{');
    if (r_.Eat('}')) return Status::Ok();
    for (;;) {
      std::string_view key;
      if (!r_.ReadKey(&key)) return Syntax("expected \"key\": in " + rec);
      MB_RETURN_IF_ERROR(on_key(key));
      if (r_.Eat(',')) continue;
      if (r_.Eat('}')) return Status::Ok();
      return Syntax("expected ',' or '}' in " + rec);
    }
  }

  Status Skip(const std::string& rec) {
    return r_.SkipValue() ? Status::Ok() : Syntax("bad value in " + rec);
  }

  // An integer (a float with an integral value is accepted, as Python would).
  Status Id(const std::string& rec, const char* name, int64_t* out) {
    double v;
    if (!r_.ReadNumber(&v) || !std::isfinite(v) || v != std::floor(v) ||
        std::fabs(v) > 9007199254740992.0)
      return Bad(rec, std::string("\"") + name + "\" must be an integer");
    *out = int64_t(v);
    return Status::Ok();
  }
  // 0/1 or a boolean.
  Status Flag(const std::string& rec, const char* name, bool* out) {
    char c = r_.Peek();
    if (c == 't' || c == 'f') {
      std::string_view word;
      const char* start = r_.pos();
      r_.SkipValue();
      word = std::string_view(start, size_t(r_.pos() - start));
      *out = word == "true";
      return Status::Ok();
    }
    double v;
    if (!r_.ReadNumber(&v) || !std::isfinite(v))
      return Bad(rec, std::string(name) + " must be 0/1 or a boolean");
    *out = v != 0;
    return Status::Ok();
  }

  Status ReadImage(size_t i) {
    std::string rec = Rec("images", i);
    bool has_id = false;
    int64_t id = 0;
    MB_RETURN_IF_ERROR(ReadObject(rec, [&](std::string_view key) {
      if (key != "id") return Skip(rec);
      has_id = true;
      return Id(rec, "id", &id);
    }));
    if (!has_id) return Bad(rec, "needs an integer \"id\"");
    gt_.image_ids.push_back(id);
    return Status::Ok();
  }

  Status ReadCategory(size_t i) {
    std::string rec = Rec("categories", i);
    bool has_id = false;
    GtCategory c;
    MB_RETURN_IF_ERROR(ReadObject(rec, [&](std::string_view key) {
      if (key == "id") {
        has_id = true;
        return Id(rec, "id", &c.id);
      }
      if (key == "name") {
        if (r_.Peek() != '"' || !r_.ReadString(&c.name))
          return Bad(rec, "\"name\" must be a string");
        return Status::Ok();
      }
      return Skip(rec);
    }));
    if (!has_id) return Bad(rec, "needs an integer \"id\"");
    gt_.categories.push_back(std::move(c));
    return Status::Ok();
  }

  Status ReadAnnotation(size_t i) {
    std::string rec;
    auto rec_name = [&]() -> const std::string& {
      if (rec.empty()) rec = Rec("annotations", i);
      return rec;
    };
    Raw a;
    a.box.id = int64_t(i) + 1;
    MB_RETURN_IF_ERROR(ReadObject(rec_name(), [&](std::string_view key) -> Status {
      if (key == "id") {
        a.has_id = true;
        return Id(rec_name(), "id", &a.box.id);
      }
      if (key == "image_id") {
        a.has_image = true;
        return Id(rec_name(), "image_id", &a.box.image_id);
      }
      if (key == "category_id") {
        a.has_cat = true;
        return Id(rec_name(), "category_id", &a.box.category_id);
      }
      if (key == "bbox") {
        if (!r_.ReadNumberArray(a.box.bbox, 4)) {
          MB_RETURN_IF_ERROR(Skip(rec_name()));
          return Bad(rec_name(), "bbox must be 4 numbers");
        }
        a.has_bbox = true;
        return Status::Ok();
      }
      if (key == "area") {
        if (!r_.ReadNumber(&a.box.area) || !std::isfinite(a.box.area) || a.box.area < 0)
          return Bad(rec_name(), "area must be a finite number >= 0");
        a.has_area = true;
        return Status::Ok();
      }
      if (key == "iscrowd") return Flag(rec_name(), "iscrowd", &a.box.iscrowd);
      if (key == "difficult") return Flag(rec_name(), "difficult", &a.box.difficult);
      return Skip(rec_name());
    }));
    if (!a.has_bbox) return Bad(rec_name(), "bbox must be 4 numbers");
    for (double v : a.box.bbox)
      if (!std::isfinite(v)) return Bad(rec_name(), "bbox values must be finite");
    for (double v : a.box.bbox)
      if (std::fabs(v) > kMaxBoxCoordinate)
        return Bad(rec_name(), "bbox value " + internal::FormatNumber(v) +
                                   " is outside +-1e7 px (kMaxBoxCoordinate)");
    if (a.box.bbox[2] < 0 || a.box.bbox[3] < 0) return Bad(rec_name(), "bbox w and h must be >= 0");
    if (!a.has_area) a.box.area = a.box.bbox[2] * a.box.bbox[3];
    raw_.push_back(a);
    return Status::Ok();
  }

  Result<GroundTruth> Check() {
    std::unordered_set<int64_t> seen;
    seen.reserve(gt_.image_ids.size() * 2);
    for (size_t i = 0; i < gt_.image_ids.size(); ++i)
      if (!seen.insert(gt_.image_ids[i]).second)
        return Bad(Rec("images", i), "duplicate image id " + std::to_string(gt_.image_ids[i]));
    seen.clear();
    for (size_t i = 0; i < gt_.categories.size(); ++i)
      if (!seen.insert(gt_.categories[i].id).second)
        return Bad(Rec("categories", i),
                   "duplicate category id " + std::to_string(gt_.categories[i].id));
    gt_.BuildIndex();
    seen.clear();
    seen.reserve(raw_.size() * 2);
    gt_.boxes.reserve(raw_.size());
    for (size_t i = 0; i < raw_.size(); ++i) {
      const Raw& a = raw_[i];
      std::string rec = Rec("annotations", i);
      if (!a.has_image) return Bad(rec, "needs an integer \"image_id\"");
      if (!a.has_cat) return Bad(rec, "needs an integer \"category_id\"");
      if (gt_.ImageIndex(a.box.image_id) < 0)
        return Bad(rec, "unknown image_id " + std::to_string(a.box.image_id));
      if (gt_.CategoryIndex(a.box.category_id) < 0)
        return Bad(rec, "unknown category_id " + std::to_string(a.box.category_id));
      if (!seen.insert(a.box.id).second)
        return Bad(rec, "duplicate annotation id " + std::to_string(a.box.id));
      gt_.boxes.push_back(a.box);
    }
    return std::move(gt_);
  }

  struct Raw {
    GtBox box;
    bool has_id = false, has_image = false, has_cat = false, has_bbox = false, has_area = false;
  };

  internal::JsonReader r_;
  const std::string& where_;
  GroundTruth gt_;
  std::vector<Raw> raw_;
};

}  // namespace

Result<GroundTruth> ParseCocoGroundTruth(std::string_view text, const std::string& where) {
  return GtReader(text, where).Read();
}

Result<GroundTruth> LoadCocoGroundTruth(const std::filesystem::path& path) {
  Result<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  return ParseCocoGroundTruth(*bytes, path.string());
}

}  // namespace maskbench::scoring
