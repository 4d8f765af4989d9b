#include "maskbench/reference/int8_executor.h"

#include <algorithm>
#include <cstring>

#include "maskbench/reference/postprocess.h"

namespace maskbench::reference {
namespace {

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

std::vector<float> Int8Output::Dequantize() const {
  std::vector<float> out(head.size());
  const size_t plane = head.size() / head_scale.size();
  for (size_t i = 0; i < head.size(); ++i)
    out[i] = static_cast<float>(head[i]) * head_scale[i / plane];
  return out;
}

Int8Executor::Int8Executor(const Int8Model* model, CycleModel cycle_model)
    : model_(model), cycle_model_(cycle_model) {
  tensors_.resize(model_->tensors.size());
  for (size_t i = 0; i < tensors_.size(); ++i) {
    const Int8Tensor& t = model_->tensors[i];
    if (static_cast<int>(i) != model_->output)
      tensors_[i].assign(static_cast<size_t>(t.channels) * t.height * t.width, 0);
  }
}

void Int8Executor::RunConv(const Int8Layer& l, LayerCycles* cost, Int8Output* out) {
  const CycleModel& cm = cycle_model_;
  const Int8Tensor& ti = model_->tensors[l.inputs[0]];
  const Int8Tensor& to = model_->tensors[l.output];
  const int cin = l.in_channels, cout = l.out_channels, k = l.kernel, s = l.stride, p = l.pad;
  const int hp = ti.height + 2 * p, wp = ti.width + 2 * p;
  const int ho = to.height, wo = to.width;

  // Zero padding is made on chip (q = 0 is real 0 in the symmetric scheme).
  padded_.assign(static_cast<size_t>(cin) * hp * wp, 0);
  const std::vector<int8_t>& in = tensors_[l.inputs[0]];
  for (int c = 0; c < cin; ++c)
    for (int y = 0; y < ti.height; ++y)
      std::memcpy(&padded_[(static_cast<size_t>(c) * hp + y + p) * wp + p],
                  &in[(static_cast<size_t>(c) * ti.height + y) * ti.width], ti.width);

  const int64_t in_bytes = int64_t{cin} * ti.height * ti.width;
  const int64_t w_bytes_per_channel = int64_t{cin} * k * k + 4 + (l.requantize ? 8 : 0);
  const bool input_resident = in_bytes <= cm.input_buffer_bytes;
  const int64_t out_element_bytes = l.requantize ? 1 : 4;
  if (input_resident) cost->dram_bytes += in_bytes;

  int8_t* out8 = l.requantize ? tensors_[l.output].data() : nullptr;
  int32_t* out32 = l.requantize ? nullptr : out->head.data();
  for (int oc = 0; oc < cout; ++oc) {
    if (!input_resident) cost->dram_bytes += in_bytes;  // streamed again for this channel
    cost->dram_bytes += w_bytes_per_channel;
    const int8_t* w = &l.weights[static_cast<size_t>(oc) * cin * k * k];
    for (int oy = 0; oy < ho; ++oy) {
      for (int ox = 0; ox < wo; ++ox) {
        int32_t acc = l.bias[oc];
        for (int ic = 0; ic < cin; ++ic) {
          const int8_t* wi = w + static_cast<size_t>(ic) * k * k;
          const int8_t* xi = &padded_[(static_cast<size_t>(ic) * hp + oy * s) * wp + ox * s];
          for (int ky = 0; ky < k; ++ky) {
            for (int kx = 0; kx < k; ++kx) {
              acc += static_cast<int32_t>(xi[ky * wp + kx]) * static_cast<int32_t>(wi[ky * k + kx]);
            }
          }
        }
        const size_t o = (static_cast<size_t>(oc) * ho + oy) * wo + ox;
        if (out8 != nullptr) {
          out8[o] = Requantize(acc, l.multiplier[oc], l.shift[oc], l.relu);
        } else {
          out32[o] = acc;
        }
      }
    }
  }
  const int64_t outputs = int64_t{cout} * ho * wo;
  cost->macs = outputs * cin * k * k;
  cost->mac_cycles = CeilDiv(cost->macs, cm.macs_per_cycle);
  cost->output_cycles = outputs;
  cost->dram_bytes += outputs * out_element_bytes;
}

void Int8Executor::Run(const uint8_t* rgb, Int8Output* out) {
  const CycleModel& cm = cycle_model_;
  const Int8Tensor& head = model_->tensors[model_->output];
  out->head.assign(static_cast<size_t>(head.channels) * head.height * head.width, 0);
  out->layers.clear();
  out->cycles = 0;

  // Input: HWC RGB bytes -> CHW int8, q = pixel - 128.
  std::vector<int8_t>& x = tensors_[0];
  const size_t plane = static_cast<size_t>(kInputSize) * kInputSize;
  for (size_t i = 0; i < plane; ++i)
    for (int c = 0; c < 3; ++c)
      x[c * plane + i] = static_cast<int8_t>(static_cast<int>(rgb[i * 3 + c]) - 128);

  for (const Int8Layer& l : model_->layers) {
    LayerCycles cost;
    cost.name = l.name;
    const Int8Tensor& to = model_->tensors[l.output];
    const int64_t out_elems = int64_t{to.channels} * to.height * to.width;
    switch (l.op) {
      case Int8Layer::Op::kConv:
        RunConv(l, &cost, out);
        out->head_scale = l.requantize ? out->head_scale : l.output_scale;
        break;
      case Int8Layer::Op::kUpsample2x: {
        const Int8Tensor& ti = model_->tensors[l.inputs[0]];
        const std::vector<int8_t>& in = tensors_[l.inputs[0]];
        std::vector<int8_t>& o = tensors_[l.output];
        for (int c = 0; c < to.channels; ++c)
          for (int y = 0; y < to.height; ++y)
            for (int xx = 0; xx < to.width; ++xx)
              o[(static_cast<size_t>(c) * to.height + y) * to.width + xx] =
                  in[(static_cast<size_t>(c) * ti.height + y / 2) * ti.width + xx / 2];
        cost.output_cycles = out_elems;
        cost.dram_bytes = out_elems / 4 + out_elems;
        break;
      }
      case Int8Layer::Op::kConcat: {
        std::vector<int8_t>& o = tensors_[l.output];
        size_t at = 0;
        for (int t : l.inputs) {
          std::memcpy(&o[at], tensors_[t].data(), tensors_[t].size());
          at += tensors_[t].size();
        }
        cost.output_cycles = out_elems;
        cost.dram_bytes = 2 * out_elems;
        break;
      }
    }
    cost.dram_cycles = CeilDiv(cost.dram_bytes, cm.dram_bytes_per_cycle);
    cost.total_cycles =
        cm.layer_setup_cycles + cost.mac_cycles + cost.output_cycles + cost.dram_cycles;
    out->cycles += static_cast<uint64_t>(cost.total_cycles);
    out->layers.push_back(std::move(cost));
  }
}

}  // namespace maskbench::reference
