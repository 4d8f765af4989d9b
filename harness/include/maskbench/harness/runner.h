// The runner: runs one submission over a FrameSource and returns a RunRecord.
//
// Isolated mode (the default, and the only one `judge` uses) forks and execs
// `maskbench-runner`, a small harness executable that loads the plugin in its
// own process under a memory limit and (optionally) a seccomp filter. Frames go
// to it through shared memory, detections come back the same way, and a futex
// handshake in that memory carries the control. The runner times each infer
// call with a steady clock; the parent times each round trip and flags a
// runner time larger than its round trip. Crashes, hangs, bad output and ABI
// mismatches end the run with a status; latencies of earlier frames are kept.
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

// Runs `plugin` (a .so) over `frames` with `settings`. `submission_dir` is what
// create() receives (default: the plugin's folder). Never throws; failures of
// the submission and of the harness are in the record's status and message.
RunRecord RunPlugin(const std::filesystem::path& plugin, const FrameSource& frames,
                    const RunSettings& settings, const std::filesystem::path& submission_dir = {});

// RunPlugin for a resolved submission (its config is used when settings.config_json is "{}").
RunRecord RunSubmission(const Submission& submission, const FrameSource& frames,
                        RunSettings settings);

}  // namespace maskbench::harness
