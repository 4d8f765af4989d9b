// The per-design glue of an RTL plugin (docs/rtl.md, "How a design is built"):
// `maskbench build` compiles this file against the design's Verilated model
// (class Vnpu_top, whatever the top module is called) and links it with the
// harness's driver. It only moves bits between NpuSim and the model's ports
// and makes the clock edges; it is the same for every design.
#include <cstring>
#include <memory>

#include "Vnpu_top.h"
#include "maskbench/rtl/accelerator.h"
#include "verilated.h"

namespace {

using maskbench::rtl::SimInputs;
using maskbench::rtl::SimOutputs;

class VerilatedNpu final : public maskbench::rtl::NpuSim {
 public:
  VerilatedNpu() : context_(std::make_unique<VerilatedContext>()) {
    top_ = std::make_unique<Vnpu_top>(context_.get(), "npu");
  }
  ~VerilatedNpu() override { top_->final(); }

  void Reset() override {
    top_->rst = 1;
    top_->reg_we = 0;
    top_->mem_rvalid = 0;
    for (int i = 0; i < 4; ++i) Edge();
    top_->rst = 0;
    Edge();
  }

  void Cycle(const SimInputs& in, SimOutputs* out) override {
    top_->reg_we = in.reg_we;
    top_->reg_addr = in.reg_addr;
    top_->reg_wdata = in.reg_wdata;
    top_->mem_rvalid = in.mem_rvalid;
    for (int w = 0; w < 4; ++w) {
      uint32_t v;
      std::memcpy(&v, in.mem_rdata + 4 * w, 4);
      top_->mem_rdata[w] = v;
    }
    Edge();
    out->busy = top_->busy;
    out->mem_valid = top_->mem_valid;
    out->mem_we = top_->mem_we;
    out->mem_addr = top_->mem_addr;
    out->mem_wstrb = top_->mem_wstrb;
    for (int w = 0; w < 4; ++w) {
      const uint32_t v = top_->mem_wdata[w];
      std::memcpy(out->mem_wdata + 4 * w, &v, 4);
    }
  }

  uint32_t ReadRegister(uint32_t addr) override {
    top_->reg_we = 0;
    top_->reg_addr = addr;
    top_->eval();
    return top_->reg_rdata;
  }

 private:
  void Edge() {
    top_->clk = 0;
    top_->eval();
    top_->clk = 1;
    top_->eval();
  }
  std::unique_ptr<VerilatedContext> context_;
  std::unique_ptr<Vnpu_top> top_;
};

}  // namespace

std::unique_ptr<maskbench::rtl::NpuSim> maskbench::rtl::MakeSim() {
  return std::make_unique<VerilatedNpu>();
}

#ifndef MASKBENCH_RTL_NO_ENTRY
MASKBENCH_EXPORT_ACCELERATOR(maskbench::rtl::RtlAccelerator)
#endif
