// AVX2 (+FMA, F16C) kernels: the canonical arithmetic of dot_scalar.c, 32 bytes at a time.
// 32-element block types also run as whole-matrix kernels (pk_matvec32_avx2: four rows per
// pass; pk_matmat32_avx2: weights unpacked once per 8 vectors), the rest through the table.
// maddubs (u8 x s8 pairs -> s16) + madd (pairs -> s32) gives exactly the scalar path's
// 8 partial sums per 32-element block. Q8_0's signed weights use the abs/sign trick;
// Q4_0/Q5_0 multiply their unsigned quants and subtract offset*Σx in the same lanes.
#if defined(__x86_64__) || defined(__i386__)
#include "simd_common.h"

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

// The block's weights as bytes: signed for Q8_0, else unsigned (Q4_0 and Q5_0 before
// their offset of 8 and 16, which block32_partials subtracts as offset*Σx).
INLINE AVX2 __m256i block32_weights(int type, const uint8_t *blk) {
    switch (type) {
    case PK_Q4_0: return unpack_nibbles16(((const blk_q4_0 *)blk)->qs);
    case PK_Q4_1: return unpack_nibbles16(((const blk_q4_1 *)blk)->qs);
    case PK_Q5_0: {
        const blk_q5_0 *b = (const blk_q5_0 *)blk;
        return _mm256_or_si256(unpack_nibbles16(b->qs), _mm256_and_si256(expand_bits32(b->qh), _mm256_set1_epi8(0x10)));
    }
    case PK_Q5_1: {
        const blk_q5_1 *b = (const blk_q5_1 *)blk;
        return _mm256_or_si256(unpack_nibbles16(b->qs), _mm256_and_si256(expand_bits32(b->qh), _mm256_set1_epi8(0x10)));
    }
    default: return _mm256_loadu_si256((const __m256i *)((const blk_q8_0 *)blk)->qs);
    }
}

// The 8 partial sums of one block against one activation block, as floats.
INLINE AVX2 __m256 block32_partials(int is_signed, int offset, __m256i w, __m256i uw, const pk_q8_32 *x) {
    __m256i xv = _mm256_loadu_si256((const __m256i *)x->qs);
    if (is_signed) xv = _mm256_sign_epi8(xv, w);
    __m256i p = _mm256_maddubs_epi16(uw, xv);
    if (offset) p = _mm256_sub_epi16(p, _mm256_maddubs_epi16(_mm256_set1_epi8((char)offset), xv));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)));
}

INLINE AVX2 void dot_block32(int type, size_t bb, int has_min, int is_signed, const uint8_t *row, int nb,
                             const uint8_t *xb, size_t xs, const int NV, float *out) {
    const int offset = type == PK_Q4_0 ? 8 : type == PK_Q5_0 ? 16 : 0;
    __m256 acc[PK_MAX_NV][2];
    __m128 accm[PK_MAX_NV];  // lanes 1 and 3: the even and odd blocks' min terms
    for (int v = 0; v < NV; v++) { acc[v][0] = acc[v][1] = _mm256_setzero_ps(); accm[v] = _mm_setzero_ps(); }
    int b = 0;
    for (; b + 1 < nb; b += 2) {
        const uint8_t *ba = row + (size_t)b * bb, *bb1 = ba + bb;
        const __m128 dm = pk_simd_pair_dm(has_min, ba, bb1);
        const __m256i wa = block32_weights(type, ba), wb = block32_weights(type, bb1);
        const __m256i ua = is_signed ? _mm256_abs_epi8(wa) : wa, ub = is_signed ? _mm256_abs_epi8(wb) : wb;
        for (int v = 0; v < NV; v++) {
            const pk_q8_32 *x = (const pk_q8_32 *)(xb + (size_t)v * xs) + b;
            const __m128 scales = _mm_mul_ps(dm, pk_simd_pair_ds(&x[0], &x[1]));
            const __m256 da = _mm256_broadcastss_ps(scales);
            const __m256 db = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(scales), _mm256_set1_epi32(2));
            acc[v][0] = _mm256_add_ps(acc[v][0], _mm256_mul_ps(da, block32_partials(is_signed, offset, wa, ua, &x[0])));
            acc[v][1] = _mm256_add_ps(acc[v][1], _mm256_mul_ps(db, block32_partials(is_signed, offset, wb, ub, &x[1])));
            if (has_min) accm[v] = _mm_add_ps(accm[v], scales);
        }
    }
    float tail_m = 0.0f, tail_d = 0.0f;
    __m256i tail_w = _mm256_setzero_si256();
    if (b < nb) {
        const uint8_t *ba = row + (size_t)b * bb;
        tail_w = block32_weights(type, ba);
        uint16_t h[2];
        memcpy(h, ba, has_min ? 4 : 2);
        tail_d = pk_simd_half(h[0]);
        if (has_min) tail_m = pk_simd_half(h[1]);
    }
    for (int v = 0; v < NV; v++) {
        float m0 = _mm_cvtss_f32(_mm_movehdup_ps(accm[v])), m1 = _mm_cvtss_f32(_mm_shuffle_ps(accm[v], accm[v], 3));
        if (b < nb) {
            const pk_q8_32 *x = (const pk_q8_32 *)(xb + (size_t)v * xs) + b;
            const __m256i uw = is_signed ? _mm256_abs_epi8(tail_w) : tail_w;
            const __m256 t = _mm256_mul_ps(_mm256_set1_ps(tail_d * x->d), block32_partials(is_signed, offset, tail_w, uw, x));
            acc[v][0] = _mm256_add_ps(acc[v][0], t);
            if (has_min) m0 = m0 + tail_m * x->s;
        }
        const float r = reduce16(acc[v][0], acc[v][1]);
        out[v] = has_min ? r + (m0 + m1) : r;
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
DEFINE_BLOCK32(dot_q4_0, PK_Q4_0, 18, 0, 0)
DEFINE_BLOCK32(dot_q4_1, PK_Q4_1, 20, 1, 0)
DEFINE_BLOCK32(dot_q5_0, PK_Q5_0, 22, 0, 0)
DEFINE_BLOCK32(dot_q5_1, PK_Q5_1, 24, 1, 0)
DEFINE_BLOCK32(dot_q8_0, PK_Q8_0, 34, 0, 1)

// ---- 32-element blocks, whole matrices ----
//
// The same canonical arithmetic as dot_block32, organised so that the work that depends
// only on the weights or only on the activations is done once and reused:
// pk_matvec32_avx2 (decode) reads four rows per pass against one activation vector (its
// quants, −offset·Σx pairs and scales loaded once per block pair for the four rows);
// pk_matmat32_avx2 (prefill) unpacks a tile's weights once per 8 vectors and expands the
// activations once per tile and segment, so that each (row, vector, block) costs
// maddubs, sub, madd, cvt, two multiplies and an add.

INLINE AVX2 __m256i offset_pairs(int offset, __m256i x) {
    return offset ? _mm256_maddubs_epi16(_mm256_set1_epi8((char)offset), x) : _mm256_setzero_si256();
}

// The partial sums of one block as int16 pairs: u·x − offset·x for unsigned weights,
// |w|·sign(x, w) for Q8_0 (then offset is 0).
INLINE AVX2 __m256i block32_pairs(int is_signed, __m256i w, __m256i u, __m256i x, __m256i off) {
    if (is_signed) return _mm256_maddubs_epi16(u, _mm256_sign_epi8(x, w));
    return _mm256_sub_epi16(_mm256_maddubs_epi16(u, x), off);
}

INLINE AVX2 __m256 pairs_to_float(__m256i p) { return _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1))); }

// The odd last block of a row against vector x, and the canonical end: reduce16 of the
// even- and odd-block accumulators, plus the min terms (lanes 1 and 3 of accm).
INLINE AVX2 float finish_row32(int type, int has_min, int is_signed, int offset, const uint8_t *tail, const pk_q8_32 *x,
                               __m256 acc0, __m256 acc1, __m128 accm) {
    float m0 = _mm_cvtss_f32(_mm_movehdup_ps(accm)), m1 = _mm_cvtss_f32(_mm_shuffle_ps(accm, accm, 3));
    if (tail) {
        const __m256i w = block32_weights(type, tail), u = is_signed ? _mm256_abs_epi8(w) : w;
        const __m256i xv = _mm256_loadu_si256((const __m256i *)x->qs);
        uint16_t h[2];
        memcpy(h, tail, has_min ? 4 : 2);
        const float d = pk_simd_half(h[0]);
        const __m256 t = _mm256_mul_ps(_mm256_set1_ps(d * x->d), pairs_to_float(block32_pairs(is_signed, w, u, xv, offset_pairs(offset, xv))));
        acc0 = _mm256_add_ps(acc0, t);
        if (has_min) m0 = m0 + pk_simd_half(h[1]) * x->s;
    }
    const float r = reduce16(acc0, acc1);
    return has_min ? r + (m0 + m1) : r;
}

INLINE AVX2 void matvec_rows32(int type, size_t bb, int has_min, int is_signed, int offset, const uint8_t *row0,
                               size_t rb, int nb, const pk_q8_32 *x, const int R, float *out) {
    const size_t group = (size_t)R * rb, ahead = group >= 8192 ? 2 : 16384 / group;
    __m256 acc[4][2];
    __m128 accm[4];
    for (int i = 0; i < R; i++) { acc[i][0] = acc[i][1] = _mm256_setzero_ps(); accm[i] = _mm_setzero_ps(); }
    int b = 0;
    for (; b + 1 < nb; b += 2) {
        const __m256i xa = _mm256_loadu_si256((const __m256i *)x[b].qs), xb = _mm256_loadu_si256((const __m256i *)x[b + 1].qs);
        const __m256i offa = offset_pairs(offset, xa), offb = offset_pairs(offset, xb);
        const __m128 ds = pk_simd_pair_ds(&x[b], &x[b + 1]);
        // rows read side by side defeat the hardware prefetcher: fetch the rows about
        // 16 KB ahead (contiguous after these) at the rate these are read
        const uint8_t *next = row0 + (size_t)ahead * R * rb + (size_t)R * b * bb;
        for (int line = 0; line < 2 * R * (int)bb; line += 64) _mm_prefetch((const char *)next + line, _MM_HINT_T0);
        for (int i = 0; i < R; i++) {
            const uint8_t *ba = row0 + (size_t)i * rb + (size_t)b * bb, *bb1 = ba + bb;
            const __m128 scales = _mm_mul_ps(pk_simd_pair_dm(has_min, ba, bb1), ds);
            const __m256 da = _mm256_broadcastss_ps(scales);
            const __m256 db = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(scales), _mm256_set1_epi32(2));
            const __m256i wa = block32_weights(type, ba), wb = block32_weights(type, bb1);
            const __m256i ua = is_signed ? _mm256_abs_epi8(wa) : wa, ub = is_signed ? _mm256_abs_epi8(wb) : wb;
            acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_mul_ps(da, pairs_to_float(block32_pairs(is_signed, wa, ua, xa, offa))));
            acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_mul_ps(db, pairs_to_float(block32_pairs(is_signed, wb, ub, xb, offb))));
            if (has_min) accm[i] = _mm_add_ps(accm[i], scales);
        }
    }
    for (int i = 0; i < R; i++) {
        const uint8_t *tail = b < nb ? row0 + (size_t)i * rb + (size_t)b * bb : NULL;
        out[i] = finish_row32(type, has_min, is_signed, offset, tail, &x[b < nb ? b : 0], acc[i][0], acc[i][1], accm[i]);
    }
}

INLINE AVX2 void matvec_block32(int type, size_t bb, int has_min, int is_signed, int offset, const uint8_t *w, size_t rb,
                                int nb, int r0, int r1, const pk_q8_32 *x, float *y) {
    int r = r0;
    for (; r + 4 <= r1; r += 4) matvec_rows32(type, bb, has_min, is_signed, offset, w + (size_t)r * rb, rb, nb, x, 4, y + r);
    for (; r < r1; r++) matvec_rows32(type, bb, has_min, is_signed, offset, w + (size_t)r * rb, rb, nb, x, 1, y + r);
}

#define MM_VECTORS 8   // vectors per unpack of a tile's weights (two register groups of 4)
#define MM_PAIRS 16    // block pairs per segment
#define MM_ROWS 8      // rows per tile (their accumulators live on the stack between segments)

// One activation block pair, expanded: quants, offset·x pairs, scales.
typedef struct {
    int8_t qs[64];
    int16_t off[32];
    __m128 ds;         // [d_a, s_a, d_b, s_b]
} __attribute__((aligned(32))) mm_pair;

// One weight block pair, unpacked: unsigned quants (|w| for Q8_0), the signed quants
// (Q8_0 only) and [d_a, m_a, d_b, m_b].
typedef struct {
    __m256i u[2], w[2];
    __m128 dm;
} mm_wpair;

// The activation scales of a segment side by side: dx[k][0][v] = d of vector v's even block of
// pair k, dx[k][1][v] of its odd block; one multiply gives the block scales of four vectors.
typedef float mm_scales[MM_PAIRS][2][MM_VECTORS];

INLINE AVX2 void mm_expand(int offset, const uint8_t *xq, size_t xs, int nv, int k0, int k1, mm_pair *e, mm_scales dx) {
    for (int k = k0; k < k1; k++) {
        for (int v = 0; v < nv; v++) {
            const pk_q8_32 *x = (const pk_q8_32 *)(xq + (size_t)v * xs) + 2 * k;
            mm_pair *m = &e[(k - k0) * MM_VECTORS + v];
            const __m256i xa = _mm256_loadu_si256((const __m256i *)x[0].qs), xb = _mm256_loadu_si256((const __m256i *)x[1].qs);
            _mm256_store_si256((__m256i *)m->qs, xa);
            _mm256_store_si256((__m256i *)(m->qs + 32), xb);
            if (offset) {
                _mm256_store_si256((__m256i *)m->off, offset_pairs(offset, xa));
                _mm256_store_si256((__m256i *)(m->off + 16), offset_pairs(offset, xb));
            }
            m->ds = pk_simd_pair_ds(&x[0], &x[1]);
            dx[k - k0][0][v] = x[0].d;
            dx[k - k0][1][v] = x[1].d;
        }
        for (int v = nv; v < MM_VECTORS; v++) dx[k - k0][0][v] = dx[k - k0][1][v] = 0.0f;
    }
}

INLINE AVX2 void mm_unpack(int type, size_t bb, int has_min, int is_signed, const uint8_t *w, size_t rb, int t0, int t1,
                           int k0, int k1, mm_wpair (*U)[MM_PAIRS]) {
    for (int r = t0; r < t1; r++)
        for (int k = k0; k < k1; k++) {
            const uint8_t *ba = w + (size_t)r * rb + (size_t)(2 * k) * bb;
            mm_wpair *p = &U[r - t0][k - k0];
            p->dm = pk_simd_pair_dm(has_min, ba, ba + bb);
            p->w[0] = block32_weights(type, ba);
            p->w[1] = block32_weights(type, ba + bb);
            p->u[0] = is_signed ? _mm256_abs_epi8(p->w[0]) : p->w[0];
            p->u[1] = is_signed ? _mm256_abs_epi8(p->w[1]) : p->w[1];
        }
}

// One row of a tile against NV (≤ 4) expanded vectors from vector g of the group (e: the
// group's pairs from vector g; dx: the group's scales), pairs k0..k1.
INLINE AVX2 void mm_row(int has_min, int is_signed, int offset, const mm_wpair *U, int k0, int k1, const mm_pair *e,
                        const float (*dx)[2][MM_VECTORS], int g, const int NV, __m256 (*acc)[2], __m128 *accm) {
    __m256 a[4][2];
    __m128 am[4];
    for (int v = 0; v < NV; v++) { a[v][0] = acc[v][0]; a[v][1] = acc[v][1]; am[v] = accm[v]; }
    for (int k = k0; k < k1; k++) {
        const mm_wpair *p = &U[k - k0];
        const float *dm = (const float *)&p->dm;
        // the block scales d_w·d_x of the four vectors, read back one at a time as broadcasts
        float D[2][4] __attribute__((aligned(16)));
        _mm_store_ps(D[0], _mm_mul_ps(_mm_broadcast_ss(&dm[0]), _mm_loadu_ps(&dx[k - k0][0][g])));
        _mm_store_ps(D[1], _mm_mul_ps(_mm_broadcast_ss(&dm[2]), _mm_loadu_ps(&dx[k - k0][1][g])));
        for (int v = 0; v < NV; v++) {
            const mm_pair *m = &e[(k - k0) * MM_VECTORS + v];
            const __m256i xa = _mm256_load_si256((const __m256i *)m->qs), xb = _mm256_load_si256((const __m256i *)(m->qs + 32));
            const __m256i offa = offset ? _mm256_load_si256((const __m256i *)m->off) : _mm256_setzero_si256();
            const __m256i offb = offset ? _mm256_load_si256((const __m256i *)(m->off + 16)) : _mm256_setzero_si256();
            const __m256 Da = _mm256_broadcast_ss(&D[0][v]), Db = _mm256_broadcast_ss(&D[1][v]);
            a[v][0] = _mm256_add_ps(a[v][0], _mm256_mul_ps(Da, pairs_to_float(block32_pairs(is_signed, p->w[0], p->u[0], xa, offa))));
            a[v][1] = _mm256_add_ps(a[v][1], _mm256_mul_ps(Db, pairs_to_float(block32_pairs(is_signed, p->w[1], p->u[1], xb, offb))));
            if (has_min) am[v] = _mm_add_ps(am[v], _mm_mul_ps(p->dm, m->ds));
        }
    }
    for (int v = 0; v < NV; v++) { acc[v][0] = a[v][0]; acc[v][1] = a[v][1]; accm[v] = am[v]; }
}

INLINE AVX2 void matmat_block32(int type, size_t bb, int has_min, int is_signed, int offset, const uint8_t *w, size_t rb,
                                int nb, int r0, int r1, const uint8_t *xq, size_t xs, int n_vec, float *y, size_t ys) {
    const int pairs = nb / 2;
    mm_pair e[MM_PAIRS * MM_VECTORS] __attribute__((aligned(32)));
    mm_wpair U[MM_ROWS][MM_PAIRS] __attribute__((aligned(32)));
    mm_scales dx __attribute__((aligned(16)));
    __m256 acc[MM_ROWS][MM_VECTORS][2];
    __m128 accm[MM_ROWS][MM_VECTORS];
    for (int v0 = 0; v0 < n_vec; v0 += MM_VECTORS) {
        const int nv = n_vec - v0 < MM_VECTORS ? n_vec - v0 : MM_VECTORS;
        const uint8_t *x0 = xq + (size_t)v0 * xs;
        for (int t0 = r0; t0 < r1; t0 += MM_ROWS) {
            const int t1 = r1 - t0 < MM_ROWS ? r1 : t0 + MM_ROWS;
            for (int r = 0; r < t1 - t0; r++)
                for (int v = 0; v < nv; v++) { acc[r][v][0] = acc[r][v][1] = _mm256_setzero_ps(); accm[r][v] = _mm_setzero_ps(); }
            for (int k0 = 0; k0 < pairs; k0 += MM_PAIRS) {
                const int k1 = pairs - k0 < MM_PAIRS ? pairs : k0 + MM_PAIRS;
                mm_expand(offset, x0, xs, nv, k0, k1, e, dx);
                mm_unpack(type, bb, has_min, is_signed, w, rb, t0, t1, k0, k1, U);
                if (v0 == 0) {
                    // the next tile's part of this segment comes from memory while this one computes
                    const size_t lo = (size_t)(2 * k0) * bb, hi = (size_t)(2 * k1) * bb;
                    for (int r = t1; r < t1 + MM_ROWS && r < r1; r++)
                        for (size_t o = lo; o < hi; o += 64) _mm_prefetch((const char *)w + (size_t)r * rb + o, _MM_HINT_T0);
                }
                for (int r = 0; r < t1 - t0; r++)
                    for (int g = 0; g < nv; g += 4) {
                        const mm_pair *eg = e + g;
                        switch (nv - g < 4 ? nv - g : 4) {
                        case 1: mm_row(has_min, is_signed, offset, U[r], k0, k1, eg, dx, g, 1, acc[r] + g, accm[r] + g); break;
                        case 2: mm_row(has_min, is_signed, offset, U[r], k0, k1, eg, dx, g, 2, acc[r] + g, accm[r] + g); break;
                        case 3: mm_row(has_min, is_signed, offset, U[r], k0, k1, eg, dx, g, 3, acc[r] + g, accm[r] + g); break;
                        default: mm_row(has_min, is_signed, offset, U[r], k0, k1, eg, dx, g, 4, acc[r] + g, accm[r] + g); break;
                        }
                    }
            }
            for (int r = t0; r < t1; r++) {
                const uint8_t *tail = nb & 1 ? w + (size_t)r * rb + (size_t)(nb - 1) * bb : NULL;
                for (int v = 0; v < nv; v++) {
                    const pk_q8_32 *x = (const pk_q8_32 *)(x0 + (size_t)v * xs) + (nb & 1 ? nb - 1 : 0);
                    y[(size_t)(v0 + v) * ys + r] = finish_row32(type, has_min, is_signed, offset, tail, x, acc[r - t0][v][0],
                                                                acc[r - t0][v][1], accm[r - t0][v]);
                }
            }
        }
    }
}

#define DEFINE_WHOLE32(mv, mm, type, bytes, has_min, is_signed, offset)                                          \
    AVX2 __attribute__((noinline)) static void mv(const uint8_t *w, size_t rb, int nb, int r0, int r1,            \
                                                  const pk_q8_32 *x, float *y) {                                  \
        matvec_block32(type, bytes, has_min, is_signed, offset, w, rb, nb, r0, r1, x, y);                         \
    }                                                                                                             \
    AVX2 __attribute__((noinline)) static void mm(const uint8_t *w, size_t rb, int nb, int r0, int r1,            \
                                                  const uint8_t *xq, size_t xs, int n_vec, float *y, size_t ys) { \
        matmat_block32(type, bytes, has_min, is_signed, offset, w, rb, nb, r0, r1, xq, xs, n_vec, y, ys);         \
    }
DEFINE_WHOLE32(matvec_q4_0, matmat_q4_0, PK_Q4_0, 18, 0, 0, 8)
DEFINE_WHOLE32(matvec_q4_1, matmat_q4_1, PK_Q4_1, 20, 1, 0, 0)
DEFINE_WHOLE32(matvec_q5_0, matmat_q5_0, PK_Q5_0, 22, 0, 0, 16)
DEFINE_WHOLE32(matvec_q5_1, matmat_q5_1, PK_Q5_1, 24, 1, 0, 0)
DEFINE_WHOLE32(matvec_q8_0, matmat_q8_0, PK_Q8_0, 34, 0, 1, 0)

int pk_matvec32_avx2(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, float *y) {
    const int nb = n / 32;
    switch (type) {
    case PK_Q4_0: matvec_q4_0(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q4_1: matvec_q4_1(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q5_0: matvec_q5_0(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q5_1: matvec_q5_1(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q8_0: matvec_q8_0(w, rb, nb, r0, r1, xq, y); return 1;
    default: return 0;
    }
}

int pk_matmat32_avx2(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs, int n_vec,
                     float *y, size_t ys) {
    const int nb = n / 32;
    switch (type) {
    case PK_Q4_0: matmat_q4_0(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q4_1: matmat_q4_1(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q5_0: matmat_q5_0(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q5_1: matmat_q5_1(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q8_0: matmat_q8_0(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    default: return 0;
    }
}

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
int pk_matvec32_avx2(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, float *y) { return 0; }
int pk_matmat32_avx2(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs, int n_vec,
                     float *y, size_t ys) { return 0; }
#endif
