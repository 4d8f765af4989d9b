// A small, allocation-free JSON pull reader for the large inputs of scoring
// (COCO ground truth and results files), faster than building a DOM. Internal.
// Not thread-safe per instance; instances share nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace maskbench::scoring::internal {

class JsonReader {
 public:
  explicit JsonReader(std::string_view text)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  void SkipWs() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  // Consumes `c` (after whitespace) when it is next.
  bool Eat(char c) {
    SkipWs();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  // The next non-space character, or '\0' at the end.
  char Peek() {
    SkipWs();
    return p_ < end_ ? *p_ : '\0';
  }
  bool AtEnd() {
    SkipWs();
    return p_ == end_;
  }
  // A string; *raw gets its bytes with escapes left as written.
  bool ReadRawString(std::string_view* raw);
  // A string with escapes decoded (\uXXXX to UTF-8).
  bool ReadString(std::string* out);
  // A JSON number, or the non-standard NaN / Infinity / -Infinity (so callers can report them).
  bool ReadNumber(double* out);
  // An array of exactly `n` numbers into out[0..n). On false the position is
  // unchanged (the caller may skip the value and report it).
  bool ReadNumberArray(double* out, int n);
  // Skips any value.
  bool SkipValue(int depth = 0);
  // Reads `"key" :` of an object member.
  bool ReadKey(std::string_view* key) { return ReadRawString(key) && Eat(':'); }

  const char* pos() const { return p_; }
  void set_pos(const char* p) { p_ = p; }
  // "(line L, column C)" of the current position.
  std::string Position() const;

 private:
  bool EatWord(const char* w, size_t n);

  const char* begin_;
  const char* p_;
  const char* end_;
};

}  // namespace maskbench::scoring::internal
