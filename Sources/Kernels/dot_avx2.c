// AVX2 (+FMA, F16C) kernels: the canonical arithmetic of dot_scalar.c, 32 bytes at a time.
// 32-element blocks run as whole-matrix kernels (block32_whole.h: pk_matvec32_avx2,
// pk_matmat32_avx2) whose products are maddubs (u8 x s8 pairs -> s16) + madd (pairs ->
// s32), and so does Q5_0 rewritten at load (PK_Q5_0_T8, repack.c). K-quants decode through
// the table and prefill with pk_matmat_super_avx2 (super_matmat.h); float weights always run
// through the table. The AVX-VNNI level uses these for K-quants and float weights too.
#if defined(__x86_64__) || defined(__i386__)
#include "simd_common.h"

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline))

// ---- 32-element blocks, whole matrices (maddubs + madd) ----

#define PKW_TARGET AVX2
#define PKW_VNNI 0
#define PKW_SUFFIX _avx2
#include "block32_whole.h"

// ---- 256-element super-blocks ----

// Chunk c (elements 32c..32c+31) of unsigned quants against NV vectors:
// iacc += Σ pairs (u*x) * scale of the pair's 16-element group.
INLINE AVX2 void super_chunk(__m256i u, int c, __m256i sc16, const uint8_t *xb, size_t xs, int b, const int NV,
                             __m256i *iacc) {
    // groups 2c and 2c+1: broadcast the dword holding both, then each word over its half
    const __m256i pair = _mm256_permutevar8x32_epi32(sc16, _mm256_set1_epi32(c));
    const __m256i scale = _mm256_shuffle_epi8(pair, _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,
                                                                     2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3));
    for (int v = 0; v < NV; v++) {
        const pk_q8_256 *x = (const pk_q8_256 *)(xb + (size_t)v * xs) + b;
        const __m256i xv = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * c));
        iacc[v] = _mm256_add_epi32(iacc[v], _mm256_madd_epi16(_mm256_maddubs_epi16(u, xv), scale));
    }
}

INLINE AVX2 __m256i low_bits(__m256i v, int shift, int mask) {
    return _mm256_and_si256(_mm256_srli_epi16(v, shift), _mm256_set1_epi8((char)mask));
}

// Every chunk of super-block b, in element order.
INLINE AVX2 void super_chunks(int type, const uint8_t *blk, __m256i sc16, const uint8_t *xb, size_t xs, int b,
                              const int NV, __m256i *iacc) {
    switch (type) {
    case PK_Q2_K: {
        const blk_q2_K *q = (const blk_q2_K *)blk;
        for (int half = 0; half < 2; half++) {
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(q->qs + 32 * half));
            for (int g = 0; g < 4; g++) super_chunk(low_bits(bits, 2 * g, 3), 4 * half + g, sc16, xb, xs, b, NV, iacc);
        }
        break;
    }
    case PK_Q3_K: {
        const blk_q3_K *q = (const blk_q3_K *)blk;
        const __m256i hmask = _mm256_loadu_si256((const __m256i *)q->hmask);
        for (int half = 0; half < 2; half++) {
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(q->qs + 32 * half));
            for (int g = 0; g < 4; g++) {
                const __m256i high = _mm256_slli_epi16(low_bits(hmask, 4 * half + g, 1), 2);
                super_chunk(_mm256_or_si256(low_bits(bits, 2 * g, 3), high), 4 * half + g, sc16, xb, xs, b, NV, iacc);
            }
        }
        break;
    }
    case PK_Q4_K: {
        const blk_q4_K *q = (const blk_q4_K *)blk;
        for (int c = 0; c < 4; c++) {
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(q->qs + 32 * c));
            super_chunk(low_bits(bits, 0, 0xf), 2 * c, sc16, xb, xs, b, NV, iacc);
            super_chunk(low_bits(bits, 4, 0xf), 2 * c + 1, sc16, xb, xs, b, NV, iacc);
        }
        break;
    }
    case PK_Q5_K: {
        const blk_q5_K *q = (const blk_q5_K *)blk;
        const __m256i qh = _mm256_loadu_si256((const __m256i *)q->qh);
        for (int c = 0; c < 4; c++) {
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(q->qs + 32 * c));
            const __m256i h0 = _mm256_slli_epi16(low_bits(qh, 2 * c, 1), 4);
            const __m256i h1 = _mm256_slli_epi16(low_bits(qh, 2 * c + 1, 1), 4);
            super_chunk(_mm256_or_si256(low_bits(bits, 0, 0xf), h0), 2 * c, sc16, xb, xs, b, NV, iacc);
            super_chunk(_mm256_or_si256(low_bits(bits, 4, 0xf), h1), 2 * c + 1, sc16, xb, xs, b, NV, iacc);
        }
        break;
    }
    default: {
        const blk_q6_K *q = (const blk_q6_K *)blk;
        for (int half = 0; half < 2; half++) {
            const __m256i l0 = _mm256_loadu_si256((const __m256i *)(q->ql + 64 * half));
            const __m256i l1 = _mm256_loadu_si256((const __m256i *)(q->ql + 64 * half + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(q->qh + 32 * half));
            for (int g = 0; g < 4; g++) {
                const __m256i low = low_bits(g & 1 ? l1 : l0, g < 2 ? 0 : 4, 0xf);
                const __m256i high = _mm256_slli_epi16(low_bits(qh, 2 * g, 3), 4);
                super_chunk(_mm256_or_si256(low, high), 4 * half + g, sc16, xb, xs, b, NV, iacc);
            }
        }
        break;
    }
    }
}

INLINE AVX2 void dot_super(int type, size_t bb, int has_min, const uint8_t *row, int nb, const uint8_t *xb,
                           size_t xs, const int NV, float *out) {
    float sum[4] = {0, 0, 0, 0};
    __m128 sum4 = _mm_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = row + (size_t)b * bb;
        const pk_simd_scales s = pk_simd_scales_of(type, blk);
        __m256i iacc[PK_MAX_NV];
        for (int v = 0; v < NV; v++) iacc[v] = _mm256_setzero_si256();
        super_chunks(type, blk, s.sc, xb, xs, b, NV, iacc);
        if (NV == 1) {
            const pk_q8_256 *x = (const pk_q8_256 *)xb + b;
            const __m256i bsums = _mm256_loadu_si256((const __m256i *)x->bsums), zero = _mm256_setzero_si256();
            const __m256i corr = pk_super_offset(type) ? _mm256_madd_epi16(bsums, s.sc) : zero;
            const __m256i msum = has_min ? _mm256_madd_epi16(bsums, s.mn) : zero;
            const __m128i t = pk_simd_hsum4_i32(iacc[0], corr, msum, zero);
            sum[0] = pk_simd_super_sum(sum[0], type, has_min, _mm_cvtsi128_si32(t), _mm_extract_epi32(t, 1),
                                       _mm_extract_epi32(t, 2), x->d, &s);
        } else {
            // several vectors: reduce and scale them side by side, one per lane
            __m256i raw[4], corr[4], msum[4];
            float dx[4] = {0, 0, 0, 0};
            for (int v = 0; v < 4; v++) raw[v] = corr[v] = msum[v] = _mm256_setzero_si256();
            for (int v = 0; v < NV; v++) {
                const pk_q8_256 *x = (const pk_q8_256 *)(xb + (size_t)v * xs) + b;
                const __m256i bsums = _mm256_loadu_si256((const __m256i *)x->bsums);
                raw[v] = iacc[v];
                if (pk_super_offset(type)) corr[v] = _mm256_madd_epi16(bsums, s.sc);
                if (has_min) msum[v] = _mm256_madd_epi16(bsums, s.mn);
                dx[v] = x->d;
            }
            const __m128i zero = _mm_setzero_si128();
            sum4 = pk_simd_super_sum4(sum4, type, has_min, pk_simd_hsum4_i32(raw[0], raw[1], raw[2], raw[3]),
                                      pk_super_offset(type) ? pk_simd_hsum4_i32(corr[0], corr[1], corr[2], corr[3]) : zero,
                                      has_min ? pk_simd_hsum4_i32(msum[0], msum[1], msum[2], msum[3]) : zero,
                                      _mm_setr_ps(dx[0], dx[1], dx[2], dx[3]), &s);
        }
    }
    if (NV > 1) _mm_storeu_ps(sum, sum4);
    for (int v = 0; v < NV; v++) out[v] = sum[v];
}

#define DEFINE_SUPER(name, type, bytes, has_min)                                                        \
    AVX2 static void name(const uint8_t *row, int n, const uint8_t *x, size_t xs, int nv, float *out) { \
        switch (nv) {                                                                                   \
        case 1: dot_super(type, bytes, has_min, row, n / 256, x, xs, 1, out); break;                    \
        case 2: dot_super(type, bytes, has_min, row, n / 256, x, xs, 2, out); break;                    \
        case 3: dot_super(type, bytes, has_min, row, n / 256, x, xs, 3, out); break;                    \
        default: dot_super(type, bytes, has_min, row, n / 256, x, xs, 4, out); break;                   \
        }                                                                                               \
    }
DEFINE_SUPER(dot_q2_K, PK_Q2_K, 84, 1)
DEFINE_SUPER(dot_q3_K, PK_Q3_K, 110, 0)
DEFINE_SUPER(dot_q4_K, PK_Q4_K, 144, 1)
DEFINE_SUPER(dot_q5_K, PK_Q5_K, 176, 1)
DEFINE_SUPER(dot_q6_K, PK_Q6_K, 210, 0)

// Prefill: each row against up to 8 vectors per pass, so a super-block's quants are unpacked
// once for 8 vectors instead of once per 4 (dot_super). Per vector the same integers and
// the same float operations as pk_simd_super_sum, one vector per lane.
INLINE AVX2 void super_row8(int type, size_t bb, int has_min, const uint8_t *row, int nb, const uint8_t *xb, size_t xs,
                            const float *dx, const int NV, float *out) {
    const int offset = pk_super_offset(type);
    __m256 sum = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = row + (size_t)b * bb;
        const pk_simd_scales s = pk_simd_scales_of(type, blk);
        __m256i iacc[8], corr[8], msum[8];
        for (int v = 0; v < 8; v++) iacc[v] = corr[v] = msum[v] = _mm256_setzero_si256();
        super_chunks(type, blk, s.sc, xb, xs, b, NV, iacc);
        for (int v = 0; v < NV; v++) {
            const __m256i bsums = _mm256_loadu_si256((const __m256i *)((const pk_q8_256 *)(xb + (size_t)v * xs) + b)->bsums);
            if (offset) corr[v] = _mm256_madd_epi16(bsums, s.sc);
            if (has_min) msum[v] = _mm256_madd_epi16(bsums, s.mn);
        }
        const __m256i isum = offset ? _mm256_sub_epi32(pk_simd_hsum8x8(iacc),
                                                       _mm256_mullo_epi32(_mm256_set1_epi32(offset), pk_simd_hsum8x8(corr)))
                                    : pk_simd_hsum8x8(iacc);
        const __m256 d = _mm256_loadu_ps(dx + 8 * b);
        sum = _mm256_add_ps(sum, _mm256_mul_ps(_mm256_mul_ps(d, _mm256_set1_ps(s.d)), _mm256_cvtepi32_ps(isum)));
        if (has_min)
            sum = _mm256_sub_ps(sum, _mm256_mul_ps(_mm256_mul_ps(d, _mm256_set1_ps(s.dmin)),
                                                   _mm256_cvtepi32_ps(pk_simd_hsum8x8(msum))));
    }
    _mm256_storeu_ps(out, sum);
}

#define PKS_TARGET AVX2
#define PKS_SUFFIX _avx2
#include "super_matmat.h"

// ---- float weights ----

// Elements 8k..8k+7 of a 32-element chunk as floats.
INLINE AVX2 __m256 float_weights8(int type, const uint8_t *p, int k) {
    switch (type) {
    case PK_F16: return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 16 * k)));
    case PK_BF16:
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(p + 16 * k))), 16));
    default: return _mm256_loadu_ps((const float *)(p + 32 * k));
    }
}

INLINE AVX2 void float_chunk(int type, const uint8_t *w, const float *x, __m256 acc[4]) {
    for (int k = 0; k < 4; k++)
        acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(float_weights8(type, w, k), _mm256_loadu_ps(x + 8 * k)));
}

INLINE AVX2 float dot_float(int type, int esize, const uint8_t *row, int n, const float *x) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    int i = 0;
    for (; i + 32 <= n; i += 32) float_chunk(type, row + (size_t)i * esize, x + i, acc);
    if (i < n) {
        // zero-padded tail: 0*0 leaves the accumulators unchanged
        uint8_t wt[128] = {0};
        float xt[32] = {0};
        memcpy(wt, row + (size_t)i * esize, (size_t)(n - i) * esize);
        memcpy(xt, x + i, (size_t)(n - i) * 4);
        float_chunk(type, wt, xt, acc);
    }
    // halving over 32 lanes: (acc0+acc2) + (acc1+acc3), then the 16-lane steps
    return pk_simd_reduce16(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3]));
}

#define DEFINE_FLOAT(name, type, esize)                                                                 \
    AVX2 static void name(const uint8_t *row, int n, const uint8_t *x, size_t xs, int nv, float *out) { \
        for (int v = 0; v < nv; v++) out[v] = dot_float(type, esize, row, n, (const float *)(x + (size_t)v * xs)); \
    }
DEFINE_FLOAT(dot_f32, PK_F32, 4)
DEFINE_FLOAT(dot_f16, PK_F16, 2)
DEFINE_FLOAT(dot_bf16, PK_BF16, 2)

const pk_dot_fn pk_dot_avx2[PK_TYPE_COUNT] = {
    [PK_F32] = dot_f32,   [PK_F16] = dot_f16,   [PK_BF16] = dot_bf16,
    [PK_Q2_K] = dot_q2_K, [PK_Q3_K] = dot_q3_K, [PK_Q4_K] = dot_q4_K, [PK_Q5_K] = dot_q5_K,
    [PK_Q6_K] = dot_q6_K,
};
#else
#include "quants.h"
const pk_dot_fn pk_dot_avx2[PK_TYPE_COUNT] = {0};
int pk_matvec32_avx2(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, float *y) { return 0; }
int pk_matmat32_avx2(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs, int n_vec,
                     float *y, size_t ys) { return 0; }
int pk_matmat_super_avx2(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs,
                         int n_vec, float *y, size_t ys) { return 0; }
#endif
