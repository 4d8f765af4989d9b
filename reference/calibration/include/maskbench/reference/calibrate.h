// Measuring the baseline calibration (baseline_calibration.h): runs the
// reference-baseline submission through the real isolated runner on a fixed
// subset of frames and returns the calibration record for this machine. Shared
// by `maskbench run` (calibrates once when a build has none) and the
// maskbench-calibrate-baseline tool. See docs/reference.md, "Baseline calibration".
//
// Thread-safety: as harness::RunSubmission (each call has its own child).
#pragma once

#include <string>

#include "maskbench/core/status.h"
#include "maskbench/datasets/manifest.h"
#include "maskbench/harness/frame_source.h"
#include "maskbench/harness/submission.h"
#include "maskbench/reference/baseline_calibration.h"

namespace maskbench::reference {

// Runs `baseline` isolated: `warmup` untimed calls (the source's first frames,
// cycled), then the first `frames` frames of `source`, timed; returns the filled calibration
// (machine fingerprint, model SHA-256 of the submission's int8 params, data set hash, split, frame
// ids, latencies, modeled cycles, creation time, summary). Not saved. Fails when the source has
// fewer than frames + warmup frames or the run is not ok; the message names the plugin and the
// run's status.
Result<BaselineCalibration> CalibrateBaseline(const harness::Submission& baseline,
                                              const harness::FrameSource& source,
                                              const datasets::Dataset& ds, const std::string& split,
                                              int frames, int warmup);

}  // namespace maskbench::reference
