#include "maskbench/rtl/dram.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

namespace maskbench::rtl {

DramModel::DramModel(uint64_t bytes, int latency_cycles)
    : mem_((bytes + 15) / 16 * 16, 0), latency_(latency_cycles) {}

void DramModel::Request(uint64_t cycle, bool write, uint32_t addr, const uint8_t* wdata,
                        uint16_t strobe) {
  if (addr % 16 != 0 || static_cast<uint64_t>(addr) + 16 > mem_.size()) {
    char msg[160];
    std::snprintf(msg, sizeof msg,
                  "the design addressed DRAM at 0x%08x (%s): outside the %llu bytes, or not "
                  "16-byte aligned",
                  addr, write ? "write" : "read", static_cast<unsigned long long>(mem_.size()));
    throw std::runtime_error(msg);
  }
  if (write) {
    for (int i = 0; i < 16; ++i) {
      if ((strobe >> i) & 1) {
        mem_[addr + i] = wdata[i];
        ++written_bytes_;
      }
    }
    return;
  }
  Pending p;
  p.due = cycle + static_cast<uint64_t>(latency_);
  std::memcpy(p.data, &mem_[addr], 16);
  pending_.push_back(p);
  read_bytes_ += 16;
}

bool DramModel::Response(uint64_t cycle, uint8_t* rdata) {
  if (pending_.empty() || pending_.front().due > cycle) return false;
  std::memcpy(rdata, pending_.front().data, 16);
  pending_.pop_front();
  return true;
}

}  // namespace maskbench::rtl
