// The judging machine, read once: its fingerprint (what makes two measured
// latencies comparable), CPU model, cores and node class; and the host's noise
// before a timed run (load per CPU, a short noop probe).
// Thread-safe: ThisMachine() reads the system once and caches it.
#pragma once

#include <optional>
#include <string>

#include "maskbench/contest/store.h"

namespace maskbench::contest {

// This machine: fingerprint = the first 16 hex digits of SHA-256 over the CPU
// model, online CPUs, memory (GiB) and architecture; node class = the CPU model
// and its widest int8 ISA ("AMD EPYC / avx512_vnni").
const MachineInfo& ThisMachine();

// The best int8 vector ISA the CPU reports: "amx_int8", "avx512_vnni", "avx_vnni",
// "avx2" or "baseline".
std::string Int8IsaLevel();

struct Noise {
  double load_per_cpu = 0;            // 1-minute load average / CPUs in the affinity mask
  std::optional<double> noop_p50_us;  // the noop probe's median round trip (when run)
};

// Samples the host's load now.
Noise SampleLoad();

}  // namespace maskbench::contest
