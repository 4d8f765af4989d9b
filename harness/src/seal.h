// The parent's side of the seal around a submission: what this machine can
// make (bubblewrap with user, mount, pid, network, ipc and uts namespaces, an
// unprivileged uid), a private read-only copy of what the child may see, the
// bubblewrap command line, and the checks the parent makes from outside
// (/proc/PID/status of every thread, namespace links). Internal to
// maskbench::harness; see docs/runner.md ("The seal").
//
// Thread-safety: PlanSeal() caches its probe behind a mutex; the rest has no
// shared state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "maskbench/core/status.h"
#include "maskbench/harness/run_record.h"

namespace maskbench::harness::internal {

enum class SealLevel : uint32_t { kOff = 0, kReduced = 1, kFull = 2 };
const char* SealLevelName(SealLevel level);  // "off", "reduced", "full"

// The uid and gid the child runs as when the judge is root.
inline constexpr uid_t kSandboxUid = 65534;
inline constexpr gid_t kSandboxGid = 65534;

// Where the child sees its files in the full seal.
inline constexpr const char* kSealedSubmissionDir = "/submission";
inline constexpr const char* kSealedRunner = "/run/maskbench/maskbench-runner";

// How the next child will be started.
struct SealPlan {
  SealLevel level = SealLevel::kOff;
  std::string reason;           // why not full (empty when full)
  std::string bwrap;            // bubblewrap's path (full only)
  bool drop_to_nobody = false;  // the judge is root: the child runs as 65534:65534
  uid_t uid = 0;                // the uid the child has, as the host sees it
};

// The plan for `policy`: the full seal when this machine can make one (probed
// once per process by starting a real sandbox), else reduced (kBestEffort) or
// none (kRequire, with level kOff and the reason), or kOff on request.
// $MASKBENCH_BWRAP names bubblewrap ("" or "none": treat it as absent).
SealPlan PlanSeal(SealPolicy policy);

// A private copy of the submission folder (the whole folder when it holds a
// submission.json, else the plugin alone) and the runner executable, readable
// by the sandbox uid and by nobody able to change it during the run; removed
// on destruction. Symbolic links are followed only when they stay inside the
// folder; other special files, or more than `max_bytes`, are errors.
class Stage {
 public:
  Stage() = default;
  Stage(Stage&& other) noexcept;
  Stage& operator=(Stage&& other) noexcept;
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;
  ~Stage();

  static Result<Stage> Create(const std::filesystem::path& submission_dir,
                              const std::filesystem::path& plugin,
                              const std::filesystem::path& runner, uint64_t max_bytes);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path submission_dir() const { return root_ / "submission"; }
  std::filesystem::path runner() const { return root_ / "maskbench-runner"; }
  // The plugin relative to the submission folder.
  const std::filesystem::path& plugin_relative() const { return plugin_relative_; }

 private:
  std::filesystem::path root_;
  std::filesystem::path plugin_relative_;
};

// bubblewrap's namespace, identity, environment and system-folder arguments
// (shared by the probe and the real sandbox).
std::vector<std::string> SandboxNamespaceArguments();

// bubblewrap's arguments (after argv[0]) for the full seal, ending with the
// staged runner's path (its own arguments follow). `info_fd` is the fd
// bubblewrap reports the sandbox's pid on.
std::vector<std::string> BwrapArguments(const Stage& stage, int info_fd);

// What the parent found when it looked at the child from outside.
struct SealObservation {
  bool ok = false;
  std::string problem;     // the first check that failed
  std::string divergence;  // threads with different numbers of seccomp filters, or ""
  SealReport report;       // the checked facts
};

// Reads /proc/<pid>/status of every thread of `pid` and its namespace links and
// compares them with what `plan` promises: seccomp filter mode with at least
// `min_filters` filters beyond the judge's own, no_new_privs, no capabilities,
// the expected uid, and (full) every namespace different from the judge's.
SealObservation ObserveSeal(pid_t pid, const SealPlan& plan, int min_filters);

}  // namespace maskbench::harness::internal
