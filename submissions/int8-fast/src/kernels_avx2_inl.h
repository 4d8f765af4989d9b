// AVX2 helpers of the AVX2 kernels (internal): the
// requantization epilogue, exactly reference::Requantize in vector form, and
// the byte store. Functions carry target("avx2") and are always inlined, so
// they may be called from kernels compiled for AVX2 or any superset of it.
#pragma once

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#define MB_AVX2 __attribute__((target("avx2")))
#define MB_AVX2_INLINE __attribute__((target("avx2"), always_inline)) inline

namespace maskbench::int8_fast::internal::avx2 {

struct Requant {  // per block of 8 channels
  __m256i m_even, m_odd, n_even, n_odd, half_even, half_odd, lo;
};

MB_AVX2_INLINE Requant MakeRequant(const int32_t* multiplier, const int32_t* shift, bool relu) {
  Requant r;
  const __m256i m = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(multiplier));
  const __m256i n = _mm256_add_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(shift)),
                                     _mm256_set1_epi32(31));
  const __m256i low32 = _mm256_set1_epi64x(0xffffffffLL);
  const __m256i one64 = _mm256_set1_epi64x(1);
  r.m_even = m;
  r.m_odd = _mm256_srli_epi64(m, 32);
  r.n_even = _mm256_and_si256(n, low32);
  r.n_odd = _mm256_srli_epi64(n, 32);
  r.half_even = _mm256_sllv_epi64(one64, _mm256_sub_epi64(r.n_even, one64));
  r.half_odd = _mm256_sllv_epi64(one64, _mm256_sub_epi64(r.n_odd, one64));
  r.lo = _mm256_set1_epi32(relu ? 0 : -128);
  return r;
}

// round_half_away(acc * m / 2^n) clamped to [lo, 127], as 8 int32 lanes.
MB_AVX2_INLINE __m256i Requantize8(__m256i acc, const Requant& r) {
  const __m256i a = _mm256_abs_epi32(acc);  // INT32_MIN -> 2^31 read as unsigned: still right
  __m256i pe = _mm256_mul_epu32(a, r.m_even);
  __m256i po = _mm256_mul_epu32(_mm256_srli_epi64(a, 32), r.m_odd);
  pe = _mm256_srlv_epi64(_mm256_add_epi64(pe, r.half_even), r.n_even);
  po = _mm256_srlv_epi64(_mm256_add_epi64(po, r.half_odd), r.n_odd);
  const __m256i c128 = _mm256_set1_epi64x(128);
  pe = _mm256_blendv_epi8(pe, c128, _mm256_cmpgt_epi64(pe, c128));
  po = _mm256_blendv_epi8(po, c128, _mm256_cmpgt_epi64(po, c128));
  __m256i q = _mm256_or_si256(pe, _mm256_slli_epi64(po, 32));
  q = _mm256_sign_epi32(q, acc);
  q = _mm256_max_epi32(q, r.lo);
  return _mm256_min_epi32(q, _mm256_set1_epi32(127));
}

// 8 int32 lanes in [-128, 127] -> 8 bytes at `dst` (only `n` <= 8 of them written).
MB_AVX2_INLINE void Store8(int8_t* dst, __m256i q, int n) {
  const __m256i p16 = _mm256_packs_epi32(q, q);
  const __m256i p8 = _mm256_packs_epi16(p16, p16);
  const __m128i r = _mm_unpacklo_epi32(_mm256_castsi256_si128(p8), _mm256_extracti128_si256(p8, 1));
  if (n == 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst), r);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), r);
    std::memcpy(dst, tmp, static_cast<size_t>(n));
  }
}

MB_AVX2_INLINE int32_t Load32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

}  // namespace maskbench::int8_fast::internal::avx2

#endif
