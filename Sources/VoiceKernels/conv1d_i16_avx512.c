// The 16-bit-product convolution (conv1d_i16.c) with AVX-512 VNNI: one vpdpwssd takes 16
// columns × an input channel pair against a broadcast weight pair and adds into the int32
// sums, 32 multiply-adds per instruction (the float kernel's 512-bit FMA does 16). A
// register tile is 8 output channels × 32 columns (16 accumulators); columns go in chunks of
// 128 with the row blocks inside. Same exact sums as every level, so the same bits.
#include "voice_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define INLINE static inline __attribute__((always_inline))

enum { ROWS = 8, NV = 2, CHUNK = 128 };

void pv_conv1d_i16_avx512(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k, int dil,
                          const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate);

// Rows [0, rows) of y (≤ ROWS, from weight rows wb) on columns [t0, t0 + 32), of which the first
// `width` are stored.
INLINE AVX512 void tile(const int32_t *wb, const float *wscale, const float *bias, int rows, int cinp, int k, int dil,
                        const int16_t *xq, long ldq, float xscale, float *y, long ldy, long t0, long width, int accumulate) {
    __m512i acc[ROWS][NV];
    for (int r = 0; r < ROWS; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_si512();
    const long wstride = (long)cinp * k;
    const int32_t *wr[ROWS];   // rows past `rows` repeat the last real one (computed, never stored)
    for (int r = 0; r < ROWS; r++) wr[r] = wb + (r < rows ? r : rows - 1) * wstride;
    for (int cp = 0; cp < cinp; cp++) {
        const int16_t *xr = xq + ((long)cp * ldq + t0) * 2;
        for (int j = 0; j < k; j++) {
            __m512i xv[NV];
            for (int v = 0; v < NV; v++) xv[v] = _mm512_loadu_si512((const void *)(xr + 2 * ((long)j * dil + 16 * v)));
            const long o = (long)cp * k + j;
            for (int r = 0; r < ROWS; r++) {
                const __m512i wv = _mm512_set1_epi32(wr[r][o]);
                for (int v = 0; v < NV; v++) acc[r][v] = _mm512_dpwssd_epi32(acc[r][v], wv, xv[v]);
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        const __m512 s = _mm512_set1_ps(wscale[r] * xscale), b = _mm512_set1_ps(bias ? bias[r] : 0.0f);
        for (int v = 0; v < NV; v++) {
            const long left = width - 16 * v;
            if (left <= 0) break;
            const __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
            float *out = y + r * ldy + t0 + 16 * v;
            const __m512 base = accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(m, out), b) : b;
            _mm512_mask_storeu_ps(out, m, _mm512_add_ps(base, _mm512_mul_ps(_mm512_cvtepi32_ps(acc[r][v]), s)));
        }
    }
}

AVX512 void pv_conv1d_i16_avx512(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k, int dil,
                                 const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate) {
    const int blocks = (cout + ROWS - 1) / ROWS;
    for (long c0 = 0; c0 < n; c0 += CHUNK) {
        const long c1 = c0 + CHUNK < n ? c0 + CHUNK : n;
        for (int b = 0; b < blocks; b++) {
            const int rows = cout - ROWS * b < ROWS ? cout - ROWS * b : ROWS;
            for (long t0 = c0; t0 < c1; t0 += 16 * NV)
                tile(wq + (size_t)ROWS * b * cinp * k, wscale + ROWS * b, bias ? bias + ROWS * b : 0, rows, cinp, k, dil, xq, ldq,
                     xscale, y + (long)ROWS * b * ldy, ldy, t0, c1 - t0 < 16 * NV ? c1 - t0 : 16 * NV, accumulate);
        }
    }
}
#endif
