// The voice's reduced-precision convolution (voice_kernels.h, "16-bit products"): weights
// quantized once per output channel, the input window once per call, exact int32 sums of
// int16 products, then one float multiply and one add per output. The sums are exact, so
// every level (scalar here, AVX2 and AVX-VNNI in conv1d_i16_avx2.c, AVX-512 VNNI in
// conv1d_i16_avx512.c) gives the same bits, for any split of the columns
// between threads.
#include <math.h>
#include <string.h>
#include "kernels.h"
#include "voice_kernels.h"
#include "conv1d_i16_levels.h"

enum { WMAX = 2047 };   // weights to 12 bits: the activations keep 12 to 15 (PV_I16 bound)

int pv_quantize_weights_i16(const float *w, int cout, int cin, int k, int32_t *wq, float *wscale) {
    if (cout <= 0 || cin <= 0 || k <= 0) return 0;
    const int cinp = (cin + 1) / 2;
    int64_t worst = 1;
    for (int co = 0; co < cout; co++) {
        const float *row = w + (size_t)co * cin * k;
        float m = 0.0f;
        for (long i = 0; i < (long)cin * k; i++) {
            if (!isfinite(row[i])) return 0;
            m = fmaxf(m, fabsf(row[i]));
        }
        const float scale = m > 0.0f ? m / WMAX : 0.0f, inv = m > 0.0f ? WMAX / m : 0.0f;
        wscale[co] = scale;
        int64_t l1 = 0;
        for (int cp = 0; cp < cinp; cp++)
            for (int j = 0; j < k; j++) {
                int16_t pair[2] = {0, 0};
                for (int h = 0; h < 2 && 2 * cp + h < cin; h++) {
                    long q = lrintf(row[(long)(2 * cp + h) * k + j] * inv);
                    q = q > WMAX ? WMAX : q < -WMAX ? -WMAX : q;
                    pair[h] = (int16_t)q;
                    l1 += q < 0 ? -q : q;
                }
                memcpy(&wq[((size_t)co * cinp + cp) * k + j], pair, 4);
            }
        if (l1 > worst) worst = l1;
    }
    // |Σ w·x| ≤ l1 · xmax < 2^31 for every output: the int32 sums cannot overflow
    const int64_t xmax = ((int64_t)1 << 31) / (worst + 1);
    return xmax > 32767 ? 32767 : (int)xmax;
}

static inline float act(float v, float slope) { return v < 0.0f ? v * slope : v; }

static float absmax_scalar(const float *x, long ldx, int rows, long c0, long c1, float slope) {
    float m = 0.0f;
    for (int r = 0; r < rows; r++)
        for (long c = c0; c < c1; c++) m = fmaxf(m, fabsf(act(x[(long)r * ldx + c], slope)));
    return m;
}

static void quantize_rows_scalar(const float *x, long ldx, int rows, long c0, long c1, float inv, int xmax, float slope,
                                 int16_t *xq, long ldq) {
    for (int r = 0; r < rows; r++)
        for (long c = c0; c < c1; c++) {
            long q = lrintf(act(x[(long)r * ldx + c], slope) * inv);
            q = q > xmax ? xmax : q < -xmax ? -xmax : q;
            xq[((long)(r / 2) * ldq + (c - c0)) * 2 + r % 2] = (int16_t)q;
        }
}

float pv_absmax_i16_input(const float *x, long ldx, int rows, long c0, long c1, float slope) {
    if (rows <= 0 || c1 <= c0) return 0.0f;
#if defined(__x86_64__)
    if (pk_cpu_level() >= PK_CPU_AVX2) return pv_absmax_avx2(x, ldx, rows, c0, c1, slope);
#endif
    return absmax_scalar(x, ldx, rows, c0, c1, slope);
}

void pv_quantize_window_pairs_i16(const float *x, long ldx, int cin, int p0, int p1, long x0, long xlo, long xhi, long cols,
                                  int xmax, float m, float slope, int16_t *xq, long ldq) {
    const int cinp = (cin + 1) / 2;
    p0 = p0 < 0 ? 0 : p0;
    p1 = p1 > cinp ? cinp : p1;
    if (p1 <= p0) return;
    int16_t *first = xq + (size_t)2 * p0 * ldq;
    const long c0 = x0 > xlo ? x0 : xlo, c1 = x0 + cols < xhi ? x0 + cols : xhi;
    if (c1 <= c0 || xmax <= 0 || !(m > 0.0f) || !isfinite(m)) {   // silence (or a broken signal): all zeros
        memset(first, 0, sizeof(int16_t) * 2 * (size_t)(p1 - p0) * (size_t)ldq);
        return;
    }
    // only the padding columns need zeros: the quantizer writes [c0, c1) of every pair row
    for (int p = p0; p < p1; p++) {
        int16_t *row = xq + (size_t)2 * p * ldq;
        memset(row, 0, sizeof(int16_t) * 2 * (size_t)(c0 - x0));
        memset(row + 2 * (c1 - x0), 0, sizeof(int16_t) * 2 * (size_t)(ldq - (c1 - x0)));
    }
    const float inv = (float)xmax / m;
    const float *rows = x + (long)2 * p0 * ldx;
    const int count = (2 * p1 < cin ? 2 * p1 : cin) - 2 * p0;
    int16_t *at = first + 2 * (c0 - x0);   // column c0 of the window
#if defined(__x86_64__)
    if (pk_cpu_level() >= PK_CPU_AVX2) {
        pv_quantize_rows_avx2(rows, ldx, count, c0, c1, inv, xmax, slope, at, ldq);
        return;
    }
#endif
    quantize_rows_scalar(rows, ldx, count, c0, c1, inv, xmax, slope, at, ldq);
}

// S = Σ_{c, j} wq[c, j] · xq[c, t + j·dil] of one output row (wrow: (cinp, k) pair words) at column t.
static int32_t pair_sums(const int32_t *wrow, int cinp, int k, int dil, const int16_t *xq, long ldq, long t) {
    int32_t acc = 0;
    for (int cp = 0; cp < cinp; cp++)
        for (int j = 0; j < k; j++) {
            int16_t w[2];
            memcpy(w, &wrow[(size_t)cp * k + j], 4);
            const int16_t *xv = xq + ((long)cp * ldq + t + (long)j * dil) * 2;
            acc += (int32_t)w[0] * xv[0] + (int32_t)w[1] * xv[1];
        }
    return acc;
}

static void conv1d_i16_scalar(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k,
                              int dil, const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n,
                              int accumulate) {
    for (int co = 0; co < cout; co++) {
        const float b = bias ? bias[co] : 0.0f, s = wscale[co] * xscale;
        float *yr = y + (long)co * ldy;
        for (long t = 0; t < n; t++) {
            const int32_t acc = pair_sums(wq + (size_t)co * cinp * k, cinp, k, dil, xq, ldq, t);
            const float base = accumulate ? yr[t] + b : b;
            yr[t] = base + (float)acc * s;
        }
    }
}

void pv_conv1d_i16(const int32_t *wq, const float *wscale, const float *bias, int cout, int cin, int k, int dil,
                   const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate) {
    if (cout <= 0 || cin <= 0 || k <= 0 || n <= 0) return;
    const int cinp = (cin + 1) / 2;
#if defined(__x86_64__)
    if (pk_cpu_level() == PK_CPU_AVX512VNNI) {
        pv_conv1d_i16_avx512(wq, wscale, bias, cout, cinp, k, dil, xq, ldq, xscale, y, ldy, n, accumulate);
        return;
    }
    if (pk_cpu_level() == PK_CPU_AVXVNNI && pk_cpu_has_avxvnni()) {   // else AVX2's: the same sums
        pv_conv1d_i16_avxvnni(wq, wscale, bias, cout, cinp, k, dil, xq, ldq, xscale, y, ldy, n, accumulate);
        return;
    }
    if (pk_cpu_level() >= PK_CPU_AVX2) {
        pv_conv1d_i16_avx2(wq, wscale, bias, cout, cinp, k, dil, xq, ldq, xscale, y, ldy, n, accumulate);
        return;
    }
#endif
    conv1d_i16_scalar(wq, wscale, bias, cout, cinp, k, dil, xq, ldq, xscale, y, ldy, n, accumulate);
}

void pv_conv1d_i16_raw(const int32_t *wq, int cout, int cinp, int k, int dil, const int16_t *xq, long ldq, int32_t *out, long ldo,
                       long n) {
    if (cout <= 0 || cinp <= 0 || k <= 0 || n <= 0) return;
#if defined(__x86_64__)
    const int level = pk_cpu_level();
    if (level == PK_CPU_AVX512VNNI) {
        pv_conv1d_i16_raw_avx512(wq, cout, cinp, k, dil, xq, ldq, out, ldo, n);
        return;
    }
    if (level >= PK_CPU_AVX2) {
        pv_conv1d_i16_raw_avx2(level == PK_CPU_AVXVNNI && pk_cpu_has_avxvnni(), wq, cout, cinp, k, dil, xq, ldq, out, ldo, n);
        return;
    }
#endif
    for (int co = 0; co < cout; co++)
        for (long t = 0; t < n; t++) out[(long)co * ldo + t] = pair_sums(wq + (size_t)co * cinp * k, cinp, k, dil, xq, ldq, t);
}

static int32_t pair_sum(int32_t a, int32_t b) {
    int16_t x[2], y[2];
    memcpy(x, &a, 4);
    memcpy(y, &b, 4);
    x[0] = (int16_t)(x[0] + y[0]);
    x[1] = (int16_t)(x[1] + y[1]);
    memcpy(&a, x, 4);
    return a;
}

void pv_pair_weights_i16(const int32_t *wq, int cout, int cin, int k, int32_t *even, int32_t *odd, int32_t *sum) {
    const int cinp = (cin + 1) / 2, k0 = (k + 1) / 2, k1 = k / 2;
    for (long row = 0; row < (long)cout * cinp; row++) {
        const int32_t *w = wq + row * k;
        for (int i = 0; i < k0; i++) {
            even[row * k0 + i] = w[2 * i];
            sum[row * k0 + i] = 2 * i + 1 < k ? pair_sum(w[2 * i], w[2 * i + 1]) : w[2 * i];
        }
        for (int i = 0; i < k1; i++) odd[row * k1 + i] = w[2 * i + 1];
    }
}

void pv_conv1d_i16_paired(const int32_t *wq, const int32_t *even, const int32_t *odd, const int32_t *sum, const float *wscale,
                          const float *bias, int cout, int cin, int k, int dil, const int16_t *xq, long ldq, long xcols,
                          float xscale, float *y, long ldy, long n, int accumulate, void *scratch, long scratch_bytes) {
    if (cout <= 0 || cin <= 0 || k <= 0 || n <= 0) return;
#if defined(__x86_64__)
    // AVX-512's direct tiles outrun these (its window dealing and combining are 256-bit)
    const int level = pk_cpu_level();
    if ((level == PK_CPU_AVX2 || level == PK_CPU_AVXVNNI) &&
        pv_conv1d_i16_paired_avx2(level == PK_CPU_AVXVNNI && pk_cpu_has_avxvnni(), even, odd, sum, wscale, bias, cout,
                                  (cin + 1) / 2, k, dil, xq, ldq, xcols, xscale, y, ldy, n, accumulate, scratch, scratch_bytes))
        return;
#else
    (void)even; (void)odd; (void)sum; (void)xcols; (void)scratch; (void)scratch_bytes;
#endif
    pv_conv1d_i16(wq, wscale, bias, cout, cin, k, dil, xq, ldq, xscale, y, ldy, n, accumulate);
}
