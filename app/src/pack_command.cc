// `maskbench pack SUB -o TEAM.tar.gz [--sources DIR]`: writes a submission
// archive (core/archive.h): the built submission folder under submission/, its
// sources under sources/, and a MANIFEST.sha256 of every file. `judge` accepts
// such archives beside folders and verifies them. See docs/first-submission.md.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "commands.h"
#include "maskbench/contest/identity.h"
#include "maskbench/contest/rtl_build.h"
#include "maskbench/core/archive.h"
#include "maskbench/harness/submission.h"

namespace maskbench::app {
namespace {

namespace fs = std::filesystem;

struct PackFlags {
  std::string submission, out, sources;
};

// The source folder of the CMake build that holds `dir` (CMAKE_HOME_DIRECTORY
// in a CMakeCache.txt at or above it), or "" when there is none.
fs::path SourcesOfBuild(const fs::path& dir) {
  for (fs::path p = fs::absolute(dir); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    std::ifstream cache(p / "CMakeCache.txt");
    if (!cache) continue;
    std::string line;
    while (std::getline(cache, line))
      if (line.rfind("CMAKE_HOME_DIRECTORY:INTERNAL=", 0) == 0)
        return line.substr(std::string("CMAKE_HOME_DIRECTORY:INTERNAL=").size());
    return "";
  }
  return "";
}

// An RTL submission: submission/ holds submission.json and the sources it
// lists, nothing built (the judge builds it itself: docs/rtl.md).
int PackRtl(const PackFlags& f) {
  Result<contest::RtlSubmission> sub = contest::LoadRtlSubmission(f.submission);
  if (!sub.ok()) return Fail(sub.status());
  const fs::path out = fs::absolute(f.out).lexically_normal();
  std::vector<ArchiveFile> files = {{"submission/submission.json", sub->dir / "submission.json"}};
  for (const fs::path& p : sub->sources)
    files.push_back({"submission/" + fs::relative(p, sub->dir).generic_string(), p});
  std::error_code ec;
  fs::create_directories(out.parent_path(), ec);
  if (Status s = WriteArchive(out, files); !s.ok()) return Fail(s);
  std::printf("packed       %s: RTL submission %s (%zu file(s): submission.json + sources)\n",
              out.c_str(), sub->name.c_str(), files.size());
  std::printf("manifest     MANIFEST.sha256; the judge builds it with verilator and yosys\n");
  return 0;
}

int Pack(const PackFlags& f) {
  if (contest::IsRtlSubmission(f.submission)) return PackRtl(f);
  Result<harness::Submission> sub = harness::LoadSubmission(f.submission);
  if (!sub.ok()) return Fail(sub.status());
  if (std::string why = contest::UnchangedTemplateReason(*sub); !why.empty())
    return Fail(sub->dir.string() + ": " + why);
  const fs::path out = fs::absolute(f.out).lexically_normal();
  std::vector<ArchiveFile> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(sub->dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_symlink())
      return Fail(it->path().string() + ": a symlink in the submission (copy the file instead)");
    if (!it->is_regular_file()) continue;
    files.push_back(
        {"submission/" + fs::relative(it->path(), sub->dir).generic_string(), it->path()});
  }
  if (ec) return Fail(sub->dir.string() + ": " + ec.message());
  fs::path sources = f.sources.empty() ? SourcesOfBuild(sub->dir) : fs::path(f.sources);
  size_t source_files = 0;
  if (!sources.empty()) {
    if (!fs::is_directory(sources)) return Fail(sources.string() + ": not a folder of sources");
    sources = fs::canonical(sources);
    const fs::path built = fs::canonical(sub->dir);
    for (auto it = fs::recursive_directory_iterator(sources, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path p = it->path();
      const std::string leaf = p.filename().string();
      // Not sources: version control, build trees (they hold a CMakeCache.txt),
      // the built submission itself, and archives.
      if (it->is_directory() &&
          (leaf == ".git" || fs::exists(p / "CMakeCache.txt") || fs::equivalent(p, built, ec))) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_symlink() || !it->is_regular_file()) continue;
      if (p == out || leaf.ends_with(".tar.gz")) continue;
      files.push_back({"sources/" + fs::relative(p, sources).generic_string(), p});
      ++source_files;
    }
    if (ec) return Fail(sources.string() + ": " + ec.message());
  }
  fs::create_directories(out.parent_path(), ec);
  if (Status s = WriteArchive(out, files); !s.ok()) return Fail(s);
  std::printf("packed       %s: %zu file(s) of %s%s%s\n", out.c_str(), files.size() - source_files,
              sub->dir.c_str(),
              sources.empty() ? " (no sources: give --sources DIR)" : ", sources from ",
              sources.empty() ? "" : sources.c_str());
  std::printf(
      "manifest     MANIFEST.sha256 (%zu files); check it with: tar xzf %s && sha256sum -c "
      "MANIFEST.sha256\n",
      files.size(), out.filename().c_str());
  return 0;
}

}  // namespace

void AddPackCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<PackFlags>();
  CLI::App* cmd = app.add_subcommand(
      "pack", "Write a submission archive: the built folder, its sources and a SHA-256 manifest");
  cmd->add_option("submission", f->submission,
                  "The built submission folder (the .so and submission.json)")
      ->required();
  cmd->add_option("-o,--out", f->out, "The archive to write, e.g. my-team.tar.gz")->required();
  cmd->add_option("--sources", f->sources,
                  "The sources to include (default: the CMake source folder of the build that "
                  "holds the submission)");
  cmd->footer(
      "\nExamples:\n  maskbench pack build/submission -o my-team.tar.gz\n"
      "  maskbench judge --submissions entries/ --dataset ds --db results.sqlite  # "
      "entries/my-team.tar.gz\n"
      "\nEvery command and flag: docs/cli.md (in the source tree).");
  cmd->callback([f, exit_code] { *exit_code = Pack(*f); });
}

}  // namespace maskbench::app
