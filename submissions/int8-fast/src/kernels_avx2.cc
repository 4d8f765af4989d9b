// AVX2 convolution kernels. Every function here carries
// __attribute__((target("avx2"))), so this file is compiled for the baseline
// x86-64 target and the engine calls these only after
// __builtin_cpu_supports("avx2").
//
// Micro-kernel: a tile of NP output pixels x NB blocks of 8 output channels
// lives in NP*NB ymm int32 accumulators. For each tap and each 4-channel step
// (u8) or 2-channel step (s16), the NB weight vectors ([8 oc][4 ic] int8 or
// [8 oc][2 ic] int16) are loaded once and each pixel's 4 (2) input channels are
// broadcast to all lanes:
//   u8:  vpmaddubsw(x_u8, w_s8) -> 16 int16 pair sums (|.| <= 2*127*127, no
//        saturation because ReLU'd inputs are <= 127), vpmaddwd(., 1) -> 8 int32;
//   s16: vpmaddwd(x_s16, w_s16) -> 8 int32.
// The epilogue requantizes exactly like reference::Requantize (64-bit products,
// round half away from zero) in vector form and stores 8 int8 per pixel/block.
#include <immintrin.h>

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "kernels.h"
#include "kernels_avx2_inl.h"

#if defined(__x86_64__) || defined(__i386__)

namespace maskbench::int8_fast::internal {
namespace {

using avx2::Load32;
using avx2::MakeRequant;
using avx2::Requant;
using avx2::Requantize8;
using avx2::Store8;

// One tile: NP pixels starting at output (oy, ox) x NB channel blocks from `ocb`.
template <bool kSigned, int NP, int NB>
MB_AVX2 void Tile(const ConvArgs& a, int oy, int ox, int ocb, const Requant* rq) {
  using Elem = std::conditional_t<kSigned, int16_t, int8_t>;
  constexpr int kLanes = kSigned ? 2 : 4;  // input channels per step
  const Elem* in =
      kSigned ? reinterpret_cast<const Elem*>(a.in16) : reinterpret_cast<const Elem*>(a.in8);
  const Elem* w0 = static_cast<const Elem*>(a.packed);
  const int taps = a.kernel * a.kernel;
  const size_t block_elems = static_cast<size_t>(taps) * a.k_steps * 32 / sizeof(Elem);
  const Elem* wb = w0 + static_cast<size_t>(ocb) * block_elems;

  __m256i acc[NP][NB];
#pragma GCC unroll 8
  for (int b = 0; b < NB; ++b) {
    const __m256i bias =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bias + (ocb + b) * 8));
#pragma GCC unroll 8
    for (int p = 0; p < NP; ++p) acc[p][b] = bias;
  }
  const __m256i ones16 = _mm256_set1_epi16(1);
  const Elem* px[NP];
#pragma GCC unroll 8
  for (int p = 0; p < NP; ++p)
    px[p] = in + static_cast<ptrdiff_t>(oy * a.stride + a.offset) * a.in_row_stride +
            static_cast<ptrdiff_t>((ox + p) * a.stride + a.offset) * a.in_pixel_stride;

  const Elem* w = wb;
  for (int ky = 0; ky < a.kernel; ++ky) {
    for (int kx = 0; kx < a.kernel; ++kx) {
      const ptrdiff_t tap_off = static_cast<ptrdiff_t>(ky) * a.in_row_stride +
                                static_cast<ptrdiff_t>(kx) * a.in_pixel_stride;
      for (int j = 0; j < a.k_steps; ++j) {
        __m256i wv[NB];
#pragma GCC unroll 8
        for (int b = 0; b < NB; ++b)
          wv[b] = _mm256_loadu_si256(
              reinterpret_cast<const __m256i*>(w + b * block_elems + j * (32 / sizeof(Elem))));
#pragma GCC unroll 8
        for (int p = 0; p < NP; ++p) {
          const __m256i x = _mm256_set1_epi32(Load32(px[p] + tap_off + j * kLanes));
#pragma GCC unroll 8
          for (int b = 0; b < NB; ++b) {
            if constexpr (kSigned) {
              acc[p][b] = _mm256_add_epi32(acc[p][b], _mm256_madd_epi16(x, wv[b]));
            } else {
              acc[p][b] = _mm256_add_epi32(
                  acc[p][b], _mm256_madd_epi16(_mm256_maddubs_epi16(x, wv[b]), ones16));
            }
          }
        }
      }
      w += static_cast<size_t>(a.k_steps) * (32 / sizeof(Elem));
    }
  }

  // Epilogue.
#pragma GCC unroll 8
  for (int b = 0; b < NB; ++b) {
    const int block = ocb + b;
    if (a.out8 != nullptr) {
      const int n = a.cout - block * 8 < 8 ? a.cout - block * 8 : 8;
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p) {
        int8_t* dst = a.out8 + static_cast<ptrdiff_t>(oy) * a.out_row_stride +
                      static_cast<ptrdiff_t>(ox + p) * a.out_pixel_stride + block * 8;
        Store8(dst, Requantize8(acc[p][b], rq[b]), n);
      }
    } else {
      const int stride32 = a.oc_blocks * 8;
#pragma GCC unroll 8
      for (int p = 0; p < NP; ++p)
        _mm256_storeu_si256(
            reinterpret_cast<__m256i*>(
                a.out32 + (static_cast<size_t>(oy) * a.out_w + ox + p) * stride32 + block * 8),
            acc[p][b]);
    }
  }
}

template <bool kSigned, int NB>
MB_AVX2 void RowBlocks(const ConvArgs& a, int oy, int ocb) {
  Requant rq[NB];
  for (int b = 0; b < NB; ++b)
    rq[b] = MakeRequant(a.multiplier + (ocb + b) * 8, a.shift + (ocb + b) * 8, a.relu);
  constexpr int kNp = 4;
  int ox = 0;
  for (; ox + kNp <= a.out_w; ox += kNp) Tile<kSigned, kNp, NB>(a, oy, ox, ocb, rq);
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
}

template <bool kSigned>
MB_AVX2 void ConvRows(const ConvArgs& a, int row_begin, int row_end) {
  for (int oy = row_begin; oy < row_end; ++oy) {
    int ocb = 0;
    for (; ocb + 2 <= a.oc_blocks; ocb += 2) RowBlocks<kSigned, 2>(a, oy, ocb);
    if (ocb < a.oc_blocks) RowBlocks<kSigned, 1>(a, oy, ocb);
  }
}

}  // namespace

MB_AVX2 void ConvRowsU8Avx2(const ConvArgs& a, int row_begin, int row_end) {
  ConvRows<false>(a, row_begin, row_end);
}

MB_AVX2 void ConvRowsS16Avx2(const ConvArgs& a, int row_begin, int row_end) {
  ConvRows<true>(a, row_begin, row_end);
}

}  // namespace maskbench::int8_fast::internal

#else  // not x86: the engine never selects these

namespace maskbench::int8_fast::internal {
void ConvRowsU8Avx2(const ConvArgs& a, int b, int e) { ConvRowsScalar(a, b, e); }
void ConvRowsS16Avx2(const ConvArgs& a, int b, int e) { ConvRowsScalar(a, b, e); }
}  // namespace maskbench::int8_fast::internal

#endif
