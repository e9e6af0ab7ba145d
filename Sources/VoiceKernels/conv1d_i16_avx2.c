// The 16-bit-product convolution (conv1d_i16.c) at the 256-bit levels: madd takes 8 columns ×
// an input channel pair against a broadcast weight pair, 16 multiply-adds per instruction
// where the float kernel's FMA does 8; at the AVX-VNNI level vpdpwssd (VEX) also does the add
// (measured on Zen 5, one thread: 104.6 → 121.4 GMAC/s, 64→64 k5). A register tile
// (conv1d_i16_tiles.h) is 6 or 4 output channels × 16 columns, in chunks of 96 columns.
// Also the activation windows' maximum and quantization.
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
#define AVXVNNI __attribute__((target("avxvnni,avx2,fma")))
#define MADD_AVX2(acc, w, x) _mm256_add_epi32(acc, _mm256_madd_epi16(w, x))
#define MADD_AVXVNNI(acc, w, x) _mm256_dpwssd_avx_epi32(acc, w, x)

// Two tile shapes per instruction set, 6 and 4 output channels × 16 columns.
#define I16_LINKAGE static
#define I16_TARGET AVX2
#define I16_NAME avx2_rows6
#define I16_MADD MADD_AVX2
#define I16_ROWS 6
#define I16_NV 2
#include "conv1d_i16_tiles.h"

#define I16_LINKAGE static
#define I16_TARGET AVX2
#define I16_NAME avx2_rows4
#define I16_MADD MADD_AVX2
#define I16_ROWS 4
#define I16_NV 2
#include "conv1d_i16_tiles.h"

#define I16_LINKAGE static
#define I16_TARGET AVXVNNI
#define I16_NAME avxvnni_rows6
#define I16_MADD MADD_AVXVNNI
#define I16_ROWS 6
#define I16_NV 2
#include "conv1d_i16_tiles.h"

#define I16_LINKAGE static
#define I16_TARGET AVXVNNI
#define I16_NAME avxvnni_rows4
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

AVXVNNI void pv_conv1d_i16_avxvnni(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k,
                                   int dil, const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n,
                                   int accumulate) {
    const int waste6 = (6 - cout % 6) % 6;
    if (cout % 4 == 0 && 20 * waste6 > cout + waste6)
        avxvnni_rows4(wq, wscale, bias, cout, cinp, k, dil, xq, ldq, xscale, y, ldy, n, accumulate);
    else
        avxvnni_rows6(wq, wscale, bias, cout, cinp, k, dil, xq, ldq, xscale, y, ldy, n, accumulate);
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
