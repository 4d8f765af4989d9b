// Small file helpers: whole-file reads and writes, SHA-256 (OpenSSL), and an
// atomic write (temporary file + rename) so a crash never leaves half a file.
// All functions are thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "maskbench/core/status.h"

namespace maskbench {

// Reads a whole file as bytes. NotFound / IOError name the path.
Result<std::string> ReadFile(const std::filesystem::path& path);

// Writes `data` to `path` through `path.tmp` + rename; creates parent folders.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data);

// Lower-case hex SHA-256 of a byte string.
std::string Sha256Hex(std::string_view data);

// Lower-case hex SHA-256 of a file, streamed (does not load the whole file).
Result<std::string> Sha256File(const std::filesystem::path& path);

}  // namespace maskbench
