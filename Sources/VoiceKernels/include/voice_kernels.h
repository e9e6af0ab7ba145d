// Float hot loops of the voice that Swift, built for a baseline CPU, cannot make
// fast; each picks its instruction set from the engine's CPU level (pk_cpu_level).
// No allocation, no state.
//
// The dense 1-D convolution is a direct loop (AVX-512F, AVX2 + FMA, or scalar, by
// the engine's CPU level): no im2col copy, weights read in place (PyTorch's layout).
// Every level sums each output in the same order, so the audio does not depend on
// the CPU level nor on how columns are split between threads.
#ifndef PARLEY_VOICE_KERNELS_H
#define PARLEY_VOICE_KERNELS_H
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// y[co·ldy + t] = (accumulate ? y[co·ldy + t] : 0) + bias[co] + Σ_{ci, j} w[co, ci, j] · x[ci·ldx + x0 + t + j·dil]
// for co < cout, 0 ≤ t < n, with w (cout, cin, k) row-major. Input columns c outside
// [xlo, xhi) are zero padding and never read (x holds columns [xlo, xhi) of each row).
// bias may be NULL (zero). Only columns 0 ≤ t < n of y are written.
void pv_conv1d(const float *w, const float *bias, int cout, int cin, int k, int dil,
               const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long n, int accumulate);

// out[i] = tanh(a[i]) · sigmoid(b[i]) for i < n (WaveNet's gate); AVX2 where the CPU has it.
// Absolute error below 1e-6.
void pv_gate_tanh_sigmoid(const float *a, const float *b, float *out, long n);

// out[i] = tanh(x[i]) for i < n (out may be x); AVX2 where the CPU has it. Absolute error below 1e-6.
void pv_tanh(const float *x, float *out, long n);

#ifdef __cplusplus
}
#endif
#endif
