// The harness version, recorded by every run and export.
#pragma once

namespace maskbench {

// Semantic version of the harness, e.g. "0.1.0".
const char* HarnessVersion();
// The git commit the harness was built from, or "unknown".
const char* HarnessCommit();

}  // namespace maskbench
