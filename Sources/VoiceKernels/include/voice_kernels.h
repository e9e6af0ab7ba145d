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
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// y[co·ldy + t] = (accumulate ? y[co·ldy + t] : 0) + bias[co] + Σ_{ci, j} w[co, ci, j] · x[ci·ldx + x0 + t + j·dil]
// for co < cout, 0 ≤ t < n, with w (cout, cin, k) row-major. Input columns c outside
// [xlo, xhi) are zero padding and never read (x holds columns [xlo, xhi) of each row).
// bias may be NULL (zero). Only columns 0 ≤ t < n of y are written.
void pv_conv1d(const float *w, const float *bias, int cout, int cin, int k, int dil,
               const float *x, long ldx, long x0, long xlo, long xhi, float *y, long ldy, long n, int accumulate);

// ---- 16-bit products (the voice's reduced precision) ----
// The dense convolution with int16 weights and inputs and exact int32 sums (16 products per
// AVX2 instruction, 8 for float). Every level gives the same bits for any column split.
//
// Weights w (cout, cin, k) → wq (cout, (cin+1)/2, k) int32, each an int16 pair (channel 2p in
// the low half, 2p + 1 in the high; zero for a missing odd channel), quantized to ±2047 per
// output channel with wscale[co] (w ≈ wscale · q). Returns the largest |x| quantum (xmax,
// ≤ 32767) that keeps every sum within int32 (Σ|q| · xmax < 2^31), or 0 when a weight is not
// finite or a count is not positive.
int pv_quantize_weights_i16(const float *w, int cout, int cin, int k, int32_t *wq, float *wscale);

// Columns per channel pair of a quantized window of `cols` input columns: 31 more for a
// register tile (up to 32 columns) that starts at any output and runs past the last.
static inline long pv_i16_row_columns(long cols) { return cols + 31; }

// An input window is quantized in two passes, each of which may be split between threads
// (rows, then channel pairs). The window is x0 .. x0 + cols of act(x) = x < 0 ? slope·x : x
// (slope 1: x itself; a leaky ReLU fused into the quantization); for n outputs of a kernel k,
// dilation dil: cols = n + (k − 1)·dil, and columns outside [xlo, xhi) are zero padding.
//
// The window's maximum: the largest |act(x)| over rows [0, rows) and columns [c0, c1) (the
// part of the window inside [xlo, xhi)); NaNs are skipped, so the maximum of parts is the
// maximum of the whole.
float pv_absmax_i16_input(const float *x, long ldx, int rows, long c0, long c1, float slope);

// Pair rows [p0, p1) of the quantized window xq ((cin+1)/2 pair rows of ldq ≥
// pv_i16_row_columns(cols) columns: column c of pair row p at xq[(p·ldq + c)·2 + 0/1], zeros
// past the window), for the window's maximum m: act(x) ≈ scale · q with scale = m / xmax,
// |q| ≤ xmax, rounding to nearest even. A silent window (m = 0, or m not finite) is all zeros
// and has scale 0.
void pv_quantize_window_pairs_i16(const float *x, long ldx, int cin, int p0, int p1, long x0, long xlo, long xhi, long cols,
                                  int xmax, float m, float slope, int16_t *xq, long ldq);

// y[co·ldy + t] = (accumulate ? y[co·ldy + t] + bias[co] : bias[co]) + (float)S · (wscale[co] · xscale)
// with S = Σ_{c, j} wq[co, c, j] · xq[c, t + j·dil] exact (int32), for co < cout, 0 ≤ t < n. xq is
// the window from pv_quantize_window_pairs_i16 for these outputs (or starting at output t0 of it: pass
// xq + 2·t0). bias may be NULL (zero).
void pv_conv1d_i16(const int32_t *wq, const float *wscale, const float *bias, int cout, int cin, int k, int dil,
                   const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate);

// Paired outputs (the 2-parallel fast FIR algorithm): pv_conv1d_i16's result with (k + ⌈k/2⌉) / 2k
// of its products (4/5 for 5 taps, 11/14 for 7). Outputs t and t + dil share the products of the
// taps they have in common: from wq (cout, (cin+1)/2, k), even = the even taps (…, (k+1)/2), odd = the
// odd taps (…, k/2) and sum = even + odd (…, (k+1)/2), each an int16 pair per word.
void pv_pair_weights_i16(const int32_t *wq, int cout, int cin, int k, int32_t *even, int32_t *odd, int32_t *sum);

// The largest |q| of a window for pv_conv1d_i16_paired: two of its values summed stay int16.
#define PV_I16_PAIRED_XMAX 16383

// pv_conv1d_i16 (the same bits) from the paired weights, where the level has them (AVX2,
// AVX-VNNI) and dil's largest power-of-two factor is at most 4; else pv_conv1d_i16 itself from
// wq. The window must be quantized to |q| ≤ PV_I16_PAIRED_XMAX and hold
// xcols columns from xq (past them read as zeros). scratch: a thread's own buffer of
// scratch_bytes (up to a few hundred KiB are used; too small falls back).
void pv_conv1d_i16_paired(const int32_t *wq, const int32_t *even, const int32_t *odd, const int32_t *sum, const float *wscale,
                          const float *bias, int cout, int cin, int k, int dil, const int16_t *xq, long ldq, long xcols,
                          float xscale, float *y, long ldy, long n, int accumulate, void *scratch, long scratch_bytes);

// ---- Winograd F(4, 4) (winograd.c): 7 products per 4 outputs and 4 taps, where the direct sums take 16 ----
// A layer's k taps in chunks = ⌈k/4⌉ chunks of 4. Output tiles: flat tile f (0 ≤ f < tiles) covers the
// outputs o = 4d·⌊f/d⌋ + f mod d + i·d, i < 4 (d the dilation), counted from the layer's first output.
#define PV_WINOGRAD_PLANES 7
int pv_winograd_chunks(int k);

// Transformed weights u (7 planes of (cout, cin, chunks) floats, plane j at u + j·cout·cin·chunks) from w (cout, cin, k).
void pv_winograd_weights(const float *w, int cout, int cin, int k, float *u);

// The 7 input planes of channels [c0, c1), tiles [0, tiles) (the output tiles and (chunks − 1)·d more):
// plane j of channel c at v + j·plane + c·ldv. Tile f's inputs are act(x[c, x0 + 4d·⌊f/d⌋ + f mod d + l·d]),
// l < 7, zero outside [xlo, xhi) (act as in pv_quantize_window_pairs_i16). vmax[j] is raised to max |plane j| of
// these channels (NaN skipped). scratch: 4·(tiles + dil + 8) floats.
void pv_winograd_inputs(const float *x, long ldx, int c0, int c1, long x0, long xlo, long xhi, int dil, long tiles, float slope,
                        float *v, long ldv, long plane, float *vmax, float *scratch);

// The int32 sums out[co·ldo + t] = Σ_{c, j} wq[co, c, j] · xq[c, t + j·dil] for t < n rounded up to a whole
// register tile (32 columns), exact (any level, the same values); wq and xq as for pv_conv1d_i16.
void pv_conv1d_i16_raw(const int32_t *wq, int cout, int cinp, int k, int dil, const int16_t *xq, long ldq, int32_t *out, long ldo,
                       long n);

// Output rows [0, rows) for tiles [f0, f1): y[r·ldy + o] = (accumulate ? y + bias[r] : bias[r]) + Σ_j AT[i][j] · (float)S_j · coef[j·cplane + r]
// for o < n, S_j the sums of plane j's weights u + j·uplane ((rows, cinp, chunks) pair words, as from
// pv_quantize_weights_i16) over its quantized input plane vq + j·vplane (pair rows ldq apart, from
// pv_quantize_window_pairs_i16; ldq ≥ pv_i16_row_columns(tiles)). coef: the plane's weight scale × its
// input scale. bias may be NULL. scratch: a thread's own, at least 32 KiB (up to 384 KiB are used).
void pv_winograd_conv(const int32_t *u, long uplane, const float *coef, long cplane, const float *bias, int rows, int cinp, int chunks,
                      int dil, const int16_t *vq, long ldq, long vplane, long f0, long f1, float *y, long ldy, long n,
                      int accumulate, void *scratch, long scratch_bytes);

// Outputs o in [o0, o1) (o0 ≥ 0) of s interleaved phases: y[o − o0] = src[(o mod s)·ps + ⌊o / s⌋ − q0],
// phase r's row at src + r·ps holding its columns q0, q0 + 1, … (ConvTranspose1d's phases).
void pv_interleave_phases(const float *src, long ps, int s, long q0, long o0, long o1, float *y);

// out[i] = tanh(a[i]) · sigmoid(b[i]) for i < n (WaveNet's gate); AVX2 where the CPU has it.
// Absolute error below 1e-6.
void pv_gate_tanh_sigmoid(const float *a, const float *b, float *out, long n);

// y[i] = GELU(y[i]) = y[i]/2 · (1 + erf(y[i]/√2)) for i < n, in place; AVX2 where the CPU has it, the
// same bits at every level. Error below 1e-6 · max(1, |y[i]|).
void pv_gelu(float *y, long n);

// out[i] = tanh(x[i]) for i < n (out may be x); AVX2 where the CPU has it. Absolute error below 1e-6.
void pv_tanh(const float *x, float *out, long n);

#ifdef __cplusplus
}
#endif
#endif
