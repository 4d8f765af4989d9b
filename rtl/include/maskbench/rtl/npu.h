// The harness side of an RTL submission (docs/rtl.md): the interface every
// design's top module implements, as seen from C++ (NpuSim), and the driver
// (RtlNpu) that runs the reference int8 network on it.
//
// The driver is harness code: it lays every tensor out in the DRAM model (HWC,
// channels padded to 8, a one-pixel zero border), writes the frame into DRAM,
// then for each layer, row tile and output-channel group writes the design's
// registers and a command, and ticks the clock until the design is idle. It
// counts every clock edge itself: the cycles it reports are the simulation's,
// not the design's word. DRAM traffic is counted by the DRAM model; the
// design's activity counters (MAC, SRAM accesses) feed the energy model.
//
// Not thread-safe: one RtlNpu runs one frame at a time on its NpuSim.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "maskbench/reference/int8_model.h"
#include "maskbench/rtl/dram.h"
#include "maskbench/rtl/energy.h"

namespace maskbench::rtl {

// One clock cycle's inputs to the top module.
struct SimInputs {
  bool reg_we = false;
  uint32_t reg_addr = 0;
  uint32_t reg_wdata = 0;
  bool mem_rvalid = false;
  uint8_t mem_rdata[16] = {};
};

// The top module's outputs after a rising edge.
struct SimOutputs {
  bool busy = false;
  bool mem_valid = false;
  bool mem_we = false;
  uint32_t mem_addr = 0;
  uint8_t mem_wdata[16] = {};
  uint16_t mem_wstrb = 0;
};

// A simulated design (the Verilated model behind rtl/kit/verilated_npu.cc).
class NpuSim {
 public:
  virtual ~NpuSim() = default;
  // Holds reset for a few cycles (not counted as frame cycles).
  virtual void Reset() = 0;
  // Applies `in`, makes one rising clock edge, reads the outputs into `out`.
  virtual void Cycle(const SimInputs& in, SimOutputs* out) = 0;
  // Reads register `addr` through the combinational read port (no clock edge).
  virtual uint32_t ReadRegister(uint32_t addr) = 0;
};

// Register map of the interface (docs/rtl.md, "The interface").
enum Reg : uint32_t {
  kRegCmd = 0,
  kRegBandBase = 1,
  kRegBandWords = 2,
  kRegWBase = 3,
  kRegWWords = 4,
  kRegInRow8 = 5,
  kRegInPitch8 = 6,
  kRegInOrigin8 = 7,
  kRegIcgN = 8,
  kRegMode = 9,
  kRegWo = 10,
  kRegTilePixels = 11,
  kRegOutBase = 12,
  kRegOutPitch = 13,
  kRegOutRow = 14,
  kRegCntMac = 16,
  kRegCntIbufRead = 17,
  kRegCntIbufWrite = 18,
  kRegCntWbufRead = 19,
  kRegCntWbufWrite = 20,
  kRegCntAccRead = 21,
  kRegCntAccWrite = 22,
  kRegCntPasses = 23,
  kRegCntWriteback = 24,
  kRegClearCounters = 31,
};

// The design's fixed geometry, as the interface documents it.
struct NpuGeometry {
  int lanes = 8;                        // input and output channel lanes of the array
  uint64_t input_buffer_bytes = 32768;  // 2048 x 128 bit
  uint64_t weight_buffer_bytes = 8192;  // 512 x 128 bit
  int accumulator_pixels = 1024;        // per lane, int32
};

// Activity of one layer or frame.
struct Activity {
  uint64_t cycles = 0;  // clock edges the harness made
  uint64_t mac_cycles = 0, ibuf_reads = 0, ibuf_writes = 0, wbuf_reads = 0, wbuf_writes = 0;
  uint64_t acc_reads = 0, acc_writes = 0, passes = 0, writebacks = 0, commands = 0;
  uint64_t dram_read_bytes = 0, dram_written_bytes = 0;
  void Add(const Activity& o);
};

struct LayerRun {
  std::string name, op;
  int64_t macs = 0;        // the layer's useful multiply-accumulates
  int tiles = 0;           // row tiles (0: a concat, made by addressing alone)
  bool requantize = true;  // false: the head, written as int32
  Activity activity;
};

class RtlNpu {
 public:
  // Plans the DRAM layout and the weight images; throws std::runtime_error for
  // a network the interface cannot express (the message names the layer).
  RtlNpu(const reference::Int8Model* model, NpuSim* sim, NpuGeometry geometry = {});

  // One frame: `rgb` is kInputSize x kInputSize x 3 bytes (ResizeToInput).
  // Throws std::runtime_error when the design misbehaves (a DRAM address out of
  // range, a command that does not finish within its cycle budget).
  void Run(const uint8_t* rgb);

  uint64_t cycles() const { return total_.cycles; }  // of the last frame
  const Activity& activity() const { return total_; }
  const std::vector<LayerRun>& layers() const { return layers_; }
  // The energy events of the last frame and their cost.
  EnergyEvents Events() const;
  // Head after Run(): int32 accumulators (CHW) and dequantized logits (CHW).
  const std::vector<int32_t>& head() const { return head_; }
  const std::vector<float>& logits() const { return logits_; }
  // Tensor `index` read back from the DRAM model (CHW int8).
  std::vector<int8_t> Tensor(int index) const;

 private:
  struct Buffer {
    uint32_t base = 0;
    uint32_t pitch = 0;  // bytes per pixel
    uint32_t cofs = 0;   // byte offset of channel 0 in a pixel
    int channels = 0, height = 0, width = 0;
    bool border = true;  // one zero pixel around (int8 tensors); the head has none
    uint32_t RowBytes() const { return (width + (border ? 2 : 0)) * pitch; }
  };
  struct Command {
    uint32_t regs[15];  // registers 1..14 (index 0 unused)
    uint32_t cmd;
  };
  void Plan();
  void Issue(const Command& c);
  void Tick(const SimInputs& in);
  void ReadCounters(Activity* a);

  const reference::Int8Model* model_;
  NpuSim* sim_;
  NpuGeometry geo_;
  std::unique_ptr<DramModel> dram_;
  std::vector<Buffer> buffers_;
  std::vector<std::vector<Command>> programs_;  // per layer
  std::vector<int64_t> layer_macs_;
  // What the commands of each layer oblige the design to do at least: words
  // DMA'd into the input and weight buffers, pixels written back.
  struct Floor {
    uint64_t ibuf_writes = 0, wbuf_writes = 0, writebacks = 0;
  };
  std::vector<Floor> floors_;
  std::vector<int> layer_tiles_;
  SimOutputs out_;
  uint64_t cycle_ = 0;
  Activity total_;
  std::vector<LayerRun> layers_;
  std::vector<int32_t> head_;
  std::vector<float> logits_;
};

// A Markdown table of `layers` (cycles, utilisation, DRAM bytes) for the docs.
std::string LayerTable(const std::vector<LayerRun>& layers, int lanes);

}  // namespace maskbench::rtl
