#include "seal.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "child_process.h"

namespace maskbench::harness::internal {
namespace {

namespace fs = std::filesystem;

// The judge's own count of seccomp filters (a container may have installed some).
int OwnSeccompFilters() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Seccomp_filters:", 0) == 0) return std::atoi(line.c_str() + 16);
  return 0;
}

std::map<std::string, std::string> ReadStatus(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t v = colon + 1;
    while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
    out[line.substr(0, colon)] = line.substr(v);
  }
  return out;
}

// Copies `from` (a file, folder or link inside `top`) to `to`.
Status CopyInto(const fs::path& from, const fs::path& to, const fs::path& top, uint64_t max_bytes,
                uint64_t* bytes, int depth) {
  if (depth > 32) return Status::InvalidArgument(from.string(), "folders nested too deep");
  std::error_code ec;
  fs::file_status st = fs::symlink_status(from, ec);
  if (ec) return Status::IOError(from.string(), ec.message());
  fs::path source = from;
  if (fs::is_symlink(st)) {
    const fs::path target = fs::canonical(from, ec);
    if (ec) return Status::InvalidArgument(from.string(), "broken symbolic link");
    const auto rel = target.lexically_relative(top);
    if (rel.empty() || *rel.begin() == "..")
      return Status::InvalidArgument(
          from.string(),
          "a symbolic link to " + target.string() +
              ", outside the submission folder (a submission must be self-contained)");
    source = target;
    st = fs::status(target, ec);
    if (ec) return Status::IOError(target.string(), ec.message());
  }
  if (fs::is_directory(st)) {
    if (mkdir(to.c_str(), 0755) != 0 && errno != EEXIST)
      return Status::IOError(to.string(), strerror(errno));
    for (auto it = fs::directory_iterator(source, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      MB_RETURN_IF_ERROR(
          CopyInto(it->path(), to / it->path().filename(), top, max_bytes, bytes, depth + 1));
    }
    if (ec) return Status::IOError(source.string(), "cannot list: " + ec.message());
    return Status::Ok();
  }
  if (!fs::is_regular_file(st))
    return Status::InvalidArgument(from.string(),
                                   "not a regular file, folder or link (a submission holds files)");
  const uint64_t size = fs::file_size(source, ec);
  if (ec) return Status::IOError(source.string(), ec.message());
  *bytes += size;
  if (*bytes > max_bytes)
    return Status::InvalidArgument(top.string(), "the submission folder holds more than " +
                                                     std::to_string(max_bytes >> 20) + " MiB");
  const bool executable = (st.permissions() & (fs::perms::owner_exec | fs::perms::group_exec |
                                               fs::perms::others_exec)) != fs::perms::none;
  if (!fs::copy_file(source, to, fs::copy_options::overwrite_existing, ec))
    return Status::IOError(to.string(), "copy failed: " + ec.message());
  if (chmod(to.c_str(), executable ? 0755 : 0644) != 0)
    return Status::IOError(to.string(), strerror(errno));
  return Status::Ok();
}

// Starts a real sandbox running /usr/bin/true; "" when it worked, else why not.
std::string ProbeBwrap(const std::string& bwrap, bool drop) {
  if (access(bwrap.c_str(), X_OK) != 0) return "bubblewrap (" + bwrap + ") is not installed";
  std::vector<std::string> args = {bwrap};
  for (const std::string& a : SandboxNamespaceArguments()) args.push_back(a);
  args.insert(args.end(), {"--remount-ro", "/", "/usr/bin/true"});
  Result<std::string> out = RunToCompletion(args, drop, 10'000);
  if (!out.ok()) return "bubblewrap could not make the sandbox: " + out.status().message();
  return "";
}

}  // namespace

const char* SealLevelName(SealLevel level) {
  switch (level) {
    case SealLevel::kFull:
      return "full";
    case SealLevel::kReduced:
      return "reduced";
    case SealLevel::kOff:
      return "off";
  }
  return "off";
}

SealPlan PlanSeal(SealPolicy policy) {
  SealPlan plan;
  plan.drop_to_nobody = geteuid() == 0;
  plan.uid = plan.drop_to_nobody ? kSandboxUid : geteuid();
  if (policy == SealPolicy::kOff) {
    plan.level = SealLevel::kOff;
    plan.reason = "the seal is off (settings)";
    return plan;
  }
  static std::mutex mu;
  static bool probed = false;
  static std::string bwrap, why_not;
  {
    std::lock_guard<std::mutex> lock(mu);
    const char* env = std::getenv("MASKBENCH_BWRAP");
    const std::string wanted = env != nullptr ? env : "/usr/bin/bwrap";
    if (!probed || wanted != bwrap) {
      bwrap = wanted;
      why_not = wanted.empty() || wanted == "none"
                    ? "bubblewrap is disabled ($MASKBENCH_BWRAP=" + wanted + ")"
                    : ProbeBwrap(wanted, plan.drop_to_nobody);
      probed = true;
    }
    plan.bwrap = bwrap;
    plan.reason = why_not;
  }
  if (plan.reason.empty()) {
    plan.level = SealLevel::kFull;
  } else {
    plan.level = policy == SealPolicy::kRequire ? SealLevel::kOff : SealLevel::kReduced;
    plan.bwrap.clear();
  }
  return plan;
}

Stage::Stage(Stage&& other) noexcept
    : root_(std::move(other.root_)), plugin_relative_(std::move(other.plugin_relative_)) {
  other.root_.clear();
}

Stage& Stage::operator=(Stage&& other) noexcept {
  if (this != &other) {
    if (!root_.empty()) {
      std::error_code ec;
      fs::remove_all(root_, ec);
    }
    root_ = std::move(other.root_);
    plugin_relative_ = std::move(other.plugin_relative_);
    other.root_.clear();
  }
  return *this;
}

Stage::~Stage() {
  if (!root_.empty()) {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
}

Result<Stage> Stage::Create(const fs::path& submission_dir, const fs::path& plugin,
                            const fs::path& runner, uint64_t max_bytes) {
  std::error_code ec;
  const fs::path top = fs::canonical(submission_dir, ec);
  if (ec) return Status::NotFound(submission_dir.string(), ec.message());
  const fs::path so = fs::canonical(plugin, ec);
  if (ec) return Status::NotFound(plugin.string(), ec.message());
  const fs::path rel = so.lexically_relative(top);
  if (rel.empty() || *rel.begin() == "..")
    return Status::InvalidArgument(
        plugin.string(), "the plugin is not inside its submission folder " + top.string());
  std::string pattern = (fs::temp_directory_path(ec) / "maskbench-seal-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr)
    return Status::IOError(pattern, std::string("mkdtemp: ") + strerror(errno));
  Stage stage;
  stage.root_ = pattern;
  stage.plugin_relative_ = rel;
  // Traversable, not listable, by the sandbox uid.
  if (chmod(stage.root_.c_str(), 0711) != 0)
    return Status::IOError(stage.root_.string(), strerror(errno));
  uint64_t bytes = 0;
  if (fs::exists(top / "submission.json", ec)) {
    MB_RETURN_IF_ERROR(CopyInto(top, stage.submission_dir(), top, max_bytes, &bytes, 0));
  } else {
    // A bare plugin (no submission.json beside it): its folder may be anything,
    // /tmp say, so only the plugin itself is copied.
    if (mkdir(stage.submission_dir().c_str(), 0755) != 0)
      return Status::IOError(stage.submission_dir().string(), strerror(errno));
    stage.plugin_relative_ = so.filename();
    MB_RETURN_IF_ERROR(
        CopyInto(so, stage.submission_dir() / so.filename(), top, max_bytes, &bytes, 0));
  }
  if (!fs::copy_file(runner, stage.runner(), ec))
    return Status::IOError(runner.string(), "cannot copy the runner: " + ec.message());
  if (chmod(stage.runner().c_str(), 0755) != 0)
    return Status::IOError(stage.runner().string(), strerror(errno));
  return stage;
}

std::vector<std::string> SandboxNamespaceArguments() {
  std::vector<std::string> a = {"--unshare-user",
                                "--unshare-pid",
                                "--unshare-net",
                                "--unshare-ipc",
                                "--unshare-uts",
                                "--unshare-cgroup-try",
                                "--disable-userns",
                                "--uid",
                                std::to_string(kSandboxUid),
                                "--gid",
                                std::to_string(kSandboxGid),
                                "--hostname",
                                "maskbench-sandbox",
                                "--die-with-parent",
                                "--new-session",
                                "--cap-drop",
                                "ALL",
                                "--clearenv",
                                "--setenv",
                                "PATH",
                                "/usr/bin:/bin",
                                "--setenv",
                                "HOME",
                                "/",
                                "--setenv",
                                "LANG",
                                "C.UTF-8"};
  // The system's programs and libraries, read-only; merged-/usr links kept as links.
  a.insert(a.end(), {"--ro-bind", "/usr", "/usr"});
  for (const char* top : {"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"}) {
    std::error_code ec;
    const fs::file_status st = fs::symlink_status(top, ec);
    if (ec || !fs::exists(st)) continue;
    if (fs::is_symlink(st)) {
      a.insert(a.end(), {"--symlink", fs::read_symlink(top, ec).string(), top});
    } else if (fs::is_directory(st)) {
      a.insert(a.end(), {"--ro-bind", top, top});
    }
  }
  // The loader's cache, and the alternatives links some libraries resolve through.
  a.insert(a.end(), {"--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache", "--ro-bind-try",
                     "/etc/alternatives", "/etc/alternatives"});
  // The sandbox's own /proc (its pid namespace only) and a read-only /dev.
  a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev", "--remount-ro", "/dev"});
  return a;
}

std::vector<std::string> BwrapArguments(const Stage& stage, int info_fd) {
  std::vector<std::string> a = SandboxNamespaceArguments();
  a.insert(a.end(), {"--ro-bind", stage.submission_dir().string(), kSealedSubmissionDir,
                     "--ro-bind", stage.runner().string(), kSealedRunner, "--remount-ro", "/",
                     "--chdir", "/", "--info-fd", std::to_string(info_fd), kSealedRunner});
  return a;
}

SealObservation ObserveSeal(pid_t pid, const SealPlan& plan, int min_filters) {
  SealObservation o;
  SealReport& r = o.report;
  r.level = SealLevelName(plan.level);
  r.reason = plan.reason;
  r.uid = static_cast<int64_t>(plan.uid);
  const int base_filters = OwnSeccompFilters();
  const fs::path proc = fs::path("/proc") / std::to_string(pid);
  auto fail = [&](const std::string& why) {
    if (o.problem.empty()) o.problem = why;
  };
  bool seccomp = true, nnp = true, caps = true;
  std::error_code ec;
  int tasks = 0;
  // The fewest and the most filters a thread has, and a thread of each.
  int fewest = -1, most = -1;
  std::string fewest_tid, most_tid;
  for (auto it = fs::directory_iterator(proc / "task", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    const std::string tid = it->path().filename().string();
    auto s = ReadStatus(it->path() / "status");
    if (s.empty()) continue;  // the thread ended meanwhile
    ++tasks;
    const std::string where = "thread " + tid + ": ";
    const int filters = std::atoi(s["Seccomp_filters"].c_str());
    if (fewest < 0 || filters < fewest) fewest = filters, fewest_tid = tid;
    if (filters > most) most = filters, most_tid = tid;
    if (s["Seccomp"] != "2") {
      seccomp = false;
      fail(where + "not in seccomp filter mode (Seccomp " + s["Seccomp"] + ")");
    } else if (std::atoi(s["Seccomp_filters"].c_str()) < base_filters + min_filters) {
      seccomp = false;
      fail(where + "has " + s["Seccomp_filters"] + " seccomp filters, expected at least " +
           std::to_string(base_filters + min_filters));
    }
    if (s["NoNewPrivs"] != "1") {
      nnp = false;
      fail(where + "no_new_privs is not set");
    }
    for (const char* cap : {"CapEff", "CapPrm", "CapAmb"}) {
      if (std::strtoull(s[cap].c_str(), nullptr, 16) != 0) {
        caps = false;
        fail(where + cap + " " + s[cap] + " (capabilities left)");
      }
    }
    std::istringstream uids(s["Uid"]);
    for (int k = 0; k < 4; ++k) {
      long long u = -1;
      uids >> u;
      if (u != static_cast<long long>(plan.uid)) {
        fail(where + "uid " + s["Uid"] + ", expected " + std::to_string(plan.uid));
        break;
      }
    }
  }
  if (tasks == 0) fail("no thread of process " + std::to_string(pid) + " could be read");
  if (fewest != most)
    o.divergence = "thread " + most_tid + " has " + std::to_string(most) +
                   " seccomp filters, thread " + fewest_tid + " " + std::to_string(fewest) +
                   " (a filter installed on one thread only)";
  r.threads_checked = tasks;
  r.seccomp = seccomp && tasks > 0;
  r.no_new_privs = nnp && tasks > 0;
  r.no_capabilities = caps && tasks > 0;
  if (plan.level == SealLevel::kFull) {
    bool separate = true;
    for (const char* ns : {"user", "mnt", "pid", "net", "ipc", "uts"}) {
      struct stat mine, theirs;
      if (stat((std::string("/proc/self/ns/") + ns).c_str(), &mine) != 0 ||
          stat((proc / "ns" / ns).c_str(), &theirs) != 0) {
        separate = false;
        fail(std::string("cannot read the ") + ns + " namespace of process " + std::to_string(pid));
      } else if (mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev) {
        separate = false;
        fail(std::string("the child shares the judge's ") + ns + " namespace");
      }
    }
    r.namespaces = separate;
  }
  o.ok = o.problem.empty();
  return o;
}

}  // namespace maskbench::harness::internal
