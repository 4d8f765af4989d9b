// A sandbox for the outside tools the harness runs on a submission's behalf
// (Verilator, make, the C++ compiler and Yosys building an RTL entry:
// docs/rtl.md, "The build is sealed too"). Built with the same bubblewrap
// arguments as the runner's seal: own user, pid, network, ipc and uts
// namespaces, uid 65534, no capabilities, a clean environment, the system's
// /usr and libraries read-only, and nothing else but the folders given.
//
// Thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace maskbench::harness {

struct ToolSandbox {
  std::vector<std::string> prefix;  // argv to put before the tool's; empty when unavailable
  std::string reason;               // why it is unavailable ("" when it is available)
  bool ok() const { return !prefix.empty(); }
};

// The sandbox: `read_only` folders (or files) mounted read-only at the same
// paths, `writable` read-write, a private /tmp, the working folder `cwd` (inside
// `writable`). Unavailable (with the reason) when bubblewrap cannot make the
// full seal on this machine ($MASKBENCH_BWRAP as for the runner).
ToolSandbox MakeToolSandbox(const std::vector<std::filesystem::path>& read_only,
                            const std::filesystem::path& writable,
                            const std::filesystem::path& cwd);

}  // namespace maskbench::harness
