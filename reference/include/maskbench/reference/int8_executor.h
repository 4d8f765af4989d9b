// The baseline design environment: a deliberately naive, bit-accurate int8
// executor of the reference network that models a minimal NPU and counts its
// cycles. Its int32 head output is the golden int8 output that any optimised
// submission can be compared against bit for bit.
//
// Modeled NPU (docs/reference.md, "cycle model"): one 8x8-bit MAC per cycle into
// a 32-bit accumulator; requantize + ReLU + write of one output element takes one
// cycle; a 64 KiB on-chip SRAM split into a 32 KiB input buffer, a 16 KiB weight
// buffer and a 16 KiB output buffer; a DRAM port moving 4 bytes per cycle, never
// overlapped with compute; 1000 cycles of set-up per layer; clock 200 MHz.
// Convolutions loop output channel, row, column, input channel, kernel row,
// kernel column; an input feature map that does not fit the input buffer is
// streamed from DRAM once per output channel; weights that do not fit the weight
// buffer are fetched per output channel (each fetched once per layer either way).
//
// An Int8Executor holds scratch buffers: one instance per thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "maskbench/reference/int8_model.h"

namespace maskbench::reference {

struct CycleModel {
  int macs_per_cycle = 1;
  int64_t input_buffer_bytes = 32 * 1024;
  int64_t weight_buffer_bytes = 16 * 1024;
  int64_t output_buffer_bytes = 16 * 1024;
  int dram_bytes_per_cycle = 4;
  int64_t layer_setup_cycles = 1000;
  uint64_t clock_hz = 200'000'000;
};

// What one layer cost on the modeled NPU.
struct LayerCycles {
  std::string name;
  int64_t macs = 0;
  int64_t mac_cycles = 0;
  int64_t output_cycles = 0;  // requantize/write, one per output element
  int64_t dram_bytes = 0;     // input + weights + output moved over the DRAM port
  int64_t dram_cycles = 0;
  int64_t total_cycles = 0;
};

// The raw outputs of one frame.
struct Int8Output {
  std::vector<int32_t> head;        // kHeadChannels x kGrid x kGrid int32 accumulators (CHW)
  std::vector<float> head_scale;    // per head channel: logit = acc * head_scale[c]
  uint64_t cycles = 0;              // modeled cycles of the frame
  std::vector<LayerCycles> layers;  // per layer, in execution order
  // The dequantized head (floats, CHW), ready for Decode().
  std::vector<float> Dequantize() const;
};

class Int8Executor {
 public:
  explicit Int8Executor(const Int8Model* model, CycleModel cycle_model = {});
  // Runs the network on `rgb` (kInputSize x kInputSize x 3 RGB bytes, from
  // ResizeToInput) and fills `out`. Deterministic: same input, same output and cycles.
  void Run(const uint8_t* rgb, Int8Output* out);
  // Raw int8 contents of tensor `index` after the last Run() (CHW); for tests.
  const std::vector<int8_t>& Tensor(int index) const { return tensors_[index]; }
  const CycleModel& cycle_model() const { return cycle_model_; }

 private:
  void RunConv(const Int8Layer& layer, LayerCycles* cost, Int8Output* out);
  const Int8Model* model_;
  CycleModel cycle_model_;
  std::vector<std::vector<int8_t>> tensors_;
  std::vector<int8_t> padded_;
};

}  // namespace maskbench::reference
