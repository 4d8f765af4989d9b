#include "maskbench/contest/machine.h"

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "maskbench/core/files.h"

namespace maskbench::contest {
namespace {

std::string CpuInfoField(const std::string& key) {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key, 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string v = line.substr(colon + 1);
        while (!v.empty() && v.front() == ' ') v.erase(v.begin());
        return v;
      }
    }
  }
  return "";
}

}  // namespace

std::string Int8IsaLevel() {
  std::istringstream flags(" " + CpuInfoField("flags") + " ");
  bool amx = false, vnni512 = false, vnni = false, avx2 = false;
  for (std::string f; flags >> f;) {
    amx = amx || f == "amx_int8";
    vnni512 = vnni512 || f == "avx512_vnni";
    vnni = vnni || f == "avx_vnni";
    avx2 = avx2 || f == "avx2";
  }
  if (amx) return "amx_int8";
  if (vnni512) return "avx512_vnni";
  if (vnni) return "avx_vnni";
  if (avx2) return "avx2";
  return "baseline";
}

const MachineInfo& ThisMachine() {
  static const MachineInfo kMachine = [] {
    MachineInfo m;
    m.cpu_model = CpuInfoField("model name");
    if (m.cpu_model.empty()) m.cpu_model = "unknown-cpu";
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    m.cores = static_cast<int>(cpus);
    const double bytes =
        static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
    const long gib = std::lround(bytes / (1024.0 * 1024.0 * 1024.0));
    struct utsname u {};
    const std::string arch = uname(&u) == 0 ? u.machine : "unknown-arch";
    m.fingerprint =
        Sha256Hex(m.cpu_model + "|" + std::to_string(cpus) + "|" + std::to_string(gib) + "|" + arch)
            .substr(0, 16);
    m.node_class = m.cpu_model + " / " + Int8IsaLevel();
    return m;
  }();
  return kMachine;
}

Noise SampleLoad() {
  Noise n;
  std::ifstream in("/proc/loadavg");
  double load1 = 0;
  in >> load1;
  cpu_set_t set;
  const int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
  // The load average counts every runnable thread of the machine; divided by the
  // CPUs this process may use (a judge pinned to one CPU sees the whole load on it).
  n.load_per_cpu = load1 / std::max(1, cpus);
  return n;
}

}  // namespace maskbench::contest
