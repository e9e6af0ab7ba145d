// The 16-bit-product convolution (conv1d_i16.c) with AVX2: madd takes 8 columns × an input
// channel pair against a broadcast weight pair, 16 multiply-adds per instruction where the
// float kernel's FMA does 8. A register tile is 6 output channels × 16 columns (12 int32
// accumulators); columns go in chunks of 96 with the row blocks inside, so a block's weights
// stay in L1 across the chunk. The window was zero-padded when quantized: no masked loads.
#include "voice_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

enum { ROWS = 6, NV = 2, CHUNK = 96 };

void pv_conv1d_i16_avx2(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k, int dil,
                        const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate);
float pv_absmax_avx2(const float *x, long ldx, int rows, long c0, long c1);
void pv_quantize_rows_avx2(const float *x, long ldx, int rows, long c0, long c1, float inv, int xmax, int16_t *xq,
                           long ldq);

// All-ones lanes for the first `count` (0..8) of 8 columns.
INLINE AVX2 __m256i first_lanes(long count) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count < 0 ? 0 : count > 8 ? 8 : count)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Rows [0, rows) of y (≤ ROWS, from weight rows wb) on columns [t0, t0 + 16), of which the first
// `width` are stored.
INLINE AVX2 void tile(const int32_t *wb, const float *wscale, const float *bias, int rows, int cinp, int k, int dil,
                      const int16_t *xq, long ldq, float xscale, float *y, long ldy, long t0, long width, int accumulate) {
    __m256i acc[ROWS][NV];
    for (int r = 0; r < ROWS; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_si256();
    const long wstride = (long)cinp * k;
    const int32_t *wr[ROWS];   // rows past `rows` repeat the last real one (computed, never stored)
    for (int r = 0; r < ROWS; r++) wr[r] = wb + (r < rows ? r : rows - 1) * wstride;
    for (int cp = 0; cp < cinp; cp++) {
        const int16_t *xr = xq + ((long)cp * ldq + t0) * 2;
        for (int j = 0; j < k; j++) {
            __m256i xv[NV];
            for (int v = 0; v < NV; v++) xv[v] = _mm256_loadu_si256((const __m256i *)(xr + 2 * ((long)j * dil + 8 * v)));
            const long o = (long)cp * k + j;
            for (int r = 0; r < ROWS; r++) {
                const __m256i wv = _mm256_set1_epi32(wr[r][o]);
                for (int v = 0; v < NV; v++) acc[r][v] = _mm256_add_epi32(acc[r][v], _mm256_madd_epi16(wv, xv[v]));
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        const __m256 s = _mm256_set1_ps(wscale[r] * xscale), b = _mm256_set1_ps(bias ? bias[r] : 0.0f);
        for (int v = 0; v < NV; v++) {
            const __m256i m = first_lanes(width - 8 * v);
            float *out = y + r * ldy + t0 + 8 * v;
            const __m256 base = accumulate ? _mm256_add_ps(_mm256_maskload_ps(out, m), b) : b;
            _mm256_maskstore_ps(out, m, _mm256_add_ps(base, _mm256_mul_ps(_mm256_cvtepi32_ps(acc[r][v]), s)));
        }
    }
}

AVX2 void pv_conv1d_i16_avx2(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k, int dil,
                             const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate) {
    const int blocks = (cout + ROWS - 1) / ROWS;
    for (long c0 = 0; c0 < n; c0 += CHUNK) {
        const long c1 = c0 + CHUNK < n ? c0 + CHUNK : n;
        for (int b = 0; b < blocks; b++) {
            const int rows = cout - ROWS * b < ROWS ? cout - ROWS * b : ROWS;
            for (long t0 = c0; t0 < c1; t0 += 8 * NV)
                tile(wq + (size_t)ROWS * b * cinp * k, wscale + ROWS * b, bias ? bias + ROWS * b : 0, rows, cinp, k, dil, xq, ldq,
                     xscale, y + (long)ROWS * b * ldy, ldy, t0, c1 - t0 < 8 * NV ? c1 - t0 : 8 * NV, accumulate);
        }
    }
}

AVX2 float pv_absmax_avx2(const float *x, long ldx, int rows, long c0, long c1) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    float tail = 0.0f;
    for (int r = 0; r < rows; r++) {
        const float *row = x + (long)r * ldx;
        long c = c0;
        for (; c + 8 <= c1; c += 8) m = _mm256_max_ps(_mm256_andnot_ps(sign, _mm256_loadu_ps(row + c)), m);   // NaN: keeps m
        for (; c < c1; c++) tail = __builtin_fabsf(row[c]) > tail ? __builtin_fabsf(row[c]) : tail;
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, m);
    for (int i = 0; i < 8; i++) tail = tail > lanes[i] ? tail : lanes[i];
    return tail;
}

// Rows r and r + 1 interleaved: column c of pair row r / 2 holds (x[r][c], x[r + 1][c]); an odd
// last row pairs with zeros. Rounding to nearest even (cvtps), as lrintf in the scalar path.
AVX2 void pv_quantize_rows_avx2(const float *x, long ldx, int rows, long c0, long c1, float inv, int xmax, int16_t *xq,
                                long ldq) {
    const __m256 scale = _mm256_set1_ps(inv);
    const __m256i hi = _mm256_set1_epi32(xmax), lo = _mm256_set1_epi32(-xmax);
    for (int r = 0; r < rows; r += 2) {
        const float *a = x + (long)r * ldx, *b = r + 1 < rows ? a + ldx : 0;
        int16_t *out = xq + (long)(r / 2) * ldq * 2;
        long c = c0;
        for (; c + 8 <= c1; c += 8) {
            __m256i qa = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(a + c), scale));
            __m256i qb = b ? _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(b + c), scale)) : _mm256_setzero_si256();
            qa = _mm256_max_epi32(_mm256_min_epi32(qa, hi), lo);
            qb = _mm256_max_epi32(_mm256_min_epi32(qb, hi), lo);
            // (a, b) pairs as 16-bit: b << 16 | a & 0xffff, 8 columns = 32 bytes
            const __m256i pair = _mm256_or_si256(_mm256_and_si256(qa, _mm256_set1_epi32(0xffff)), _mm256_slli_epi32(qb, 16));
            _mm256_storeu_si256((__m256i *)(out + 2 * (c - c0)), pair);
        }
        for (; c < c1; c++) {
            const float fa = a[c] * inv, fb = b ? b[c] * inv : 0.0f;
            int qa = _mm_cvtss_si32(_mm_set_ss(fa)), qb = _mm_cvtss_si32(_mm_set_ss(fb));
            qa = qa > xmax ? xmax : qa < -xmax ? -xmax : qa;
            qb = qb > xmax ? xmax : qb < -xmax ? -xmax : qb;
            out[2 * (c - c0)] = (int16_t)qa;
            out[2 * (c - c0) + 1] = (int16_t)qb;
        }
    }
}
#endif
