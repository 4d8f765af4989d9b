#include "json_reader.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

namespace maskbench::scoring::internal {

bool JsonReader::EatWord(const char* w, size_t n) {
  if (size_t(end_ - p_) >= n && std::memcmp(p_, w, n) == 0) {
    p_ += n;
    return true;
  }
  return false;
}

std::string JsonReader::Position() const {
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

bool JsonReader::ReadRawString(std::string_view* out) {
  if (!Eat('"')) return false;
  const char* s = p_;
  while (p_ < end_ && *p_ != '"') {
    if (static_cast<unsigned char>(*p_) < 0x20) return false;
    if (*p_ == '\\' && ++p_ == end_) return false;
    ++p_;
  }
  if (p_ == end_) return false;
  *out = std::string_view(s, size_t(p_ - s));
  ++p_;
  return true;
}

bool JsonReader::ReadString(std::string* out) {
  std::string_view raw;
  if (!ReadRawString(&raw)) return false;
  out->clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\') {
      *out += c;
      continue;
    }
    char e = raw[++i];
    switch (e) {
      case '"':
      case '\\':
      case '/':
        *out += e;
        break;
      case 'b':
        *out += '\b';
        break;
      case 'f':
        *out += '\f';
        break;
      case 'n':
        *out += '\n';
        break;
      case 'r':
        *out += '\r';
        break;
      case 't':
        *out += '\t';
        break;
      case 'u': {
        auto hex4 = [&](size_t at, uint32_t* v) {
          if (at + 4 > raw.size()) return false;
          auto [ptr, ec] = std::from_chars(raw.data() + at, raw.data() + at + 4, *v, 16);
          return ec == std::errc() && ptr == raw.data() + at + 4;
        };
        uint32_t cp;
        if (!hex4(i + 1, &cp)) return false;
        i += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < raw.size() + 1 &&
            raw.substr(i + 1, 2) == "\\u") {
          uint32_t lo;
          if (hex4(i + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          }
        }
        if (cp < 0x80) {
          *out += char(cp);
        } else if (cp < 0x800) {
          *out += char(0xC0 | (cp >> 6));
          *out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
          *out += char(0xE0 | (cp >> 12));
          *out += char(0x80 | ((cp >> 6) & 0x3F));
          *out += char(0x80 | (cp & 0x3F));
        } else {
          *out += char(0xF0 | (cp >> 18));
          *out += char(0x80 | ((cp >> 12) & 0x3F));
          *out += char(0x80 | ((cp >> 6) & 0x3F));
          *out += char(0x80 | (cp & 0x3F));
        }
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

bool JsonReader::ReadNumber(double* out) {
  SkipWs();
  if (EatWord("NaN", 3)) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (EatWord("Infinity", 8)) {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  if (EatWord("-Infinity", 9)) {
    *out = -std::numeric_limits<double>::infinity();
    return true;
  }
  const char* s = p_;
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
    // Too large -> +-inf (reported as non-finite by callers); too small -> 0.
    bool neg = *s == '-';
    const char* e = s;
    while (e < q && *e != 'e' && *e != 'E') ++e;
    bool big = e < q && e[1] != '-';
    *out = big ? (neg ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity())
               : (neg ? -0.0 : 0.0);
  } else if (ec != std::errc() || ptr != q) {
    return false;
  }
  p_ = q;
  return true;
}

bool JsonReader::ReadNumberArray(double* out, int n) {
  const char* start = p_;
  int count = 0;
  bool ok = Eat('[');
  if (ok && !Eat(']')) {
    for (;;) {
      double v;
      if (!ReadNumber(&v)) {
        ok = false;
        break;
      }
      if (count < n) out[count] = v;
      ++count;
      if (Eat(',')) continue;
      if (Eat(']')) break;
      ok = false;
      break;
    }
  }
  if (ok && count == n) return true;
  p_ = start;
  return false;
}

bool JsonReader::SkipValue(int depth) {
  if (depth > 512) return false;
  char c = Peek();
  if (c == '"') {
    std::string_view s;
    return ReadRawString(&s);
  }
  if (c == '{' || c == '[') {
    const char close = c == '{' ? '}' : ']';
    ++p_;
    if (Eat(close)) return true;
    for (;;) {
      if (c == '{') {
        std::string_view k;
        if (!ReadKey(&k)) return false;
      }
      if (!SkipValue(depth + 1)) return false;
      if (Eat(',')) continue;
      return Eat(close);
    }
  }
  if (EatWord("true", 4) || EatWord("false", 5) || EatWord("null", 4)) return true;
  double d;
  return ReadNumber(&d);
}

}  // namespace maskbench::scoring::internal
