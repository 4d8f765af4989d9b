// Submission: where a plugin is and what its folder says about it.
//
// A submission is a plugin .so, usually in its own folder next to a
// `submission.json` ({"name", "team", "version", "latency_kind", "config"}, all
// optional; format in docs/runner.md). LoadSubmission accepts either the .so or
// the folder (which must hold exactly one .so, or name it in "plugin").
// Plain values; functions are thread-safe.
#pragma once

#include <filesystem>
#include <string>

#include "maskbench/core/status.h"

namespace maskbench::harness {

inline constexpr const char* kSubmissionMetadataFile = "submission.json";

struct Submission {
  std::filesystem::path plugin;           // absolute path of the .so
  std::filesystem::path dir;              // absolute folder, passed to create() for weights
  std::string name;                       // from submission.json, else the folder name
  std::string team;                       // from submission.json, else ""
  std::string version;                    // from submission.json, else ""
  std::string latency_kind = "measured";  // "measured" or "modeled"
  std::string config_json = "{}";         // submission.json "config" (an object) as text
};

// Resolves a .so or a folder; errors name the path and the problem.
Result<Submission> LoadSubmission(const std::filesystem::path& so_or_dir);

}  // namespace maskbench::harness
