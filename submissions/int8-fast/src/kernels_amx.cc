// AMX-INT8 convolution kernel. Every function here carries a target attribute
// with amx-tile and amx-int8, so this file is compiled for the baseline x86-64
// target; the engine calls it only after AmxAvailable() (CPUID and the
// kernel's tile permission, arch_prctl(ARCH_REQ_XCOMP_PERM)).
//
// Implicit GEMM on tiles, straight from the zero-bordered HWC tensor:
//   - A (tmm4, tmm5: two pixel tiles): M output pixels of one row (M =
//     min(16, out_w)) x kAmxChunk (32) bytes of input. Row p of A is read at
//     pixel (ox + p) * stride, so one tileloadd with a row stride of
//     stride * pixel_stride gathers the pixels. The 32 bytes are one "chunk"
//     of a group's contiguous span: with a tensor of its own (pixel_stride ==
//     cin) a group is one kernel row (kernel * cin bytes, the kx taps side by
//     side); in a concat's buffer it is one tap (cin bytes).
//   - B (tmm6, tmm7: two oc tiles): 16 output channels x the same 32 bytes,
//     packed at create as [oc tile][group][chunk][8 rows][16 oc][4 bytes];
//     weights for bytes past the span (the next pixel, another tensor's
//     channels) are zero, so whatever those bytes hold adds nothing.
//   - C (tmm0..tmm3): M pixels x 16 channels in int32.
// tdpbusd (u8 x s8) for ReLU'd inputs ([0, 127]), tdpbssd (s8 x s8) for a
// signed one (the network input). Both accumulate exactly in int32, so with
// the bias added before requantization the result is the reference's sum in
// another order: bit-exact. A row whose width is not a multiple of M ends
// with a tile that overlaps the previous one (the same values written twice).
// The epilogue stores C to a stack buffer and requantizes a tile row (16
// channels) at a time in AVX-512 (every AMX CPU has AVX-512 F/BW/VL); it runs
// in pieces between the next job's tile instructions (ConvRowsT), so the tile
// unit and the vector units overlap.
// Per-channel arrays (bias, multiplier, shift, scale) are padded to 16.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "kernels.h"
#include "kernels_avx512_inl.h"

#if defined(__x86_64__)

// GCC 12's 512-bit intrinsics pass an _mm512_undefined source that
// -Wmaybe-uninitialized reports inside the header.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MB_AMX __attribute__((target("avx2,avx512f,avx512bw,avx512vl,amx-tile,amx-int8")))
#define MB_AMX_INLINE \
  __attribute__((target("avx2,avx512f,avx512bw,avx512vl,amx-tile,amx-int8"), always_inline)) inline

namespace maskbench::int8_fast::internal {
namespace {

using avx512::kNearHalf;
using avx512::MakeRequant16;
using avx512::Requant16;
using avx512::Requantize16;
using avx512::RequantizeFast16;

struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// The tile instructions as inline assembly with a memory clobber, so the
// compiler neither reorders them around the stack buffer nor drops them.
MB_AMX inline void Release() { __asm__ volatile("tilerelease" ::: "memory"); }
MB_AMX inline void LoadConfig(const TileConfig* c) {
  __asm__ volatile("ldtilecfg %0" ::"m"(*c) : "memory");
}

#define MB_TILE_LOAD(t, base, stride)                                                          \
  __asm__ volatile("tileloadd (%0,%1,1), %%tmm" #t ::"r"(base), "r"(static_cast<long>(stride)) \
                   : "memory")
#define MB_TILE_STORE(t, base, stride)                                                             \
  __asm__ volatile("tilestored %%tmm" #t ", (%0,%1,1)" ::"r"(base), "r"(static_cast<long>(stride)) \
                   : "memory")
#define MB_TILE_ZERO(t) __asm__ volatile("tilezero %%tmm" #t ::: "memory")
// C += A . B; the operand order of AT&T syntax is B, A, C.
#define MB_TILE_DPBUSD(c, a, b) __asm__ volatile("tdpbusd %%tmm" #b ", %%tmm" #a ", %%tmm" #c ::)
#define MB_TILE_DPBSSD(c, a, b) __asm__ volatile("tdpbssd %%tmm" #b ", %%tmm" #a ", %%tmm" #c ::)

// Tiles: C[m][n] = tmm(2m + n), A[m] = tmm(4 + m), B[n] = tmm(6 + n), for
// m, n < 2. Tile registers are not renamed, so a block keeps every operand
// it needs in a register of its own: 2 pixel tiles x 2 oc tiles in flight.
template <int M, int N>
MB_AMX inline void ZeroC() {
  if constexpr (M == 0 && N == 0) MB_TILE_ZERO(0);
  if constexpr (M == 0 && N == 1) MB_TILE_ZERO(1);
  if constexpr (M == 1 && N == 0) MB_TILE_ZERO(2);
  if constexpr (M == 1 && N == 1) MB_TILE_ZERO(3);
}
template <int M, int N>
MB_AMX inline void StoreC(int32_t* c) {
  if constexpr (M == 0 && N == 0) MB_TILE_STORE(0, c, 64);
  if constexpr (M == 0 && N == 1) MB_TILE_STORE(1, c, 64);
  if constexpr (M == 1 && N == 0) MB_TILE_STORE(2, c, 64);
  if constexpr (M == 1 && N == 1) MB_TILE_STORE(3, c, 64);
}
template <int M>
MB_AMX inline void LoadA(const int8_t* p, long stride) {
  if constexpr (M == 0) MB_TILE_LOAD(4, p, stride);
  if constexpr (M == 1) MB_TILE_LOAD(5, p, stride);
}
template <int N>
MB_AMX inline void LoadB(const int8_t* p) {
  if constexpr (N == 0) MB_TILE_LOAD(6, p, 64);
  if constexpr (N == 1) MB_TILE_LOAD(7, p, 64);
}
template <bool kSigned, int M, int N>
MB_AMX inline void Dp() {
  if constexpr (kSigned) {
    if constexpr (M == 0 && N == 0) MB_TILE_DPBSSD(0, 4, 6);
    if constexpr (M == 0 && N == 1) MB_TILE_DPBSSD(1, 4, 7);
    if constexpr (M == 1 && N == 0) MB_TILE_DPBSSD(2, 5, 6);
    if constexpr (M == 1 && N == 1) MB_TILE_DPBSSD(3, 5, 7);
  } else {
    if constexpr (M == 0 && N == 0) MB_TILE_DPBUSD(0, 4, 6);
    if constexpr (M == 0 && N == 1) MB_TILE_DPBUSD(1, 4, 7);
    if constexpr (M == 1 && N == 0) MB_TILE_DPBUSD(2, 5, 6);
    if constexpr (M == 1 && N == 1) MB_TILE_DPBUSD(3, 5, 7);
  }
}

struct PixelTile {
  int oy, ox;
};

// Everything of one call that does not change from block to block.
struct Layout {
  int m = 0;                 // pixels per tile
  long a_stride = 0;         // bytes between A's rows (pixels)
  size_t oc_tile_bytes = 0;  // packed weights of one oc tile
  int groups_per_row = 1;
};

// One unit of tile work: `count` (1 or 2) pixel tiles x `nt` (1 or 2) oc tiles
// from oc tile n0.
struct Job {
  PixelTile px[2];
  int count = 0, n0 = 0, nt = 0;
};

// The C tiles of a job as stored: [pixel tile][oc tile][16 x 16] int32.
struct alignas(64) CBuffer {
  int32_t c[2][2][16 * 16];
};

// Zeroes C and issues A . B over the whole K of job `j` (MT x NT tiles).
template <bool kSigned, int MT, int NT, typename Between>
MB_AMX void Compute(const ConvArgs& a, const Layout& l, const Job& j, Between&& between) {
  const int8_t* base[MT];
  [&]<int... Ms>(std::integer_sequence<int, Ms...>) {
    ((base[Ms] = a.in8 +
                 static_cast<ptrdiff_t>(j.px[Ms].oy * a.stride + a.offset) * a.in_row_stride +
                 static_cast<ptrdiff_t>(j.px[Ms].ox * a.stride + a.offset) * a.in_pixel_stride),
     ...);
  }
  (std::make_integer_sequence<int, MT>{});
  constexpr auto ms = std::make_integer_sequence<int, MT>{};
  constexpr auto ns = std::make_integer_sequence<int, NT>{};
  [&]<int... Ms>(std::integer_sequence<int, Ms...>) {
    (
        [&]<int... Ns>(std::integer_sequence<int, Ns...>, auto mc) {
          (ZeroC<decltype(mc)::value, Ns>(), ...);
        }(ns, std::integral_constant<int, Ms>{}),
        ...);
  }
  (ms);
  const int8_t* w =
      static_cast<const int8_t*>(a.packed) + static_cast<size_t>(j.n0) * l.oc_tile_bytes;
  for (int g = 0; g < a.amx_groups; ++g) {
    const int ky = g / l.groups_per_row, kx = (g % l.groups_per_row) * a.amx_group_taps;
    const ptrdiff_t off = static_cast<ptrdiff_t>(ky) * a.in_row_stride +
                          static_cast<ptrdiff_t>(kx) * a.in_pixel_stride;
    for (int ch = 0; ch < a.amx_chunks; ++ch, w += kAmxBTileBytes) {
      [&]<int... Ms>(std::integer_sequence<int, Ms...>) {
        (LoadA<Ms>(base[Ms] + off + ch * kAmxChunk, l.a_stride), ...);
      }
      (ms);
      [&]<int... Ns>(std::integer_sequence<int, Ns...>) {
        (LoadB<Ns>(w + static_cast<size_t>(Ns) * l.oc_tile_bytes), ...);
      }
      (ns);
      [&]<int... Ms>(std::integer_sequence<int, Ms...>) {
        (
            [&]<int... Ns>(std::integer_sequence<int, Ns...>, auto mc) {
              (Dp<kSigned, decltype(mc)::value, Ns>(), ...);
            }(ns, std::integral_constant<int, Ms>{}),
            ...);
      }
      (ms);
      between(g * a.amx_chunks + ch + 1, a.amx_groups * a.amx_chunks);
    }
  }
}

// Stores the MT x NT C tiles of a job into `out`.
template <int MT, int NT>
MB_AMX void Store(CBuffer* out) {
  [&]<int... Ms>(std::integer_sequence<int, Ms...>) {
    (
        [&]<int... Ns>(std::integer_sequence<int, Ns...>, auto mc) {
          (StoreC<decltype(mc)::value, Ns>(out->c[decltype(mc)::value][Ns]), ...);
        }(std::make_integer_sequence<int, NT>{}, std::integral_constant<int, Ms>{}),
        ...);
  }
  (std::make_integer_sequence<int, MT>{});
}

// Epilogue of a stored job: bias, requantize (avx512::RequantizeFast16: in
// float, with an exact integer fallback near a half; or the int32 head), store:
// rows [u0, u1) of a stored job's C tiles, numbered tile by tile ((t, jn) in
// order, m rows each): so the epilogue can be issued in pieces between the
// next job's tile instructions (ConvRowsT).
MB_AMX void Epilogue(const ConvArgs& a, const Layout& l, const Job& j, const CBuffer& buf,
                     const Requant16* rq, int u0, int u1) {
  const __m512 lo_f = _mm512_set1_ps(a.relu ? 0.0f : -128.0f), hi_f = _mm512_set1_ps(200.0f);
  const __m512 near_half = _mm512_set1_ps(kNearHalf);
  while (u0 < u1) {
    const int tile = u0 / l.m, p0 = u0 % l.m;
    const int p1 = u1 - tile * l.m < l.m ? u1 - tile * l.m : l.m;
    u0 = tile * l.m + p1;
    const int t = tile / j.nt, jn = tile % j.nt;
    const int n = j.n0 + jn;
    const int32_t* cb = buf.c[t][jn];
    const __m512i bias = _mm512_loadu_si512(a.bias + n * 16);
    if (a.out8 != nullptr) {
      const int valid = a.cout - n * 16 < 16 ? a.cout - n * 16 : 16;
      const __mmask16 keep = static_cast<__mmask16>((1u << valid) - 1);
      const __m512 scale = _mm512_loadu_ps(a.scale + n * 16);
      int8_t* dst = a.out8 + static_cast<ptrdiff_t>(j.px[t].oy) * a.out_row_stride +
                    static_cast<ptrdiff_t>(j.px[t].ox) * a.out_pixel_stride + n * 16;
      const ptrdiff_t step = a.out_pixel_stride;
      for (int p = p0; p < p1; ++p) {
        const __m512i acc = _mm512_add_epi32(_mm512_load_si512(cb + p * 16), bias);
        const __m512i q = RequantizeFast16(acc, scale, lo_f, hi_f, near_half, rq[n]);
        _mm_mask_storeu_epi8(dst + p * step, keep, _mm512_cvtsepi32_epi8(q));
      }
    } else {  // the head: [pixel][oc_blocks * 8] int32
      const int stride32 = a.oc_blocks * 8;
      int32_t* dst =
          a.out32 + (static_cast<size_t>(j.px[t].oy) * a.out_w + j.px[t].ox) * stride32 + n * 16;
      const int valid = stride32 - n * 16 < 16 ? stride32 - n * 16 : 16;
      const __mmask16 keep = static_cast<__mmask16>((1u << valid) - 1);
      for (int p = p0; p < p1; ++p)
        _mm512_mask_storeu_epi32(dst + static_cast<size_t>(p) * stride32, keep,
                                 _mm512_add_epi32(_mm512_load_si512(cb + p * 16), bias));
    }
  }
}

template <bool kSigned, typename Between>
MB_AMX void ComputeJob(const ConvArgs& a, const Layout& l, const Job& j, Between&& between) {
  if (j.count == 2) {
    if (j.nt == 2)
      Compute<kSigned, 2, 2>(a, l, j, between);
    else
      Compute<kSigned, 2, 1>(a, l, j, between);
  } else {
    if (j.nt == 2)
      Compute<kSigned, 1, 2>(a, l, j, between);
    else
      Compute<kSigned, 1, 1>(a, l, j, between);
  }
}

MB_AMX void StoreJob(const Job& j, CBuffer* out) {
  if (j.count == 2) {
    if (j.nt == 2)
      Store<2, 2>(out);
    else
      Store<2, 1>(out);
  } else {
    if (j.nt == 2)
      Store<1, 2>(out);
    else
      Store<1, 1>(out);
  }
}

// Rows [row_begin, row_end): the rows' pixel tiles in pairs, each pair against
// the oc tiles two at a time. Software-pipelined: job k's tile products are
// issued before job k-1's epilogue runs (on the vector units, from the other
// half of a double buffer), and its C tiles are stored after that, so the
// tile unit and the vector units work at the same time.
template <bool kSigned>
MB_AMX void ConvRowsT(const ConvArgs& a, int row_begin, int row_end) {
  Layout l;
  l.m = a.out_w < 16 ? a.out_w : 16;
  l.a_stride = static_cast<long>(a.stride) * a.in_pixel_stride;
  l.oc_tile_bytes = static_cast<size_t>(a.amx_groups) * a.amx_chunks * kAmxBTileBytes;
  l.groups_per_row = a.kernel / a.amx_group_taps;
  TileConfig cfg;
  for (int t = 0; t < 6; ++t) {  // C: m rows of 16 int32; A: m rows of kAmxChunk bytes
    cfg.rows[t] = static_cast<uint8_t>(l.m);
    cfg.colsb[t] = t < 4 ? 64 : kAmxChunk;
  }
  cfg.rows[6] = cfg.rows[7] = kAmxChunk / 4;  // B: kAmxChunk / 4 rows of 16 oc x 4 bytes
  cfg.colsb[6] = cfg.colsb[7] = 64;
  LoadConfig(&cfg);

  const int oc_tiles = (a.cout + 15) / 16;
  Requant16 rq[4] = {};
  for (int n = 0; n < oc_tiles && n < 4; ++n)
    rq[n] = MakeRequant16(a.multiplier + n * 16, a.shift + n * 16, a.relu);

  CBuffer buf[2];
  Job prev;
  int slot = 0;
  auto submit = [&](const Job& j) {
    // The previous job's epilogue in pieces, one after each K step's tile
    // products, so that the tile unit and the vector units overlap.
    const int units = prev.count * prev.nt * l.m;
    ComputeJob<kSigned>(a, l, j, [&](int step, int steps) {
      if (prev.count > 0)
        Epilogue(a, l, prev, buf[slot ^ 1], rq, units * (step - 1) / steps, units * step / steps);
    });
    StoreJob(j, &buf[slot]);
    prev = j;
    slot ^= 1;
  };
  Job pair;
  auto flush_pair = [&] {
    for (int n0 = 0; n0 < oc_tiles; n0 += 2) {
      pair.n0 = n0;
      pair.nt = n0 + 1 < oc_tiles ? 2 : 1;
      submit(pair);
    }
    pair.count = 0;
  };
  for (int oy = row_begin; oy < row_end; ++oy) {
    for (int ox0 = 0; ox0 < a.out_w; ox0 += l.m) {
      const int ox = ox0 + l.m <= a.out_w ? ox0 : a.out_w - l.m;  // the overlapping last tile
      pair.px[pair.count++] = {oy, ox};
      if (pair.count == 2) flush_pair();
    }
  }
  if (pair.count > 0) flush_pair();
  if (prev.count > 0) Epilogue(a, l, prev, buf[slot ^ 1], rq, 0, prev.count * prev.nt * l.m);
  Release();  // (keeping the tiles from call to call measured no faster)
}

template <bool kSigned>
MB_AMX void ConvRowsAmxS(const ConvArgs& a, int row_begin, int row_end) {
  ConvRowsT<kSigned>(a, row_begin, row_end);
}

}  // namespace

bool AmxAvailable() {
  static const bool available = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
    const bool tile = (edx >> 24) & 1, int8 = (edx >> 25) & 1;
    if (!tile || !int8) return false;
    // The kernel enables the tile data state (XFEATURE_XTILEDATA, 18) for this
    // process only on request; without it the first tile instruction faults.
    constexpr long kReqXcompPerm = 0x1023, kXtileData = 18;
    return syscall(SYS_arch_prctl, kReqXcompPerm, kXtileData) == 0;
  }();
  return available;
}

MB_AMX void RequantizeAmx(const int32_t* acc, int n, const int32_t* multiplier,
                          const int32_t* shift, const float* scale, bool relu, int8_t* out) {
  const __m512 lo_f = _mm512_set1_ps(relu ? 0.0f : -128.0f), hi_f = _mm512_set1_ps(200.0f);
  const __m512 near_half = _mm512_set1_ps(kNearHalf);
  for (int i = 0; i + 16 <= n; i += 16) {
    const Requant16 rq = MakeRequant16(multiplier + i, shift + i, relu);
    const __m512i q = RequantizeFast16(_mm512_loadu_si512(acc + i), _mm512_loadu_ps(scale + i),
                                       lo_f, hi_f, near_half, rq);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm512_cvtsepi32_epi8(q));
  }
}

void ConvRowsAmx(const ConvArgs& a, bool signed_input, int row_begin, int row_end) {
  if (signed_input)
    ConvRowsAmxS<true>(a, row_begin, row_end);
  else
    ConvRowsAmxS<false>(a, row_begin, row_end);
}

}  // namespace maskbench::int8_fast::internal

#else  // not x86-64: the engine never selects this

namespace maskbench::int8_fast::internal {
bool AmxAvailable() { return false; }
void ConvRowsAmx(const ConvArgs& a, bool, int b, int e) { ConvRowsScalar(a, b, e); }
void RequantizeAmx(const int32_t*, int, const int32_t*, const int32_t*, const float*, bool,
                   int8_t*) {}
}  // namespace maskbench::int8_fast::internal

#endif
