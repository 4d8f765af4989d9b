// Text from outside the harness: validating UTF-8 (inputs such as class and file
// names are rejected when invalid) and sanitizing untrusted text (a plugin's
// self-description, error messages and stderr) once, at the boundary, so that no
// JSON writer, terminal or page ever sees invalid UTF-8 or control characters.
// All functions are pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "maskbench/core/status.h"

namespace maskbench {

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, at
// most U+10FFFF).
bool IsValidUtf8(std::string_view text);

// The byte offset of the first ill-formed UTF-8 sequence, or npos.
size_t FirstInvalidUtf8(std::string_view text);

// Ok for valid UTF-8; else InvalidArgument naming `where` and the byte offset,
// e.g. "ds/classes.txt: line 3: invalid UTF-8 at byte 7".
Status CheckUtf8(std::string_view text, const std::string& where);

struct SanitizeOptions {
  // Most bytes kept (cut at a character boundary, "…" appended when cut). Default: 2048.
  size_t max_bytes = 2048;
  // Keep newlines and tabs (a log); else they become spaces (one line). Default: false.
  bool multiline = false;
};

// `text` made safe to show and store: each ill-formed UTF-8 sequence becomes
// U+FFFD, C0/C1 control characters (terminal escapes included), DEL and the
// bidirectional overrides U+202A-U+202E / U+2066-U+2069 are dropped (newline and
// tab become spaces unless `multiline`), and the result is capped.
std::string SanitizeText(std::string_view text, const SanitizeOptions& options = {});

}  // namespace maskbench
