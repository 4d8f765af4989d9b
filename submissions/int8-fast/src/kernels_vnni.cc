// AVX-512 VNNI convolution kernel on 16-channel weight tiles. Every function
// here carries __attribute__((target(...avx512vnni...))), so this file is
// compiled for the baseline x86-64 target and the engine calls it only after
// CpuSupports(Simd::kAvx512Vnni).
//
// Implicit GEMM straight from the zero-bordered HWC tensor, like the AVX2
// kernels, but with its own weight layout (ConvPlan::packed_vnni,
// [16-channel tile][tap][4-channel step][16 oc][4 ic], one aligned 64-byte
// load per tile and step) and register tiles shaped by the layer:
//   - a pass over a row covers R registers of output channels: up to four
//     zmm (16 channels each) plus, when the channel count ends in 1 to 8
//     channels, one ymm (8 channels) for them;
//   - NP output pixels per tile, NP x R accumulators of the 32 registers
//     (R = 1: 20 pixels, 2: 10, 3: 8, 4: 5), each pixel's 4 input bytes
//     broadcast once per step and used R times;
//   - NP is the first of the candidates for R that divides the row (so the
//     widths 160, 80, 40, 20 and 10 of the reference network have no
//     remainder); any pixels left over take one-pixel tiles.
// vpdpbusd (u8 x s8, four products summed into each int32 lane) accumulates
// exactly in int32; the accumulators start at the bias, so the sums are the
// reference's in another order. The input must be unsigned: a ReLU output in
// [0, 127], or the network input as its pixel bytes (q + 128) with a border
// of 128 and a bias lowered by 128 x the sum of the channel's weights
// (Engine plans both), which gives the signed sum exactly.
// The epilogue is avx512::RequantizeFast16 (float, exact integer fallback),
// narrowed with vpmovsdb and stored plain when a register's 16 (or a ymm's 8)
// channels are all kept, under a byte mask otherwise; or the int32 head.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels.h"
#include "kernels_avx512_inl.h"

#if defined(__x86_64__) || defined(__i386__)

// GCC 12's 512-bit intrinsics pass an _mm512_undefined source that
// -Wmaybe-uninitialized reports inside the header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define MB_VNNI __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni")))

namespace maskbench::int8_fast::internal {
namespace {

using avx512::kNearHalf;
using avx512::MakeRequant16;
using avx512::Requant16;
using avx512::RequantizeFast16;

constexpr int kStepBytes = 64;  // one step of one tile: 16 oc x 4 ic

// What one pass over a row needs: its channels and their constants.
struct Pass {
  int tile0 = 0;                  // first 16-channel tile
  size_t tile_bytes = 0;          // bytes of one tile's packed weights
  const Requant16* rq = nullptr;  // per register of the pass
  __mmask16 keep[5] = {};         // channels stored per register
};

MB_VNNI inline int32_t Load32(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// NP pixels from (oy, ox) x the pass's NZ zmm (+ H ymm) of channels.
template <int NZ, int H, int NP>
MB_VNNI void Tile(const ConvArgs& a, const Pass& s, int oy, int ox) {
  const ptrdiff_t pstep = static_cast<ptrdiff_t>(a.stride) * a.in_pixel_stride;
  const int8_t* base = a.in8 + static_cast<ptrdiff_t>(oy * a.stride + a.offset) * a.in_row_stride +
                       static_cast<ptrdiff_t>(ox * a.stride + a.offset) * a.in_pixel_stride;
  const int8_t* w = static_cast<const int8_t*>(a.packed) + s.tile0 * s.tile_bytes;
  const int32_t* bias = a.bias + s.tile0 * 16;

  __m512i acc[NP][NZ > 0 ? NZ : 1];
  __m256i acch[NP];
#pragma GCC unroll 4
  for (int z = 0; z < NZ; ++z) {
    const __m512i b = _mm512_loadu_si512(bias + 16 * z);
#pragma GCC unroll 24
    for (int p = 0; p < NP; ++p) acc[p][z] = b;
  }
  if constexpr (H) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + 16 * NZ));
#pragma GCC unroll 24
    for (int p = 0; p < NP; ++p) acch[p] = b;
  }

  for (int ky = 0; ky < a.kernel; ++ky) {
    for (int kx = 0; kx < a.kernel; ++kx) {
      const int8_t* src = base + static_cast<ptrdiff_t>(ky) * a.in_row_stride +
                          static_cast<ptrdiff_t>(kx) * a.in_pixel_stride;
      for (int j = 0; j < a.k_steps; ++j, src += 4, w += kStepBytes) {
        __m512i wz[NZ > 0 ? NZ : 1];
#pragma GCC unroll 4
        for (int z = 0; z < NZ; ++z) wz[z] = _mm512_load_si512(w + z * s.tile_bytes);
        __m256i wh;
        if constexpr (H)
          wh = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + NZ * s.tile_bytes));
#pragma GCC unroll 24
        for (int p = 0; p < NP; ++p) {
          const __m512i x = _mm512_set1_epi32(Load32(src + p * pstep));
#pragma GCC unroll 4
          for (int z = 0; z < NZ; ++z) acc[p][z] = _mm512_dpbusd_epi32(acc[p][z], x, wz[z]);
          if constexpr (H) acch[p] = _mm256_dpbusd_epi32(acch[p], _mm512_castsi512_si256(x), wh);
        }
      }
    }
  }

  if (a.out8 != nullptr) {
    const __m512 lo_f = _mm512_set1_ps(a.relu ? 0.0f : -128.0f), hi_f = _mm512_set1_ps(200.0f);
    const __m512 near_half = _mm512_set1_ps(kNearHalf);
    int8_t* dst = a.out8 + static_cast<ptrdiff_t>(oy) * a.out_row_stride +
                  static_cast<ptrdiff_t>(ox) * a.out_pixel_stride + s.tile0 * 16;
#pragma GCC unroll 4
    for (int z = 0; z < NZ; ++z) {
      const __m512 scale = _mm512_loadu_ps(a.scale + (s.tile0 + z) * 16);
#pragma GCC unroll 24
      for (int p = 0; p < NP; ++p) {
        const __m512i q = RequantizeFast16(acc[p][z], scale, lo_f, hi_f, near_half, s.rq[z]);
        int8_t* d = dst + p * a.out_pixel_stride + 16 * z;
        if (s.keep[z] == 0xffff)  // a plain store: a masked one costs a little more on Zen 4
          _mm_storeu_si128(reinterpret_cast<__m128i*>(d), _mm512_cvtsepi32_epi8(q));
        else
          _mm_mask_storeu_epi8(d, s.keep[z], _mm512_cvtsepi32_epi8(q));
      }
    }
    if constexpr (H) {
      const __m512 scale = _mm512_loadu_ps(a.scale + (s.tile0 + NZ) * 16);
#pragma GCC unroll 24
      for (int p = 0; p < NP; ++p) {
        const __m512i q = RequantizeFast16(_mm512_zextsi256_si512(acch[p]), scale, lo_f, hi_f,
                                           near_half, s.rq[NZ]);
        int8_t* d = dst + p * a.out_pixel_stride + 16 * NZ;
        if (s.keep[NZ] == 0xff)
          _mm_storel_epi64(reinterpret_cast<__m128i*>(d), _mm512_cvtsepi32_epi8(q));
        else
          _mm_mask_storeu_epi8(d, s.keep[NZ], _mm512_cvtsepi32_epi8(q));
      }
    }
  } else {  // the int32 head: [pixel][oc_blocks * 8]
    const int stride32 = a.oc_blocks * 8;
    int32_t* dst = a.out32 + (static_cast<size_t>(oy) * a.out_w + ox) * stride32 + s.tile0 * 16;
#pragma GCC unroll 24
    for (int p = 0; p < NP; ++p) {
#pragma GCC unroll 4
      for (int z = 0; z < NZ; ++z)
        _mm512_mask_storeu_epi32(dst + p * stride32 + 16 * z, s.keep[z], acc[p][z]);
      if constexpr (H)
        _mm256_mask_storeu_epi32(dst + p * stride32 + 16 * NZ, static_cast<__mmask8>(s.keep[NZ]),
                                 acch[p]);
    }
  }
}

// One row of one pass: tiles of NP pixels, then one-pixel tiles for the rest.
template <int NZ, int H, int NP>
MB_VNNI void RowNP(const ConvArgs& a, const Pass& s, int oy) {
  int ox = 0;
  for (; ox + NP <= a.out_w; ox += NP) Tile<NZ, H, NP>(a, s, oy, ox);
  for (; ox < a.out_w; ++ox) Tile<NZ, H, 1>(a, s, oy, ox);
}

// Picks NP for R = NZ + H registers per pixel: the first candidate that
// divides the row, else the first.
template <int NZ, int H>
MB_VNNI void Row(const ConvArgs& a, const Pass& s, int oy) {
  constexpr int R = NZ + H;
  const int w = a.out_w;
  if constexpr (R == 1) {
    if (w % 20 == 0) return RowNP<NZ, H, 20>(a, s, oy);
    if (w % 16 == 0) return RowNP<NZ, H, 16>(a, s, oy);
    if (w % 10 == 0) return RowNP<NZ, H, 10>(a, s, oy);
    if (w % 8 == 0) return RowNP<NZ, H, 8>(a, s, oy);
    if (w % 5 == 0) return RowNP<NZ, H, 5>(a, s, oy);
    return RowNP<NZ, H, 16>(a, s, oy);
  } else if constexpr (R == 2) {
    if (w % 10 == 0) return RowNP<NZ, H, 10>(a, s, oy);
    if (w % 8 == 0) return RowNP<NZ, H, 8>(a, s, oy);
    if (w % 5 == 0) return RowNP<NZ, H, 5>(a, s, oy);
    return RowNP<NZ, H, 10>(a, s, oy);
  } else if constexpr (R == 3) {
    if (w % 8 == 0) return RowNP<NZ, H, 8>(a, s, oy);
    if (w % 5 == 0) return RowNP<NZ, H, 5>(a, s, oy);
    if (w % 4 == 0) return RowNP<NZ, H, 4>(a, s, oy);
    return RowNP<NZ, H, 8>(a, s, oy);
  } else {
    static_assert(R == 4, "at most four registers per pixel");
    if (w % 5 == 0) return RowNP<NZ, H, 5>(a, s, oy);
    if (w % 4 == 0) return RowNP<NZ, H, 4>(a, s, oy);
    return RowNP<NZ, H, 5>(a, s, oy);
  }
}

using RowFn = void (*)(const ConvArgs&, const Pass&, int);

// The row function for nz full zmm and h ymm (nz + h in 1..4).
RowFn RowFor(int nz, int h) {
  switch (nz * 2 + h) {
    case 1:
      return Row<0, 1>;
    case 2:
      return Row<1, 0>;
    case 3:
      return Row<1, 1>;
    case 4:
      return Row<2, 0>;
    case 5:
      return Row<2, 1>;
    case 6:
      return Row<3, 0>;
    case 7:
      return Row<3, 1>;
    default:
      return Row<4, 0>;
  }
}

}  // namespace

MB_VNNI void RequantizeVnni(const int32_t* acc, int n, const int32_t* multiplier,
                            const int32_t* shift, const float* scale, bool relu, int8_t* out) {
  const __m512 lo_f = _mm512_set1_ps(relu ? 0.0f : -128.0f), hi_f = _mm512_set1_ps(200.0f);
  const __m512 near_half = _mm512_set1_ps(kNearHalf);
  for (int i = 0; i < n; i += 16) {
    const Requant16 rq = MakeRequant16(multiplier + i, shift + i, relu);
    const __m512i q = RequantizeFast16(_mm512_loadu_si512(acc + i), _mm512_loadu_ps(scale + i),
                                       lo_f, hi_f, near_half, rq);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm512_cvtsepi32_epi8(q));
  }
}

MB_VNNI void ConvRowsVnni(const ConvArgs& a, int row_begin, int row_end) {
  // Passes over a row: four zmm at a time, then what is left (a ymm for a
  // last 1-8 channels, a masked zmm for a last 9-15).
  const int tiles = (a.cout + 15) / 16;
  const size_t tile_bytes = static_cast<size_t>(a.kernel) * a.kernel * a.k_steps * kStepBytes;
  const int stored = a.out8 != nullptr ? a.cout : a.oc_blocks * 8;  // the head stores its padding
  Requant16 rq[4];
  for (int t0 = 0; t0 < tiles; t0 += 4) {
    const int left = a.cout - 16 * t0;
    int nz = tiles - t0 < 4 ? tiles - t0 : 4, h = 0;
    if (nz < 4 && left % 16 != 0 && left % 16 <= 8) {
      --nz;
      h = 1;
    }
    Pass s;
    s.tile0 = t0;
    s.tile_bytes = tile_bytes;
    s.rq = rq;
    for (int z = 0; z < nz + h; ++z) {
      const int c = 16 * (t0 + z);
      const int valid = stored - c < 16 ? stored - c : 16;
      s.keep[z] = static_cast<__mmask16>((1u << valid) - 1);
      rq[z] = MakeRequant16(a.multiplier + c, a.shift + c, a.relu);
    }
    const RowFn row = RowFor(nz, h);
    for (int oy = row_begin; oy < row_end; ++oy) row(a, s, oy);
  }
}

}  // namespace maskbench::int8_fast::internal

#else  // not x86: the engine never selects this

namespace maskbench::int8_fast::internal {
void ConvRowsVnni(const ConvArgs& a, int b, int e) { ConvRowsScalar(a, b, e); }
void RequantizeVnni(const int32_t*, int, const int32_t*, const int32_t*, const float*, bool,
                    int8_t*) {}
}  // namespace maskbench::int8_fast::internal

#endif
