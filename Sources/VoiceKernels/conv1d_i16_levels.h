// The per-level pieces of the 16-bit-product convolution (conv1d_i16.c dispatches to them).
// Private to VoiceKernels.
#ifndef PARLEY_CONV1D_I16_LEVELS_H
#define PARLEY_CONV1D_I16_LEVELS_H
#include <stdint.h>

// pv_conv1d_i16 with cinp = (cin + 1) / 2 channel pairs (conv1d_i16_avx2.c, conv1d_i16_avx512.c).
void pv_conv1d_i16_avx2(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k, int dil,
                        const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate);
void pv_conv1d_i16_avxvnni(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k, int dil,
                           const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate);
void pv_conv1d_i16_avx512(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k, int dil,
                          const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate);
// pv_conv1d_i16_raw's sums (whole tiles) at the 256-bit levels (vnni: vpdpwssd) and at AVX-512 VNNI.
void pv_conv1d_i16_raw_avx2(int vnni, const int32_t *wq, int cout, int cinp, int k, int dil, const int16_t *xq, long ldq,
                            int32_t *out, long ldo, long n);
void pv_conv1d_i16_raw_avx512(const int32_t *wq, int cout, int cinp, int k, int dil, const int16_t *xq, long ldq, int32_t *out,
                              long ldo, long n);
// pv_conv1d_i16_paired at the 256-bit levels (vnni: vpdpwssd); 0 when it cannot (B > 4, a scratch too small).
int pv_conv1d_i16_paired_avx2(int vnni, const int32_t *even, const int32_t *odd, const int32_t *sum, const float *wscale,
                              const float *bias, int cout, int cinp, int k, int dil, const int16_t *xq, long ldq, long xcols,
                              float xscale, float *y, long ldy, long n, int accumulate, void *scratch, long scratch_bytes);
// The largest |x| over rows × columns [c0, c1) (NaN ignored), and those columns quantized
// (x · inv, rounded to nearest even, clamped to ±xmax) into pair rows of ldq columns.
float pv_absmax_avx2(const float *x, long ldx, int rows, long c0, long c1, float slope);
void pv_quantize_rows_avx2(const float *x, long ldx, int rows, long c0, long c1, float inv, int xmax, float slope,
                           int16_t *xq, long ldq);
#endif
