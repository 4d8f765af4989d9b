#include "maskbench/harness/tool_sandbox.h"

#include "seal.h"

namespace maskbench::harness {

ToolSandbox MakeToolSandbox(const std::vector<std::filesystem::path>& read_only,
                            const std::filesystem::path& writable,
                            const std::filesystem::path& cwd) {
  ToolSandbox s;
  const internal::SealPlan plan = internal::PlanSeal(SealPolicy::kRequire);
  if (plan.level != internal::SealLevel::kFull) {
    s.reason = plan.reason.empty() ? "bubblewrap cannot make the sandbox" : plan.reason;
    return s;
  }
  s.prefix = {plan.bwrap};
  for (const std::string& a : internal::SandboxNamespaceArguments()) s.prefix.push_back(a);
  // A private /tmp first, so that folders under the real /tmp can be bound over it.
  s.prefix.insert(s.prefix.end(), {"--tmpfs", "/tmp"});
  for (const std::filesystem::path& p : read_only)
    s.prefix.insert(s.prefix.end(), {"--ro-bind-try", p.string(), p.string()});
  s.prefix.insert(s.prefix.end(),
                  {"--bind", writable.string(), writable.string(), "--chdir", cwd.string(), "--"});
  return s;
}

}  // namespace maskbench::harness
