// The 16-bit-product convolution (conv1d_i16.c) with AVX-512 VNNI: one vpdpwssd takes 16
// columns × an input channel pair against a broadcast weight pair and adds into the int32
// sums, 32 multiply-adds per instruction (the float kernel's 512-bit FMA does 16). A
// register tile (conv1d_i16_tiles.h) is 8 output channels × 32 columns (16 accumulators), in
// chunks of 128 columns. Same exact sums as every level, so the same bits.
#include "voice_kernels.h"
#include "conv1d_i16_levels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define INLINE static inline __attribute__((always_inline))

// The canonical end of the first `count` (1..16) of 16 columns: out = base + (float)acc · s.
INLINE AVX512 void end16(float *out, __m512i acc, float s, float b, long count, int accumulate) {
    const __mmask16 m = count >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << count) - 1u);
    const __m512 bv = _mm512_set1_ps(b);
    const __m512 base = accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(m, out), bv) : bv;
    _mm512_mask_storeu_ps(out, m, _mm512_add_ps(base, _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_set1_ps(s))));
}

#define I16_TARGET AVX512
#define I16_NAME pv_conv1d_i16_avx512
#define I16_ROWS 8
#define I16_LANES 16
#define I16_CHUNK 128
#define I16_VEC __m512i
#define I16_ZERO() _mm512_setzero_si512()
#define I16_LOAD(p) _mm512_loadu_si512((const void *)(p))
#define I16_SET1(v) _mm512_set1_epi32(v)
#define I16_NV 2
#define I16_MADD(acc, w, x) _mm512_dpwssd_epi32(acc, w, x)
#define I16_END end16
#define I16_RAW_NAME pv_conv1d_i16_raw_avx512
#define I16_STORE(p, acc) _mm512_storeu_si512((void *)(p), acc)
#include "conv1d_i16_tiles.h"
#endif
