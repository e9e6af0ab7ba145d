// Helpers shared by the AVX2 and AVX-512 kernels (AVX2 instructions only, so they inline
// into either). Private to the Kernels target.
#ifndef PARLEY_KERNELS_SIMD_COMMON_H
#define PARLEY_KERNELS_SIMD_COMMON_H
#include <immintrin.h>
#include "quants.h"

#define PK_SIMD_INLINE static inline __attribute__((always_inline, target("avx2,fma,f16c")))

// vmovd from a general register, then vcvtph2ps. Written as asm because the compiler
// otherwise folds the load into a vpinsrw that merges into whatever register is free
// (often an accumulator), chaining every block to the previous block's result.
PK_SIMD_INLINE float pk_simd_half(uint16_t h) {
    __m128i v;
    __asm__("vmovd %1, %0" : "=x"(v) : "r"((uint32_t)h));
    return _mm_cvtss_f32(_mm_cvtph_ps(v));
}

// The sums of four int32 vectors' lanes, one per lane of the result.
PK_SIMD_INLINE __m128i pk_simd_hsum4_i32(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

// 16 bytes from two 64-bit halves. vmovq defines the whole register first: building the
// vector lane by lane lets the compiler merge into a stale register (a false dependency).
PK_SIMD_INLINE __m128i pk_simd_bytes16(uint64_t lo, uint64_t hi) {
    return _mm_insert_epi64(_mm_cvtsi64_si128((long long)lo), (long long)hi, 1);
}

// A K-quant super-block's scales as vectors of 16 int16 (one per 16-element group):
// the same values as pk_super_scales_of, decoded without a trip through memory.
typedef struct { __m256i sc, mn; float d, dmin; } pk_simd_scales;

PK_SIMD_INLINE pk_simd_scales pk_simd_scales_of(int type, const uint8_t *blk) {
    pk_simd_scales s;
    switch (type) {
    case PK_Q2_K: {
        const blk_q2_K *b = (const blk_q2_K *)blk;
        const __m128i v = _mm_loadu_si128((const __m128i *)b->scales);
        s.sc = _mm256_cvtepu8_epi16(_mm_and_si128(v, _mm_set1_epi8(0x0f)));
        s.mn = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0f)));
        s.d = pk_simd_half(b->d);
        s.dmin = pk_simd_half(b->dmin);
        break;
    }
    case PK_Q3_K: {
        const blk_q3_K *b = (const blk_q3_K *)blk;
        uint32_t u[3];
        memcpy(u, b->scales, 12);
        // low nibbles from bytes 0-7, the two high bits from bytes 8-11 (see pk_unpack_q3_scales)
        const uint32_t s0 = (u[0] & 0x0f0f0f0fu) | ((u[2] & 0x03030303u) << 4);
        const uint32_t s1 = (u[1] & 0x0f0f0f0fu) | (((u[2] >> 2) & 0x03030303u) << 4);
        const uint32_t s2 = ((u[0] >> 4) & 0x0f0f0f0fu) | (((u[2] >> 4) & 0x03030303u) << 4);
        const uint32_t s3 = ((u[1] >> 4) & 0x0f0f0f0fu) | (((u[2] >> 6) & 0x03030303u) << 4);
        const __m128i v = pk_simd_bytes16((uint64_t)s0 | (uint64_t)s1 << 32, (uint64_t)s2 | (uint64_t)s3 << 32);
        s.sc = _mm256_sub_epi16(_mm256_cvtepu8_epi16(v), _mm256_set1_epi16(32));
        s.mn = _mm256_setzero_si256();
        s.d = pk_simd_half(b->d);
        s.dmin = 0.0f;
        break;
    }
    case PK_Q4_K:
    case PK_Q5_K: {
        const blk_q4_K *b = (const blk_q4_K *)blk;  // d, dmin, scales: same place in Q5_K
        uint32_t u[3];
        memcpy(u, b->scales, 12);
        // see pk_unpack_k4_scales: 6-bit values, high 2 bits of the last four in bytes 0-7
        const uint32_t sc_lo = u[0] & 0x3f3f3f3fu, mn_lo = u[1] & 0x3f3f3f3fu;
        const uint32_t sc_hi = (u[2] & 0x0f0f0f0fu) | ((u[0] >> 2) & 0x30303030u);
        const uint32_t mn_hi = ((u[2] >> 4) & 0x0f0f0f0fu) | ((u[1] >> 2) & 0x30303030u);
        const __m128i v = pk_simd_bytes16((uint64_t)sc_lo | (uint64_t)sc_hi << 32, (uint64_t)mn_lo | (uint64_t)mn_hi << 32);
        // each 32-element sub-block scale covers two 16-element groups
        s.sc = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(v, v));
        s.mn = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(v, v));
        s.d = pk_simd_half(b->d);
        s.dmin = pk_simd_half(b->dmin);
        break;
    }
    default: {
        const blk_q6_K *b = (const blk_q6_K *)blk;
        s.sc = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
        s.mn = _mm256_setzero_si256();
        s.d = pk_simd_half(b->d);
        s.dmin = 0.0f;
        break;
    }
    }
    return s;
}

// The canonical end of a super-block: integer totals to float, in the scalar path's order.
// raw = Σ sc*u*x, corr = Σ sc*bsums, msum = Σ mn*bsums.
PK_SIMD_INLINE float pk_simd_super_sum(float sum, int type, int has_min, int raw, int corr, int msum, float dx,
                                       const pk_simd_scales *s) {
    const int isum = raw - pk_super_offset(type) * corr;
    sum = sum + (dx * s->d) * (float)isum;
    if (has_min) sum = sum - (dx * s->dmin) * (float)msum;
    return sum;
}

// pk_simd_super_sum for four vectors at once, one per lane (lanes past the real vectors
// hold zeros and are ignored): the same float operations, lane-wise.
PK_SIMD_INLINE __m128 pk_simd_super_sum4(__m128 sum, int type, int has_min, __m128i raw, __m128i corr, __m128i msum,
                                         __m128 dx, const pk_simd_scales *s) {
    const __m128i isum = _mm_sub_epi32(raw, _mm_mullo_epi32(_mm_set1_epi32(pk_super_offset(type)), corr));
    sum = _mm_add_ps(sum, _mm_mul_ps(_mm_mul_ps(dx, _mm_set1_ps(s->d)), _mm_cvtepi32_ps(isum)));
    if (has_min) sum = _mm_sub_ps(sum, _mm_mul_ps(_mm_mul_ps(dx, _mm_set1_ps(s->dmin)), _mm_cvtepi32_ps(msum)));
    return sum;
}

// pk_simd_hsum8x8 from its first step done: h[k] = hadd(r[2k], r[2k + 1]).
PK_SIMD_INLINE __m256i pk_simd_hsum4x2(const __m256i h[4]) {
    const __m256i a = _mm256_hadd_epi32(h[0], h[1]), b = _mm256_hadd_epi32(h[2], h[3]);
    return _mm256_add_epi32(_mm256_permute2x128_si256(a, b, 0x20), _mm256_permute2x128_si256(a, b, 0x31));
}

// Lane v: the sum of the 8 lanes of r[v] (exact int32), v < 8.
PK_SIMD_INLINE __m256i pk_simd_hsum8x8(const __m256i *r) {
    const __m256i h[4] = {_mm256_hadd_epi32(r[0], r[1]), _mm256_hadd_epi32(r[2], r[3]), _mm256_hadd_epi32(r[4], r[5]),
                          _mm256_hadd_epi32(r[6], r[7])};
    return pk_simd_hsum4x2(h);
}

// (a0 + a1) reduced by halving: the last steps of the float types' 32-lane reduction.
PK_SIMD_INLINE float pk_simd_reduce16(__m256 a0, __m256 a1) {
    const __m256 t = _mm256_add_ps(a0, a1);
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

// 16 bytes of packed nibbles -> 32 bytes: low nibbles (elements 0-15), then high nibbles.
PK_SIMD_INLINE __m256i pk_simd_nibbles16(const uint8_t *qs) {
    const __m128i q = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(q, 4), q), _mm256_set1_epi8(0x0f));
}

// The canonical 8-lane reduction by halving: lanes k + (k+4), then + 2, then + 1.
PK_SIMD_INLINE float pk_simd_reduce8(__m256 a) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

// pk_simd_reduce8 of eight vectors at once: lane i of the result is a[i] reduced, with the
// same adds in the same order (k + (k+4), then + 2, then + 1).
PK_SIMD_INLINE __m256 pk_simd_reduce8x8(const __m256 a[8]) {
    __m256 t[4];
    for (int i = 0; i < 4; i++)
        t[i] = _mm256_add_ps(_mm256_permute2f128_ps(a[2 * i], a[2 * i + 1], 0x20), _mm256_permute2f128_ps(a[2 * i], a[2 * i + 1], 0x31));
    const __m256 u0 = _mm256_add_ps(_mm256_shuffle_ps(t[0], t[1], _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(t[0], t[1], _MM_SHUFFLE(3, 2, 3, 2)));
    const __m256 u1 = _mm256_add_ps(_mm256_shuffle_ps(t[2], t[3], _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(t[2], t[3], _MM_SHUFFLE(3, 2, 3, 2)));
    const __m256 r = _mm256_add_ps(_mm256_shuffle_ps(u0, u1, _MM_SHUFFLE(2, 0, 2, 0)), _mm256_shuffle_ps(u0, u1, _MM_SHUFFLE(3, 1, 3, 1)));
    return _mm256_permutevar8x32_ps(r, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));   // was [0 2 4 6 | 1 3 5 7]
}

// Activation blocks x[0..cnt) (cnt ≤ 8) side by side: lane j = Σ qs of block j (exact);
// *d and *s (s may be NULL) lane j = its d and s (zero past cnt). Without want_sums the
// sums are skipped (0).
PK_SIMD_INLINE __m256i pk_simd_xgroup8(const pk_q8_32 *x, int cnt, int want_sums, __m256 *d, __m256 *s) {
    float dv[8] = {0}, sv[8] = {0};
    __m256i h[4];   // pairs of blocks' 8 partial sums, folded by hadd (pk_simd_hsum4x2)
    for (int k = 0; k < 4; k++) {
        __m256i t[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
        for (int i = 0; i < 2; i++) {
            const int j = 2 * k + i;
            if (j >= cnt) continue;
            dv[j] = x[j].d;
            sv[j] = x[j].s;
            if (want_sums)
                t[i] = _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(1), _mm256_loadu_si256((const __m256i *)x[j].qs)),
                                         _mm256_set1_epi16(1));
        }
        h[k] = _mm256_hadd_epi32(t[0], t[1]);
    }
    *d = _mm256_loadu_ps(dv);
    if (s) *s = _mm256_loadu_ps(sv);
    return want_sums ? pk_simd_hsum4x2(h) : _mm256_setzero_si256();
}

// In place: v[s] lane j becomes v[j] lane s (an 8x8 transpose of int32 lanes).
PK_SIMD_INLINE void pk_simd_transpose8(__m256i v[8]) {
    const __m256i t0 = _mm256_unpacklo_epi32(v[0], v[1]), t1 = _mm256_unpackhi_epi32(v[0], v[1]);
    const __m256i t2 = _mm256_unpacklo_epi32(v[2], v[3]), t3 = _mm256_unpackhi_epi32(v[2], v[3]);
    const __m256i t4 = _mm256_unpacklo_epi32(v[4], v[5]), t5 = _mm256_unpackhi_epi32(v[4], v[5]);
    const __m256i t6 = _mm256_unpacklo_epi32(v[6], v[7]), t7 = _mm256_unpackhi_epi32(v[6], v[7]);
    const __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    const __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    const __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    const __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    v[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
    v[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
    v[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
    v[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
    v[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    v[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    v[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    v[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

// The fp16 at byte `at` of each of cnt (≤ 8) blocks bb bytes apart, as 8 floats (zero past
// cnt). Built in a register: 8 narrow stores and one wide load would stall forwarding.
PK_SIMD_INLINE __m256 pk_simd_halves8(const uint8_t *blk, size_t bb, int cnt, int at) {
    uint64_t lo = 0, hi = 0;
    for (int j = 0; j < cnt; j++) {
        uint16_t h;
        memcpy(&h, blk + (size_t)j * bb + at, 2);
        if (j < 4) lo |= (uint64_t)h << (16 * j);
        else hi |= (uint64_t)h << (16 * (j - 4));
    }
    return _mm256_cvtph_ps(pk_simd_bytes16(lo, hi));
}

// 32 bits (little endian) -> 32 bytes, 0xff where the bit is set.
PK_SIMD_INLINE __m256i pk_simd_bits32(const uint8_t *qh) {
    uint32_t bits;
    memcpy(&bits, qh, 4);
    const __m256i byte_of_bit = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                                 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits), byte_of_bit);
    const __m256i bit = _mm256_set1_epi64x(0x8040201008040201LL);
    return _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
}

// c (≤ 8) 4-byte quads at p, zero above: reads no byte past p + 4c.
PK_SIMD_INLINE __m128i pk_simd_quads128(const uint8_t *p, int c) {
    int32_t q[4];
    switch (c) {
    case 4: return _mm_loadu_si128((const __m128i *)p);
    case 3: memcpy(q, p, 12); return _mm_insert_epi32(_mm_loadl_epi64((const __m128i *)p), q[2], 2);
    case 2: return _mm_loadl_epi64((const __m128i *)p);
    case 1: memcpy(q, p, 4); return _mm_cvtsi32_si128(q[0]);
    default: return _mm_setzero_si128();
    }
}
PK_SIMD_INLINE __m256i pk_simd_quads(const uint8_t *p, int c) {
    if (c >= 8) return _mm256_loadu_si256((const __m256i *)p);
    const __m128i lo = pk_simd_quads128(p, c < 4 ? c : 4);
    return _mm256_set_m128i(c > 4 ? pk_simd_quads128(p + 16, c - 4) : _mm_setzero_si128(), lo);
}

// The block's weights as bytes: signed for Q8_0, else unsigned (Q4_0 and Q5_0 before
// their offset of 8 and 16, subtracted as offset*Σx).
PK_SIMD_INLINE __m256i pk_simd_block32_weights(int type, const uint8_t *blk) {
    switch (type) {
    case PK_Q4_0: return pk_simd_nibbles16(((const blk_q4_0 *)blk)->qs);
    case PK_Q4_1: return pk_simd_nibbles16(((const blk_q4_1 *)blk)->qs);
    case PK_Q5_0: {
        const blk_q5_0 *b = (const blk_q5_0 *)blk;
        return _mm256_or_si256(pk_simd_nibbles16(b->qs), _mm256_and_si256(pk_simd_bits32(b->qh), _mm256_set1_epi8(0x10)));
    }
    case PK_Q5_1: {
        const blk_q5_1 *b = (const blk_q5_1 *)blk;
        return _mm256_or_si256(pk_simd_nibbles16(b->qs), _mm256_and_si256(pk_simd_bits32(b->qh), _mm256_set1_epi8(0x10)));
    }
    default: return _mm256_loadu_si256((const __m256i *)((const blk_q8_0 *)blk)->qs);
    }
}

#endif
