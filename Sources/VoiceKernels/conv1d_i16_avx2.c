// The 16-bit-product convolution (conv1d_i16.c) at the 256-bit levels: madd takes 8 columns ×
// an input channel pair against a broadcast weight pair, 16 multiply-adds per instruction
// where the float kernel's FMA does 8; at the AVX-VNNI level vpdpwssd (VEX) also does the add
// (measured on Zen 5, one thread: 104.6 → 121.4 GMAC/s, 64→64 k5). A register tile
// (conv1d_i16_tiles.h) is 6 or 4 output channels × 16 columns, in chunks of 96 columns.
// Also the activation windows' maximum and quantization.
#include <string.h>
#include "voice_kernels.h"
#include "conv1d_i16_levels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

// The canonical end of the first `count` (1..8) of 8 columns: out = base + (float)acc · s.
INLINE AVX2 void end8(float *out, __m256i acc, float s, float b, long count, int accumulate) {
    const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(count > 8 ? 8 : count)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const __m256 bv = _mm256_set1_ps(b);
    const __m256 base = accumulate ? _mm256_add_ps(_mm256_maskload_ps(out, m), bv) : bv;
    _mm256_maskstore_ps(out, m, _mm256_add_ps(base, _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_set1_ps(s))));
}

#define I16_LANES 8
#define I16_CHUNK 96
#define I16_VEC __m256i
#define I16_ZERO() _mm256_setzero_si256()
#define I16_LOAD(p) _mm256_loadu_si256((const __m256i *)(p))
#define I16_SET1(v) _mm256_set1_epi32(v)
#define I16_END end8
#define I16_STORE(p, acc) _mm256_storeu_si256((__m256i *)(p), acc)
#define AVXVNNI __attribute__((target("avxvnni,avx2,fma")))
#define MADD_AVX2(acc, w, x) _mm256_add_epi32(acc, _mm256_madd_epi16(w, x))
#define MADD_AVXVNNI(acc, w, x) _mm256_dpwssd_avx_epi32(acc, w, x)

// Two tile shapes per instruction set, 6 and 4 output channels × 16 columns.
#define I16_LINKAGE static
#define I16_TARGET AVX2
#define I16_NAME avx2_rows6
#define I16_RAW_NAME avx2_rows6_raw
#define I16_MADD MADD_AVX2
#define I16_ROWS 6
#define I16_NV 2
#include "conv1d_i16_tiles.h"

#define I16_LINKAGE static
#define I16_TARGET AVX2
#define I16_NAME avx2_rows4
#define I16_RAW_NAME avx2_rows4_raw
#define I16_MADD MADD_AVX2
#define I16_ROWS 4
#define I16_NV 2
#include "conv1d_i16_tiles.h"

#define I16_LINKAGE static
#define I16_TARGET AVXVNNI
#define I16_NAME avxvnni_rows6
#define I16_RAW_NAME avxvnni_rows6_raw
#define I16_MADD MADD_AVXVNNI
#define I16_ROWS 6
#define I16_NV 2
#include "conv1d_i16_tiles.h"

#define I16_LINKAGE static
#define I16_TARGET AVXVNNI
#define I16_NAME avxvnni_rows4
#define I16_RAW_NAME avxvnni_rows4_raw
#define I16_MADD MADD_AVXVNNI
#define I16_ROWS 4
#define I16_NV 2
#include "conv1d_i16_tiles.h"

// Six rows a tile unless that leaves more than 5% of a layer's rows computed for nothing
// (cout 32: 36 rows), where four rows fit. AVX2's madd + add also runs four rows faster on
// 64 and 128 channels; vpdpwssd runs six faster there. One thread, Zen 5, GMAC/s, 6 → 4 rows:
// AVX2 32←32 k7 99.8 → 111.7, 64←64 k5 108.6 → 110.7, 128←128 k7 111.8 → 114.9, 384←192 k5
// 115.4 → 115.1; AVX-VNNI 32←32 k7 115.7 → 121.1, 64←64 k5 124.9 → 119.2.
AVX2 void pv_conv1d_i16_avx2(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k, int dil,
                             const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate) {
    if (cout % 6 != 0 && cout % 4 == 0)
        avx2_rows4(wq, wscale, bias, cout, cinp, k, dil, xq, ldq, xscale, y, ldy, n, accumulate);
    else
        avx2_rows6(wq, wscale, bias, cout, cinp, k, dil, xq, ldq, xscale, y, ldy, n, accumulate);
}

typedef void (*raw_sums)(const int32_t *, int, int, int, int, const int16_t *, long, int32_t *, long, long);

static raw_sums raw_avx2(int cout) { return cout % 6 != 0 && cout % 4 == 0 ? avx2_rows4_raw : avx2_rows6_raw; }

AVXVNNI void pv_conv1d_i16_avxvnni(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k,
                                   int dil, const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n,
                                   int accumulate) {
    const int waste6 = (6 - cout % 6) % 6;
    if (cout % 4 == 0 && 20 * waste6 > cout + waste6)
        avxvnni_rows4(wq, wscale, bias, cout, cinp, k, dil, xq, ldq, xscale, y, ldy, n, accumulate);
    else
        avxvnni_rows6(wq, wscale, bias, cout, cinp, k, dil, xq, ldq, xscale, y, ldy, n, accumulate);
}

static raw_sums raw_avxvnni(int cout) {
    const int waste6 = (6 - cout % 6) % 6;
    return cout % 4 == 0 && 20 * waste6 > cout + waste6 ? avxvnni_rows4_raw : avxvnni_rows6_raw;
}

void pv_conv1d_i16_raw_avx2(int vnni, const int32_t *wq, int cout, int cinp, int k, int dil, const int16_t *xq, long ldq,
                            int32_t *out, long ldo, long n) {
    (vnni ? raw_avxvnni(cout) : raw_avx2(cout))(wq, cout, cinp, k, dil, xq, ldq, out, ldo, n);
}

// ---- Paired outputs (conv1d_i16.c, pv_conv1d_i16_paired) ----
// Outputs in blocks of B = the largest power of two dividing dil: block 2m (phase 0) and 2m + 1
// (phase 1) of every 2B outputs. With o = dil / B (odd) the taps alternate phases, so with the
// window's blocks dealt the same way into X0 and X1 (each B-block flat, dilation dil there):
//   P = even ⋆ X0, Q = odd ⋆ X1, R = sum ⋆ S,  S[f] = X1[f] + X0[f + shP],
//   phase 0 = P[f] + Q[f + shQ],  phase 1 = R[f] − P[f + shP] − Q[f],
// shP = (o + 1) / 2 · B, shQ = (o − 1) / 2 · B flat columns. Wrapping int32 arithmetic gives the
// direct sums exactly: they fit in int32, and every term of R that is not in them cancels.

// 8 flat columns of both phases from 16 window columns, and back: B = 1, 2 or 4 (dealt within
// 128-bit halves by this permutation, then the halves exchanged).
INLINE AVX2 __m256i deal_index(long b) {
    return b == 1 ? _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7) : b == 2 ? _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7)
                                                                         : _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
}
INLINE AVX2 __m256i merge_index(long b) {
    return b == 1 ? _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7) : b == 2 ? _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7)
                                                                         : _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
}

static inline int32_t pair_word(const int16_t *xq, long ldq, long xcols, int cp, long c) {
    int32_t w = 0;
    if (c < xcols) memcpy(&w, xq + ((long)cp * ldq + c) * 2, 4);
    return w;
}

// X0, X1 (flat [0, width)) and S (flat [0, swidth)) of pair row cp from window columns n0 onwards.
static AVX2 void deal_row(const int16_t *xq, long ldq, long xcols, int cp, long n0, long b, long shp, long width, long swidth,
                          int32_t *x0, int32_t *x1, int32_t *s) {
    const __m256i deal = deal_index(b);
    const int32_t *src = (const int32_t *)(xq + (long)cp * ldq * 2);   // pair words: 4-byte aligned
    long f = 0;
    for (; f + 8 <= width && n0 + 2 * f + 16 <= xcols; f += 8) {
        const __m256i p0 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(src + n0 + 2 * f)), deal);
        const __m256i p1 = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(src + n0 + 2 * f + 8)), deal);
        _mm256_storeu_si256((__m256i *)(x0 + f), _mm256_permute2x128_si256(p0, p1, 0x20));
        _mm256_storeu_si256((__m256i *)(x1 + f), _mm256_permute2x128_si256(p0, p1, 0x31));
    }
    for (; f < width; f++) {   // past the window: zeros
        const long c = n0 + 2 * b * (f / b) + f % b;
        x0[f] = pair_word(xq, ldq, xcols, cp, c);
        x1[f] = pair_word(xq, ldq, xcols, cp, c + b);
    }
    for (f = 0; f < swidth; f += 8)   // int16 lanes: each channel of the pair on its own (|x| ≤ PV_I16_PAIRED_XMAX)
        _mm256_storeu_si256((__m256i *)(s + f), _mm256_add_epi16(_mm256_loadu_si256((const __m256i *)(x1 + f)),
                                                                 _mm256_loadu_si256((const __m256i *)(x0 + f + shp))));
}

static inline long round_up(long v, long m) { return (v + m - 1) / m * m; }

AVX2 int pv_conv1d_i16_paired_avx2(int vnni, const int32_t *even, const int32_t *odd, const int32_t *sum, const float *wscale,
                                   const float *bias, int cout, int cinp, int k, int dil, const int16_t *xq, long ldq, long xcols,
                                   float xscale, float *y, long ldy, long n, int accumulate, void *scratch, long scratch_bytes) {
    const raw_sums raw = vnni ? raw_avxvnni(cout) : raw_avx2(cout);
    const int k0 = (k + 1) / 2, k1 = k / 2;
    const long b = dil & -dil, o = dil / b, shp = (o + 1) / 2 * b, shq = (o - 1) / 2 * b;
    if (k < 2 || b > 4) return 0;
    // Flat columns per chunk f (a multiple of 16, one tile), so that its three windows (width w) take
    // up to 3/5 of the scratch; then output rows per group g (a multiple of 12, both tile heights), so
    // that their three sums (ldo apart) take the rest. A chunk's windows, a group's weights and its
    // sums stay in L2 while the group's tiles run.
    if (scratch_bytes > 384 << 10) scratch_bytes = 384 << 10;   // L2 beside the layer's input and output: measured best of 256–640 KiB
    const long words = scratch_bytes / 4, in_extra = shp + 16 + (long)(k0 - 1) * dil + 8, out_extra = shp + 16;
    long f = words * 3 / 5 / (3L * cinp) - in_extra;
    f = f > 256 ? 256 : f;
    const long need = round_up((n + 1) / 2, 16);
    f = (f < need ? f : need) / 16 * 16;
    if (f < 16) return 0;
    const long chunks = (need + f - 1) / f;   // of equal widths: no short last chunk computed whole
    f = round_up((need + chunks - 1) / chunks, 16);
    const long w = round_up(f + shp, 16) + (long)(k0 - 1) * dil + 8, ldo = f + out_extra;
    const long swidth = round_up(f + (long)(k0 - 1) * dil, 8);
    long g = (words - 3L * cinp * w) / (3L * ldo) / 12 * 12;
    if (g < 12) return 0;
    g = g > cout ? cout : g;
    int32_t *x0 = scratch, *x1 = x0 + (long)cinp * w, *s = x1 + (long)cinp * w;
    int32_t *p = s + (long)cinp * w, *q = p + g * ldo, *r = q + g * ldo;
    const __m256i merge = merge_index(b);
    const long even_row = (long)cinp * k0, odd_row = (long)cinp * k1;
    for (long n0 = 0; n0 < n; n0 += 2 * f) {
        for (int cp = 0; cp < cinp; cp++)
            deal_row(xq, ldq, xcols, cp, n0, b, shp, w, swidth, x0 + cp * w, x1 + cp * w, s + cp * w);
        const long count = n - n0 < 2 * f ? n - n0 : 2 * f;
        for (int g0 = 0; g0 < cout; g0 += (int)g) {
            const int rows = cout - g0 < g ? cout - g0 : (int)g;
            raw(even + g0 * even_row, rows, cinp, k0, dil, (const int16_t *)x0, w, p, ldo, f + shp);
            raw(odd + g0 * odd_row, rows, cinp, k1, dil, (const int16_t *)x1, w, q, ldo, f + shq);
            raw(sum + g0 * even_row, rows, cinp, k0, dil, (const int16_t *)s, w, r, ldo, f);
            for (int row = 0; row < rows; row++) {
                const float sc = wscale[g0 + row] * xscale, bi = bias ? bias[g0 + row] : 0.0f;
                const __m256 scv = _mm256_set1_ps(sc), biv = _mm256_set1_ps(bi);
                const int32_t *pr = p + row * ldo, *qr = q + row * ldo, *rr = r + row * ldo;
                float *out = y + (g0 + row) * ldy + n0;
                for (long c = 0; 2 * c < count; c += 8) {
                    const __m256i y0 = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(pr + c)),
                                                        _mm256_loadu_si256((const __m256i *)(qr + c + shq)));
                    const __m256i y1 = _mm256_sub_epi32(_mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(rr + c)),
                                                                         _mm256_loadu_si256((const __m256i *)(pr + c + shp))),
                                                        _mm256_loadu_si256((const __m256i *)(qr + c)));
                    const __m256i u0 = _mm256_permutevar8x32_epi32(_mm256_permute2x128_si256(y0, y1, 0x20), merge);
                    const __m256i u1 = _mm256_permutevar8x32_epi32(_mm256_permute2x128_si256(y0, y1, 0x31), merge);
                    float *at = out + 2 * c;
                    if (count - 2 * c >= 16) {   // end8's arithmetic, unmasked
                        const __m256 b0 = accumulate ? _mm256_add_ps(_mm256_loadu_ps(at), biv) : biv;
                        const __m256 b1 = accumulate ? _mm256_add_ps(_mm256_loadu_ps(at + 8), biv) : biv;
                        _mm256_storeu_ps(at, _mm256_add_ps(b0, _mm256_mul_ps(_mm256_cvtepi32_ps(u0), scv)));
                        _mm256_storeu_ps(at + 8, _mm256_add_ps(b1, _mm256_mul_ps(_mm256_cvtepi32_ps(u1), scv)));
                    } else {
                        end8(at, u0, sc, bi, count - 2 * c, accumulate);
                        if (count - 2 * c > 8) end8(at + 8, u1, sc, bi, count - 2 * c - 8, accumulate);
                    }
                }
            }
        }
    }
    return 1;
}

// act(v) = v < 0 ? slope·v : v, as conv1d_i16.c's act.
INLINE AVX2 __m256 act8(__m256 v, __m256 slope) {
    return _mm256_blendv_ps(v, _mm256_mul_ps(v, slope), _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
}

AVX2 float pv_absmax_avx2(const float *x, long ldx, int rows, long c0, long c1, float slope) {
    const __m256 sign = _mm256_set1_ps(-0.0f), s = _mm256_set1_ps(slope);
    __m256 m = _mm256_setzero_ps();
    float tail = 0.0f;
    for (int r = 0; r < rows; r++) {
        const float *row = x + (long)r * ldx;
        long c = c0;
        for (; c + 8 <= c1; c += 8) m = _mm256_max_ps(_mm256_andnot_ps(sign, act8(_mm256_loadu_ps(row + c), s)), m);   // NaN: keeps m
        for (; c < c1; c++) {
            const float a = __builtin_fabsf(row[c] < 0.0f ? row[c] * slope : row[c]);
            tail = a > tail ? a : tail;
        }
    }
    float lanes[8];
    _mm256_storeu_ps(lanes, m);
    for (int i = 0; i < 8; i++) tail = tail > lanes[i] ? tail : lanes[i];
    return tail;
}

// Rows r and r + 1 interleaved: column c of pair row r / 2 holds (x[r][c], x[r + 1][c]); an odd
// last row pairs with zeros. Rounding to nearest even (cvtps), as lrintf in the scalar path.
AVX2 void pv_quantize_rows_avx2(const float *x, long ldx, int rows, long c0, long c1, float inv, int xmax, float slope,
                                int16_t *xq, long ldq) {
    const __m256 scale = _mm256_set1_ps(inv), s = _mm256_set1_ps(slope);
    const __m256i hi = _mm256_set1_epi32(xmax), lo = _mm256_set1_epi32(-xmax);
    for (int r = 0; r < rows; r += 2) {
        const float *a = x + (long)r * ldx, *b = r + 1 < rows ? a + ldx : 0;
        int16_t *out = xq + (long)(r / 2) * ldq * 2;
        long c = c0;
        for (; c + 8 <= c1; c += 8) {
            __m256i qa = _mm256_cvtps_epi32(_mm256_mul_ps(act8(_mm256_loadu_ps(a + c), s), scale));
            __m256i qb = b ? _mm256_cvtps_epi32(_mm256_mul_ps(act8(_mm256_loadu_ps(b + c), s), scale)) : _mm256_setzero_si256();
            qa = _mm256_max_epi32(_mm256_min_epi32(qa, hi), lo);
            qb = _mm256_max_epi32(_mm256_min_epi32(qb, hi), lo);
            // (a, b) pairs as 16-bit: b << 16 | a & 0xffff, 8 columns = 32 bytes
            const __m256i pair = _mm256_or_si256(_mm256_and_si256(qa, _mm256_set1_epi32(0xffff)), _mm256_slli_epi32(qb, 16));
            _mm256_storeu_si256((__m256i *)(out + 2 * (c - c0)), pair);
        }
        for (; c < c1; c++) {
            const float va = a[c] < 0.0f ? a[c] * slope : a[c], vb = b ? (b[c] < 0.0f ? b[c] * slope : b[c]) : 0.0f;
            const float fa = va * inv, fb = vb * inv;
            int qa = _mm_cvtss_si32(_mm_set_ss(fa)), qb = _mm_cvtss_si32(_mm_set_ss(fb));
            qa = qa > xmax ? xmax : qa < -xmax ? -xmax : qa;
            qb = qb > xmax ? xmax : qb < -xmax ? -xmax : qb;
            out[2 * (c - c0)] = (int16_t)qa;
            out[2 * (c - c0) + 1] = (int16_t)qb;
        }
    }
}
#endif
