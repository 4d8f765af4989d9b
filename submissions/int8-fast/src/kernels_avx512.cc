// AVX-512 VNNI convolution kernels. Every function here carries
// __attribute__((target(...avx512vnni...))), so this file is compiled for the
// baseline x86-64 target and the engine calls these only after
// __builtin_cpu_supports("avx512vnni") (with avx512f/bw/vl).
//
// The same packed weights and the same implicit GEMM as the AVX2 kernels
// (kernels_avx2.cc), with two differences:
//   - one instruction per step: vpdpbusd (u8 x s8 quads summed into int32) and
//     vpdpwssd (s16 x s16 pairs summed into int32). Both accumulate exactly in
//     int32 (no int16 intermediate, no saturation), so results are bit-exact
//     with the AVX2 and scalar paths and the reference;
//   - 512-bit accumulators: one zmm holds two blocks of 8 output channels (the
//     two blocks' 32-byte weight steps loaded into its halves), and 32 vector
//     registers allow a tile of 8 pixels x 4 blocks (16 accumulators).
// A block left over (an odd count) uses the 256-bit forms (AVX-512 VL).
// The epilogue is the AVX2 requantization on each 256-bit half.
#include <immintrin.h>

#include <cstddef>
#include <type_traits>

#include "kernels.h"
#include "kernels_avx2_inl.h"

#if defined(__x86_64__) || defined(__i386__)

// GCC 12's inserti64x4/extracti64x4 intrinsics pass an _mm512_undefined /
// _mm256_undefined source that -Wmaybe-uninitialized reports inside the header.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#define MB_VNNI __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni")))
#define MB_VNNI_INLINE \
  __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512vnni"), always_inline)) inline

namespace maskbench::int8_fast::internal {
namespace {

using avx2::Load32;
using avx2::MakeRequant;
using avx2::Requant;
using avx2::Requantize8;
using avx2::Store8;

// One tile: NP pixels from output (oy, ox) x NB blocks of 8 channels from `ocb`.
// NB is 1 (one ymm per pixel) or even (NB / 2 zmm per pixel).
template <bool kSigned, int NP, int NB>
MB_VNNI void Tile(const ConvArgs& a, int oy, int ox, int ocb, const Requant* rq) {
  using Elem = std::conditional_t<kSigned, int16_t, int8_t>;
  constexpr int kLanes = kSigned ? 2 : 4;  // input channels per step
  constexpr int kStepElems = 32 / sizeof(Elem);
  const Elem* in =
      kSigned ? reinterpret_cast<const Elem*>(a.in16) : reinterpret_cast<const Elem*>(a.in8);
  const Elem* w0 = static_cast<const Elem*>(a.packed);
  const int taps = a.kernel * a.kernel;
  const size_t block_elems = static_cast<size_t>(taps) * a.k_steps * kStepElems;
  const Elem* wb = w0 + static_cast<size_t>(ocb) * block_elems;

  const Elem* px[NP];
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p)
    px[p] = in + static_cast<ptrdiff_t>(oy * a.stride + a.offset) * a.in_row_stride +
            static_cast<ptrdiff_t>((ox + p) * a.stride + a.offset) * a.in_pixel_stride;

  if constexpr (NB == 1) {
    __m256i acc[NP];
    const __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bias + ocb * 8));
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) acc[p] = bias;
    const Elem* w = wb;
    for (int ky = 0; ky < a.kernel; ++ky) {
      for (int kx = 0; kx < a.kernel; ++kx) {
        const ptrdiff_t tap_off = static_cast<ptrdiff_t>(ky) * a.in_row_stride +
                                  static_cast<ptrdiff_t>(kx) * a.in_pixel_stride;
        for (int j = 0; j < a.k_steps; ++j) {
          const __m256i wv =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + j * kStepElems));
#pragma GCC unroll 8
          for (int p = 0; p < NP; ++p) {
            const __m256i x = _mm256_set1_epi32(Load32(px[p] + tap_off + j * kLanes));
            if constexpr (kSigned)
              acc[p] = _mm256_dpwssd_epi32(acc[p], x, wv);
            else
              acc[p] = _mm256_dpbusd_epi32(acc[p], x, wv);
          }
        }
        w += static_cast<size_t>(a.k_steps) * kStepElems;
      }
    }
    if (a.out8 != nullptr) {
      const int n = a.cout - ocb * 8 < 8 ? a.cout - ocb * 8 : 8;
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p)
        Store8(a.out8 + static_cast<ptrdiff_t>(oy) * a.out_row_stride +
                   static_cast<ptrdiff_t>(ox + p) * a.out_pixel_stride + ocb * 8,
               Requantize8(acc[p], rq[0]), n);
    } else {
      const int stride32 = a.oc_blocks * 8;
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p)
        _mm256_storeu_si256(
            reinterpret_cast<__m256i*>(
                a.out32 + (static_cast<size_t>(oy) * a.out_w + ox + p) * stride32 + ocb * 8),
            acc[p]);
    }
  } else {
    static_assert(NB % 2 == 0, "NB is 1 or even");
    constexpr int NZ = NB / 2;
    __m512i acc[NP][NZ];
#pragma GCC unroll 8
    for (int z = 0; z < NZ; ++z) {
      const __m512i bias = _mm512_loadu_si512(a.bias + (ocb + 2 * z) * 8);
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) acc[p][z] = bias;
    }
    const Elem* w = wb;
    for (int ky = 0; ky < a.kernel; ++ky) {
      for (int kx = 0; kx < a.kernel; ++kx) {
        const ptrdiff_t tap_off = static_cast<ptrdiff_t>(ky) * a.in_row_stride +
                                  static_cast<ptrdiff_t>(kx) * a.in_pixel_stride;
        for (int j = 0; j < a.k_steps; ++j) {
          __m512i wv[NZ];
#pragma GCC unroll 8
          for (int z = 0; z < NZ; ++z) {
            const Elem* lo = w + (2 * z) * block_elems + j * kStepElems;
            wv[z] = _mm512_inserti64x4(
                _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(lo))),
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lo + block_elems)), 1);
          }
#pragma GCC unroll 8
          for (int p = 0; p < NP; ++p) {
            const __m512i x = _mm512_set1_epi32(Load32(px[p] + tap_off + j * kLanes));
#pragma GCC unroll 8
            for (int z = 0; z < NZ; ++z) {
              if constexpr (kSigned)
                acc[p][z] = _mm512_dpwssd_epi32(acc[p][z], x, wv[z]);
              else
                acc[p][z] = _mm512_dpbusd_epi32(acc[p][z], x, wv[z]);
            }
          }
        }
        w += static_cast<size_t>(a.k_steps) * kStepElems;
      }
    }
#pragma GCC unroll 8
    for (int z = 0; z < NZ; ++z) {
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        const int block = ocb + 2 * z + h;
        if (a.out8 != nullptr) {
          const int n = a.cout - block * 8 < 8 ? a.cout - block * 8 : 8;
#pragma GCC unroll 8
          for (int p = 0; p < NP; ++p) {
            const __m256i half = h == 0 ? _mm512_castsi512_si256(acc[p][z])
                                        : _mm512_extracti64x4_epi64(acc[p][z], 1);
            Store8(a.out8 + static_cast<ptrdiff_t>(oy) * a.out_row_stride +
                       static_cast<ptrdiff_t>(ox + p) * a.out_pixel_stride + block * 8,
                   Requantize8(half, rq[2 * z + h]), n);
          }
        }
      }
      if (a.out8 == nullptr) {
        const int stride32 = a.oc_blocks * 8;
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p)
          _mm512_storeu_si512(
              a.out32 + (static_cast<size_t>(oy) * a.out_w + ox + p) * stride32 + (ocb + 2 * z) * 8,
              acc[p][z]);
      }
    }
  }
}

template <bool kSigned, int NB, int NP>
MB_VNNI void RowBlocks(const ConvArgs& a, int oy, int ocb) {
  Requant rq[NB];
  for (int b = 0; b < NB; ++b)
    rq[b] = MakeRequant(a.multiplier + (ocb + b) * 8, a.shift + (ocb + b) * 8, a.relu);
  int ox = 0;
  for (; ox + NP <= a.out_w; ox += NP) Tile<kSigned, NP, NB>(a, oy, ox, ocb, rq);
  // The rest of the row, one pixel count at a time (at most NP - 1 pixels).
  const int rest = a.out_w - ox;
  if constexpr (NP > 4) {
    if (rest >= 4) {
      Tile<kSigned, 4, NB>(a, oy, ox, ocb, rq);
      ox += 4;
    }
  }
  switch (a.out_w - ox) {
    case 1:
      Tile<kSigned, 1, NB>(a, oy, ox, ocb, rq);
      break;
    case 2:
      Tile<kSigned, 2, NB>(a, oy, ox, ocb, rq);
      break;
    case 3:
      Tile<kSigned, 3, NB>(a, oy, ox, ocb, rq);
      break;
    default:
      break;
  }
  (void)rest;
}

template <bool kSigned>
MB_VNNI void ConvRows(const ConvArgs& a, int row_begin, int row_end) {
  for (int oy = row_begin; oy < row_end; ++oy) {
    int ocb = 0;
    for (; ocb + 4 <= a.oc_blocks; ocb += 4) RowBlocks<kSigned, 4, 8>(a, oy, ocb);
    if (ocb + 2 <= a.oc_blocks) {
      RowBlocks<kSigned, 2, 8>(a, oy, ocb);
      ocb += 2;
    }
    if (ocb < a.oc_blocks) RowBlocks<kSigned, 1, 8>(a, oy, ocb);
  }
}

}  // namespace

MB_VNNI void ConvRowsU8Avx512Vnni(const ConvArgs& a, int row_begin, int row_end) {
  ConvRows<false>(a, row_begin, row_end);
}

MB_VNNI void ConvRowsS16Avx512Vnni(const ConvArgs& a, int row_begin, int row_end) {
  ConvRows<true>(a, row_begin, row_end);
}

}  // namespace maskbench::int8_fast::internal

#else  // not x86: the engine never selects these

namespace maskbench::int8_fast::internal {
void ConvRowsU8Avx512Vnni(const ConvArgs& a, int b, int e) { ConvRowsScalar(a, b, e); }
void ConvRowsS16Avx512Vnni(const ConvArgs& a, int b, int e) { ConvRowsScalar(a, b, e); }
}  // namespace maskbench::int8_fast::internal

#endif
