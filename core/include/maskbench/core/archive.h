// Submission archives (`maskbench pack`, docs/first-submission.md, "Packing"):
// a gzip-compressed ustar tar of regular files and folders only, with a
// `MANIFEST.sha256` at its root listing the SHA-256 of every other file
// ("<64 hex>  <path>" lines, sorted by path, as sha256sum prints them).
//
// Reading is for untrusted archives: absolute paths, "..", symlinks, hard
// links, devices, names over 255 bytes, more than `max_files` files or
// `max_bytes` in all are refused naming the archive and the entry; extraction
// goes into a fresh folder only. Verification checks that the manifest lists
// exactly the files present, each with its hash.
// Thread-safety: no shared state.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench {

struct ArchiveFile {
  std::string path;            // relative, '/'-separated, e.g. "submission/libx.so"
  std::filesystem::path from;  // the file on disk to store
};

// Writes `files` plus a MANIFEST.sha256 of them into a .tar.gz at `out`
// (atomically: a temporary sibling renamed into place). Regular files only;
// the mode's executable bit is kept.
Status WriteArchive(const std::filesystem::path& out, const std::vector<ArchiveFile>& files);

struct ArchiveLimits {
  int64_t max_files = 10000;                  // files and folders
  int64_t max_bytes = int64_t{4} << 30;       // 4 GiB unpacked
  int64_t max_file_bytes = int64_t{1} << 30;  // 1 GiB a file
  int64_t max_manifest_bytes = 1 << 20;       // 1 MiB
};

// Extracts `archive` into `dest`, which must not exist (it is created), then
// verifies the manifest. On any failure `dest` is removed and nothing else is
// written. Returns the archive's paths (manifest excluded).
Result<std::vector<std::string>> ExtractArchive(const std::filesystem::path& archive,
                                                const std::filesystem::path& dest,
                                                const ArchiveLimits& limits = {});

}  // namespace maskbench
