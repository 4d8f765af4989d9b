// The runner: runs one submission over a FrameSource and returns a RunRecord.
//
// Isolated mode (the default, and the only one `judge` uses) starts
// `maskbench-runner`, a small harness executable, sealed (RunSettings::seal):
// inside bubblewrap's namespaces as an unprivileged uid, over a private
// read-only copy of the submission folder, with limits, Landlock and a seccomp
// allowlist in place before the plugin's code is loaded. Frames go to it
// through shared memory, detections come back the same way, and a futex
// handshake in that memory carries the control. The parent's clock ranks: the
// latency of a frame is the parent's round trip; the runner's own timing is a
// cross-check. The parent checks the seal from outside (/proc). Crashes, hangs,
// bad output, forbidden calls and ABI mismatches end the run with a status;
// latencies of earlier frames are kept.
// In-process mode dlopens the plugin here (debugging and profiling only).
// See docs/runner.md.
//
// Thread-safety: RunSubmission may be called from several threads at once (each
// call has its own child and shared memory), but it installs no signal handlers
// and reaps only its own child.
#pragma once

#include <filesystem>
#include <string>

#include "maskbench/core/status.h"
#include "maskbench/harness/frame_source.h"
#include "maskbench/harness/run_record.h"
#include "maskbench/harness/submission.h"

namespace maskbench::harness {

// Path of the `maskbench-runner` executable: $MASKBENCH_RUNNER if set, else next
// to the running executable, else in its parent folder (tests live in <build>/tests).
Result<std::filesystem::path> FindRunnerExecutable();

// Whether this machine can make the full seal (docs/runner.md, "The seal"):
// bubblewrap with user, pid, network, ipc, uts and mount namespaces, probed
// once per process by starting a real sandbox. `reason` says why not.
struct SealSupport {
  bool full = false;
  std::string reason;
};
SealSupport ProbeSeal();

// Runs `plugin` (a .so) over `frames` with `settings`. `submission_dir` is what
// create() receives (default: the plugin's folder). Never throws; failures of
// the submission and of the harness are in the record's status and message.
RunRecord RunPlugin(const std::filesystem::path& plugin, const FrameSource& frames,
                    const RunSettings& settings, const std::filesystem::path& submission_dir = {});

// RunPlugin for a resolved submission (its config is used when settings.config_json is "{}").
RunRecord RunSubmission(const Submission& submission, const FrameSource& frames,
                        RunSettings settings);

}  // namespace maskbench::harness
