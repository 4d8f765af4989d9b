// systolic-16x16: a cycle-level model of an NPU a contest team could build,
// executing the reference int8 network (reference/model/refnet-int8.json)
// bit-exactly with the naive reference executor while counting its cycles.
//
// The machine (docs/submissions/systolic.md): a 16x16 weight-stationary array
// of int8 x int8 -> int32 MACs (rows: 16 input channels, columns: 16 output
// channels), a 256 KiB weight SRAM, a 512 KiB activation SRAM, a double-buffered
// accumulator SRAM of 2 x 16 x 1024 int32, a requantize unit of 16 lanes, one
// DRAM channel (16 bytes/cycle after 100 cycles of latency per transfer), 800 MHz.
// A convolution is cut into spatial tiles (whole output rows, sized so two input
// tiles and two output tiles fit the activation SRAM and a tile's pixels fit the
// accumulators), output-channel tiles of 16 and, per kernel tap, input-channel
// tiles of 16. Each (tap, input tile) pair is one pass: its 16x16 weights are
// held in the array while the tile's pixels stream through. DRAM transfers of
// the next tile overlap the computation of the current one (double buffering).
//
// The values are computed pass by pass as the array computes them, in int32,
// so they equal the reference executor's; the cycle count depends only on the
// network's shapes, never on pixel values.
//
// Thread-safety: a SystolicModel runs one frame at a time; call it from one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "maskbench/reference/int8_model.h"
#include "maskbench/rtl/dram.h"
#include "maskbench/rtl/energy.h"

namespace maskbench::systolic {

// The modeled hardware. The defaults are the submitted design.
struct Hardware {
  int array_size = 16;                     // rows (input channels) = columns (output channels)
  int64_t weight_sram_bytes = 256 * 1024;  // a layer's weights + bias/requant params must fit
  int64_t activation_sram_bytes = 512 * 1024;
  int accumulator_entries = 1024;  // int32 per column per bank; 2 banks (double-buffered)
  // The hardware track's DRAM model (rtl/dram.h), as the RTL entries see it.
  int dram_bytes_per_cycle = rtl::kDramBytesPerCycle;  // 12.8 GB/s at 800 MHz
  int dram_latency_cycles = rtl::kDramLatencyCycles;   // per transfer (first byte)
  int fill_drain_cycles = 31;                          // per pass: skew in (15) + out (16)
  int weight_load_cycles = 16;      // one array row per cycle, into shadow registers
  int vector_bytes_per_cycle = 16;  // requantize / upsample unit lanes
  int layer_setup_cycles = 200;     // descriptors, address generators
  uint64_t clock_hz = 800'000'000;
};

// What one layer cost.
struct LayerStats {
  std::string name;
  std::string op;  // "conv 3x3/2", "upsample2x", "concat"
  int64_t macs = 0;
  int spatial_tiles = 0;  // conv: row tiles
  int tile_rows = 0;      // conv: output rows per tile (the last may be shorter)
  int64_t passes = 0;     // conv: weight blocks streamed (tiles x oc tiles x taps x ic tiles)
  int64_t array_cycles =
      0;  // cycles the array was busy (streaming, fill/drain, exposed weight loads)
  int64_t dram_bytes = 0;    // weights + input + output moved over the DRAM channel
  int64_t stall_cycles = 0;  // cycles the array waited for DRAM
  int64_t total_cycles = 0;  // layer start to layer end
  double utilisation = 0;    // macs / (total_cycles x array_size^2)
};

class SystolicModel {
 public:
  // Plans every layer; throws std::runtime_error when a layer cannot be mapped
  // (weights larger than the weight SRAM, a tile row that does not fit).
  SystolicModel(const reference::Int8Model* model, Hardware hardware = {});

  // Runs one frame: `rgb` is kInputSize x kInputSize x 3 RGB bytes (ResizeToInput).
  void Run(const uint8_t* rgb);

  uint64_t cycles() const { return cycles_; }  // of the last frame
  const std::vector<LayerStats>& layers() const { return stats_; }
  // The energy events of the last frame, estimated from the model's own counts
  // (docs/submissions/systolic.md, "Energy"): self-reported, like its cycles.
  rtl::EnergyEvents Events() const;
  const Hardware& hardware() const { return hw_; }
  // Head after Run(): int32 accumulators (CHW) and their dequantized floats (CHW).
  const std::vector<int32_t>& head() const { return head_; }
  const std::vector<float>& logits() const { return logits_; }
  // Tensor `index` after Run() (CHW int8), as Int8Executor::Tensor(index).
  const std::vector<int8_t>& Tensor(int index) const { return tensors_[index]; }

 private:
  struct ConvPlan {
    int tile_rows = 0;
    int oc_tiles = 0, ic_tiles = 0;
    std::vector<int16_t> weights;  // [oc tile][tap][ic][16 oc], zero padded
    int64_t weight_bytes = 0;      // as stored in DRAM: int8 weights + 9 bytes per channel
  };
  void RunConv(size_t index, LayerStats* stats);
  void RunUpsample(size_t index, LayerStats* stats);
  void RunConcat(size_t index, LayerStats* stats);
  int64_t Transfer(int64_t bytes) const;  // channel cycles of one DRAM transfer

  const reference::Int8Model* model_;
  Hardware hw_;
  std::vector<ConvPlan> plans_;
  std::vector<std::vector<int8_t>> tensors_;
  std::vector<int8_t> padded_;
  std::vector<int32_t> acc_;
  std::vector<int32_t> head_;
  std::vector<float> head_scale_;
  std::vector<float> logits_;
  std::vector<LayerStats> stats_;
  uint64_t cycles_ = 0;
};

// A Markdown table of `layers` (one row per layer, a total row) for the docs.
std::string LayerTable(const std::vector<LayerStats>& layers, const Hardware& hw);

}  // namespace maskbench::systolic
