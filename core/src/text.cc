#include "maskbench/core/text.h"

#include <cstdint>

namespace maskbench {
namespace {

// Decodes one code point at text[i]; returns its length in bytes, or 0 when the
// sequence there is ill-formed (Unicode 15, table 3-7).
size_t DecodeOne(std::string_view text, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(text[i + k]); };
  const size_t left = text.size() - i;
  const uint8_t c = b(0);
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n;
  uint8_t lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;  // no surrogates
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;  // at most U+10FFFF
  } else {
    return 0;
  }
  if (left < n) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(k) < 0x80 || b(k) > 0xbf) return 0;
  uint32_t v = c & (0xff >> (n + 1));
  for (size_t k = 1; k < n; ++k) v = (v << 6) | (b(k) & 0x3f);
  *cp = v;
  return n;
}

bool Dropped(uint32_t cp) {
  return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

size_t FirstInvalidUtf8(std::string_view text) {
  uint32_t cp;
  for (size_t i = 0; i < text.size();) {
    const size_t n = DecodeOne(text, i, &cp);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

bool IsValidUtf8(std::string_view text) { return FirstInvalidUtf8(text) == std::string_view::npos; }

Status CheckUtf8(std::string_view text, const std::string& where) {
  const size_t at = FirstInvalidUtf8(text);
  if (at == std::string_view::npos) return Status::Ok();
  return Status::InvalidArgument(where, "invalid UTF-8 at byte " + std::to_string(at));
}

std::string SanitizeText(std::string_view text, const SanitizeOptions& options) {
  static constexpr std::string_view kReplacement = "\xef\xbf\xbd";  // U+FFFD
  static constexpr std::string_view kEllipsis = "\xe2\x80\xa6";     // U+2026
  std::string out;
  out.reserve(std::min(text.size(), options.max_bytes));
  bool cut = false;
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t n = DecodeOne(text, i, &cp);
    std::string_view piece;
    if (n == 0) {
      piece = kReplacement;
      n = 1;
    } else if (cp == '\n' || cp == '\t') {
      piece = options.multiline ? text.substr(i, 1) : std::string_view(" ");
    } else if (Dropped(cp)) {
      piece = {};
    } else {
      piece = text.substr(i, n);
    }
    if (out.size() + piece.size() > options.max_bytes) {
      cut = true;
      break;
    }
    out.append(piece);
    i += n;
  }
  if (cut) {
    // Make room for the ellipsis at a character boundary.
    while (!out.empty() && out.size() + kEllipsis.size() > options.max_bytes) {
      size_t k = out.size() - 1;
      while (k > 0 && (static_cast<uint8_t>(out[k]) & 0xc0) == 0x80) --k;
      out.resize(k);
    }
    if (out.size() + kEllipsis.size() <= options.max_bytes) out.append(kEllipsis);
  }
  return out;
}

}  // namespace maskbench
