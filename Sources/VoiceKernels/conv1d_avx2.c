// Direct 1-D convolution, AVX2 + FMA, in conv1d.c's order of operations per output.
// A register tile is 6 output channels × NV·8 time columns (NV ≤ 2: 12 accumulators,
// 2 input vectors and a broadcast weight leave a ymm register spare, so nothing
// spills); for every (input channel, tap) it loads NV vectors of the input row once
// and multiplies them by 6 broadcast weights, one from each of 6 weight rows.
// Columns go in chunks of 96 with the row blocks inside, so a block's weights stay in
// L1 across the chunk's tiles. A block of one or two rows (HiFi-GAN's conv_post: 32 → 1)
// runs each row as a 1 × 32-column tile instead of computing six rows for one. Tiles whose inputs cross [xlo, xhi) load with masks
// (zeros outside); all others load plainly. Measured on Zen 1 (one thread): 20 GMAC/s
// on HiFi-GAN's shapes, where im2col + OpenBLAS sgemm gave 19.
#include "voice_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

enum { ROWS = 6, MAX_NV = 2, ROW_NV = 4, CHUNK = 96, MAX_EDGE_TAPS = 16 };

void pv_conv1d_avx2(const float *w, const float *bias, int cout, int cin, int k, int dil,
                    const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long n, int accumulate);

// All-ones lanes for the 8 columns starting at c that lie in [lo, hi).
INLINE AVX2 __m256i lanes(long c, long lo, long hi) {
    const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    long a = lo - c, b = hi - c;
    a = a < 0 ? 0 : a > 8 ? 8 : a;
    b = b < 0 ? 0 : b > 8 ? 8 : b;
    const __m256i geA = _mm256_cmpgt_epi32(index, _mm256_set1_epi32((int)a - 1));
    const __m256i ltB = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)b), index);
    return _mm256_and_si256(geA, ltB);
}

// One tile: `rows` (≤ ROWS) rows of y from weight rows wb, columns [t0, t0 + 8·nv), the
// last vector limited by `tail`. `pointwise` (k == 1) drops the tap loop.
INLINE AVX2 void tile(const int nv, const int edge, const int pointwise, const float *wb, const float *bias, int rows,
                      int cin, int k, int dil, const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy,
                      long t0, __m256i tail, int accumulate) {
    const __m256i all = _mm256_set1_epi32(-1);
    __m256 acc[ROWS][MAX_NV];
    for (int r = 0; r < ROWS; r++) {
        for (int v = 0; v < nv; v++) {
            const __m256i m = v == nv - 1 ? tail : all;
            const __m256 b = _mm256_set1_ps(r < rows && bias ? bias[r] : 0.0f);
            acc[r][v] = r < rows && accumulate ? _mm256_add_ps(_mm256_maskload_ps(y + r * ldy + t0 + 8 * v, m), b) : b;
        }
    }
    // Weight row r streams along (ci, j); rows past `rows` repeat the last real one (computed, never stored).
    const long wstride = (long)cin * k;
    const float *wr[ROWS];
    for (int r = 0; r < ROWS; r++) wr[r] = wb + (r < rows ? r : rows - 1) * wstride;
    const int taps = pointwise ? 1 : k;
    // An edge tile's masks depend on the tap only: made once here, not per input channel.
    __m256i mask[MAX_EDGE_TAPS][MAX_NV];
    if (edge)
        for (int j = 0; j < taps && j < MAX_EDGE_TAPS; j++)
            for (int v = 0; v < nv; v++) mask[j][v] = lanes(x0 + t0 + (long)j * dil + 8 * v, xlo, xhi);
    for (int ci = 0; ci < cin; ci++) {
        const float *xr = x + ci * ldx + x0 + t0;
        for (int j = 0; j < taps; j++) {
            __m256 xv[MAX_NV];
            for (int v = 0; v < nv; v++) {
                if (edge) {
                    const __m256i m = j < MAX_EDGE_TAPS ? mask[j][v] : lanes(x0 + t0 + (long)j * dil + 8 * v, xlo, xhi);
                    xv[v] = _mm256_maskload_ps(xr + j * dil + 8 * v, m);
                } else {
                    xv[v] = _mm256_loadu_ps(xr + j * dil + 8 * v);
                }
            }
            const long o = (long)ci * taps + j;
            for (int r = 0; r < ROWS; r++) {
                const __m256 wv = _mm256_broadcast_ss(wr[r] + o);
                for (int v = 0; v < nv; v++) acc[r][v] = _mm256_fmadd_ps(wv, xv[v], acc[r][v]);
            }
        }
    }
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < nv; v++) {
            const __m256i m = v == nv - 1 ? tail : all;
            _mm256_maskstore_ps(y + r * ldy + t0 + 8 * v, m, acc[r][v]);
        }
}

// The tile for a run-time (nv, edge, pointwise), each combination compiled on its own.
INLINE AVX2 void tile_any(int nv, int edge, int pointwise, const float *wb, const float *bias, int rows, int cin, int k,
                          int dil, const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long t0,
                          __m256i tail, int accumulate) {
#define TILE(NV, E, P) tile(NV, E, P, wb, bias, rows, cin, k, dil, x, ldx, x0, xlo, xhi, y, ldy, t0, tail, accumulate)
    if (pointwise) {
        if (edge) { if (nv == 2) TILE(2, 1, 1); else TILE(1, 1, 1); }
        else { if (nv == 2) TILE(2, 0, 1); else TILE(1, 0, 1); }
    } else {
        if (edge) { if (nv == 2) TILE(2, 1, 0); else TILE(1, 1, 0); }
        else { if (nv == 2) TILE(2, 0, 0); else TILE(1, 0, 0); }
    }
#undef TILE
}

// One row of y from weight row wr, columns [t0, t0 + 8·nv) (nv ≤ ROW_NV), the last vector limited
// by `tail`: tile()'s sums for a single row, in their own (smaller) registers.
INLINE AVX2 void row_tile(const int nv, const int edge, const float *wr, const float *bias, int cin, int k, int dil,
                          const float *x, long ldx, long x0, long xlo, long xhi, float *y, long t0, __m256i tail, int accumulate) {
    const __m256i all = _mm256_set1_epi32(-1);
    const __m256 b = _mm256_set1_ps(bias ? bias[0] : 0.0f);
    __m256 acc[ROW_NV];
    for (int v = 0; v < nv; v++) {
        const __m256i m = v == nv - 1 ? tail : all;
        acc[v] = accumulate ? _mm256_add_ps(_mm256_maskload_ps(y + t0 + 8 * v, m), b) : b;
    }
    for (int ci = 0; ci < cin; ci++) {
        const float *xr = x + ci * ldx + x0 + t0;
        for (int j = 0; j < k; j++) {
            const __m256 wv = _mm256_broadcast_ss(wr + (long)ci * k + j);
            for (int v = 0; v < nv; v++) {
                const __m256 xv = edge ? _mm256_maskload_ps(xr + j * dil + 8 * v, lanes(x0 + t0 + (long)j * dil + 8 * v, xlo, xhi))
                                       : _mm256_loadu_ps(xr + j * dil + 8 * v);
                acc[v] = _mm256_fmadd_ps(wv, xv, acc[v]);
            }
        }
    }
    for (int v = 0; v < nv; v++) _mm256_maskstore_ps(y + t0 + 8 * v, v == nv - 1 ? tail : all, acc[v]);
}

// The next tile from column t0 of [.., c1): nv (≤ max_nv) vectors, the last one's lanes in *tail,
// *edge when its inputs leave [xlo, xhi) (sentence ends, window edges: masked loads only there).
INLINE AVX2 int next_tile(long t0, long c1, int max_nv, long x0, long xlo, long xhi, long span, __m256i *tail, int *edge) {
    const long left = c1 - t0;
    const int nv = left >= 8L * max_nv ? max_nv : (int)((left + 7) / 8);
    const long width = 8L * nv;
    *tail = lanes(0, 0, left >= width ? 8 : left - (width - 8));
    *edge = x0 + t0 < xlo || x0 + t0 + width + span > xhi;
    return nv;
}

// Row wr of y on columns [c0, c1), in 1-row tiles.
static AVX2 void one_row(const float *wr, const float *bias, int cin, int k, int dil, const float *x, long ldx, long x0, long xlo,
                         long xhi, float *y, long c0, long c1, int accumulate) {
    const long span = (long)(k - 1) * dil;
    for (long t0 = c0; t0 < c1;) {
        __m256i tail;
        int edge;
        const int nv = next_tile(t0, c1, ROW_NV, x0, xlo, xhi, span, &tail, &edge);
#define TILE(NV, E) row_tile(NV, E, wr, bias, cin, k, dil, x, ldx, x0, xlo, xhi, y, t0, tail, accumulate)
        if (edge) { if (nv == 4) TILE(4, 1); else if (nv == 3) TILE(3, 1); else if (nv == 2) TILE(2, 1); else TILE(1, 1); }
        else { if (nv == 4) TILE(4, 0); else if (nv == 3) TILE(3, 0); else if (nv == 2) TILE(2, 0); else TILE(1, 0); }
#undef TILE
        t0 += 8L * nv;
    }
}

AVX2 void pv_conv1d_avx2(const float *w, const float *bias, int cout, int cin, int k, int dil,
                         const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long n, int accumulate) {
    // A last block of one or two rows goes row by row, after the others.
    const int last = cout % ROWS, blocks = cout / ROWS + (last > 2);
    const long span = (long)(k - 1) * dil;
    if (last >= 1 && last <= 2)
        for (int r = cout - last; r < cout; r++)
            one_row(w + (size_t)r * cin * k, bias ? bias + r : 0, cin, k, dil, x, ldx, x0, xlo, xhi, y + (long)r * ldy, 0, n, accumulate);
    for (long c0 = 0; c0 < n; c0 += CHUNK) {
        const long c1 = c0 + CHUNK < n ? c0 + CHUNK : n;
        for (int b = 0; b < blocks; b++) {
            const int rows = cout - ROWS * b < ROWS ? cout - ROWS * b : ROWS;
            const float *wb = w + (size_t)ROWS * b * cin * k;
            const float *bb = bias ? bias + ROWS * b : 0;
            float *yb = y + (long)ROWS * b * ldy;
            for (long t0 = c0; t0 < c1;) {
                __m256i tail;
                int edge;
                const int nv = next_tile(t0, c1, MAX_NV, x0, xlo, xhi, span, &tail, &edge);
                tile_any(nv, edge, k == 1, wb, bb, rows, cin, k, dil, x, ldx, x0, xlo, xhi, yb, ldy, t0, tail, accumulate);
                t0 += 8L * nv;
            }
        }
    }
}
#endif
