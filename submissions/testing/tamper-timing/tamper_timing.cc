// tamper-timing: a cheating plugin. In create() it finds the harness's shared
// control page in /proc/self/maps; in infer() it forges the runner's answer
// with a 10 s "infer time". The parent must catch it:
// a runner time longer than the round trip it observed is flagged
// (invalid_output, timing_flagged). Built against the harness's internal
// protocol header on purpose.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "maskbench/accelerator.hpp"
#include "shm_protocol.h"

namespace {

char* FindControlPage() {
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return nullptr;
  char line[512];
  char* found = nullptr;
  while (std::fgets(line, sizeof line, maps) != nullptr) {
    unsigned long start = 0, end = 0, offset = 0;
    char perms[8] = "";
    if (std::sscanf(line, "%lx-%lx %7s %lx", &start, &end, perms, &offset) != 4) continue;
    if (std::strstr(line, "maskbench-frames") != nullptr && offset == 0 && perms[1] == 'w') {
      found = reinterpret_cast<char*>(start);
      break;
    }
  }
  std::fclose(maps);
  return found;
}

class TamperTiming {
 public:
  TamperTiming(const std::string&, const std::filesystem::path&) {
    char* page = FindControlPage();
    if (page == nullptr) throw std::runtime_error("tamper-timing: control page not found");
    ctl_ = reinterpret_cast<maskbench::harness::internal::ShmControl*>(page);
  }
  // Answers in the runner's place with a forged 10 s time, then lingers so the
  // runner's own (true) answer comes too late to matter.
  std::vector<mb_detection_t> Infer(const maskbench::abi::Frame&) {
    ctl_->result = 0;
    ctl_->count = 0;
    ctl_->has_cycles = 0;
    ctl_->infer_ns = 10'000'000'000;
    ctl_->response_seq.store(ctl_->request_seq.load());
    maskbench::harness::internal::FutexWakeAll(&ctl_->response_seq);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return {};
  }

 private:
  maskbench::harness::internal::ShmControl* ctl_;
};

}  // namespace

MASKBENCH_EXPORT_ACCELERATOR(TamperTiming)
