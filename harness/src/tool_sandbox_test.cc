// The tool sandbox (RTL builds): a real bubblewrap sandbox in which a shell sees
// only the system, the read-only folders and the writable one, as uid 65534,
// without network. Skips with the reason where the seal cannot be made.
#include "maskbench/harness/tool_sandbox.h"

#include <gtest/gtest.h>

#include <fstream>

#include "maskbench/core/process.h"

namespace maskbench::harness {
namespace {

namespace fs = std::filesystem;

TEST(ToolSandboxTest, SeesOnlyWhatItIsGiven) {
  const fs::path root = fs::temp_directory_path() / "maskbench-tool-sandbox-test";
  fs::remove_all(root);
  fs::create_directories(root / "ro");
  fs::create_directories(root / "rw");
  fs::create_directories(root / "hidden");
  std::ofstream(root / "ro" / "in.txt") << "visible\n";
  std::ofstream(root / "hidden" / "secret.txt") << "secret\n";
  const ToolSandbox box = MakeToolSandbox({root / "ro"}, root / "rw", root / "rw");
  if (!box.ok()) GTEST_SKIP() << "no sandbox on this machine: " << box.reason;
  auto sh = [&](const std::string& script) {
    std::vector<std::string> argv = box.prefix;
    argv.insert(argv.end(), {"/bin/sh", "-c", script});
    return RunCommand(argv);
  };
  CommandResult r = sh("cat " + (root / "ro" / "in.txt").string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "visible\n");
  r = sh("echo made > " + (root / "rw" / "out.txt").string() + " && pwd");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, (root / "rw").string() + "\n");
  EXPECT_TRUE(fs::exists(root / "rw" / "out.txt"));
  // Not given: other folders, the host's /etc and /root; the read-only one stays so.
  EXPECT_NE(sh("cat " + (root / "hidden" / "secret.txt").string()).exit_code, 0);
  EXPECT_NE(sh("cat /etc/passwd").exit_code, 0);
  EXPECT_NE(sh("ls /root").exit_code, 0);
  EXPECT_NE(sh("echo x > " + (root / "ro" / "new.txt").string()).exit_code, 0);
  EXPECT_FALSE(fs::exists(root / "ro" / "new.txt"));
  r = sh("id -u");
  EXPECT_EQ(r.out, "65534\n");
  // No network: only a loopback that is down.
  r = sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '");
  EXPECT_EQ(r.out, "lo\n") << r.out;
  fs::remove_all(root);
}

}  // namespace
}  // namespace maskbench::harness
