// AVX-512 VNNI kernels: the canonical arithmetic of dot_scalar.c, 64 bytes at a time.
// 32-element blocks go two to a register (even block in the low half, odd block in the
// high half: exactly the canonical acc[0..7] / acc[8..15]); dpbusd gives the 8 partial
// sums per block, starting from −offset·Σx so the weights stay unsigned (Q4_0 8, Q5_0 16,
// Q8_0 shifted by 128). They run as whole-matrix kernels (pk_matvec32_avx512: four rows
// per pass; pk_matmat32_avx512: up to 8 vectors per weight unpack), not through the
// per-row table. K-quants use maddubs + dpwssd (int16 pairs times the group scales).
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

// ---- 32-element blocks ----

// Two blocks' packed nibbles -> 64 bytes: block a's low then high nibbles, then block b's.
INLINE AVX512 __m512i unpack_nibbles_pair(const uint8_t *qa, const uint8_t *qb) {
    const __m256i q = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)qb), _mm_loadu_si128((const __m128i *)qa));
    const __m512i z = join256(q, _mm256_srli_epi16(q, 4));                     // a, b, a>>4, b>>4
    return _mm512_and_si512(_mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0)), bytes512(0x0f));  // a, a>>4, b, b>>4
}

INLINE AVX512 uint32_t load32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

INLINE AVX512 __mmask64 high_bits_pair(const uint8_t *qa, const uint8_t *qb) {
    return (__mmask64)load32(qa) | ((__mmask64)load32(qb) << 32);
}

// Weights of blocks a and b (64 bytes): signed for Q8_0, else unsigned (Q4_0 and Q5_0
// before their offset of 8 and 16, subtracted as offset*Σx).
INLINE AVX512 __m512i pair_weights(int type, const uint8_t *a, const uint8_t *b) {
    switch (type) {
    case PK_Q4_0: return unpack_nibbles_pair(((const blk_q4_0 *)a)->qs, ((const blk_q4_0 *)b)->qs);
    case PK_Q4_1: return unpack_nibbles_pair(((const blk_q4_1 *)a)->qs, ((const blk_q4_1 *)b)->qs);
    case PK_Q5_0: {
        const blk_q5_0 *x = (const blk_q5_0 *)a, *y = (const blk_q5_0 *)b;
        const __m512i nib = unpack_nibbles_pair(x->qs, y->qs);
        return _mm512_mask_add_epi8(nib, high_bits_pair(x->qh, y->qh), nib, bytes512(16));
    }
    case PK_Q5_1: {
        const blk_q5_1 *x = (const blk_q5_1 *)a, *y = (const blk_q5_1 *)b;
        const __m512i nib = unpack_nibbles_pair(x->qs, y->qs);
        return _mm512_mask_add_epi8(nib, high_bits_pair(x->qh, y->qh), nib, bytes512(16));
    }
    default:
        return join256(_mm256_loadu_si256((const __m256i *)((const blk_q8_0 *)a)->qs),
                       _mm256_loadu_si256((const __m256i *)((const blk_q8_0 *)b)->qs));
    }
}

// Weights of one block (the odd last block of a row).
INLINE AVX512 __m256i single_weights(int type, const uint8_t *a) {
    switch (type) {
    case PK_Q4_0: return pk_simd_nibbles16(((const blk_q4_0 *)a)->qs);
    case PK_Q4_1: return pk_simd_nibbles16(((const blk_q4_1 *)a)->qs);
    case PK_Q5_0: {
        const blk_q5_0 *x = (const blk_q5_0 *)a;
        const __m256i nib = pk_simd_nibbles16(x->qs);
        return _mm256_mask_add_epi8(nib, (__mmask32)load32(x->qh), nib, _mm256_set1_epi8(16));
    }
    case PK_Q5_1: {
        const blk_q5_1 *x = (const blk_q5_1 *)a;
        const __m256i nib = pk_simd_nibbles16(x->qs);
        return _mm256_mask_add_epi8(nib, (__mmask32)load32(x->qh), nib, _mm256_set1_epi8(16));
    }
    default: return _mm256_loadu_si256((const __m256i *)((const blk_q8_0 *)a)->qs);
    }
}


// ---- 32-element blocks against one vector, several rows at a time (decode) ----
//
// the canonical block arithmetic (dot_scalar.c) for one activation vector, four rows per pass: the vector's
// quants, scales and −offset·Σx (Q8_0's weights shifted by 128 to unsigned, as in the
// prefill kernel) are loaded and computed once per block pair for all four rows.

INLINE AVX512 void matvec_rows32(int type, size_t bb, int has_min, int offset, const uint8_t *row0, size_t rb,
                                 int nb, const pk_q8_32 *x, const int R, float *out) {
    const __m512i spread = _mm512_set_epi32(2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0);
    const int is_signed = type == PK_Q8_0;
    const size_t group = (size_t)R * rb, ahead = group >= 2048 ? 2 : 4096 / group;
    __m512 acc[4];
    __m128 accm[4];
    for (int i = 0; i < R; i++) { acc[i] = _mm512_setzero_ps(); accm[i] = _mm_setzero_ps(); }
    int b = 0;
    for (; b + 1 < nb; b += 2) {
        const __m512i xv = join256(_mm256_loadu_si256((const __m256i *)x[b].qs), _mm256_loadu_si256((const __m256i *)x[b + 1].qs));
        const __m512i start = offset ? _mm512_sub_epi32(_mm512_setzero_si512(),
                                                        _mm512_dpbusd_epi32(_mm512_setzero_si512(), bytes512(offset), xv))
                                     : _mm512_setzero_si512();
        const __m128 ds = pk_simd_pair_ds(&x[b], &x[b + 1]);
        // the rows are read side by side, which the hardware prefetcher follows poorly:
        // fetch the rows about 4 KB ahead (contiguous after these) at the rate these are read
        // (as block32_whole.h; measured against 16 KB)
        const uint8_t *next = row0 + (size_t)ahead * R * rb + (size_t)R * b * bb;
        for (int line = 0; line < 2 * R * (int)bb; line += 64) _mm_prefetch((const char *)next + line, _MM_HINT_T0);
        for (int i = 0; i < R; i++) {
            const uint8_t *ba = row0 + (size_t)i * rb + (size_t)b * bb, *bb1 = ba + bb;
            __m512i u = pair_weights(type, ba, bb1);
            if (is_signed) u = _mm512_xor_si512(u, bytes512(0x80));
            const __m512i p = _mm512_dpbusd_epi32(start, u, xv);
            const __m128 scales = _mm_mul_ps(pk_simd_pair_dm(has_min, ba, bb1), ds);
            const __m512 D = _mm512_permutexvar_ps(spread, _mm512_castps128_ps512(scales));
            acc[i] = _mm512_add_ps(acc[i], _mm512_mul_ps(D, _mm512_cvtepi32_ps(p)));
            if (has_min) accm[i] = _mm_add_ps(accm[i], scales);
        }
    }
    for (int i = 0; i < R; i++) {
        const uint8_t *row = row0 + (size_t)i * rb;
        float m0 = _mm_cvtss_f32(_mm_movehdup_ps(accm[i])), m1 = _mm_cvtss_f32(_mm_shuffle_ps(accm[i], accm[i], 3));
        if (b < nb) {
            // the odd last block (even-block lanes only), then the canonical reduction
            const uint8_t *ba = row + (size_t)b * bb;
            const __m256i tail_w = single_weights(type, ba);
            uint16_t h[2];
            memcpy(h, ba, has_min ? 4 : 2);
            const float tail_d = pk_simd_half(h[0]);
            __m256i xv = _mm256_loadu_si256((const __m256i *)x[b].qs);
            if (is_signed) xv = _mm256_sign_epi8(xv, tail_w);
            const __m256i uw = is_signed ? _mm256_abs_epi8(tail_w) : tail_w;
            __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), uw, xv);
            if (offset && !is_signed)
                p = _mm256_sub_epi32(p, _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8((char)offset), xv));
            const __m256 t = _mm256_mul_ps(_mm256_set1_ps(tail_d * x[b].d), _mm256_cvtepi32_ps(p));
            acc[i] = _mm512_mask_add_ps(acc[i], 0x00ff, acc[i], _mm512_zextps256_ps512(t));
            if (has_min) m0 = m0 + pk_simd_half(h[1]) * x[b].s;
        }
        const float r = reduce16(acc[i]);
        out[i] = has_min ? r + (m0 + m1) : r;
    }
}

INLINE AVX512 void matvec_block32(int type, size_t bb, int has_min, int offset, const uint8_t *w, size_t rb, int nb,
                                  int r0, int r1, const pk_q8_32 *x, float *y) {
    int r = r0;
    for (; r + 4 <= r1; r += 4) matvec_rows32(type, bb, has_min, offset, w + (size_t)r * rb, rb, nb, x, 4, y + r);
    for (; r < r1; r++) matvec_rows32(type, bb, has_min, offset, w + (size_t)r * rb, rb, nb, x, 1, y + r);
}

#define DEFINE_MATVEC32(name, type, bytes, has_min, offset)                                                  \
    AVX512 __attribute__((noinline)) static void name(const uint8_t *w, size_t rb, int nb, int r0, int r1,   \
                                                      const pk_q8_32 *x, float *y) {                         \
        matvec_block32(type, bytes, has_min, offset, w, rb, nb, r0, r1, x, y);                               \
    }
DEFINE_MATVEC32(matvec_q4_0, PK_Q4_0, 18, 0, 8)
DEFINE_MATVEC32(matvec_q4_1, PK_Q4_1, 20, 1, 0)
DEFINE_MATVEC32(matvec_q5_0, PK_Q5_0, 22, 0, 16)
DEFINE_MATVEC32(matvec_q5_1, PK_Q5_1, 24, 1, 0)
DEFINE_MATVEC32(matvec_q8_0, PK_Q8_0, 34, 0, 128)

int pk_matvec32_avx512(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, float *y) {
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

// ---- 32-element blocks against many vectors (prefill) ----
//
// The same canonical arithmetic, reorganized for many activation vectors:
// the per-vector work on each block pair shrinks to one dpbusd, one conversion and the
// canonical multiplies and add. Everything that depends only on the activations is
// expanded once per segment of block pairs and group of vectors: the pair's 64 quants
// in one run, -offset·Σx per 4-lane group (the accumulator dpbusd starts from, so the
// weights can stay unsigned: Q8_0 is shifted by 128 to u = w + 128), and the pair's two
// scales spread over the lanes they multiply. Products and sums are the same exact
// integers and the same float operations in the same order as the single-vector path.

#define MM_VECTORS 8      // vectors per group (accumulators stay in registers)
#define MM_PAIRS 16       // block pairs per expanded segment (24 KB: stays in L1)
#define MM_ROWS 16        // rows per tile (their accumulators live on the stack between segments)

typedef struct { int8_t qs[64]; int32_t negoff[16]; float dx[16]; } mm_pair;

INLINE AVX512 void mm_expand(int offset, int has_min, const uint8_t *xq, size_t xs, int nv, int k0, int k1,
                             mm_pair *e, __m128 *ds) {
    for (int k = k0; k < k1; k++) {
        for (int v = 0; v < nv; v++) {
            const pk_q8_32 *x = (const pk_q8_32 *)(xq + (size_t)v * xs) + 2 * k;
            mm_pair *m = &e[(k - k0) * MM_VECTORS + v];
            const __m512i q = join256(_mm256_loadu_si256((const __m256i *)x[0].qs), _mm256_loadu_si256((const __m256i *)x[1].qs));
            _mm512_store_si512((void *)m->qs, q);
            if (offset)
                _mm512_store_si512((void *)m->negoff, _mm512_sub_epi32(_mm512_setzero_si512(),
                                                                       _mm512_dpbusd_epi32(_mm512_setzero_si512(), bytes512(offset), q)));
            _mm512_store_ps(m->dx, _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_set1_ps(x[0].d)), _mm256_castps_pd(_mm256_set1_ps(x[1].d)), 1)));
            if (has_min) ds[(k - k0) * MM_VECTORS + v] = pk_simd_pair_ds(&x[0], &x[1]);
        }
    }
}

// A tile's weights unpacked once for every group of vectors (when a row is one segment):
// unsigned quants, the pair's two scales spread over their lanes, and [d, m] of both blocks.
typedef struct {
    __m512i u[MM_ROWS][MM_PAIRS];
    __m512 dw[MM_ROWS][MM_PAIRS];
    __m128 dm[MM_ROWS][MM_PAIRS];
} mm_weights;

INLINE AVX512 __m512 spread_pair(__m128 dm) {
    return _mm512_permutexvar_ps(_mm512_set_epi32(2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0), _mm512_castps128_ps512(dm));
}

INLINE AVX512 __m512i unsigned_pair(int type, const uint8_t *a, const uint8_t *b) {
    const __m512i u = pair_weights(type, a, b);
    return type == PK_Q8_0 ? _mm512_xor_si512(u, bytes512(0x80)) : u;
}

INLINE AVX512 void mm_unpack(int type, size_t bb, int has_min, const uint8_t *w, size_t rb, int t0, int t1, int pairs,
                             mm_weights *U) {
    for (int r = t0; r < t1; r++)
        for (int k = 0; k < pairs; k++) {
            const uint8_t *ba = w + (size_t)r * rb + (size_t)(2 * k) * bb;
            U->dm[r - t0][k] = pk_simd_pair_dm(has_min, ba, ba + bb);
            U->dw[r - t0][k] = spread_pair(U->dm[r - t0][k]);
            U->u[r - t0][k] = unsigned_pair(type, ba, ba + bb);
        }
}

// Rows r0..r1 of one tile against NV expanded vectors over pairs k0..k1; the weights
// unpacked here, or read from U (PRE: the tile is one segment, unpacked by mm_unpack).
INLINE AVX512 void mm_rows(int type, size_t bb, int has_min, int offset, const uint8_t *w, size_t rb, int r0, int r1,
                           int k0, int k1, const mm_pair *e, const __m128 *ds, __m512 (*acc)[MM_VECTORS],
                           __m128 (*accm)[MM_VECTORS], const mm_weights *U, const int PRE, const int NV) {
    int r = r0;
    // types without a min term: two rows at a time share each load of the activations
    for (; !has_min && r + 1 < r1; r += 2) {
        const uint8_t *row0 = w + (size_t)r * rb, *row1 = row0 + rb;
        __m512 a0[MM_VECTORS], a1[MM_VECTORS];
        for (int v = 0; v < NV; v++) { a0[v] = acc[r - r0][v]; a1[v] = acc[r + 1 - r0][v]; }
        for (int k = k0; k < k1; k++) {
            const uint8_t *ba0 = row0 + (size_t)(2 * k) * bb, *ba1 = row1 + (size_t)(2 * k) * bb;
            const __m512 dw0 = PRE ? U->dw[r - r0][k] : spread_pair(pk_simd_pair_dm(0, ba0, ba0 + bb));
            const __m512 dw1 = PRE ? U->dw[r + 1 - r0][k] : spread_pair(pk_simd_pair_dm(0, ba1, ba1 + bb));
            const __m512i u0 = PRE ? U->u[r - r0][k] : unsigned_pair(type, ba0, ba0 + bb);
            const __m512i u1 = PRE ? U->u[r + 1 - r0][k] : unsigned_pair(type, ba1, ba1 + bb);
            const mm_pair *m = &e[(k - k0) * MM_VECTORS];
            for (int v = 0; v < NV; v++) {
                const __m512i start = offset ? _mm512_load_si512((const void *)m[v].negoff) : _mm512_setzero_si512();
                const __m512i x = _mm512_load_si512((const void *)m[v].qs);
                const __m512 dx = _mm512_load_ps(m[v].dx);
                const __m512i p0 = _mm512_dpbusd_epi32(start, u0, x), p1 = _mm512_dpbusd_epi32(start, u1, x);
                a0[v] = _mm512_add_ps(a0[v], _mm512_mul_ps(_mm512_mul_ps(dw0, dx), _mm512_cvtepi32_ps(p0)));
                a1[v] = _mm512_add_ps(a1[v], _mm512_mul_ps(_mm512_mul_ps(dw1, dx), _mm512_cvtepi32_ps(p1)));
            }
        }
        for (int v = 0; v < NV; v++) { acc[r - r0][v] = a0[v]; acc[r + 1 - r0][v] = a1[v]; }
    }
    for (; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * rb;
        __m512 a[MM_VECTORS];
        __m128 am[MM_VECTORS];
        for (int v = 0; v < NV; v++) { a[v] = acc[r - r0][v]; if (has_min) am[v] = accm[r - r0][v]; }
        for (int k = k0; k < k1; k++) {
            const uint8_t *ba = row + (size_t)(2 * k) * bb, *bb1 = ba + bb;
            const __m128 dm = PRE ? U->dm[r - r0][k] : pk_simd_pair_dm(has_min, ba, bb1);
            const __m512 dw = PRE ? U->dw[r - r0][k] : spread_pair(dm);
            const __m512i u = PRE ? U->u[r - r0][k] : unsigned_pair(type, ba, bb1);
            const mm_pair *m = &e[(k - k0) * MM_VECTORS];
            for (int v = 0; v < NV; v++) {
                const __m512i start = offset ? _mm512_load_si512((const void *)m[v].negoff) : _mm512_setzero_si512();
                const __m512i p = _mm512_dpbusd_epi32(start, u, _mm512_load_si512((const void *)m[v].qs));
                const __m512 D = _mm512_mul_ps(dw, _mm512_load_ps(m[v].dx));
                a[v] = _mm512_add_ps(a[v], _mm512_mul_ps(D, _mm512_cvtepi32_ps(p)));
                if (has_min) am[v] = _mm_add_ps(am[v], _mm_mul_ps(dm, ds[(k - k0) * MM_VECTORS + v]));
            }
        }
        for (int v = 0; v < NV; v++) { acc[r - r0][v] = a[v]; if (has_min) accm[r - r0][v] = am[v]; }
    }
}

INLINE AVX512 void matmat_block32(int type, size_t bb, int has_min, int offset, const uint8_t *w, size_t rb, int nb,
                                  int r0, int r1, const uint8_t *xq, size_t xs, int n_vec, float *y, size_t ys) {
    const int is_signed = type == PK_Q8_0, pairs = nb / 2;
    mm_pair e[MM_PAIRS * MM_VECTORS] __attribute__((aligned(64)));
    __m128 ds[MM_PAIRS * MM_VECTORS];
    __m512 acc[MM_ROWS][MM_VECTORS];
    __m128 accm[MM_ROWS][MM_VECTORS];
    mm_weights U;
    const int single = pairs <= MM_PAIRS;   // a row is one segment: unpack each tile once
    for (int t0 = r0; t0 < r1; t0 += MM_ROWS) {
        const int t1 = r1 - t0 < MM_ROWS ? r1 : t0 + MM_ROWS;
        if (single) mm_unpack(type, bb, has_min, w, rb, t0, t1, pairs, &U);
        for (int v0 = 0; v0 < n_vec; v0 += MM_VECTORS) {
            const int nv = n_vec - v0 < MM_VECTORS ? n_vec - v0 : MM_VECTORS;
            const uint8_t *x0 = xq + (size_t)v0 * xs;
            for (int r = 0; r < t1 - t0; r++)
                for (int v = 0; v < nv; v++) { acc[r][v] = _mm512_setzero_ps(); accm[r][v] = _mm_setzero_ps(); }
            for (int k0 = 0; k0 < pairs; k0 += MM_PAIRS) {
                const int k1 = pairs - k0 < MM_PAIRS ? pairs : k0 + MM_PAIRS;
                mm_expand(offset, has_min, x0, xs, nv, k0, k1, e, ds);
                if (v0 == 0) {
                    // the next tile's part of this segment: its rows come from memory once, while
                    // this tile computes (rows read side by side defeat the hardware prefetcher)
                    const size_t lo = (size_t)(2 * k0) * bb, hi = (size_t)(2 * k1) * bb;
                    for (int r = t1; r < t1 + MM_ROWS && r < r1; r++)
                        for (size_t o = lo; o < hi; o += 64) _mm_prefetch((const char *)w + (size_t)r * rb + o, _MM_HINT_T0);
                }
#define MM_ROWS_CALL(NV)                                                                               \
    (single ? mm_rows(type, bb, has_min, offset, w, rb, t0, t1, k0, k1, e, ds, acc, accm, &U, 1, NV)      \
            : mm_rows(type, bb, has_min, offset, w, rb, t0, t1, k0, k1, e, ds, acc, accm, &U, 0, NV))
                switch (nv) {
                case 1: MM_ROWS_CALL(1); break;
                case 2: MM_ROWS_CALL(2); break;
                case 3: MM_ROWS_CALL(3); break;
                case 4: MM_ROWS_CALL(4); break;
                case 5: MM_ROWS_CALL(5); break;
                case 6: MM_ROWS_CALL(6); break;
                case 7: MM_ROWS_CALL(7); break;
                default: MM_ROWS_CALL(8); break;
                }
#undef MM_ROWS_CALL
            }
            // the odd last block and the canonical reduction, as matvec_rows32 ends
            for (int r = t0; r < t1; r++) {
                const uint8_t *row = w + (size_t)r * rb;
                float tail_m = 0.0f, tail_d = 0.0f;
                __m256i tail_w = _mm256_setzero_si256();
                if (nb & 1) {
                    const uint8_t *ba = row + (size_t)(nb - 1) * bb;
                    tail_w = single_weights(type, ba);
                    uint16_t h[2];
                    memcpy(h, ba, has_min ? 4 : 2);
                    tail_d = pk_simd_half(h[0]);
                    if (has_min) tail_m = pk_simd_half(h[1]);
                }
                for (int v = 0; v < nv; v++) {
                    __m512 a = acc[r - t0][v];
                    const __m128 am = accm[r - t0][v];
                    float m0 = _mm_cvtss_f32(_mm_movehdup_ps(am)), m1 = _mm_cvtss_f32(_mm_shuffle_ps(am, am, 3));
                    if (nb & 1) {
                        const pk_q8_32 *x = (const pk_q8_32 *)(x0 + (size_t)v * xs) + (nb - 1);
                        __m256i xv = _mm256_loadu_si256((const __m256i *)x->qs);
                        if (is_signed) xv = _mm256_sign_epi8(xv, tail_w);
                        const __m256i uw = is_signed ? _mm256_abs_epi8(tail_w) : tail_w;
                        __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), uw, xv);
                        if (offset && !is_signed)
                            p = _mm256_sub_epi32(p, _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8((char)offset), xv));
                        const __m256 t = _mm256_mul_ps(_mm256_set1_ps(tail_d * x->d), _mm256_cvtepi32_ps(p));
                        a = _mm512_mask_add_ps(a, 0x00ff, a, _mm512_zextps256_ps512(t));
                        if (has_min) m0 = m0 + tail_m * x->s;
                    }
                    const float sum = reduce16(a);
                    y[(size_t)(v0 + v) * ys + r] = has_min ? sum + (m0 + m1) : sum;
                }
            }
        }
    }
}

#define DEFINE_MATMAT32(name, type, bytes, has_min, offset)                                                 \
    AVX512 __attribute__((noinline)) static void name(const uint8_t *w, size_t rb, int nb, int r0, int r1,     \
                                                      const uint8_t *xq, size_t xs, int n_vec, float *y, size_t ys) { \
        matmat_block32(type, bytes, has_min, offset, w, rb, nb, r0, r1, xq, xs, n_vec, y, ys);                \
    }
DEFINE_MATMAT32(matmat_q4_0, PK_Q4_0, 18, 0, 8)
DEFINE_MATMAT32(matmat_q4_1, PK_Q4_1, 20, 1, 0)
DEFINE_MATMAT32(matmat_q5_0, PK_Q5_0, 22, 0, 16)
DEFINE_MATMAT32(matmat_q5_1, PK_Q5_1, 24, 1, 0)
DEFINE_MATMAT32(matmat_q8_0, PK_Q8_0, 34, 0, 128)

int pk_matmat32_avx512(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs, int n_vec,
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
        __m512i iacc[MM_VECTORS];
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
int pk_matmat32_avx512(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs, int n_vec,
                       float *y, size_t ys) { return 0; }
int pk_matmat_super_avx512(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs,
                           int n_vec, float *y, size_t ys) { return 0; }
int pk_matvec32_avx512(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, float *y) { return 0; }
#endif
