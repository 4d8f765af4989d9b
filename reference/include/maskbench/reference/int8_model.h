// The reference network quantized to int8: the parameters the naive executor
// (int8_executor.h) runs, loaded from the committed params file
// reference/model/refnet-int8.json (format: docs/reference.md, "int8 params").
//
// Scheme: symmetric int8 activations (one scale per tensor, zero point 0),
// per-output-channel symmetric int8 weights, int32 bias in accumulator units,
// requantization by a fixed-point multiplier (int32 in [2^30, 2^31)) and a right
// shift with round-half-away-from-zero. The input is q = pixel - 128 (scale 1/128).
// The head keeps its int32 accumulators; logits = acc * head_scale[channel].
//
// An Int8Model is an immutable value once loaded; safe to share between threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "maskbench/core/status.h"

namespace maskbench::reference {

struct Int8Layer {
  enum class Op { kConv, kUpsample2x, kConcat };
  Op op = Op::kConv;
  std::string name;
  std::vector<int> inputs;  // tensor indices (0 = the network input)
  int output = 0;           // tensor index this layer writes
  // Convolution only:
  int in_channels = 0, out_channels = 0, kernel = 1, stride = 1, pad = 0;
  bool relu = false;
  bool requantize = true;           // false: the output stays int32 (the head)
  std::vector<int8_t> weights;      // OIHW
  std::vector<int32_t> bias;        // per output channel, accumulator units
  std::vector<int32_t> multiplier;  // per output channel, in [2^30, 2^31)
  std::vector<int32_t> shift;       // per output channel: total right shift = 31 + shift
  std::vector<float> output_scale;  // head only: float value of one accumulator unit
};

struct Int8Tensor {
  std::string name;
  int channels = 0, height = 0, width = 0;
  double scale = 0;  // real value of one int8 step (0 for the int32 head)
};

struct Int8Model {
  std::string onnx_sha256;          // the fp32 model these parameters were derived from
  std::vector<Int8Tensor> tensors;  // 0 = input (3 x kInputSize x kInputSize)
  std::vector<Int8Layer> layers;    // in execution order
  int output = 0;                   // tensor index of the int32 head output
  // Total multiply-accumulates of one frame.
  int64_t Macs() const;
  // Total weight parameters (int8) plus biases.
  int64_t Parameters() const;
};

// Loads and checks (shapes, value ranges, concat scales) a params file.
Result<Int8Model> LoadInt8Model(const std::filesystem::path& path);

// Requantizes one accumulator: round_half_away_from_zero(acc * multiplier / 2^(31 + shift)),
// clamped to [-128, 127] (and to [0, 127] when `relu`).
int8_t Requantize(int32_t acc, int32_t multiplier, int32_t shift, bool relu);

}  // namespace maskbench::reference
