// Direct 1-D convolution, AVX-512F, in conv1d.c's order of operations per output.
// A register tile is 8 output channels × NV·16 time columns (NV ≤ 3: 24 accumulators); for every (input channel, tap)
// it loads NV vectors of the input row once and multiplies them by 8
// broadcast weights, one from each of 8 weight rows read front to back.
// Tiles whose inputs cross [xlo, xhi) load with masks (zeros outside); all
// others load plainly. A block of one or two rows (HiFi-GAN's conv_post: 32 → 1) runs each
// row as a 1 × 64-column tile instead of computing eight rows for one.
#include "voice_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))
#define INLINE static inline __attribute__((always_inline))

enum { MAX_EDGE_TAPS = 16 };

void pv_conv1d_avx512(const float *w, const float *bias, int cout, int cin, int k, int dil,
                      const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long n, int accumulate);

// Lanes of the 16 columns starting at c that lie in [lo, hi).
INLINE __mmask16 lanes(long c, long lo, long hi) {
    long a = lo - c, b = hi - c;
    a = a < 0 ? 0 : a > 16 ? 16 : a;
    b = b < 0 ? 0 : b > 16 ? 16 : b;
    if (b <= a) return 0;
    return (__mmask16)(((1u << b) - 1u) & ~((1u << a) - 1u));
}

// One tile: `rows` (≤ R: 8 with nv ≤ 3, or 1 with nv ≤ 4) rows of y from weight rows wb, columns
// [t0, t0 + 16·nv), the last vector masked by `tail`.
INLINE AVX512 void tile(const int R, const int nv, const int edge, const float *wb, const float *bias, int rows, int cin, int k, int dil,
                        const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long t0, __mmask16 tail,
                        int accumulate) {
    __m512 acc[8][4];
    for (int r = 0; r < R; r++) {
        for (int v = 0; v < nv; v++) {
            const __mmask16 m = v == nv - 1 ? tail : (__mmask16)0xFFFF;
            const __m512 b = _mm512_set1_ps(r < rows && bias ? bias[r] : 0.0f);
            acc[r][v] = r < rows && accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(m, y + r * ldy + t0 + 16 * v), b) : b;
        }
    }
    // Weight row r streams along (ci, j); rows past `rows` repeat the last real one (computed, never stored).
    const long wstride = (long)cin * k;
    const float *w[8];
    for (int r = 0; r < R; r++) w[r] = wb + (r < rows ? r : rows - 1) * wstride;
    // An edge tile's masks depend on the tap only: made once here, not per input channel.
    __mmask16 mask[MAX_EDGE_TAPS][4];
    if (edge)
        for (int j = 0; j < k && j < MAX_EDGE_TAPS; j++)
            for (int v = 0; v < nv; v++) mask[j][v] = lanes(x0 + t0 + (long)j * dil + 16 * v, xlo, xhi);
    for (int ci = 0; ci < cin; ci++) {
        const float *xr = x + ci * ldx + x0 + t0;
        for (int j = 0; j < k; j++) {
            __m512 xv[4];
            for (int v = 0; v < nv; v++) {
                if (edge) {
                    const __mmask16 m = j < MAX_EDGE_TAPS ? mask[j][v] : lanes(x0 + t0 + (long)j * dil + 16 * v, xlo, xhi);
                    xv[v] = _mm512_maskz_loadu_ps(m, xr + j * dil + 16 * v);
                } else {
                    xv[v] = _mm512_loadu_ps(xr + j * dil + 16 * v);
                }
            }
            const long o = (long)ci * k + j;
            for (int r = 0; r < R; r++) {
                const __m512 wv = _mm512_set1_ps(w[r][o]);
                for (int v = 0; v < nv; v++) acc[r][v] = _mm512_fmadd_ps(wv, xv[v], acc[r][v]);
            }
        }
    }
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < nv; v++) {
            const __mmask16 m = v == nv - 1 ? tail : (__mmask16)0xFFFF;
            _mm512_mask_storeu_ps(y + r * ldy + t0 + 16 * v, m, acc[r][v]);
        }
}

// Row r of y alone, in 1 × 64-column tiles.
static AVX512 void one_row(const float *wr, const float *bias, int cin, int k, int dil, const float *x, long ldx, long x0,
                           long xlo, long xhi, float *yr, long ldy, long n, int accumulate) {
    const long span = (long)(k - 1) * dil;
    for (long t0 = 0; t0 < n;) {
        const long left = n - t0;
        const int nv = left >= 64 ? 4 : (int)((left + 15) / 16);
        const long width = 16L * nv;
        const __mmask16 tail = left >= width ? (__mmask16)0xFFFF : (__mmask16)((1u << (left - (width - 16))) - 1u);
        const int edge = x0 + t0 < xlo || x0 + t0 + width + span > xhi;
#define TILE(NV, E) tile(1, NV, E, wr, bias, 1, cin, k, dil, x, ldx, x0, xlo, xhi, yr, ldy, t0, tail, accumulate)
        if (edge) { if (nv == 4) TILE(4, 1); else if (nv == 3) TILE(3, 1); else if (nv == 2) TILE(2, 1); else TILE(1, 1); }
        else { if (nv == 4) TILE(4, 0); else if (nv == 3) TILE(3, 0); else if (nv == 2) TILE(2, 0); else TILE(1, 0); }
#undef TILE
        t0 += width;
    }
}

AVX512 void pv_conv1d_avx512(const float *w, const float *bias, int cout, int cin, int k, int dil,
                      const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long n, int accumulate) {
    if (cout <= 2) {
        for (int r = 0; r < cout; r++)
            one_row(w + (size_t)r * cin * k, bias ? bias + r : 0, cin, k, dil, x, ldx, x0, xlo, xhi, y + (long)r * ldy, ldy, n,
                    accumulate);
        return;
    }
    const int blocks = (cout + 7) / 8;
    const long span = (long)(k - 1) * dil;
    long t0 = 0;
    while (t0 < n) {
        const long left = n - t0;
        const int nv = left >= 48 ? 3 : (int)((left + 15) / 16);
        const long width = 16L * nv;
        const __mmask16 tail = left >= width ? (__mmask16)0xFFFF : (__mmask16)((1u << (left - (width - 16))) - 1u);
        // Masked loads only where the tile's inputs leave [xlo, xhi) (sentence ends, window edges).
        const int edge = x0 + t0 < xlo || x0 + t0 + width + span > xhi;
        for (int b = 0; b < blocks; b++) {
            const int rows = cout - 8 * b < 8 ? cout - 8 * b : 8;
            const float *wb = w + (size_t)8 * b * cin * k;
            const float *bb = bias ? bias + 8 * b : 0;
            float *yb = y + (long)8 * b * ldy;
            if (edge) {
                if (nv == 3) tile(8, 3, 1, wb, bb, rows, cin, k, dil, x, ldx, x0, xlo, xhi, yb, ldy, t0, tail, accumulate);
                else if (nv == 2) tile(8, 2, 1, wb, bb, rows, cin, k, dil, x, ldx, x0, xlo, xhi, yb, ldy, t0, tail, accumulate);
                else tile(8, 1, 1, wb, bb, rows, cin, k, dil, x, ldx, x0, xlo, xhi, yb, ldy, t0, tail, accumulate);
            } else {
                if (nv == 3) tile(8, 3, 0, wb, bb, rows, cin, k, dil, x, ldx, x0, xlo, xhi, yb, ldy, t0, tail, accumulate);
                else if (nv == 2) tile(8, 2, 0, wb, bb, rows, cin, k, dil, x, ldx, x0, xlo, xhi, yb, ldy, t0, tail, accumulate);
                else tile(8, 1, 0, wb, bb, rows, cin, k, dil, x, ldx, x0, xlo, xhi, yb, ldy, t0, tail, accumulate);
            }
        }
        t0 += width;
    }
}

#endif
