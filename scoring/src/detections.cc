#include "maskbench/scoring/detections.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "internal.h"
#include "json_reader.h"
#include "maskbench/core/files.h"

namespace maskbench::scoring {
namespace {

// A strict reader of the COCO results array over JsonReader. Records are
// objects; the four known keys are decoded, every other value is skipped.
class ResultsReader {
 public:
  ResultsReader(std::string_view text, const std::string& where)
      : r_(text), size_(text.size()), where_(where) {}

  Status Read(std::vector<Detection>* out) {
    if (!r_.Eat('[')) return Syntax("expected a JSON array of detections");
    out->reserve(size_ / 90 + 1);
    if (r_.Eat(']')) return Trailing();
    for (;;) {
      Detection d;
      MB_RETURN_IF_ERROR(ReadRecord(&d));
      out->push_back(d);
      ++record_;
      if (r_.Eat(',')) continue;
      if (r_.Eat(']')) return Trailing();
      return Syntax("expected ',' or ']' after a record");
    }
  }

 private:
  Status Trailing() {
    if (!r_.AtEnd())
      return Status::Corruption(where_, "unexpected text after the array " + r_.Position());
    return Status::Ok();
  }
  Status Syntax(const std::string& what) {
    return Status::Corruption(where_, "record " + std::to_string(record_) +
                                          ": invalid JSON: " + what + " " + r_.Position());
  }
  Status Bad(const std::string& what) const {
    return Status::InvalidArgument(where_, "record " + std::to_string(record_) + ": " + what);
  }

  Status ReadId(const char* name, int64_t* out) {
    double v;
    if (!r_.ReadNumber(&v)) {
      if (!r_.SkipValue()) return Syntax(std::string("bad value of ") + name);
      return Bad(std::string(name) + " must be an integer");
    }
    if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9007199254740992.0)
      return Bad(std::string(name) + " must be an integer");
    *out = int64_t(v);
    return Status::Ok();
  }

  Status ReadBbox(double* bbox) {
    if (r_.ReadNumberArray(bbox, 4)) return Status::Ok();
    if (!r_.SkipValue()) return Syntax("bad value of bbox");
    return Bad("bbox must be 4 numbers");
  }

  Status ReadRecord(Detection* d) {
    if (!r_.Eat('{')) {
      if (!r_.SkipValue()) return Syntax("expected an object");
      return Bad("expected an object {image_id, category_id, bbox, score}");
    }
    bool has_image = false, has_cat = false, has_bbox = false, has_score = false;
    if (!r_.Eat('}')) {
      for (;;) {
        std::string_view key;
        if (!r_.ReadKey(&key)) return Syntax("expected \"key\":");
        if (key == "image_id") {
          MB_RETURN_IF_ERROR(ReadId("image_id", &d->image_id));
          has_image = true;
        } else if (key == "category_id") {
          MB_RETURN_IF_ERROR(ReadId("category_id", &d->category_id));
          has_cat = true;
        } else if (key == "bbox") {
          MB_RETURN_IF_ERROR(ReadBbox(d->bbox));
          has_bbox = true;
        } else if (key == "score") {
          if (!r_.ReadNumber(&d->score)) {
            if (!r_.SkipValue()) return Syntax("bad value of score");
            return Bad("score must be a number");
          }
          has_score = true;
        } else if (!r_.SkipValue()) {
          return Syntax("bad value of \"" + std::string(key) + "\"");
        }
        if (r_.Eat(',')) continue;
        if (r_.Eat('}')) break;
        return Syntax("expected ',' or '}' in a record");
      }
    }
    if (!has_image) return Bad("missing image_id");
    if (!has_cat) return Bad("missing category_id");
    if (!has_bbox) return Bad("missing bbox");
    if (!has_score) return Bad("missing score");
    for (double v : d->bbox)
      if (!std::isfinite(v)) return Bad("bbox values must be finite");
    for (double v : d->bbox)
      if (std::fabs(v) > kMaxBoxCoordinate)
        return Bad("bbox value " + internal::FormatNumber(v) +
                   " is outside +-1e7 px (kMaxBoxCoordinate)");
    if (d->bbox[2] < 0 || d->bbox[3] < 0) return Bad("bbox w and h must be >= 0");
    if (std::isnan(d->score)) return Bad("score is NaN");
    if (!std::isfinite(d->score)) return Bad("score must be finite");
    return Status::Ok();
  }

  internal::JsonReader r_;
  size_t size_;
  const std::string& where_;
  int64_t record_ = 0;
};

}  // namespace

Result<std::vector<Detection>> ParseCocoDetections(std::string_view json,
                                                   const std::string& where) {
  std::vector<Detection> dets;
  ResultsReader reader(json, where);
  Status s = reader.Read(&dets);
  if (!s.ok()) return s;
  return dets;
}

Status ValidateDetections(const GroundTruth& gt, const std::vector<Detection>& dets,
                          const std::string& where) {
  std::vector<int64_t> image_index;
  std::vector<int> category_index;
  return internal::IndexDetections(gt, dets, where, &image_index, &category_index);
}

Result<std::vector<Detection>> LoadCocoDetections(const std::filesystem::path& path,
                                                  const GroundTruth& gt) {
  Result<std::string> bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  Result<std::vector<Detection>> dets = ParseCocoDetections(*bytes, path.string());
  if (!dets.ok()) return dets.status();
  MB_RETURN_IF_ERROR(ValidateDetections(gt, *dets, path.string()));
  return dets;
}

namespace {
void AppendNumber(std::string* out, double v) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, ptr);
}
}  // namespace

std::string DetectionsToCocoJson(const std::vector<Detection>& dets) {
  std::string out;
  out.reserve(dets.size() * 110 + 2);
  out += '[';
  for (size_t i = 0; i < dets.size(); ++i) {
    const Detection& d = dets[i];
    if (i) out += ",\n ";
    out += "{\"image_id\": ";
    out += std::to_string(d.image_id);
    out += ", \"category_id\": ";
    out += std::to_string(d.category_id);
    out += ", \"bbox\": [";
    for (int k = 0; k < 4; ++k) {
      if (k) out += ", ";
      AppendNumber(&out, d.bbox[k]);
    }
    out += "], \"score\": ";
    AppendNumber(&out, d.score);
    out += '}';
  }
  out += "]\n";
  return out;
}

}  // namespace maskbench::scoring
