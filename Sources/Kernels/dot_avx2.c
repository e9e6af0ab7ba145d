// AVX2 (+FMA, F16C) kernels: the canonical arithmetic of dot_scalar.c, 32 bytes at a time.
// maddubs (u8 x s8 pairs -> s16) + madd (pairs -> s32) gives exactly the scalar path's
// 8 partial sums per 32-element block; signed weights use the abs/sign trick.
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include "quants.h"

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline))

// (a0 + a1) reduced by halving: the canonical 16-lane reduction.
INLINE AVX2 float reduce16(__m256 a0, __m256 a1) {
    const __m256 t = _mm256_add_ps(a0, a1);
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

INLINE AVX2 int hsum_i32(__m256i v) {
    __m128i x = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(1, 0, 3, 2)));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(x);
}

INLINE AVX2 float half_to_float(uint16_t h) { return _cvtsh_ss(h); }

// 16 bytes of packed nibbles -> 32 bytes: low nibbles (elements 0-15), then high nibbles.
INLINE AVX2 __m256i unpack_nibbles16(const uint8_t *qs) {
    const __m128i q = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
}

// 32 bits (little endian) -> 32 bytes, 0xff where the bit is set.
INLINE AVX2 __m256i expand_bits32(const uint8_t *qh) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    const __m256i byte_of_bit = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), byte_of_bit);
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

// ---- 32-element blocks ----

// The block's weights as bytes (signed for Q4_0/Q5_0/Q8_0, unsigned for Q4_1/Q5_1), d and m.
INLINE AVX2 __m256i block32_weights(int type, const uint8_t *blk, float *d, float *m) {
    switch (type) {
    case PK_Q4_0: {
        const blk_q4_0 *b = (const blk_q4_0 *)blk;
        *d = half_to_float(b->d);
        return _mm256_sub_epi8(unpack_nibbles16(b->qs), _mm256_set1_epi8(8));
    }
    case PK_Q4_1: {
        const blk_q4_1 *b = (const blk_q4_1 *)blk;
        *d = half_to_float(b->d);
        *m = half_to_float(b->m);
        return unpack_nibbles16(b->qs);
    }
    case PK_Q5_0: {
        // (nib | 16*bit) - 16 == nib | 0xf0 (as int8) where the bit is clear
        const blk_q5_0 *b = (const blk_q5_0 *)blk;
        *d = half_to_float(b->d);
        return _mm256_or_si256(unpack_nibbles16(b->qs), _mm256_andnot_si256(expand_bits32(b->qh), _mm256_set1_epi8((char)0xf0)));
    }
    case PK_Q5_1: {
        const blk_q5_1 *b = (const blk_q5_1 *)blk;
        *d = half_to_float(b->d);
        *m = half_to_float(b->m);
        return _mm256_or_si256(unpack_nibbles16(b->qs), _mm256_and_si256(expand_bits32(b->qh), _mm256_set1_epi8(0x10)));
    }
    default: {
        const blk_q8_0 *b = (const blk_q8_0 *)blk;
        *d = half_to_float(b->d);
        return _mm256_loadu_si256((const __m256i *)b->qs);
    }
    }
}

// One block against NV vectors; `half` selects the even/odd-block accumulator.
INLINE AVX2 void block32_step(int type, size_t bb, int has_min, int is_signed, const uint8_t *row, int b,
                              const uint8_t *xb, size_t xs, const int NV, const int half,
                              __m256 acc[][2], float *accm) {
    float d, m = 0.0f;
    const __m256i w = block32_weights(type, row + (size_t)b * bb, &d, &m);
    const __m256i uw = is_signed ? _mm256_abs_epi8(w) : w;
    for (int v = 0; v < NV; v++) {
        const pk_q8_32 *x = (const pk_q8_32 *)(xb + (size_t)v * xs) + b;
        __m256i xv = _mm256_loadu_si256((const __m256i *)x->qs);
        if (is_signed) xv = _mm256_sign_epi8(xv, w);
        const __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(uw, xv), _mm256_set1_epi16(1));
        const __m256 t = _mm256_mul_ps(_mm256_set1_ps(d * x->d), _mm256_cvtepi32_ps(p));
        acc[v][half] = _mm256_add_ps(acc[v][half], t);
        if (has_min) accm[v] = accm[v] + m * x->s;
    }
}

INLINE AVX2 void dot_block32(int type, size_t bb, int has_min, int is_signed, const uint8_t *row, int nb,
                             const uint8_t *xb, size_t xs, const int NV, float *out) {
    __m256 acc[PK_MAX_NV][2];
    float accm[PK_MAX_NV];
    for (int v = 0; v < NV; v++) { acc[v][0] = acc[v][1] = _mm256_setzero_ps(); accm[v] = 0.0f; }
    int b = 0;
    for (; b + 1 < nb; b += 2) {
        block32_step(type, bb, has_min, is_signed, row, b, xb, xs, NV, 0, acc, accm);
        block32_step(type, bb, has_min, is_signed, row, b + 1, xb, xs, NV, 1, acc, accm);
    }
    if (b < nb) block32_step(type, bb, has_min, is_signed, row, b, xb, xs, NV, 0, acc, accm);
    for (int v = 0; v < NV; v++) {
        const float r = reduce16(acc[v][0], acc[v][1]);
        out[v] = has_min ? r + accm[v] : r;
    }
}

// One entry point per type; NV = 1..4 instantiated so the vector loop unrolls and the
// accumulators stay in registers.
#define DEFINE_BLOCK32(name, type, bytes, has_min, is_signed)                                          \
    AVX2 static void name(const uint8_t *row, int n, const uint8_t *x, size_t xs, int nv, float *out) { \
        switch (nv) {                                                                                   \
        case 1: dot_block32(type, bytes, has_min, is_signed, row, n / 32, x, xs, 1, out); break;        \
        case 2: dot_block32(type, bytes, has_min, is_signed, row, n / 32, x, xs, 2, out); break;        \
        case 3: dot_block32(type, bytes, has_min, is_signed, row, n / 32, x, xs, 3, out); break;        \
        default: dot_block32(type, bytes, has_min, is_signed, row, n / 32, x, xs, 4, out); break;       \
        }                                                                                               \
    }
DEFINE_BLOCK32(dot_q4_0, PK_Q4_0, 18, 0, 1)
DEFINE_BLOCK32(dot_q4_1, PK_Q4_1, 20, 1, 0)
DEFINE_BLOCK32(dot_q5_0, PK_Q5_0, 22, 0, 1)
DEFINE_BLOCK32(dot_q5_1, PK_Q5_1, 24, 1, 0)
DEFINE_BLOCK32(dot_q8_0, PK_Q8_0, 34, 0, 1)

// ---- 256-element super-blocks ----

// Chunk c (elements 32c..32c+31) of unsigned quants against NV vectors:
// iacc += Σ pairs (u*x) * scale of the pair's 16-element group.
INLINE AVX2 void super_chunk(__m256i u, int c, const pk_super_scales *s, const uint8_t *xb, size_t xs, int b,
                             const int NV, __m256i *iacc) {
    const __m256i scale = _mm256_set_m128i(_mm_set1_epi16(s->sc[2 * c + 1]), _mm_set1_epi16(s->sc[2 * c]));
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
INLINE AVX2 void super_chunks(int type, const uint8_t *blk, const pk_super_scales *s, const uint8_t *xb,
                              size_t xs, int b, const int NV, __m256i *iacc) {
    switch (type) {
    case PK_Q2_K: {
        const blk_q2_K *q = (const blk_q2_K *)blk;
        for (int half = 0; half < 2; half++) {
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(q->qs + 32 * half));
            for (int g = 0; g < 4; g++) super_chunk(low_bits(bits, 2 * g, 3), 4 * half + g, s, xb, xs, b, NV, iacc);
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
                super_chunk(_mm256_or_si256(low_bits(bits, 2 * g, 3), high), 4 * half + g, s, xb, xs, b, NV, iacc);
            }
        }
        break;
    }
    case PK_Q4_K: {
        const blk_q4_K *q = (const blk_q4_K *)blk;
        for (int c = 0; c < 4; c++) {
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(q->qs + 32 * c));
            super_chunk(low_bits(bits, 0, 0xf), 2 * c, s, xb, xs, b, NV, iacc);
            super_chunk(low_bits(bits, 4, 0xf), 2 * c + 1, s, xb, xs, b, NV, iacc);
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
            super_chunk(_mm256_or_si256(low_bits(bits, 0, 0xf), h0), 2 * c, s, xb, xs, b, NV, iacc);
            super_chunk(_mm256_or_si256(low_bits(bits, 4, 0xf), h1), 2 * c + 1, s, xb, xs, b, NV, iacc);
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
                super_chunk(_mm256_or_si256(low, high), 4 * half + g, s, xb, xs, b, NV, iacc);
            }
        }
        break;
    }
    }
}

INLINE AVX2 void dot_super(int type, size_t bb, int has_min, const uint8_t *row, int nb, const uint8_t *xb,
                           size_t xs, const int NV, float *out) {
    float sum[PK_MAX_NV];
    for (int v = 0; v < NV; v++) sum[v] = 0.0f;
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = row + (size_t)b * bb;
        pk_super_scales s;
        pk_super_scales_of(type, blk, &s);
        __m256i iacc[PK_MAX_NV];
        for (int v = 0; v < NV; v++) iacc[v] = _mm256_setzero_si256();
        super_chunks(type, blk, &s, xb, xs, b, NV, iacc);
        const __m256i sc = _mm256_loadu_si256((const __m256i *)s.sc), mn = _mm256_loadu_si256((const __m256i *)s.mn);
        for (int v = 0; v < NV; v++) {
            const pk_q8_256 *x = (const pk_q8_256 *)(xb + (size_t)v * xs) + b;
            const __m256i bsums = _mm256_loadu_si256((const __m256i *)x->bsums);
            int isum = hsum_i32(iacc[v]);
            if (s.offset) isum -= s.offset * hsum_i32(_mm256_madd_epi16(bsums, sc));
            sum[v] = sum[v] + (x->d * s.d) * (float)isum;
            if (has_min) sum[v] = sum[v] - (x->d * s.dmin) * (float)hsum_i32(_mm256_madd_epi16(bsums, mn));
        }
    }
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
    return reduce16(_mm256_add_ps(acc[0], acc[2]), _mm256_add_ps(acc[1], acc[3]));
}

#define DEFINE_FLOAT(name, type, esize)                                                                 \
    AVX2 static void name(const uint8_t *row, int n, const uint8_t *x, size_t xs, int nv, float *out) { \
        for (int v = 0; v < nv; v++) out[v] = dot_float(type, esize, row, n, (const float *)(x + (size_t)v * xs)); \
    }
DEFINE_FLOAT(dot_f32, PK_F32, 4)
DEFINE_FLOAT(dot_f16, PK_F16, 2)
DEFINE_FLOAT(dot_bf16, PK_BF16, 2)

const pk_dot_fn pk_dot_avx2[PK_TYPE_COUNT] = {
    [PK_F32] = dot_f32,   [PK_F16] = dot_f16,   [PK_BF16] = dot_bf16, [PK_Q4_0] = dot_q4_0,
    [PK_Q4_1] = dot_q4_1, [PK_Q5_0] = dot_q5_0, [PK_Q5_1] = dot_q5_1, [PK_Q8_0] = dot_q8_0,
    [PK_Q2_K] = dot_q2_K, [PK_Q3_K] = dot_q3_K, [PK_Q4_K] = dot_q4_K, [PK_Q5_K] = dot_q5_K,
    [PK_Q6_K] = dot_q6_K,
};
#else
#include "quants.h"
const pk_dot_fn pk_dot_avx2[PK_TYPE_COUNT] = {0};
#endif
