// Small file helpers: whole-file reads and writes, SHA-256 (OpenSSL), an atomic
// write (temporary file + rename) so a crash never leaves half a file, and a
// folder replaced whole (StagingDir).
// All functions are thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench {

// strerror(err), with "disk full (...)" for ENOSPC and EDQUOT.
std::string ErrnoText(int err);

// Reads a whole file as bytes. NotFound / IOError name the path; a folder or
// another non-regular file is InvalidArgument.
Result<std::string> ReadFile(const std::filesystem::path& path);

// Writes `data` to `path` through a temporary sibling (`path.tmp-<pid>-<n>`,
// fsync'ed, renamed into place); creates parent folders. On failure the
// temporary is removed and `path` is untouched; a full disk says "disk full".
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view data);

// A folder written whole or not at all: files go into a temporary sibling
// (`staging()`), and Commit() puts it in place of `dir` in one step
// (renameat2 RENAME_EXCHANGE when `dir` exists, then the old one is removed).
// Without Commit() the temporary is removed on destruction. When `marker` is
// given, an existing non-empty `dir` without that file in it is refused
// (InvalidArgument): it is not an earlier output of the same kind, so it is not
// replaced, unless every entry in it is named in `also_allowed` (such as a
// `reports` folder a page keeps; the caller carries those over itself).
class StagingDir {
 public:
  static Result<StagingDir> Create(const std::filesystem::path& dir, const std::string& marker = "",
                                   const std::vector<std::string>& also_allowed = {});
  StagingDir(StagingDir&& other) noexcept;
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  StagingDir& operator=(StagingDir&&) = delete;
  ~StagingDir();
  const std::filesystem::path& staging() const { return staging_; }
  Status Commit();

 private:
  StagingDir() = default;
  std::filesystem::path dir_, staging_;
};

// Lower-case hex SHA-256 of a byte string.
std::string Sha256Hex(std::string_view data);

// Lower-case hex SHA-256 of a file, streamed (does not load the whole file).
Result<std::string> Sha256File(const std::filesystem::path& path);

}  // namespace maskbench
