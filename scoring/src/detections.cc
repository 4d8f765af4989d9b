#include "maskbench/scoring/detections.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "maskbench/core/files.h"

namespace maskbench::scoring {
namespace {

// A strict, allocation-free reader for the COCO results array. Records are
// objects; the four known keys are decoded, every other value is skipped.
class ResultsReader {
 public:
  ResultsReader(std::string_view text, const std::string& where)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), where_(where) {}

  Status Read(std::vector<Detection>* out) {
    SkipWs();
    if (!Eat('[')) return Syntax("expected a JSON array of detections");
    out->reserve(size_t(end_ - p_) / 90 + 1);
    SkipWs();
    if (Eat(']')) return Trailing();
    for (;;) {
      Detection d;
      MB_RETURN_IF_ERROR(ReadRecord(&d));
      out->push_back(d);
      ++record_;
      SkipWs();
      if (Eat(',')) continue;
      if (Eat(']')) return Trailing();
      return Syntax("expected ',' or ']' after a record");
    }
  }

 private:
  Status Trailing() {
    SkipWs();
    if (p_ != end_) return Status::Corruption(where_, "unexpected text after the array " + Position());
    return Status::Ok();
  }

  std::string Position() const {
    int64_t line = 1, col = 1;
    for (const char* q = begin_; q < p_ && q < end_; ++q) {
      if (*q == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return "(line " + std::to_string(line) + ", column " + std::to_string(col) + ")";
  }
  Status Syntax(const std::string& what) const {
    return Status::Corruption(where_, "record " + std::to_string(record_) + ": invalid JSON: " + what + " " + Position());
  }
  Status Bad(const std::string& what) const {
    return Status::InvalidArgument(where_, "record " + std::to_string(record_) + ": " + what);
  }

  void SkipWs() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool Eat(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  bool EatWord(const char* w) {
    size_t n = std::strlen(w);
    if (size_t(end_ - p_) >= n && std::memcmp(p_, w, n) == 0) {
      p_ += n;
      return true;
    }
    return false;
  }

  // A string; *out gets its raw bytes (escapes not decoded; keys are compared raw).
  bool ReadString(std::string_view* out) {
    if (!Eat('"')) return false;
    const char* s = p_;
    while (p_ < end_ && *p_ != '"') {
      if (static_cast<unsigned char>(*p_) < 0x20) return false;
      if (*p_ == '\\') {
        if (++p_ == end_) return false;
      }
      ++p_;
    }
    if (p_ == end_) return false;
    *out = std::string_view(s, size_t(p_ - s));
    ++p_;
    return true;
  }

  // A JSON number, or NaN / Infinity / -Infinity (non-standard, accepted to be reported).
  bool ReadNumber(double* out) {
    const char* s = p_;
    if (EatWord("NaN")) {
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
    if (EatWord("Infinity")) {
      *out = std::numeric_limits<double>::infinity();
      return true;
    }
    if (EatWord("-Infinity")) {
      *out = -std::numeric_limits<double>::infinity();
      return true;
    }
    const char* q = p_;
    if (q < end_ && *q == '-') ++q;
    if (q >= end_) return false;
    if (*q == '0') {
      ++q;
    } else if (*q >= '1' && *q <= '9') {
      while (q < end_ && *q >= '0' && *q <= '9') ++q;
    } else {
      return false;
    }
    if (q < end_ && *q == '.') {
      ++q;
      if (q >= end_ || *q < '0' || *q > '9') return false;
      while (q < end_ && *q >= '0' && *q <= '9') ++q;
    }
    if (q < end_ && (*q == 'e' || *q == 'E')) {
      ++q;
      if (q < end_ && (*q == '+' || *q == '-')) ++q;
      if (q >= end_ || *q < '0' || *q > '9') return false;
      while (q < end_ && *q >= '0' && *q <= '9') ++q;
    }
    auto [ptr, ec] = std::from_chars(s, q, *out);
    if (ec == std::errc::result_out_of_range) {
      // Overflow to +-inf (underflow to 0 is left as parsed).
      bool neg = *s == '-';
      double probe = 0;
      std::from_chars(s, q, probe);
      if (std::fabs(probe) < 1) *out = neg ? -0.0 : 0.0;
      else *out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    } else if (ec != std::errc() || ptr != q) {
      return false;
    }
    p_ = q;
    return true;
  }

  // Skips any JSON value.
  bool SkipValue(int depth = 0) {
    if (depth > 512) return false;
    SkipWs();
    if (p_ >= end_) return false;
    char c = *p_;
    if (c == '"') {
      std::string_view s;
      return ReadString(&s);
    }
    if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++p_;
      SkipWs();
      if (Eat(close)) return true;
      for (;;) {
        if (c == '{') {
          std::string_view k;
          SkipWs();
          if (!ReadString(&k)) return false;
          SkipWs();
          if (!Eat(':')) return false;
        }
        if (!SkipValue(depth + 1)) return false;
        SkipWs();
        if (Eat(',')) continue;
        return Eat(close);
      }
    }
    if (EatWord("true") || EatWord("false") || EatWord("null")) return true;
    double d;
    return ReadNumber(&d);
  }

  Status ReadId(const char* name, int64_t* out) {
    double v;
    if (!ReadNumber(&v)) {
      if (!SkipValue()) return Syntax(std::string("bad value of ") + name);
      return Bad(std::string(name) + " must be an integer");
    }
    if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9007199254740992.0)
      return Bad(std::string(name) + " must be an integer");
    *out = int64_t(v);
    return Status::Ok();
  }

  Status ReadBbox(double* bbox) {
    const char* start = p_;
    int n = 0;
    bool ok = Eat('[');
    if (ok) {
      SkipWs();
      if (!Eat(']')) {
        for (;;) {
          SkipWs();
          double v;
          if (!ReadNumber(&v)) {
            ok = false;
            break;
          }
          if (n < 4) bbox[n] = v;
          ++n;
          SkipWs();
          if (Eat(',')) continue;
          if (Eat(']')) break;
          ok = false;
          break;
        }
      }
    }
    if (ok && n == 4) return Status::Ok();
    p_ = start;
    if (!SkipValue()) return Syntax("bad value of bbox");
    return Bad("bbox must be 4 numbers");
  }

  Status ReadRecord(Detection* d) {
    SkipWs();
    if (!Eat('{')) {
      if (!SkipValue()) return Syntax("expected an object");
      return Bad("expected an object {image_id, category_id, bbox, score}");
    }
    bool has_image = false, has_cat = false, has_bbox = false, has_score = false;
    SkipWs();
    if (!Eat('}')) {
      for (;;) {
        SkipWs();
        std::string_view key;
        if (!ReadString(&key)) return Syntax("expected a key string");
        SkipWs();
        if (!Eat(':')) return Syntax("expected ':'");
        SkipWs();
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
          if (!ReadNumber(&d->score)) {
            if (!SkipValue()) return Syntax("bad value of score");
            return Bad("score must be a number");
          }
          has_score = true;
        } else if (!SkipValue()) {
          return Syntax("bad value of \"" + std::string(key) + "\"");
        }
        SkipWs();
        if (Eat(',')) continue;
        if (Eat('}')) break;
        return Syntax("expected ',' or '}' in a record");
      }
    }
    if (!has_image) return Bad("missing image_id");
    if (!has_cat) return Bad("missing category_id");
    if (!has_bbox) return Bad("missing bbox");
    if (!has_score) return Bad("missing score");
    return CheckValues(*d);
  }

  Status CheckValues(const Detection& d) const {
    for (double v : d.bbox)
      if (!std::isfinite(v)) return Bad("bbox values must be finite");
    if (d.bbox[2] < 0 || d.bbox[3] < 0) return Bad("bbox w and h must be >= 0");
    if (std::isnan(d.score)) return Bad("score is NaN");
    if (!std::isfinite(d.score)) return Bad("score must be finite");
    return Status::Ok();
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  const std::string& where_;
  int64_t record_ = 0;
};

}  // namespace

Result<std::vector<Detection>> ParseCocoDetections(std::string_view json, const std::string& where) {
  std::vector<Detection> dets;
  ResultsReader reader(json, where);
  Status s = reader.Read(&dets);
  if (!s.ok()) return s;
  return dets;
}

Status ValidateDetections(const GroundTruth& gt, const std::vector<Detection>& dets,
                          const std::string& where) {
  for (size_t i = 0; i < dets.size(); ++i) {
    const Detection& d = dets[i];
    auto bad = [&](const std::string& what) {
      return Status::InvalidArgument(where, "record " + std::to_string(i) + ": " + what);
    };
    if (gt.ImageIndex(d.image_id) < 0) return bad("unknown image_id " + std::to_string(d.image_id));
    if (gt.CategoryIndex(d.category_id) < 0) return bad("unknown category_id " + std::to_string(d.category_id));
    for (double v : d.bbox)
      if (!std::isfinite(v)) return bad("bbox values must be finite");
    if (d.bbox[2] < 0 || d.bbox[3] < 0) return bad("bbox w and h must be >= 0");
    if (std::isnan(d.score)) return bad("score is NaN");
    if (!std::isfinite(d.score)) return bad("score must be finite");
  }
  return Status::Ok();
}

Result<std::vector<Detection>> LoadCocoDetections(const std::filesystem::path& path, const GroundTruth& gt) {
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
