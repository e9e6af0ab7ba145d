// AVX-512 VNNI kernels: the canonical arithmetic of dot_scalar.c, 64 bytes at a time.
// 32-element blocks: block32_whole.h with 512-bit dpbusd (two blocks per product in decode,
// two vectors per register in prefill). K-quants: maddubs + dpwssd (int16 pairs times the
// group scales).
#if defined(__x86_64__) || defined(__i386__)
#include "simd_common.h"

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline))

// The canonical 16-lane reduction by halving.
INLINE AVX512 float reduce16(__m512 a) {
    const __m256 t = _mm256_add_ps(_mm512_castps512_ps256(a), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

INLINE AVX512 __m512i join256(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

INLINE AVX512 __m512i bytes512(int v) { return _mm512_set1_epi8((char)v); }

// ---- 32-element blocks (whole matrices) ----

#define PKW_TARGET AVX512
#define PKW_VNNI 1
#define PKW_DPBUSD _mm256_dpbusd_epi32
#define PKW_SUFFIX _avx512
#define PKW_512 1
#include "block32_whole.h"

// ---- 256-element super-blocks ----

INLINE AVX512 __m512i bits512(__m512i v, int shift, int mask) {
    return _mm512_and_si512(_mm512_srli_epi16(v, shift), bytes512(mask));
}

INLINE AVX512 __m512i bits_pair(__m256i v, int shift0, int shift1, int mask) {
    return _mm512_and_si512(join256(_mm256_srli_epi16(v, shift0), _mm256_srli_epi16(v, shift1)), bytes512(mask));
}

// Chunk c (elements 64c..64c+63) against NV vectors: iacc += Σ pairs (u*x) * group scale.
INLINE AVX512 void super_chunk(__m512i u, int c, __m512i scales, const uint8_t *xb, size_t xs, int b,
                               const int NV, __m512i *iacc) {
    // int16 lane i covers elements 2i, 2i+1 of the chunk: group 4c + i/8
    const __m512i group = _mm512_set_epi16(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2,
                                           1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m512i scale = _mm512_permutexvar_epi16(_mm512_add_epi16(group, _mm512_set1_epi16((short)(4 * c))), scales);
    for (int v = 0; v < NV; v++) {
        const pk_q8_256 *x = (const pk_q8_256 *)(xb + (size_t)v * xs) + b;
        const __m512i xv = _mm512_loadu_si512((const void *)(x->qs + 64 * c));
        iacc[v] = _mm512_dpwssd_epi32(iacc[v], _mm512_maddubs_epi16(u, xv), scale);
    }
}

INLINE AVX512 void super_chunks(int type, const uint8_t *blk, __m512i scales, const uint8_t *xb, size_t xs, int b,
                                const int NV, __m512i *iacc) {
    switch (type) {
    case PK_Q2_K: {
        const blk_q2_K *q = (const blk_q2_K *)blk;
        for (int half = 0; half < 2; half++) {
            const __m512i low = bits_pair(_mm256_loadu_si256((const __m256i *)(q->qs + 32 * half)), 0, 2, 0xff);
            super_chunk(bits512(low, 0, 3), 2 * half, scales, xb, xs, b, NV, iacc);
            super_chunk(bits512(low, 4, 3), 2 * half + 1, scales, xb, xs, b, NV, iacc);
        }
        break;
    }
    case PK_Q3_K: {
        const blk_q3_K *q = (const blk_q3_K *)blk;
        const __m256i hmask = _mm256_loadu_si256((const __m256i *)q->hmask);
        for (int half = 0; half < 2; half++) {
            const __m512i low = bits_pair(_mm256_loadu_si256((const __m256i *)(q->qs + 32 * half)), 0, 2, 0xff);
            const __m512i high = bits_pair(hmask, 4 * half, 4 * half + 1, 0xff);
            const __m512i u0 = _mm512_or_si512(bits512(low, 0, 3), _mm512_slli_epi16(bits512(high, 0, 1), 2));
            const __m512i u1 = _mm512_or_si512(bits512(low, 4, 3), _mm512_slli_epi16(bits512(high, 2, 1), 2));
            super_chunk(u0, 2 * half, scales, xb, xs, b, NV, iacc);
            super_chunk(u1, 2 * half + 1, scales, xb, xs, b, NV, iacc);
        }
        break;
    }
    case PK_Q4_K: {
        const blk_q4_K *q = (const blk_q4_K *)blk;
        for (int c = 0; c < 4; c++)
            super_chunk(bits_pair(_mm256_loadu_si256((const __m256i *)(q->qs + 32 * c)), 0, 4, 0xf), c, scales, xb, xs, b, NV, iacc);
        break;
    }
    case PK_Q5_K: {
        const blk_q5_K *q = (const blk_q5_K *)blk;
        const __m256i qh = _mm256_loadu_si256((const __m256i *)q->qh);
        for (int c = 0; c < 4; c++) {
            const __m512i low = bits_pair(_mm256_loadu_si256((const __m256i *)(q->qs + 32 * c)), 0, 4, 0xf);
            const __m512i high = _mm512_slli_epi16(bits_pair(qh, 2 * c, 2 * c + 1, 1), 4);
            super_chunk(_mm512_or_si512(low, high), c, scales, xb, xs, b, NV, iacc);
        }
        break;
    }
    default: {
        const blk_q6_K *q = (const blk_q6_K *)blk;
        for (int half = 0; half < 2; half++) {
            const __m512i ql = _mm512_loadu_si512((const void *)(q->ql + 64 * half));
            const __m512i qh = bits_pair(_mm256_loadu_si256((const __m256i *)(q->qh + 32 * half)), 0, 2, 0xff);
            const __m512i u0 = _mm512_or_si512(bits512(ql, 0, 0xf), _mm512_slli_epi16(bits512(qh, 0, 3), 4));
            const __m512i u1 = _mm512_or_si512(bits512(ql, 4, 0xf), _mm512_slli_epi16(bits512(qh, 4, 3), 4));
            super_chunk(u0, 2 * half, scales, xb, xs, b, NV, iacc);
            super_chunk(u1, 2 * half + 1, scales, xb, xs, b, NV, iacc);
        }
        break;
    }
    }
}

// One vector (the prefill path is matmat_super below).
INLINE AVX512 float dot_super(int type, size_t bb, int has_min, const uint8_t *row, int nb, const uint8_t *xb) {
    float sum = 0.0f;
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = row + (size_t)b * bb;
        const pk_simd_scales s = pk_simd_scales_of(type, blk);
        __m512i iacc = _mm512_setzero_si512();
        super_chunks(type, blk, _mm512_castsi256_si512(s.sc), xb, 0, b, 1, &iacc);
        const pk_q8_256 *x = (const pk_q8_256 *)xb + b;
        const __m256i bsums = _mm256_loadu_si256((const __m256i *)x->bsums), zero = _mm256_setzero_si256();
        const __m256i corr = pk_super_offset(type) ? _mm256_madd_epi16(bsums, s.sc) : zero;
        const __m256i msum = has_min ? _mm256_madd_epi16(bsums, s.mn) : zero;
        const __m128i t = pk_simd_hsum4_i32(_mm256_add_epi32(_mm512_castsi512_si256(iacc), _mm512_extracti64x4_epi64(iacc, 1)), corr, msum, zero);
        sum = pk_simd_super_sum(sum, type, has_min, _mm_cvtsi128_si32(t), _mm_extract_epi32(t, 1), _mm_extract_epi32(t, 2), x->d, &s);
    }
    return sum;
}

#define DEFINE_SUPER(name, type, bytes, has_min)                                                          \
    AVX512 static void name(const uint8_t *row, int n, const uint8_t *x, size_t xs, int nv, float *out) { \
        for (int v = 0; v < nv; v++) out[v] = dot_super(type, bytes, has_min, row, n / 256, x + (size_t)v * xs); \
    }
DEFINE_SUPER(dot_q2_K, PK_Q2_K, 84, 1)
DEFINE_SUPER(dot_q3_K, PK_Q3_K, 110, 0)
DEFINE_SUPER(dot_q4_K, PK_Q4_K, 144, 1)
DEFINE_SUPER(dot_q5_K, PK_Q5_K, 176, 1)
DEFINE_SUPER(dot_q6_K, PK_Q6_K, 210, 0)

// ---- super-blocks against many vectors (prefill) ----
//
// dot_super's arithmetic for up to 8 vectors per weight unpack. Each vector's exact
// integer totals of a super-block (isum = raw − offset·corr, and msum) are reduced side by
// side into one lane per vector, then the canonical float steps run lane-wise.

INLINE AVX512 void super_row8(int type, size_t bb, int has_min, const uint8_t *row, int nb, const uint8_t *xb, size_t xs,
                              const float *dx, const int NV, float *out) {
    const int offset = pk_super_offset(type), shift = offset == 32 ? 5 : 2;
    __m256 sum = _mm256_setzero_ps();
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = row + (size_t)b * bb;
        const pk_simd_scales s = pk_simd_scales_of(type, blk);
        __m512i iacc[8];   // NV ≤ 8
        for (int v = 0; v < NV; v++) iacc[v] = _mm512_setzero_si512();
        super_chunks(type, blk, _mm512_castsi256_si512(s.sc), xb, xs, b, NV, iacc);
        __m256i raw[8], msum[8];
        for (int v = 0; v < 8; v++) raw[v] = msum[v] = _mm256_setzero_si256();
        for (int v = 0; v < NV; v++) {
            const pk_q8_256 *x = (const pk_q8_256 *)(xb + (size_t)v * xs) + b;
            const __m256i bsums = _mm256_loadu_si256((const __m256i *)x->bsums);
            raw[v] = _mm256_add_epi32(_mm512_castsi512_si256(iacc[v]), _mm512_extracti64x4_epi64(iacc[v], 1));
            if (offset) raw[v] = _mm256_sub_epi32(raw[v], _mm256_slli_epi32(_mm256_madd_epi16(bsums, s.sc), shift));
            if (has_min) msum[v] = _mm256_madd_epi16(bsums, s.mn);
        }
        const __m256 d = _mm256_loadu_ps(dx + 8 * b);
        sum = _mm256_add_ps(sum, _mm256_mul_ps(_mm256_mul_ps(d, _mm256_set1_ps(s.d)), _mm256_cvtepi32_ps(pk_simd_hsum8x8(raw))));
        if (has_min)
            sum = _mm256_sub_ps(sum, _mm256_mul_ps(_mm256_mul_ps(d, _mm256_set1_ps(s.dmin)), _mm256_cvtepi32_ps(pk_simd_hsum8x8(msum))));
    }
    _mm256_storeu_ps(out, sum);
}

#define PKS_TARGET AVX512
#define PKS_SUFFIX _avx512
#include "super_matmat.h"

// ---- float weights ----

// Elements 16k..16k+15 of a 32-element chunk as floats.
INLINE AVX512 __m512 float_weights16(int type, const uint8_t *p, int k) {
    switch (type) {
    case PK_F16: return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p + 32 * k)));
    case PK_BF16:
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(p + 32 * k))), 16));
    default: return _mm512_loadu_ps((const float *)(p + 64 * k));
    }
}

INLINE AVX512 void float_chunk(int type, const uint8_t *w, const float *x, __m512 acc[2]) {
    for (int k = 0; k < 2; k++)
        acc[k] = _mm512_add_ps(acc[k], _mm512_mul_ps(float_weights16(type, w, k), _mm512_loadu_ps(x + 16 * k)));
}

INLINE AVX512 float dot_float(int type, int esize, const uint8_t *row, int n, const float *x) {
    __m512 acc[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
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
    return reduce16(_mm512_add_ps(acc[0], acc[1]));  // halving over 32 lanes
}

#define DEFINE_FLOAT(name, type, esize)                                                                   \
    AVX512 static void name(const uint8_t *row, int n, const uint8_t *x, size_t xs, int nv, float *out) { \
        for (int v = 0; v < nv; v++) out[v] = dot_float(type, esize, row, n, (const float *)(x + (size_t)v * xs)); \
    }
DEFINE_FLOAT(dot_f32, PK_F32, 4)
DEFINE_FLOAT(dot_f16, PK_F16, 2)
DEFINE_FLOAT(dot_bf16, PK_BF16, 2)

const pk_dot_fn pk_dot_avx512[PK_TYPE_COUNT] = {
    [PK_F32] = dot_f32,   [PK_F16] = dot_f16,   [PK_BF16] = dot_bf16,
    [PK_Q2_K] = dot_q2_K, [PK_Q3_K] = dot_q3_K, [PK_Q4_K] = dot_q4_K, [PK_Q5_K] = dot_q5_K,
    [PK_Q6_K] = dot_q6_K,
};
#else
#include "quants.h"
const pk_dot_fn pk_dot_avx512[PK_TYPE_COUNT] = {0};
int pk_matvec32_avx512(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, float *y) { return 0; }
int pk_matmat32_avx512(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs, int n_vec,
                       float *y, size_t ys) { return 0; }
int pk_matmat_super_avx512(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs,
                           int n_vec, float *y, size_t ys) { return 0; }
#endif
