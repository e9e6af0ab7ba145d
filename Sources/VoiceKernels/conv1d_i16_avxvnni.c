// The 16-bit-product convolution (conv1d_i16.c) at the AVX-VNNI level: vpdpwssd (VEX) does
// madd and add in one instruction, 16 multiply-adds; measured on Zen 5, one thread:
// 104.6 → 121.4 GMAC/s (64→64 k5) against AVX2's madd + add. Same tiles as AVX2
// (conv1d_i16_tiles.h), same exact sums, so the same bits. A CPU without the VEX form
// (AVX-512 VNNI only, forced to this level) runs the AVX2 kernel.
#include "voice_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdatomic.h>

#define VNNI __attribute__((target("avxvnni,avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

void pv_conv1d_i16_avxvnni(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k, int dil,
                           const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate);
int pv_has_avxvnni(void);

// 1: the CPU has the VEX form of dpwssd (AVX-VNNI). Decided once; any thread may ask.
int pv_has_avxvnni(void) {
    static _Atomic int known = -1;
    int v = atomic_load_explicit(&known, memory_order_relaxed);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avxvnni") ? 1 : 0;
        atomic_store_explicit(&known, v, memory_order_relaxed);
    }
    return v;
}

// The canonical end of the first `count` (1..8) of 8 columns, as conv1d_i16_avx2.c's.
INLINE VNNI void end8_vnni(float *out, __m256i acc, float s, float b, long count, int accumulate) {
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count > 8 ? 8 : count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256 bv = _mm256_set1_ps(b);
    const __m256 base = accumulate ? _mm256_add_ps(_mm256_maskload_ps(out, m), bv) : bv;
    _mm256_maskstore_ps(out, m, _mm256_add_ps(base, _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_set1_ps(s))));
}

#define I16_TARGET VNNI
#define I16_NAME pv_conv1d_i16_avxvnni
#define I16_ROWS 6
#define I16_LANES 8
#define I16_CHUNK 96
#define I16_VEC __m256i
#define I16_ZERO() _mm256_setzero_si256()
#define I16_LOAD(p) _mm256_loadu_si256((const __m256i *)(p))
#define I16_SET1(v) _mm256_set1_epi32(v)
#define I16_MADD(acc, w, x) _mm256_dpwssd_avx_epi32(acc, w, x)
#define I16_END end8_vnni
#include "conv1d_i16_tiles.h"
#endif
