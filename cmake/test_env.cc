// Linked into every test executable: sets MASKBENCH_SHARED_DIR, MASKBENCH_BUILD_DIR
// and MASKBENCH_SOURCE_DIR to the values CMake configured, unless the environment
// already sets them (ctest's ENVIRONMENT property cannot carry several variables
// through gtest_discover_tests reliably).
#include <cstdlib>

namespace {
struct TestEnv {
  TestEnv() {
    setenv("MASKBENCH_SHARED_DIR", MASKBENCH_TEST_SHARED_DIR, 0);
    setenv("MASKBENCH_BUILD_DIR", MASKBENCH_TEST_BUILD_DIR, 0);
    setenv("MASKBENCH_SOURCE_DIR", MASKBENCH_TEST_SOURCE_DIR, 0);
  }
};
const TestEnv kTestEnv;
}  // namespace
