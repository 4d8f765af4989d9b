#include "maskbench/core/version.h"

#ifndef MASKBENCH_VERSION
#define MASKBENCH_VERSION "0.0.0"
#endif
#ifndef MASKBENCH_COMMIT
#define MASKBENCH_COMMIT "unknown"
#endif

namespace maskbench {
const char* HarnessVersion() { return MASKBENCH_VERSION; }
const char* HarnessCommit() { return MASKBENCH_COMMIT; }
}  // namespace maskbench
