#include "systolic_model.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "maskbench/reference/postprocess.h"

namespace maskbench::systolic {
namespace {

using reference::Int8Layer;
using reference::Int8Tensor;

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

int64_t SystolicModel::Transfer(int64_t bytes) const {
  if (bytes <= 0) return 0;
  return hw_.dram_latency_cycles + CeilDiv(bytes, hw_.dram_bytes_per_cycle);
}

SystolicModel::SystolicModel(const reference::Int8Model* model, Hardware hardware)
    : model_(model), hw_(hardware) {
  if (hw_.array_size != 16)
    throw std::runtime_error("systolic-16x16: the array is 16x16 (array_size must be 16)");
  if (hw_.dram_bytes_per_cycle < 1 || hw_.vector_bytes_per_cycle < 1 ||
      hw_.accumulator_entries < 1 || hw_.clock_hz == 0)
    throw std::runtime_error("systolic-16x16: hardware parameters must be positive");
  const int n = hw_.array_size;
  tensors_.resize(model_->tensors.size());
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const Int8Tensor& t = model_->tensors[i];
    if (static_cast<int>(i) != model_->output)
      tensors_[i].assign(static_cast<size_t>(t.channels) * t.height * t.width, 0);
  }
  plans_.resize(model_->layers.size());
  for (size_t li = 0; li < model_->layers.size(); ++li) {
    const Int8Layer& l = model_->layers[li];
    if (l.op != Int8Layer::Op::kConv) continue;
    if (!l.requantize) head_scale_ = l.output_scale;
    ConvPlan& p = plans_[li];
    const Int8Tensor& ti = model_->tensors[l.inputs[0]];
    const Int8Tensor& to = model_->tensors[l.output];
    const int k = l.kernel, taps = k * k;
    p.oc_tiles = static_cast<int>(CeilDiv(l.out_channels, n));
    p.ic_tiles = static_cast<int>(CeilDiv(l.in_channels, n));
    p.weight_bytes = int64_t{l.out_channels} * l.in_channels * taps + int64_t{l.out_channels} * 9;
    if (p.weight_bytes > hw_.weight_sram_bytes)
      throw std::runtime_error(
          "systolic-16x16: layer " + l.name + " needs " + std::to_string(p.weight_bytes) +
          " bytes of weights; the weight SRAM holds " + std::to_string(hw_.weight_sram_bytes));
    // Weights as the array holds them: per oc tile, per tap, [ic][16 oc].
    const size_t ic_padded = static_cast<size_t>(p.ic_tiles) * n;
    p.weights.assign(static_cast<size_t>(p.oc_tiles) * taps * ic_padded * n, 0);
    for (int o = 0; o < l.out_channels; ++o)
      for (int i = 0; i < l.in_channels; ++i)
        for (int t = 0; t < taps; ++t)
          p.weights[((static_cast<size_t>(o / n) * taps + t) * ic_padded + i) * n + o % n] =
              l.weights[(static_cast<size_t>(o) * l.in_channels + i) * taps + t];
    // Spatial tile: the most whole output rows whose pixels fit the accumulators
    // and whose input and output tiles fit the activation SRAM twice (double buffered).
    const int64_t out_elem = l.requantize ? 1 : 4;
    for (int r = to.height; r >= 1; --r) {
      const int64_t pixels = int64_t{r} * to.width;
      const int64_t in_tile =
          int64_t{(r - 1) * l.stride + k} * (ti.width + 2 * l.pad) * l.in_channels;
      const int64_t out_tile = pixels * l.out_channels * out_elem;
      if (pixels <= hw_.accumulator_entries &&
          2 * (in_tile + out_tile) <= hw_.activation_sram_bytes) {
        const int tiles = (to.height + r - 1) / r;
        p.tile_rows = (to.height + tiles - 1) / tiles;  // the same tile count, balanced
        break;
      }
    }
    if (p.tile_rows == 0)
      throw std::runtime_error("systolic-16x16: layer " + l.name +
                               ": one output row does not fit the on-chip buffers");
  }
  const Int8Tensor& h = model_->tensors[model_->output];
  head_.assign(static_cast<size_t>(h.channels) * h.height * h.width, 0);
  logits_.assign(head_.size(), 0.f);
  acc_.assign(static_cast<size_t>(hw_.accumulator_entries) * n, 0);
  stats_.reserve(model_->layers.size());
}

void SystolicModel::Run(const uint8_t* rgb) {
  // The input arrives in DRAM as CHW int8 (q = pixel - 128), like every tensor.
  std::vector<int8_t>& x = tensors_[0];
  const size_t plane = static_cast<size_t>(reference::kInputSize) * reference::kInputSize;
  for (size_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c)
      x[c * plane + i] = static_cast<int8_t>(static_cast<int>(rgb[i * 3 + c]) - 128);
  stats_.clear();
  cycles_ = 0;
  for (size_t li = 0; li < model_->layers.size(); ++li) {
    const Int8Layer& l = model_->layers[li];
    LayerStats s;
    s.name = l.name;
    switch (l.op) {
      case Int8Layer::Op::kConv:
        RunConv(li, &s);
        break;
      case Int8Layer::Op::kUpsample2x:
        RunUpsample(li, &s);
        break;
      case Int8Layer::Op::kConcat:
        RunConcat(li, &s);
        break;
    }
    const int64_t peak = s.total_cycles * hw_.array_size * hw_.array_size;
    s.utilisation = peak > 0 ? static_cast<double>(s.macs) / static_cast<double>(peak) : 0;
    cycles_ += static_cast<uint64_t>(s.total_cycles);
    stats_.push_back(std::move(s));
  }
  const int hplane = static_cast<int>(head_.size() / head_scale_.size());
  for (size_t i = 0; i < head_.size(); ++i)
    logits_[i] = static_cast<float>(head_[i]) * head_scale_[i / hplane];
}

void SystolicModel::RunConv(size_t li, LayerStats* s) {
  const Int8Layer& l = model_->layers[li];
  const ConvPlan& p = plans_[li];
  const Int8Tensor& ti = model_->tensors[l.inputs[0]];
  const Int8Tensor& to = model_->tensors[l.output];
  const int n = hw_.array_size;
  const int k = l.kernel, st = l.stride, pad = l.pad, taps = k * k;
  const int cin = l.in_channels, cout = l.out_channels;
  const int hp = ti.height + 2 * pad, wp = ti.width + 2 * pad;
  const size_t ic_padded = static_cast<size_t>(p.ic_tiles) * n;
  char op[32];
  std::snprintf(op, sizeof op, "conv %dx%d/%d", k, k, st);
  s->op = op;
  s->macs = int64_t{cout} * to.height * to.width * cin * taps;
  s->tile_rows = p.tile_rows;
  s->spatial_tiles = static_cast<int>(CeilDiv(to.height, p.tile_rows));

  // The input tile buffer with its zero border (the address generator makes the
  // padding; only real rows come from DRAM). Functionally: one padded copy.
  padded_.assign(static_cast<size_t>(cin) * hp * wp, 0);
  const std::vector<int8_t>& in = tensors_[l.inputs[0]];
  for (int c = 0; c < cin; ++c)
    for (int y = 0; y < ti.height; ++y)
      std::memcpy(&padded_[(static_cast<size_t>(c) * hp + y + pad) * wp + pad],
                  &in[(static_cast<size_t>(c) * ti.height + y) * ti.width], ti.width);
  const size_t pplane = static_cast<size_t>(hp) * wp;

  // Timing state of this layer (cycles from the layer's start).
  int64_t channel = hw_.layer_setup_cycles;  // DRAM channel free from
  const int64_t weights_ready = channel + Transfer(p.weight_bytes);
  channel = weights_ready;
  s->dram_bytes += p.weight_bytes;
  const int64_t out_elem = l.requantize ? 1 : 4;
  auto in_rows = [&](int r0, int r1) {  // real input rows tile [r0, r1) reads
    const int first = std::max(0, r0 * st - pad),
              last = std::min(ti.height, (r1 - 1) * st - pad + k);
    return std::max(0, last - first);
  };
  auto tile_range = [&](int t, int* r0, int* r1) {
    *r0 = t * p.tile_rows;
    *r1 = std::min(to.height, *r0 + p.tile_rows);
  };
  const int tiles = s->spatial_tiles;
  std::vector<int64_t> load_done(tiles), compute_done(tiles), write_done(tiles);
  auto load = [&](int t, int64_t not_before) {
    int r0 = 0, r1 = 0;
    tile_range(t, &r0, &r1);
    const int64_t bytes = int64_t{in_rows(r0, r1)} * ti.width * cin;
    s->dram_bytes += bytes;
    channel = std::max(channel, not_before) + Transfer(bytes);
    load_done[t] = channel;
  };
  load(0, 0);
  int64_t array_free = weights_ready;
  for (int t = 0; t < tiles; ++t) {
    if (t + 1 < tiles)
      load(t + 1, t >= 1 ? compute_done[t - 1] : 0);  // prefetch into the other buffer
    int r0 = 0, r1 = 0;
    tile_range(t, &r0, &r1);
    const int pixels = (r1 - r0) * to.width;
    const int64_t passes = int64_t{p.oc_tiles} * taps * p.ic_tiles;
    // First weight block loads exposed; later blocks load into shadow registers
    // during the previous pass (P + fill/drain >= 16 cycles). The requantize of
    // the last oc tile drains after it (earlier ones overlap the next oc tile).
    const int64_t compute = hw_.weight_load_cycles + passes * (pixels + hw_.fill_drain_cycles) +
                            CeilDiv(int64_t{pixels} * n, hw_.vector_bytes_per_cycle);
    int64_t start = std::max(load_done[t], array_free);
    if (t >= 2) start = std::max(start, write_done[t - 2]);  // output buffer free
    compute_done[t] = start + compute;
    array_free = compute_done[t];
    s->passes += passes;
    s->array_cycles += compute;

    // Functional: what the array computes in this tile, pass by pass.
    for (int oct = 0; oct < p.oc_tiles; ++oct) {
      const int oc0 = oct * n, ocn = std::min(n, cout - oc0);
      for (int px = 0; px < pixels; ++px)
        for (int o = 0; o < n; ++o)
          acc_[static_cast<size_t>(px) * n + o] = o < ocn ? l.bias[oc0 + o] : 0;
      for (int tap = 0; tap < taps; ++tap) {
        const int ky = tap / k, kx = tap % k;
        for (int ict = 0; ict < p.ic_tiles; ++ict) {
          const int ic0 = ict * n, icn = std::min(n, cin - ic0);
          const int16_t* wblock =
              &p.weights[((static_cast<size_t>(oct) * taps + tap) * ic_padded + ic0) * n];
          for (int px = 0; px < pixels; ++px) {
            const int oy = r0 + px / to.width, ox = px % to.width;
            const int8_t* xin = &padded_[static_cast<size_t>(ic0) * pplane +
                                         static_cast<size_t>(oy * st + ky) * wp + ox * st + kx];
            int32_t* a = &acc_[static_cast<size_t>(px) * n];
            for (int i = 0; i < icn; ++i) {
              const int32_t xv = xin[static_cast<size_t>(i) * pplane];
              if (xv == 0) continue;
              const int16_t* w = wblock + static_cast<size_t>(i) * n;
              for (int o = 0; o < 16; ++o) a[o] += xv * w[o];  // the 16 columns
            }
          }
        }
      }
      // Requantize unit: 16 lanes, one pixel per cycle.
      for (int px = 0; px < pixels; ++px) {
        const int oy = r0 + px / to.width, ox = px % to.width;
        for (int o = 0; o < ocn; ++o) {
          const int oc = oc0 + o;
          const size_t at = (static_cast<size_t>(oc) * to.height + oy) * to.width + ox;
          const int32_t v = acc_[static_cast<size_t>(px) * n + o];
          if (l.requantize)
            tensors_[l.output][at] =
                reference::Requantize(v, l.multiplier[oc], l.shift[oc], l.relu);
          else
            head_[at] = v;
        }
      }
    }

    const int64_t out_bytes = int64_t{pixels} * cout * out_elem;
    s->dram_bytes += out_bytes;
    channel = std::max(channel, compute_done[t]) + Transfer(out_bytes);
    write_done[t] = channel;
  }
  s->total_cycles = std::max(compute_done[tiles - 1], write_done[tiles - 1]);
  s->stall_cycles = s->total_cycles - hw_.layer_setup_cycles - s->array_cycles;
}

void SystolicModel::RunUpsample(size_t li, LayerStats* s) {
  const Int8Layer& l = model_->layers[li];
  const Int8Tensor& ti = model_->tensors[l.inputs[0]];
  const Int8Tensor& to = model_->tensors[l.output];
  const std::vector<int8_t>& in = tensors_[l.inputs[0]];
  std::vector<int8_t>& o = tensors_[l.output];
  for (int c = 0; c < to.channels; ++c)
    for (int y = 0; y < to.height; ++y)
      for (int x = 0; x < to.width; ++x)
        o[(static_cast<size_t>(c) * to.height + y) * to.width + x] =
            in[(static_cast<size_t>(c) * ti.height + y / 2) * ti.width + x / 2];
  // The vector unit reads the tensor once and writes it replicated (16 B/cycle,
  // as fast as the channel takes it): two transfers on the DRAM channel.
  s->op = "upsample2x";
  const int64_t in_bytes = int64_t{ti.channels} * ti.height * ti.width;
  const int64_t out_bytes = int64_t{to.channels} * to.height * to.width;
  s->dram_bytes = in_bytes + out_bytes;
  s->total_cycles = hw_.layer_setup_cycles + Transfer(in_bytes) + Transfer(out_bytes);
  s->stall_cycles = s->total_cycles - hw_.layer_setup_cycles;
}

void SystolicModel::RunConcat(size_t li, LayerStats* s) {
  // Free on this NPU: tensors are CHW in DRAM and each producer writes at the
  // concat's address plus its channel offset. Functionally: the same bytes.
  const Int8Layer& l = model_->layers[li];
  std::vector<int8_t>& o = tensors_[l.output];
  size_t at = 0;
  for (int t : l.inputs) {
    std::memcpy(&o[at], tensors_[t].data(), tensors_[t].size());
    at += tensors_[t].size();
  }
  s->op = "concat";
  s->total_cycles = 0;
}

rtl::EnergyEvents SystolicModel::Events() const {
  rtl::EnergyEvents e;
  const uint64_t n = static_cast<uint64_t>(hw_.array_size);
  rtl::SramEvents act{"activation SRAM", static_cast<uint64_t>(hw_.activation_sram_bytes), 0};
  rtl::SramEvents wgt{"weight SRAM", static_cast<uint64_t>(hw_.weight_sram_bytes), 0};
  rtl::SramEvents acc{"accumulator SRAM",
                      2 * n * static_cast<uint64_t>(hw_.accumulator_entries) * 4, 0};
  for (size_t i = 0; i < stats_.size(); ++i) {
    const LayerStats& s = stats_[i];
    const uint64_t array = static_cast<uint64_t>(s.array_cycles);
    e.int8_mults += static_cast<uint64_t>(s.macs);
    e.int32_adds += static_cast<uint64_t>(s.macs);
    // Each array cycle reads one pixel's n input bytes and updates n int32 accumulators.
    act.accesses64 += array * n / 8;
    acc.accesses64 += array * n * 4 / 8 * 2;
    wgt.accesses64 += static_cast<uint64_t>(s.passes) * n * n / 8;
    const reference::Int8Layer& l = model_->layers[i];
    if (l.op == reference::Int8Layer::Op::kConv && l.requantize) {
      const reference::Int8Tensor& t = model_->tensors[l.output];
      e.int32_mults += static_cast<uint64_t>(t.channels) * t.height * t.width;
    }
    e.dram_bytes += static_cast<uint64_t>(s.dram_bytes);
  }
  e.srams = {act, wgt, acc};
  return e;
}

std::string LayerTable(const std::vector<LayerStats>& layers, const Hardware& hw) {
  std::string out =
      "| layer | op | MACs | row tiles x rows | passes | array cycles | DRAM KiB | stall cycles | "
      "total cycles | utilisation |\n"
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  char line[512];
  int64_t macs = 0, passes = 0, array = 0, dram = 0, stall = 0, total = 0;
  for (const LayerStats& l : layers) {
    std::snprintf(
        line, sizeof line, "| %s | %s | %lld | %s | %lld | %lld | %.1f | %lld | %lld | %.1f%% |\n",
        l.name.c_str(), l.op.c_str(), static_cast<long long>(l.macs),
        l.spatial_tiles > 0
            ? (std::to_string(l.spatial_tiles) + " x " + std::to_string(l.tile_rows)).c_str()
            : "-",
        static_cast<long long>(l.passes), static_cast<long long>(l.array_cycles),
        l.dram_bytes / 1024.0, static_cast<long long>(l.stall_cycles),
        static_cast<long long>(l.total_cycles), 100 * l.utilisation);
    out += line;
    macs += l.macs;
    passes += l.passes;
    array += l.array_cycles;
    dram += l.dram_bytes;
    stall += l.stall_cycles;
    total += l.total_cycles;
  }
  const double util = total > 0 ? static_cast<double>(macs) /
                                      (static_cast<double>(total) * hw.array_size * hw.array_size)
                                : 0;
  std::snprintf(
      line, sizeof line, "| **frame** | | %lld | | %lld | %lld | %.1f | %lld | %lld | %.1f%% |\n",
      static_cast<long long>(macs), static_cast<long long>(passes), static_cast<long long>(array),
      dram / 1024.0, static_cast<long long>(stall), static_cast<long long>(total), 100 * util);
  out += line;
  std::snprintf(line, sizeof line, "\n%lld cycles per frame at %.0f MHz = %.3f ms.\n",
                static_cast<long long>(total), hw.clock_hz / 1e6,
                1e3 * static_cast<double>(total) / static_cast<double>(hw.clock_hz));
  out += line;
  return out;
}

}  // namespace maskbench::systolic
