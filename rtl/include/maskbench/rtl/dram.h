// The DRAM/bus model of the hardware track (docs/rtl.md, "DRAM model").
//
// One channel: at most one request of 16 bytes (an aligned 128-bit beat) per
// clock cycle, so 16 bytes/cycle of bandwidth shared by reads and writes; every
// read is answered, in order, kDramLatencyCycles cycles after the cycle it was
// presented. Writes take effect at once, under a byte strobe. The harness owns
// this model: the bytes it counts are the DRAM traffic the energy model charges.
// The C++ cycle model systolic-16x16 uses the same two numbers.
//
// Not thread-safe: one simulated design drives one model.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace maskbench::rtl {

inline constexpr int kDramBytesPerCycle = 16;   // one 128-bit beat per cycle
inline constexpr int kDramLatencyCycles = 100;  // request cycle -> data cycle

class DramModel {
 public:
  // `bytes` of zeroed memory (rounded up to 16).
  explicit DramModel(uint64_t bytes, int latency_cycles = kDramLatencyCycles);

  uint8_t* data() { return mem_.data(); }
  const uint8_t* data() const { return mem_.data(); }
  uint64_t size() const { return mem_.size(); }

  // The design presented a request in `cycle`. `addr` is a byte address; it
  // must be 16-aligned and inside the memory, else std::runtime_error naming it.
  void Request(uint64_t cycle, bool write, uint32_t addr, const uint8_t* wdata, uint16_t strobe);
  // The read data due in `cycle`, if any (copied into `rdata`, 16 bytes).
  bool Response(uint64_t cycle, uint8_t* rdata);
  // Reads still in flight.
  bool Idle() const { return pending_.empty(); }

  uint64_t read_bytes() const { return read_bytes_; }        // 16 per read beat
  uint64_t written_bytes() const { return written_bytes_; }  // strobed bytes written
  void ResetCounters() { read_bytes_ = written_bytes_ = 0; }

 private:
  struct Pending {
    uint64_t due;
    uint8_t data[16];
  };
  std::vector<uint8_t> mem_;
  int latency_;
  std::deque<Pending> pending_;
  uint64_t read_bytes_ = 0, written_bytes_ = 0;
};

}  // namespace maskbench::rtl
