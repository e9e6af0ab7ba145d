// The dense 1-D convolution: one entry point, the instruction set chosen per call
// from the engine's CPU level (Kernels' pk_cpu_level, so PARLEY_CPU_LEVEL and the
// tests' forced level reach the voice too).
//
// Every level computes each output the same way, so the audio is bit-identical
// across levels and across however the columns are split between threads:
//   acc = accumulate ? y + bias : bias
//   for ci in 0..<cin, for j in 0..<k: acc = fma(w[co, ci, j], x[ci, t + j·dil], acc)
// with zero-padding columns included as x = 0 (fma(w, 0, acc) keeps acc's sign rules
// identical to the masked SIMD loads).
#include <math.h>
#include "kernels.h"
#include "voice_kernels.h"

void pv_conv1d_avx512(const float *w, const float *bias, int cout, int cin, int k, int dil,
                      const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long n, int accumulate);
void pv_conv1d_avx2(const float *w, const float *bias, int cout, int cin, int k, int dil,
                    const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long n, int accumulate);

static void conv1d_scalar(const float *w, const float *bias, int cout, int cin, int k, int dil,
                          const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long n,
                          int accumulate) {
    for (int co = 0; co < cout; co++) {
        const float b = bias ? bias[co] : 0.0f;
        const float *wr = w + (long)co * cin * k;
        float *yr = y + (long)co * ldy;
        for (long t = 0; t < n; t++) {
            float acc = accumulate ? yr[t] + b : b;
            for (int ci = 0; ci < cin; ci++) {
                const float *xr = x + (long)ci * ldx;
                for (int j = 0; j < k; j++) {
                    const long c = x0 + t + (long)j * dil;
                    const float xv = c >= xlo && c < xhi ? xr[c] : 0.0f;
                    acc = fmaf(wr[(long)ci * k + j], xv, acc);
                }
            }
            yr[t] = acc;
        }
    }
}

void pv_conv1d(const float *w, const float *bias, int cout, int cin, int k, int dil,
               const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long n, int accumulate) {
    if (cout <= 0 || cin <= 0 || k <= 0 || n <= 0) return;
#if defined(__x86_64__)
    switch (pk_cpu_level()) {
    case PK_CPU_AVX512VNNI:
        pv_conv1d_avx512(w, bias, cout, cin, k, dil, x, ldx, x0, xlo, xhi, y, ldy, n, accumulate);
        return;
    case PK_CPU_AVXVNNI:   // the voice is float: AVX-VNNI adds nothing to AVX2 here
    case PK_CPU_AVX2:
        pv_conv1d_avx2(w, bias, cout, cin, k, dil, x, ldx, x0, xlo, xhi, y, ldy, n, accumulate);
        return;
    default:
        break;
    }
#endif
    conv1d_scalar(w, bias, cout, cin, k, dil, x, ldx, x0, xlo, xhi, y, ldy, n, accumulate);
}
