#include "maskbench/rtl/npu.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace maskbench::rtl {
namespace {

using reference::Int8Layer;
using reference::Int8Model;
using reference::Int8Tensor;

constexpr uint64_t kCommandCycleBudget = 64ull << 20;

uint32_t RoundUp(uint32_t v, uint32_t to) { return (v + to - 1) / to * to; }
int CeilDiv(int a, int b) { return (a + b - 1) / b; }

std::runtime_error LayerError(const Int8Layer& l, const std::string& why) {
  return std::runtime_error("rtl-npu driver: layer \"" + l.name + "\": " + why);
}

void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace

void Activity::Add(const Activity& o) {
  cycles += o.cycles;
  mac_cycles += o.mac_cycles;
  ibuf_reads += o.ibuf_reads;
  ibuf_writes += o.ibuf_writes;
  wbuf_reads += o.wbuf_reads;
  wbuf_writes += o.wbuf_writes;
  acc_reads += o.acc_reads;
  acc_writes += o.acc_writes;
  passes += o.passes;
  writebacks += o.writebacks;
  commands += o.commands;
  dram_read_bytes += o.dram_read_bytes;
  dram_written_bytes += o.dram_written_bytes;
}

RtlNpu::RtlNpu(const Int8Model* model, NpuSim* sim, NpuGeometry geometry)
    : model_(model), sim_(sim), geo_(geometry) {
  Plan();
  sim_->Reset();
}

void RtlNpu::Plan() {
  const Int8Model& m = *model_;
  const int lanes = geo_.lanes;
  buffers_.assign(m.tensors.size(), Buffer{});
  std::vector<bool> member(m.tensors.size(), false);
  for (const Int8Layer& l : m.layers) {
    if (l.op != Int8Layer::Op::kConcat) continue;
    for (int t : l.inputs) {
      if (member[t] || t == 0)
        throw LayerError(l, "a tensor can be in one concat only, and not the network input");
      if (m.tensors[t].channels % lanes != 0)
        throw LayerError(l, "a concat input needs a multiple of 8 channels");
      member[t] = true;
    }
  }
  // Own buffers first, then the concat inputs alias their concat's buffer.
  uint32_t at = 0;
  for (size_t i = 0; i < m.tensors.size(); ++i) {
    if (member[i]) continue;
    const Int8Tensor& t = m.tensors[i];
    Buffer& b = buffers_[i];
    b.channels = t.channels;
    b.height = t.height;
    b.width = t.width;
    b.border = static_cast<int>(i) != m.output;
    b.pitch = RoundUp(t.channels, lanes) * (b.border ? 1 : 4);
    if (b.RowBytes() % 16 != 0)
      throw std::runtime_error("rtl-npu driver: tensor \"" + t.name +
                               "\": a padded row must be a multiple of 16 bytes");
    b.base = at;
    const uint64_t bytes = static_cast<uint64_t>(b.RowBytes()) * (t.height + (b.border ? 2 : 0));
    at = RoundUp(static_cast<uint32_t>(at + bytes), 64);
  }
  for (const Int8Layer& l : m.layers) {
    if (l.op != Int8Layer::Op::kConcat) continue;
    uint32_t cofs = 0;
    for (int t : l.inputs) {
      Buffer b = buffers_[l.output];
      b.cofs = cofs;
      b.channels = m.tensors[t].channels;
      buffers_[t] = b;
      cofs += static_cast<uint32_t>(m.tensors[t].channels);
    }
  }

  // Weight images (constant: placed in DRAM once, before the first frame).
  struct Image {
    std::vector<uint8_t> bytes;
  };
  std::vector<uint8_t> weights;
  auto place = [&](const std::vector<uint8_t>& img) {
    const uint32_t addr = at + static_cast<uint32_t>(weights.size());
    weights.insert(weights.end(), img.begin(), img.end());
    return addr;
  };
  auto params = [&](std::vector<uint8_t>* img, int lane, int32_t bias, int32_t mult,
                    int32_t shift) {
    Put32(&(*img)[lane * 4], static_cast<uint32_t>(bias));
    Put32(&(*img)[32 + lane * 4], static_cast<uint32_t>(mult));
    (*img)[64 + lane] = static_cast<uint8_t>(static_cast<int8_t>(shift));
  };
  // The upsample's identity: x -> x exactly (multiplier 2^30, total shift 30).
  std::vector<uint8_t> identity(5 * 16 + 64, 0);
  for (int i = 0; i < lanes; ++i) {
    params(&identity, i, 0, 1 << 30, -1);
    identity[80 + (i / 2) * 16 + (i % 2) * 8 + i] = 1;
  }
  const uint32_t identity_addr = place(identity);

  programs_.assign(m.layers.size(), {});
  floors_.assign(m.layers.size(), {});
  layer_macs_.assign(m.layers.size(), 0);
  layer_tiles_.assign(m.layers.size(), 0);
  for (size_t li = 0; li < m.layers.size(); ++li) {
    const Int8Layer& l = m.layers[li];
    if (l.op == Int8Layer::Op::kConcat) continue;
    const Buffer& in = buffers_[l.inputs[0]];
    const Buffer& out = buffers_[l.output];
    const bool up = l.op == Int8Layer::Op::kUpsample2x;
    const int k = up ? 1 : l.kernel, s = up ? 1 : l.stride, pad = up ? 0 : l.pad;
    if (!up && !((k == 3 && pad == 1) || (k == 1 && pad == 0)))
      throw LayerError(l, "only 3x3 (pad 1) and 1x1 (pad 0) convolutions");
    if (s != 1 && s != 2) throw LayerError(l, "only stride 1 or 2");
    const int ho = out.height, wo = out.width;
    const int cin = up ? in.channels : l.in_channels, cout = up ? out.channels : l.out_channels;
    const int icg_n = up ? 1 : CeilDiv(cin, lanes), ocg_n = CeilDiv(cout, lanes);
    const bool out32 = !up && !l.requantize;
    if (out32 && out.border) throw LayerError(l, "an int32 output must be the head");
    const uint32_t in_pitch8 = in.pitch / 8, in_row8 = in.RowBytes() / 8;

    // Weight image per output-channel group: 5 parameter words, then one
    // 64-byte block per (tap, input group): byte (i / 2) * 16 + (i % 2) * 8 + j
    // of a block is the weight of input lane i, output lane j.
    std::vector<uint32_t> wimg(ocg_n, identity_addr);
    uint32_t w_words = 4;
    if (!up) {
      w_words = static_cast<uint32_t>(k * k * icg_n * 4);
      if (w_words * 16 > geo_.weight_buffer_bytes)
        throw LayerError(l, "one output group's weights exceed the weight buffer");
      for (int g = 0; g < ocg_n; ++g) {
        std::vector<uint8_t> img(80 + w_words * 16, 0);
        for (int j = 0; j < lanes; ++j) {
          const int oc = g * lanes + j;
          if (oc >= cout) continue;
          params(&img, j, l.bias[oc], l.requantize ? l.multiplier[oc] : 0,
                 l.requantize ? l.shift[oc] : 0);
          for (int t = 0; t < k * k; ++t) {
            for (int ig = 0; ig < icg_n; ++ig) {
              for (int i = 0; i < lanes; ++i) {
                const int ic = ig * lanes + i;
                if (ic >= cin) continue;
                const size_t blk = static_cast<size_t>(t) * icg_n + ig;
                img[80 + blk * 64 + (i / 2) * 16 + (i % 2) * 8 + j] = static_cast<uint8_t>(
                    l.weights[(static_cast<size_t>(oc) * cin + ic) * k * k + t]);
              }
            }
          }
        }
        wimg[g] = place(img);
      }
      layer_macs_[li] = static_cast<int64_t>(cout) * ho * wo * cin * k * k;
    }

    // Row tiles: as many output rows as fit the accumulator and the input buffer.
    auto band_rows = [&](int r) { return up ? r / 2 : (r - 1) * s + k; };
    int rows = std::min(ho, geo_.accumulator_pixels / wo);
    if (up) rows -= rows % 2;
    while (rows > 0 &&
           static_cast<uint64_t>(band_rows(rows)) * in.RowBytes() > geo_.input_buffer_bytes)
      rows -= up ? 2 : 1;
    if (rows <= 0) throw LayerError(l, "one output row does not fit the buffers");
    const uint32_t mode = static_cast<uint32_t>(k) | static_cast<uint32_t>(s) << 4 |
                          (up ? 1u : 0u) << 8 | (l.relu && !up ? 1u : 0u) << 12 |
                          (out32 ? 1u : 0u) << 16;
    for (int y0 = 0; y0 < ho; y0 += rows) {
      const int r = std::min(rows, ho - y0);
      ++layer_tiles_[li];
      const int start = up ? y0 / 2 + 1 : y0 * s + (1 - pad);
      const uint32_t tile_out = out.border
                                    ? out.base + ((y0 + 1) * (wo + 2) + 1) * out.pitch + out.cofs
                                    : out.base + static_cast<uint32_t>(y0) * wo * out.pitch;
      for (int g = 0; g < ocg_n; ++g) {
        Command c{};
        c.regs[kRegBandBase] = in.base + static_cast<uint32_t>(start) * in.RowBytes();
        c.regs[kRegBandWords] = static_cast<uint32_t>(band_rows(r)) * in.RowBytes() / 16;
        c.regs[kRegWBase] = wimg[g];
        c.regs[kRegWWords] = w_words;
        c.regs[kRegInRow8] = in_row8;
        c.regs[kRegInPitch8] = in_pitch8;
        c.regs[kRegInOrigin8] =
            (up || pad == 0 ? in_pitch8 : 0) + in.cofs / 8 + (up ? static_cast<uint32_t>(g) : 0);
        c.regs[kRegIcgN] = static_cast<uint32_t>(icg_n);
        c.regs[kRegMode] = mode;
        c.regs[kRegWo] = static_cast<uint32_t>(wo);
        c.regs[kRegTilePixels] = static_cast<uint32_t>(r * wo);
        c.regs[kRegOutBase] = tile_out + static_cast<uint32_t>(g) * (out32 ? 32 : 8);
        c.regs[kRegOutPitch] = out.pitch;
        c.regs[kRegOutRow] = out.RowBytes();
        c.cmd = (g == 0 ? 1u : 0u) | (up && g > 0 ? 0u : 2u) | 4u;
        Floor& f = floors_[li];
        if (c.cmd & 1u) f.ibuf_writes += c.regs[kRegBandWords];
        if (c.cmd & 2u) f.wbuf_writes += c.regs[kRegWWords];
        f.writebacks += c.regs[kRegTilePixels];
        programs_[li].push_back(c);
      }
    }
  }
  dram_ = std::make_unique<DramModel>(at + weights.size() + 64);
  std::memcpy(dram_->data() + at, weights.data(), weights.size());
}

void RtlNpu::Tick(const SimInputs& in) {
  SimInputs x = in;
  x.mem_rvalid = dram_->Response(cycle_, x.mem_rdata);
  sim_->Cycle(x, &out_);
  ++cycle_;
  if (out_.mem_valid)
    dram_->Request(cycle_, out_.mem_we, out_.mem_addr, out_.mem_wdata, out_.mem_wstrb);
}

void RtlNpu::Issue(const Command& c) {
  for (uint32_t r = 1; r <= kRegOutRow; ++r) {
    SimInputs in;
    in.reg_we = true;
    in.reg_addr = r;
    in.reg_wdata = c.regs[r];
    Tick(in);
  }
  SimInputs go;
  go.reg_we = true;
  go.reg_addr = kRegCmd;
  go.reg_wdata = c.cmd;
  Tick(go);
  const uint64_t start = cycle_;
  const SimInputs idle;
  while (out_.busy || !dram_->Idle()) {
    if (cycle_ - start > kCommandCycleBudget)
      throw std::runtime_error("rtl-npu driver: the design is still busy " +
                               std::to_string(kCommandCycleBudget) + " cycles after a command");
    Tick(idle);
  }
}

void RtlNpu::ReadCounters(Activity* a) {
  a->mac_cycles = sim_->ReadRegister(kRegCntMac);
  a->ibuf_reads = sim_->ReadRegister(kRegCntIbufRead);
  a->ibuf_writes = sim_->ReadRegister(kRegCntIbufWrite);
  a->wbuf_reads = sim_->ReadRegister(kRegCntWbufRead);
  a->wbuf_writes = sim_->ReadRegister(kRegCntWbufWrite);
  a->acc_reads = sim_->ReadRegister(kRegCntAccRead);
  a->acc_writes = sim_->ReadRegister(kRegCntAccWrite);
  a->passes = sim_->ReadRegister(kRegCntPasses);
  a->writebacks = sim_->ReadRegister(kRegCntWriteback);
}

void RtlNpu::Run(const uint8_t* rgb) {
  const Int8Model& m = *model_;
  const Buffer& x = buffers_[0];
  uint8_t* mem = dram_->data();
  for (int y = 0; y < x.height; ++y) {
    for (int xx = 0; xx < x.width; ++xx) {
      uint8_t* px = mem + x.base + (y + 1) * x.RowBytes() + (xx + 1) * x.pitch;
      const uint8_t* src = rgb + (static_cast<size_t>(y) * x.width + xx) * 3;
      for (int c = 0; c < 3; ++c) px[c] = static_cast<uint8_t>(static_cast<int>(src[c]) - 128);
    }
  }
  total_ = Activity{};
  layers_.clear();
  cycle_ = 0;
  for (size_t li = 0; li < m.layers.size(); ++li) {
    const Int8Layer& l = m.layers[li];
    SimInputs clear;
    clear.reg_we = true;
    clear.reg_addr = kRegClearCounters;
    Tick(clear);
    dram_->ResetCounters();
    const uint64_t start = cycle_;
    for (const Command& c : programs_[li]) Issue(c);
    LayerRun run;
    run.name = l.name;
    run.macs = layer_macs_[li];
    run.tiles = layer_tiles_[li];
    run.requantize = l.op != Int8Layer::Op::kConv || l.requantize;
    if (l.op == Int8Layer::Op::kConv) {
      run.op = "conv " + std::to_string(l.kernel) + "x" + std::to_string(l.kernel) + "/" +
               std::to_string(l.stride);
    } else {
      run.op = l.op == Int8Layer::Op::kUpsample2x ? "upsample2x" : "concat (addressing)";
    }
    ReadCounters(&run.activity);
    run.activity.cycles = cycle_ - start + 1;  // the counter clear included
    // The counters feed the energy model, so they must at least be possible:
    // every useful MAC was enabled, each MAC cycle read its input and wrote an
    // accumulator, and nothing happened more often than there were cycles.
    const Activity& a = run.activity;
    const uint64_t lanes2 = static_cast<uint64_t>(geo_.lanes) * geo_.lanes;
    const Floor& fl = floors_[li];
    if (a.mac_cycles * lanes2 < static_cast<uint64_t>(run.macs) || a.mac_cycles > a.cycles ||
        a.ibuf_reads < a.mac_cycles || a.acc_writes < a.mac_cycles ||
        a.ibuf_writes < fl.ibuf_writes || a.wbuf_writes < fl.wbuf_writes ||
        a.writebacks < fl.writebacks || a.acc_reads < a.writebacks)
      throw std::runtime_error("rtl-npu driver: layer \"" + l.name +
                               "\": the design's activity counters are "
                               "impossible (" +
                               std::to_string(a.mac_cycles) + " MAC cycles for " +
                               std::to_string(run.macs) + " MACs in " + std::to_string(a.cycles) +
                               " cycles, " + std::to_string(a.ibuf_reads) + " input reads, " +
                               std::to_string(a.acc_writes) + " accumulator writes)");
    run.activity.commands = programs_[li].size();
    run.activity.dram_read_bytes = dram_->read_bytes();
    run.activity.dram_written_bytes = dram_->written_bytes();
    total_.Add(run.activity);
    layers_.push_back(std::move(run));
  }
  total_.cycles = cycle_;

  const Buffer& h = buffers_[m.output];
  const size_t plane = static_cast<size_t>(h.height) * h.width;
  head_.assign(static_cast<size_t>(h.channels) * plane, 0);
  for (size_t p = 0; p < plane; ++p) {
    for (int c = 0; c < h.channels; ++c) {
      int32_t v;
      std::memcpy(&v, mem + h.base + p * h.pitch + c * 4, 4);
      head_[c * plane + p] = v;
    }
  }
  const std::vector<float>& scale = m.layers.back().output_scale;
  logits_.resize(head_.size());
  for (size_t i = 0; i < head_.size(); ++i)
    logits_[i] = static_cast<float>(head_[i]) * scale[i / plane];
}

std::vector<int8_t> RtlNpu::Tensor(int index) const {
  const Buffer& b = buffers_[index];
  std::vector<int8_t> t(static_cast<size_t>(b.channels) * b.height * b.width);
  const uint8_t* mem = dram_->data();
  for (int c = 0; c < b.channels; ++c)
    for (int y = 0; y < b.height; ++y)
      for (int x = 0; x < b.width; ++x)
        t[(static_cast<size_t>(c) * b.height + y) * b.width + x] = static_cast<int8_t>(
            mem[b.base + (y + 1) * b.RowBytes() + (x + 1) * b.pitch + b.cofs + c]);
  return t;
}

EnergyEvents RtlNpu::Events() const {
  EnergyEvents e;
  const uint64_t lanes2 = static_cast<uint64_t>(geo_.lanes) * geo_.lanes;
  SramEvents ibuf{"input buffer", geo_.input_buffer_bytes, 0};
  SramEvents wbuf{"weight buffer", geo_.weight_buffer_bytes, 0};
  SramEvents acc{"accumulator bank", static_cast<uint64_t>(geo_.accumulator_pixels) * 4, 0};
  for (const LayerRun& l : layers_) {
    const Activity& a = l.activity;
    e.int8_mults += a.mac_cycles * lanes2;
    e.int32_adds += a.mac_cycles * lanes2;
    if (l.requantize) e.int32_mults += a.writebacks * geo_.lanes;
    ibuf.accesses64 += a.ibuf_reads + a.ibuf_writes * 2;
    wbuf.accesses64 += (a.wbuf_reads + a.wbuf_writes) * 2;
    acc.accesses64 += (a.acc_reads + a.acc_writes) * static_cast<uint64_t>(geo_.lanes) / 2;
    e.dram_bytes += a.dram_read_bytes + a.dram_written_bytes;
  }
  e.srams = {ibuf, wbuf, acc};
  return e;
}

std::string LayerTable(const std::vector<LayerRun>& layers, int lanes) {
  std::string t =
      "| layer | op | MACs | tiles | cycles | MAC util. | DRAM KiB |\n"
      "|---|---|---:|---:|---:|---:|---:|\n";
  Activity total;
  int64_t macs = 0;
  char row[256];
  for (const LayerRun& l : layers) {
    const Activity& a = l.activity;
    const double util =
        a.cycles ? static_cast<double>(l.macs) / (static_cast<double>(a.cycles) * lanes * lanes)
                 : 0;
    std::snprintf(row, sizeof row, "| %s | %s | %lld | %d | %llu | %.1f%% | %.1f |\n",
                  l.name.c_str(), l.op.c_str(), static_cast<long long>(l.macs), l.tiles,
                  static_cast<unsigned long long>(a.cycles), 100 * util,
                  static_cast<double>(a.dram_read_bytes + a.dram_written_bytes) / 1024);
    t += row;
    total.Add(a);
    macs += l.macs;
  }
  std::snprintf(row, sizeof row, "| **total** | | %lld | | %llu | %.1f%% | %.1f |\n",
                static_cast<long long>(macs), static_cast<unsigned long long>(total.cycles),
                total.cycles ? 100.0 * static_cast<double>(macs) /
                                   (static_cast<double>(total.cycles) * lanes * lanes)
                             : 0,
                static_cast<double>(total.dram_read_bytes + total.dram_written_bytes) / 1024);
  t += row;
  return t;
}

}  // namespace maskbench::rtl
