// AVX-512 helpers shared by the AVX-512 VNNI and AMX kernels (internal): the
// requantization of 16 int32 lanes, exact (reference::Requantize's steps in
// 512-bit form) and fast (float, with the exact form as its fallback).
// Functions carry target("avx2,avx512f,avx512bw,avx512vl") and are always
// inlined, so kernels compiled for any superset (VNNI, AMX) may call them.
#pragma once

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <cstdint>

#define MB_AVX512_INLINE \
  __attribute__((target("avx2,avx512f,avx512bw,avx512vl"), always_inline)) inline

namespace maskbench::int8_fast::internal::avx512 {

// Per 16 channels: reference::Requantize's constants. The clamp to 127 is left
// to the saturating narrowing store (vpmovsdb).
struct Requant16 {
  __m512i m_even, m_odd, n_even, n_odd, half_even, half_odd, lo;
};

MB_AVX512_INLINE Requant16 MakeRequant16(const int32_t* multiplier, const int32_t* shift,
                                         bool relu) {
  Requant16 r;
  const __m512i m = _mm512_loadu_si512(multiplier);
  const __m512i n = _mm512_add_epi32(_mm512_loadu_si512(shift), _mm512_set1_epi32(31));
  const __m512i one64 = _mm512_set1_epi64(1);
  r.m_even = m;
  r.m_odd = _mm512_srli_epi64(m, 32);
  r.n_even = _mm512_and_si512(n, _mm512_set1_epi64(0xffffffffLL));
  r.n_odd = _mm512_srli_epi64(n, 32);
  r.half_even = _mm512_sllv_epi64(one64, _mm512_sub_epi64(r.n_even, one64));
  r.half_odd = _mm512_sllv_epi64(one64, _mm512_sub_epi64(r.n_odd, one64));
  r.lo = _mm512_set1_epi32(relu ? 0 : -128);
  return r;
}

// round_half_away(acc * m / 2^n), at least lo, at most 128 (stored saturated to 127).
MB_AVX512_INLINE __m512i Requantize16(__m512i acc, const Requant16& r) {
  const __m512i a = _mm512_abs_epi32(acc);  // INT32_MIN -> 2^31 read as unsigned: still right
  __m512i pe = _mm512_mul_epu32(a, r.m_even);
  __m512i po = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), r.m_odd);
  pe = _mm512_srlv_epi64(_mm512_add_epi64(pe, r.half_even), r.n_even);
  po = _mm512_srlv_epi64(_mm512_add_epi64(po, r.half_odd), r.n_odd);
  const __m512i c128 = _mm512_set1_epi64(128);
  pe = _mm512_min_epu64(pe, c128);
  po = _mm512_min_epu64(po, c128);
  __m512i q = _mm512_or_si512(pe, _mm512_slli_epi64(po, 32));
  const __m512i zero = _mm512_setzero_si512();
  q = _mm512_mask_sub_epi32(q, _mm512_cmplt_epi32_mask(acc, zero), zero, q);
  return _mm512_max_epi32(q, r.lo);
}

// Requantization first in float: x = acc (bias included) x scale (scale =
// multiplier / 2^(31 + shift) rounded to float, AmxScale), clamped to [lo,
// 200]. Three roundings of 2^-24 each leave x within 3.6e-5 of the exact
// quotient for |x| <= 200, so x's nearest integer is the exact round-half-away
// result unless x lies within 1e-4 of a half; a vector with such a lane is
// requantized exactly in integers (Requantize16), about one vector in 300.
// Either way the bits are the reference's.
inline constexpr float kNearHalf = 0.5f - 1e-4f;

MB_AVX512_INLINE __m512i RequantizeFast16(__m512i acc, __m512 scale, __m512 lo_f, __m512 hi_f,
                                          __m512 near_half, const Requant16& rq) {
  __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), scale);
  x = _mm512_min_ps(_mm512_max_ps(x, lo_f), hi_f);
  const __m512 r = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 d = _mm512_abs_ps(_mm512_sub_ps(x, r));
  const __mmask16 unsure = _mm512_cmp_ps_mask(d, near_half, _CMP_GT_OQ);
  return unsure == 0 ? _mm512_cvtps_epi32(r) : Requantize16(acc, rq);
}

}  // namespace maskbench::int8_fast::internal::avx512

#endif
