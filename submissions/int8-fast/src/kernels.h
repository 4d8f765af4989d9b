// int8-fast convolution kernels (internal). One call computes output rows
// [row_begin, row_end) of one convolution for all output channels. The AVX2
// and AVX-512 kernels are compiled with target attributes and must only be
// called when the CPU supports them (Engine checks with CpuSupports()).
//
// Thread-safety: pure functions of their arguments; calls on disjoint rows may
// run concurrently.
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>

namespace maskbench::int8_fast::internal {

struct ConvArgs {
  int out_w = 0;
  int kernel = 1, stride = 1;
  int offset = 0;  // border - pad: padded input coordinate of tap 0 of output 0
  int cin = 0;
  int oc_blocks = 0;  // blocks of 8 output channels
  int cout = 0;       // real output channels (the last block may be partial)
  int k_steps = 0;    // per tap: 4-channel steps (u8) or 2-channel steps (s16)
  // Input (one of): int8 view or int16 shadow. Strides in elements.
  const int8_t* in8 = nullptr;
  const int16_t* in16 = nullptr;
  int in_pixel_stride = 0, in_row_stride = 0;
  // Packed weights (u8 kernel: int8, s16 kernel: int16), block-major.
  const void* packed = nullptr;
  // Per output channel, padded to oc_blocks * 8.
  const int32_t* bias = nullptr;
  const int32_t* multiplier = nullptr;
  const int32_t* shift = nullptr;
  // AMX and VNNI paths: multiplier / 2^(31 + shift) as float, padded like the others.
  const float* scale = nullptr;
  bool relu = false;
  // Output (one of): requantized int8 into a view, or int32 [pixel][oc_blocks*8].
  int8_t* out8 = nullptr;  // padded pixel (border, border) of the output view, channel 0
  int out_pixel_stride = 0, out_row_stride = 0;
  int32_t* out32 = nullptr;
  // Scalar path only: weights as [oc][ky][kx][ic] (ConvPlan::ohwi), read from the int8 view.
  const int8_t* weights_ohwi = nullptr;
  // AMX path only (kernels_amx.cc): K is split into groups of amx_group_taps
  // taps of one kernel row side by side (kernel when the input's pixel stride
  // is cin, else 1), each read as amx_chunks chunks of 64 bytes.
  int amx_groups = 0, amx_chunks = 0, amx_group_taps = 1;
};

// AMX: bytes of K per tile product (A's row, B's rows x 4). 32, not the
// tile's 64: on the Sapphire Rapids machine measured (bench/amx_probe,
// 2026-12-07) a product takes ~18.5 cycles at K = 32 or 64, while a tile row
// that crosses a cache line costs ~3.6 cycles more to load; A's rows start
// wherever their pixels do, and a 32-byte row crosses a line only when it
// starts in a line's second half (a 64-byte one unless it starts on a line).
// A short group (c1's 9 bytes) also wastes less of a 32-byte chunk.
inline constexpr int kAmxChunk = 32;
// Bytes of one packed B tile: kAmxChunk / 4 rows of 16 output channels x 4 bytes.
inline constexpr int kAmxBTileBytes = kAmxChunk * 16;

// AVX2: unsigned (ReLU'd, [0, 127]) int8 input with vpmaddubsw.
void ConvRowsU8Avx2(const ConvArgs& a, int row_begin, int row_end);
// AVX2: signed input through its int16 shadow with vpmaddwd.
void ConvRowsS16Avx2(const ConvArgs& a, int row_begin, int row_end);
// AVX-512 VNNI on 16-channel weight tiles (ConvPlan::packed_vnni) with
// register tiles shaped by the layer (kernels_vnni.cc); the input is read as
// unsigned bytes (a ReLU output, or the network input as pixel bytes with its
// bias lowered to match). Call only when the CPU has AVX-512 F/BW/VL/VNNI.
void ConvRowsVnni(const ConvArgs& a, int row_begin, int row_end);
// The VNNI epilogue's requantization (avx512::RequantizeFast16: float with an
// exact integer fallback) on n accumulators (n a multiple of 16; bias already
// added), for tests; call only when the CPU has AVX-512 F/BW/VL/VNNI.
void RequantizeVnni(const int32_t* acc, int n, const int32_t* multiplier, const int32_t* shift,
                    const float* scale, bool relu, int8_t* out);
// AMX-INT8 on the int8 view (tdpbusd, or tdpbssd when signed_input) with
// weights packed as ConvPlan::packed_amx; call only when AmxAvailable().
void ConvRowsAmx(const ConvArgs& a, bool signed_input, int row_begin, int row_end);
// The AMX epilogue's requantization (float with an exact integer fallback) on
// n accumulators (n a multiple of 16; bias already added), for tests; call only
// when AmxAvailable().
void RequantizeAmx(const int32_t* acc, int n, const int32_t* multiplier, const int32_t* shift,
                   const float* scale, bool relu, int8_t* out);
// The CPU has AMX-TILE and AMX-INT8 and the kernel granted this process the
// tile data state (arch_prctl(ARCH_REQ_XCOMP_PERM), requested on the first call).
bool AmxAvailable();
// Portable: any int8 input, [oc][ky][kx][ic] weights.
void ConvRowsScalar(const ConvArgs& a, int row_begin, int row_end);

// The AMX epilogue's float scale of a channel: multiplier / 2^(31 + shift),
// rounded once to float.
inline float AmxScale(int32_t multiplier, int32_t shift) {
  return static_cast<float>(std::ldexp(static_cast<double>(multiplier), -(31 + shift)));
}

// The reference's Requantize, inlined for the scalar path.
inline int8_t RequantizeScalar(int32_t acc, int32_t multiplier, int32_t shift, bool relu) {
  const int n = 31 + shift;
  const int64_t prod = static_cast<int64_t>(acc) * multiplier;
  const int64_t half = int64_t{1} << (n - 1);
  int64_t q = prod >= 0 ? (prod + half) >> n : -((-prod + half) >> n);
  const int64_t lo = relu ? 0 : -128;
  if (q < lo) q = lo;
  if (q > 127) q = 127;
  return static_cast<int8_t>(q);
}

}  // namespace maskbench::int8_fast::internal
