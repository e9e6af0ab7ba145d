// Winograd's minimal filtering F(4, 4) for the 16-bit-product convolutions (voice_kernels.h,
// pv_winograd_*): a layer's taps are cut into chunks of 4 (zeros past the last), and each chunk
// gives 4 outputs with 7 products where the direct sums take 16. Outputs t, t + d, t + 2d, t + 3d
// (d the dilation) form a tile; its 7 inputs per chunk are transformed (BT), multiplied by the
// transformed weights (G) as 7 integer convolutions over the tiles, then combined (AT). Toom-Cook
// at 0, ±1, ±2, 1/2 and ∞; BT's rows are scaled to small integers and G's by the inverse. Each of
// the 7 input planes is quantized with its own scale (its range differs by up to 30×), so no plane
// loses bits to another.
//
// The transforms run in one fixed order of float operations at every level (scalar, or 8 lanes
// with the same operations per lane; contraction to FMA is off in this file) and the integer sums
// are exact, so every level gives the same bits, for any split of rows or tiles between threads.
#pragma clang fp contract(off)

#include <math.h>
#include <string.h>
#include "kernels.h"
#include "voice_kernels.h"
#include "conv1d_i16_levels.h"

enum { WP = PV_WINOGRAD_PLANES };

// G, 7 × 4 (weights chunk → planes).
static const double G[WP][4] = {
    {1.0 / 4, 0, 0, 0},
    {1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6},
    {1.0 / 18, -1.0 / 18, 1.0 / 18, -1.0 / 18},
    {1.0 / 72, 1.0 / 36, 1.0 / 18, 1.0 / 9},
    {1.0 / 120, -1.0 / 60, 1.0 / 30, -1.0 / 15},
    {32.0 / 45, 16.0 / 45, 8.0 / 45, 4.0 / 45},
    {0, 0, 0, 1.0 / 2},
};

// BT (7 × 7, integers): inputs x[0..6] of a tile → planes v[0..6]; AT (4 × 7, powers of two):
// products m[0..6] → outputs y[0..3]. S(c) makes the constant c in the caller's type.
#define WINO_BT(S, x, v) do { \
        v[0] = x[0] * S(4.0f); v[0] = v[0] + x[1] * S(-8.0f); v[0] = v[0] + x[2] * S(-5.0f); v[0] = v[0] + x[3] * S(10.0f); v[0] = v[0] + x[4]; v[0] = v[0] + x[5] * S(-2.0f); \
        v[1] = x[1] * S(-4.0f); v[1] = v[1] + x[2] * S(4.0f); v[1] = v[1] + x[3] * S(9.0f); v[1] = v[1] - x[4]; v[1] = v[1] + x[5] * S(-2.0f); \
        v[2] = x[1] * S(-4.0f); v[2] = v[2] + x[2] * S(12.0f); v[2] = v[2] + x[3] * S(-7.0f); v[2] = v[2] + x[4] * S(-3.0f); v[2] = v[2] + x[5] * S(2.0f); \
        v[3] = x[1] * S(2.0f); v[3] = v[3] + x[2] * S(-3.0f); v[3] = v[3] + x[3] * S(-4.0f); v[3] = v[3] + x[4] * S(3.0f); v[3] = v[3] + x[5] * S(2.0f); \
        v[4] = x[1] * S(2.0f); v[4] = v[4] + x[2] * S(-5.0f); v[4] = v[4] + x[4] * S(5.0f); v[4] = v[4] + x[5] * S(-2.0f); \
        v[5] = x[1] * S(4.0f); v[5] = v[5] + x[3] * S(-5.0f); v[5] = v[5] + x[5]; \
        v[6] = x[1] * S(-4.0f); v[6] = v[6] + x[2] * S(8.0f); v[6] = v[6] + x[3] * S(5.0f); v[6] = v[6] + x[4] * S(-10.0f); v[6] = v[6] - x[5]; v[6] = v[6] + x[6] * S(2.0f); \
    } while (0)

#define WINO_AT(S, m, y) do { \
        y[0] = m[0]; y[0] = y[0] + m[1]; y[0] = y[0] + m[2]; y[0] = y[0] + m[3]; y[0] = y[0] + m[4]; y[0] = y[0] + m[5]; \
        y[1] = m[1]; y[1] = y[1] - m[2]; y[1] = y[1] + m[3] * S(2.0f); y[1] = y[1] + m[4] * S(-2.0f); y[1] = y[1] + m[5] * S(0.5f); \
        y[2] = m[1]; y[2] = y[2] + m[2]; y[2] = y[2] + m[3] * S(4.0f); y[2] = y[2] + m[4] * S(4.0f); y[2] = y[2] + m[5] * S(0.25f); \
        y[3] = m[1]; y[3] = y[3] - m[2]; y[3] = y[3] + m[3] * S(8.0f); y[3] = y[3] + m[4] * S(-8.0f); y[3] = y[3] + m[5] * S(0.125f); y[3] = y[3] + m[6]; \
    } while (0)

int pv_winograd_chunks(int k) { return k > 0 ? (k + 3) / 4 : 0; }

void pv_winograd_weights(const float *w, int cout, int cin, int k, float *u) {
    const int chunks = pv_winograd_chunks(k);
    for (int j = 0; j < WP; j++)
        for (long row = 0; row < (long)cout * cin; row++)
            for (int s = 0; s < chunks; s++) {
                double acc = 0;
                for (int l = 0; l < 4 && 4 * s + l < k; l++) acc += G[j][l] * (double)w[row * k + 4 * s + l];
                u[((long)j * cout * cin + row) * chunks + s] = (float)acc;
            }
}

static inline float act(float v, float slope) { return v < 0.0f ? v * slope : v; }

// P_q[b·d + r] = act(x[x0 + 4d·b + q·d + r]) (zero outside [xlo, xhi)) for the `len` first entries
// of each of the four rows (ldp ≥ len + 8 apart): a tile's inputs l = 0..6 are then
// P_{l mod 4}[f + (l / 4)·d]. Blocks [b0, b1) of d entries a row, element by element.
static void deal_blocks(const float *x, long x0, long xlo, long xhi, int d, long len, float slope, float *p, long ldp, long b0,
                        long b1) {
    for (long b = b0; b < b1; b++) {
        const long n = len - b * d < d ? len - b * d : d;
        for (int q = 0; q < 4; q++) {
            const long c = x0 + 4L * d * b + (long)q * d;
            float *dst = p + q * ldp + b * d;
            for (long r = 0; r < n; r++) dst[r] = c + r >= xlo && c + r < xhi ? act(x[c + r], slope) : 0.0f;
        }
    }
}

// The blocks that lie wholly inside [xlo, xhi), [*lo, *hi), of the ⌈len/d⌉ a row.
static void inner_blocks(long x0, long xlo, long xhi, int d, long len, long *lo, long *hi) {
    const long span = 4L * d, blocks = (len + d - 1) / d;
    long a = xlo > x0 ? (xlo - x0 + span - 1) / span : 0, b = xhi > x0 ? (xhi - x0) / span : 0;
    b = b > blocks ? blocks : b;
    if (b * d > len) b = len / d;   // a last block cut short by len goes element by element
    *lo = a < b ? a : b;
    *hi = b;
}

static void deal_scalar(const float *x, long x0, long xlo, long xhi, int d, long len, float slope, float *p, long ldp) {
    deal_blocks(x, x0, xlo, xhi, d, len, slope, p, ldp, 0, (len + d - 1) / d);
}

#define SF(c) (c)
// The planes of tiles [f0, f1) from the dealt rows; max |v_j| into vmax.
static void transform_scalar(const float *p, long ldp, int d, long f0, long f1, float *v, long plane, float *vmax) {
    for (long f = f0; f < f1; f++) {
        float x[7], t[WP];
        for (int l = 0; l < 7; l++) x[l] = p[(l % 4) * ldp + f + (l / 4) * d];
        WINO_BT(SF, x, t);
        for (int j = 0; j < WP; j++) {
            v[j * plane + f] = t[j];
            const float a = fabsf(t[j]);
            vmax[j] = a > vmax[j] ? a : vmax[j];   // NaN: keeps the maximum
        }
    }
}

// Output rows from the products m (7 planes, mplane apart, of `count` tiles): for tile f,
// y_i = AT · (float(m_j) · coef[j]) into rows yi + i·ldyi.
static void combine_scalar(const int32_t *m, long mplane, const float *coef, long count, float *yi, long ldyi) {
    for (long f = 0; f < count; f++) {
        float mm[WP], out[4];
        for (int j = 0; j < WP; j++) mm[j] = (float)m[j * mplane + f] * coef[j];
        WINO_AT(SF, mm, out);
        for (int i = 0; i < 4; i++) yi[i * ldyi + f] = out[i];
    }
}

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE_AVX2 static inline __attribute__((always_inline, target("avx2,fma")))
typedef float v8f __attribute__((vector_size(32), aligned(4)));
typedef int32_t v8i __attribute__((vector_size(32), aligned(4)));
#define S8(c) ((v8f){(c), (c), (c), (c), (c), (c), (c), (c)})

INLINE_AVX2 __m256 act8(__m256 v, __m256 slope) {
    return _mm256_blendv_ps(v, _mm256_mul_ps(v, slope), _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
}

// v[i] holds four 2-float pairs (doubles) e_0..e_3; afterwards v[j] holds e_j of v[0], v[1], v[2], v[3].
INLINE_AVX2 void transpose_pairs(__m256d v[4]) {
    const __m256d t0 = _mm256_unpacklo_pd(v[0], v[1]), t1 = _mm256_unpackhi_pd(v[0], v[1]);
    const __m256d t2 = _mm256_unpacklo_pd(v[2], v[3]), t3 = _mm256_unpackhi_pd(v[2], v[3]);
    v[0] = _mm256_permute2f128_pd(t0, t2, 0x20);
    v[1] = _mm256_permute2f128_pd(t1, t3, 0x20);
    v[2] = _mm256_permute2f128_pd(t0, t2, 0x31);
    v[3] = _mm256_permute2f128_pd(t1, t3, 0x31);
}

// deal_scalar's rows, the blocks inside [xlo, xhi) by vectors: d = 1 and 2 by 4 × 4 transposes of
// 2-float pairs (after a pass that pairs columns, for d = 1), other d by copies of 8 floats (stores
// that run past a block are overwritten by the next; the rows have 8 floats of slack).
static AVX2 void deal_avx2(const float *x, long x0, long xlo, long xhi, int d, long len, float slope, float *p, long ldp) {
    long lo, hi;
    inner_blocks(x0, xlo, xhi, d, len, &lo, &hi);
    deal_blocks(x, x0, xlo, xhi, d, len, slope, p, ldp, 0, lo);
    const __m256 s = _mm256_set1_ps(slope);
    long b = lo;
    if (d <= 2) {
        const long step = 8 / d;   // blocks per 32 floats
        const __m256i pairs = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for (; b + step <= hi; b += step) {
            const float *src = x + x0 + 4L * d * b;
            __m256d v[4];
            for (int i = 0; i < 4; i++) {
                __m256 a = act8(_mm256_loadu_ps(src + 8 * i), s);
                if (d == 1) a = _mm256_permutevar8x32_ps(a, pairs);   // (q0 of 2 blocks), (q1 …), … as pairs
                v[i] = _mm256_castps_pd(a);
            }
            transpose_pairs(v);
            for (int q = 0; q < 4; q++) _mm256_storeu_ps(p + q * ldp + b * d, _mm256_castpd_ps(v[q]));
        }
    } else {
        for (; b < hi; b++)
            for (int q = 0; q < 4; q++) {
                const long c = x0 + 4L * d * b + (long)q * d;
                float *dst = p + q * ldp + b * d;
                for (long r = 0; r < d; r += 8) {
                    const long left = xhi - (c + r);
                    const __m256 v = left >= 8 ? _mm256_loadu_ps(x + c + r)
                                               : _mm256_maskload_ps(x + c + r, _mm256_cmpgt_epi32(_mm256_set1_epi32((int)left),
                                                                                                   _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
                    _mm256_storeu_ps(dst + r, act8(v, s));
                }
            }
    }
    deal_blocks(x, x0, xlo, xhi, d, len, slope, p, ldp, b, (len + d - 1) / d);
}

static AVX2 void transform_avx2(const float *p, long ldp, int d, long f0, long f1, float *v, long plane, float *vmax) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 mx[WP];
    for (int j = 0; j < WP; j++) mx[j] = _mm256_setzero_ps();
    long f = f0;
    for (; f + 8 <= f1; f += 8) {
        v8f x[7], t[WP];
        for (int l = 0; l < 7; l++) memcpy(&x[l], p + (l % 4) * ldp + f + (l / 4) * d, sizeof(v8f));
        WINO_BT(S8, x, t);
        for (int j = 0; j < WP; j++) {
            memcpy(v + j * plane + f, &t[j], sizeof(v8f));
            mx[j] = _mm256_max_ps(_mm256_andnot_ps(sign, (__m256)t[j]), mx[j]);   // NaN: keeps the maximum
        }
    }
    for (int j = 0; j < WP; j++) {
        float lanes[8];
        _mm256_storeu_ps(lanes, mx[j]);
        for (int i = 0; i < 8; i++) vmax[j] = lanes[i] > vmax[j] ? lanes[i] : vmax[j];
    }
    transform_scalar(p, ldp, d, f, f1, v, plane, vmax);
}

static AVX2 void combine_avx2(const int32_t *m, long mplane, const float *coef, long count, float *yi, long ldyi) {
    long f = 0;
    for (; f + 8 <= count; f += 8) {
        v8f mm[WP], out[4];
        for (int j = 0; j < WP; j++) {
            v8i q;
            memcpy(&q, m + j * mplane + f, sizeof(v8i));
            mm[j] = __builtin_convertvector(q, v8f) * S8(coef[j]);
        }
        WINO_AT(S8, mm, out);
        for (int i = 0; i < 4; i++) memcpy(yi + i * ldyi + f, &out[i], sizeof(v8f));
    }
    combine_scalar(m + f, mplane, coef, count - f, yi + f, ldyi);
}
#endif

static int use_avx2(void) {
#if defined(__x86_64__)
    return pk_cpu_level() >= PK_CPU_AVX2;
#else
    return 0;
#endif
}

void pv_winograd_inputs(const float *x, long ldx, int c0, int c1, long x0, long xlo, long xhi, int dil, long tiles, float slope,
                        float *v, long ldv, long plane, float *vmax, float *scratch) {
    const long len = tiles + dil, ldp = len + 8;
    if (tiles <= 0 || dil <= 0) return;
    const int avx2 = use_avx2();
    for (int c = c0; c < c1; c++) {
        const float *row = x + (long)c * ldx;
#if defined(__x86_64__)
        if (avx2) {
            deal_avx2(row, x0, xlo, xhi, dil, len, slope, scratch, ldp);
            transform_avx2(scratch, ldp, dil, 0, tiles, v + (long)c * ldv, plane, vmax);
            continue;
        }
#endif
        deal_scalar(row, x0, xlo, xhi, dil, len, slope, scratch, ldp);
        transform_scalar(scratch, ldp, dil, 0, tiles, v + (long)c * ldv, plane, vmax);
    }
}

// y[o] = (accumulate ? y[o] + b : b) + yi[i][f − f0] for the outputs o = 4d·⌊f/d⌋ + f mod d + i·d < n of tiles
// [f, f + count) ∩ [f0, f1), element by element.
static void scatter_tiles(const float *yi, long ldyi, int d, long f0, long f, long f1, float b, float *y, long n, int accumulate) {
    const long span = 4L * d;
    for (; f < f1; f++) {
        const long o0 = span * (f / d) + f % d;
        for (int i = 0; i < 4 && o0 + (long)i * d < n; i++) {
            float *o = y + o0 + (long)i * d;
            const float base = accumulate ? *o + b : b;
            *o = base + yi[i * ldyi + f - f0];
        }
    }
}

// Whole blocks [a, c) of d tiles (their 4d outputs contiguous in y) gathered into t in output order,
// t[(blk − a)·4d + i·d + r] = yi[i][blk·d + r − f0]; t has 8 floats of slack, yi's rows 8 past c·d − f0.
static void gather_scalar(const float *yi, long ldyi, int d, long f0, long a, long c, float *t) {
    for (long blk = a; blk < c; blk++)
        for (int i = 0; i < 4; i++)
            for (long r = 0; r < d; r++) t[(blk - a) * 4 * d + (long)i * d + r] = yi[i * ldyi + blk * d + r - f0];
}

// y[o] = (accumulate ? y[o] + b : b) + t[o] for o < n, in place of the gathered outputs.
static void add_base_scalar(const float *t, long n, float b, float *y, int accumulate) {
    for (long o = 0; o < n; o++) {
        const float base = accumulate ? y[o] + b : b;
        y[o] = base + t[o];
    }
}

#if defined(__x86_64__)
// gather_scalar for d ≥ 2 (d = 1 is pv_interleave_phases): d = 2 by the deal's transpose run backwards,
// other d by runs of d in vectors of 8 (a store past a run is overwritten by the next).
static AVX2 void gather_avx2(const float *yi, long ldyi, int d, long f0, long a, long c, float *t) {
    long blk = a;
    if (d == 2) {
        for (; blk + 4 <= c; blk += 4) {
            __m256d v[4];
            for (int i = 0; i < 4; i++) v[i] = _mm256_castps_pd(_mm256_loadu_ps(yi + i * ldyi + 2 * blk - f0));
            transpose_pairs(v);
            for (int i = 0; i < 4; i++) _mm256_storeu_ps(t + (blk - a) * 8 + 8 * i, _mm256_castpd_ps(v[i]));
        }
    } else {
        for (; blk < c; blk++)
            for (int i = 0; i < 4; i++) {
                const float *src = yi + i * ldyi + blk * d - f0;
                float *dst = t + (blk - a) * 4 * d + (long)i * d;
                for (long r = 0; r < d; r += 8) _mm256_storeu_ps(dst + r, _mm256_loadu_ps(src + r));
            }
    }
    gather_scalar(yi, ldyi, d, f0, blk, c, t + (blk - a) * 4 * d);
}

static AVX2 void add_base_avx2(const float *t, long n, float b, float *y, int accumulate) {
    const __m256 bv = _mm256_set1_ps(b);
    long o = 0;
    for (; o + 8 <= n; o += 8) {
        const __m256 base = accumulate ? _mm256_add_ps(_mm256_loadu_ps(y + o), bv) : bv;
        _mm256_storeu_ps(y + o, _mm256_add_ps(base, _mm256_loadu_ps(t + o)));
    }
    add_base_scalar(t + o, n - o, b, y + o, accumulate);
}
#endif

// y's outputs of tiles [f0, f1) (scatter_tiles): whole blocks through t (4·(f1 − f0) + 8 floats), the rest one by one.
static void scatter(const float *yi, long ldyi, int d, long f0, long f1, float b, float *y, long n, int accumulate, float *t,
                    int avx2) {
    long a = (f0 + d - 1) / d, c = f1 / d;
    if (c > n / (4L * d)) c = n / (4L * d);
    if (c <= a) {
        scatter_tiles(yi, ldyi, d, f0, f0, f1, b, y, n, accumulate);
        return;
    }
    scatter_tiles(yi, ldyi, d, f0, f0, a * d, b, y, n, accumulate);
    float *out = y + 4L * d * a;
    const long count = 4L * d * (c - a);
    if (d == 1)   // four rows interleaved: the upsamplers' weave
        pv_interleave_phases(yi, ldyi, 4, f0, 4 * a, 4 * c, t);
#if defined(__x86_64__)
    else if (avx2)
        gather_avx2(yi, ldyi, d, f0, a, c, t);
#endif
    else
        gather_scalar(yi, ldyi, d, f0, a, c, t);
#if defined(__x86_64__)
    if (avx2) add_base_avx2(t, count, b, out, accumulate);
    else
#endif
        add_base_scalar(t, count, b, out, accumulate);
    scatter_tiles(yi, ldyi, d, f0, c * d, f1, b, y, n, accumulate);
}

void pv_winograd_conv(const int32_t *u, long uplane, const float *coef, long cplane, const float *bias, int rows, int cinp, int chunks,
                      int dil, const int16_t *vq, long ldq, long vplane, long f0, long f1, float *y, long ldy, long n,
                      int accumulate, void *scratch, long scratch_bytes) {
    if (rows <= 0 || f1 <= f0) return;
    // Groups of rows × blocks of up to 512 tiles whose 7 planes of sums (and one row's 4 output rows)
    // take up to 384 KiB of the scratch, so that they stay in L2 from the sums to the output
    // transform, and a group's weights (7 planes) stay there across the block's tiles.
    long words = scratch_bytes / 4;
    if (words > 96L << 10) words = 96L << 10;
    long fc = (f1 - f0 + 31) / 32 * 32;
    fc = fc > 512 ? 512 : fc;
    int group = (int)((words - 8 * (fc + 32) - 8) / ((long)WP * (fc + 32)));
    while (group < 12 && fc > 32) {   // a narrower block for a taller group
        fc -= 32;
        group = (int)((words - 8 * (fc + 32) - 8) / ((long)WP * (fc + 32)));
    }
    if (group < 1) return;   // callers give at least 32 KiB
    if (group >= 12) group = group / 12 * 12;   // whole register tiles of 4 and 6 rows
    group = group > rows ? rows : group;
    const long ldm = fc + 32;
    int32_t *m = scratch;
    float *yi = (float *)(m + (long)WP * group * ldm), *gathered = yi + 4 * ldm;
    const int avx2 = use_avx2();
    for (int r0 = 0; r0 < rows; r0 += group) {
        const int g = rows - r0 < group ? rows - r0 : group;
        for (long b0 = f0; b0 < f1; b0 += fc) {
            const long count = f1 - b0 < fc ? f1 - b0 : fc;
            for (int j = 0; j < WP; j++)
                pv_conv1d_i16_raw(u + j * uplane + (long)r0 * cinp * chunks, g, cinp, chunks, dil, vq + j * vplane + 2 * b0, ldq,
                                  m + (long)j * g * ldm, ldm, count);
            for (int r = 0; r < g; r++) {
                float c[WP];
                for (int j = 0; j < WP; j++) c[j] = coef[j * cplane + r0 + r];
#if defined(__x86_64__)
                if (avx2) combine_avx2(m + (long)r * ldm, (long)g * ldm, c, count, yi, ldm);
                else
#endif
                    combine_scalar(m + (long)r * ldm, (long)g * ldm, c, count, yi, ldm);
                scatter(yi, ldm, dil, b0, b0 + count, bias ? bias[r0 + r] : 0.0f, y + (long)(r0 + r) * ldy, n, accumulate, gathered,
                        avx2);
            }
        }
    }
    (void)avx2;
}
