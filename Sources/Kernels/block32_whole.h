// The whole-matrix kernels for 32-element block types at the 256-bit levels, written once
// and included per level with:
//   PKW_TARGET   the function attribute of the level (its instruction sets),
//   PKW_VNNI     0: products by maddubs + madd (AVX2); 1: by dpbusd (AVX-VNNI),
//   PKW_DPBUSD   with PKW_VNNI, the dpbusd intrinsic (VEX or EVEX encoding),
//   PKW_SUFFIX   appended to every name (one copy per inclusion),
//   PKW_ENTRY    optional storage class of the entry points (e.g. static),
//   PKW_TILE_PREFILL(type)  optional: which types pk_matmat32 takes (default all); for the
//                others it returns 0 and the caller's per-row kernels run.
// Private to the Kernels target; include after simd_common.h.
//
// The canonical arithmetic of dot_scalar.c, organised so that the work that depends only on
// the weights or only on the activations is done once and reused. pk_matvec32 (decode) reads four rows per pass against one
// activation vector: its quants, offset term and scales are loaded once per block pair for
// the four rows. pk_matmat32 (prefill) unpacks a tile's weights once per 16 vectors and
// expands the activations once per tile and segment, so that each (row, vector, block)
// costs the products, one conversion, two multiplies and an add. Either way of forming the
// products gives the same exact integers: maddubs never saturates on these weights
// (|w| ≤ 128 against |x| ≤ 127), and dpbusd's start of −offset·Σx cancels the offset that
// keeps its weights unsigned (Q4_0 8, Q5_0 16, Q8_0 128).

#define PKW_CAT2(a, b) a##b
#define PKW_CAT(a, b) PKW_CAT2(a, b)
#define PKW(name) PKW_CAT(name, PKW_SUFFIX)
#define PKW_INLINE static inline __attribute__((always_inline))
#ifndef PKW_ENTRY
#define PKW_ENTRY
#endif
#ifndef PKW_TILE_PREFILL
#define PKW_TILE_PREFILL(type) 1
#endif

// The activations' part of a block's sums, computed once per block and vector: for
// maddubs, offset·x as int16 pairs (subtracted before madd); for dpbusd, −offset·Σx per
// lane (where dpbusd starts).
PKW_INLINE PKW_TARGET __m256i PKW(offset_term)(int offset, __m256i x) {
    if (!offset) return _mm256_setzero_si256();
#if PKW_VNNI
    return _mm256_sub_epi32(_mm256_setzero_si256(), PKW_DPBUSD(_mm256_setzero_si256(), _mm256_set1_epi8((char)offset), x));
#else
    return _mm256_maddubs_epi16(_mm256_set1_epi8((char)offset), x);
#endif
}

// The weights as the products want them: for maddubs |w| (Q8_0, whose signs move to x)
// or the unsigned quants; for dpbusd w + 128 (Q8_0, offset 128) or the unsigned quants.
PKW_INLINE PKW_TARGET __m256i PKW(unsigned_weights)(int is_signed, __m256i w) {
    if (!is_signed) return w;
#if PKW_VNNI
    return _mm256_xor_si256(w, _mm256_set1_epi8((char)0x80));
#else
    return _mm256_abs_epi8(w);
#endif
}

// The 8 exact partial sums of one block (each over 4 neighbouring elements), as floats.
PKW_INLINE PKW_TARGET __m256 PKW(block_sums)(int is_signed, __m256i w, __m256i u, __m256i x, __m256i term) {
#if PKW_VNNI
    (void)is_signed;
    (void)w;
    return _mm256_cvtepi32_ps(PKW_DPBUSD(term, u, x));
#else
    const __m256i p = is_signed ? _mm256_maddubs_epi16(u, _mm256_sign_epi8(x, w)) : _mm256_sub_epi16(_mm256_maddubs_epi16(u, x), term);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p, _mm256_set1_epi16(1)));
#endif
}

// The odd last block of a row against vector x, and the canonical end: reduce16 of the
// even- and odd-block accumulators, plus the min terms (lanes 1 and 3 of accm).
PKW_INLINE PKW_TARGET float PKW(finish_row32)(int type, int has_min, int is_signed, int offset, const uint8_t *tail, const pk_q8_32 *x,
                               __m256 acc0, __m256 acc1, __m128 accm) {
    float m0 = _mm_cvtss_f32(_mm_movehdup_ps(accm)), m1 = _mm_cvtss_f32(_mm_shuffle_ps(accm, accm, 3));
    if (tail) {
        const __m256i w = pk_simd_block32_weights(type, tail), u = PKW(unsigned_weights)(is_signed, w);
        const __m256i xv = _mm256_loadu_si256((const __m256i *)x->qs);
        uint16_t h[2];
        memcpy(h, tail, has_min ? 4 : 2);
        const float d = pk_simd_half(h[0]);
        const __m256 t = _mm256_mul_ps(_mm256_set1_ps(d * x->d), PKW(block_sums)(is_signed, w, u, xv, PKW(offset_term)(offset, xv)));
        acc0 = _mm256_add_ps(acc0, t);
        if (has_min) m0 = m0 + pk_simd_half(h[1]) * x->s;
    }
    const float r = pk_simd_reduce16(acc0, acc1);
    return has_min ? r + (m0 + m1) : r;
}

// R rows against one vector. Q4_0 and Q4_1 take each block pair split by halves
// (pk_simd_pair_nibbles): the accumulators then hold [even block lanes 0-3 | odd block
// lanes 0-3] (accumulator 0) and the same for lanes 4-7 (accumulator 1), each lane doing
// the canonical operations of its lane; they are put back in canonical order at the end.
PKW_INLINE PKW_TARGET void PKW(matvec_rows32)(int type, size_t bb, int has_min, int is_signed, int offset, const uint8_t *row0,
                                              size_t rb, int nb, const pk_q8_32 *x, const int R, float *out) {
    const int split = type == PK_Q4_0 || type == PK_Q4_1;   // measured: Q5's high bits expand no faster split
    const size_t group = (size_t)R * rb, ahead = group >= 2048 ? 2 : 4096 / group;
    __m256 acc[4][2];
    __m128 accm[4];
    for (int i = 0; i < R; i++) { acc[i][0] = acc[i][1] = _mm256_setzero_ps(); accm[i] = _mm_setzero_ps(); }
    int b = 0;
    for (; b + 1 < nb; b += 2) {
        __m256i xa = _mm256_loadu_si256((const __m256i *)x[b].qs), xb = _mm256_loadu_si256((const __m256i *)x[b + 1].qs);
        if (split) pk_simd_split_pair(xa, xb, &xa, &xb);   // xa, xb: the low and high halves
        const __m256i offa = PKW(offset_term)(offset, xa), offb = PKW(offset_term)(offset, xb);
        const __m128 ds = pk_simd_pair_ds(&x[b], &x[b + 1]);
        // rows read side by side defeat the hardware prefetcher: fetch the rows about
        // 4 KB ahead (contiguous after these) at the rate these are read (measured on Zen 4
        // against 8, 16 and 32 KB: decode +4 to +15% at two threads)
        const uint8_t *next = row0 + (size_t)ahead * R * rb + (size_t)R * b * bb;
        for (int line = 0; line < 2 * R * (int)bb; line += 64) _mm_prefetch((const char *)next + line, _MM_HINT_T0);
        for (int i = 0; i < R; i++) {
            const uint8_t *ba = row0 + (size_t)i * rb + (size_t)b * bb, *bb1 = ba + bb;
            const __m128 scales = _mm_mul_ps(pk_simd_pair_dm(has_min, ba, bb1), ds);
            __m256i wa, wb;
            __m256 da, db;
            if (split) {
                pk_simd_pair_nibbles(type, ba, bb1, &wa, &wb);
                da = db = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(scales), _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2));
            } else {
                wa = pk_simd_block32_weights(type, ba);
                wb = pk_simd_block32_weights(type, bb1);
                da = _mm256_broadcastss_ps(scales);
                db = _mm256_permutevar8x32_ps(_mm256_castps128_ps256(scales), _mm256_set1_epi32(2));
            }
            const __m256i ua = PKW(unsigned_weights)(is_signed, wa), ub = PKW(unsigned_weights)(is_signed, wb);
            acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_mul_ps(da, PKW(block_sums)(is_signed, wa, ua, xa, offa)));
            acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_mul_ps(db, PKW(block_sums)(is_signed, wb, ub, xb, offb)));
            if (has_min) accm[i] = _mm_add_ps(accm[i], scales);
        }
    }
    for (int i = 0; i < R; i++) {
        __m256 even = acc[i][0], odd = acc[i][1];
        if (split) {
            even = _mm256_permute2f128_ps(acc[i][0], acc[i][1], 0x20);
            odd = _mm256_permute2f128_ps(acc[i][0], acc[i][1], 0x31);
        }
        const uint8_t *tail = b < nb ? row0 + (size_t)i * rb + (size_t)b * bb : NULL;
        out[i] = PKW(finish_row32)(type, has_min, is_signed, offset, tail, &x[b < nb ? b : 0], even, odd, accm[i]);
    }
}

PKW_INLINE PKW_TARGET void PKW(matvec_block32)(int type, size_t bb, int has_min, int is_signed, int offset, const uint8_t *w, size_t rb,
                                int nb, int r0, int r1, const pk_q8_32 *x, float *y) {
    int r = r0;
    for (; r + 4 <= r1; r += 4) PKW(matvec_rows32)(type, bb, has_min, is_signed, offset, w + (size_t)r * rb, rb, nb, x, 4, y + r);
    for (; r < r1; r++) PKW(matvec_rows32)(type, bb, has_min, is_signed, offset, w + (size_t)r * rb, rb, nb, x, 1, y + r);
}

#ifndef PARLEY_BLOCK32_WHOLE_TYPES
#define PARLEY_BLOCK32_WHOLE_TYPES
#define MM_VECTORS 16  // vectors per unpack of a tile's weights (register groups of 4)
#define MM_PAIRS 8     // block pairs per segment (the segment of 16 vectors: 28 KB)
#define MM_ROWS 16     // rows per tile (their accumulators live on the stack between segments)

// One activation block pair, expanded: quants, the offset term (PKW(offset_term)), each
// block's scale d spread over 8 lanes (so a block scale d_w·d_x is one multiply, no shuffle)
// and [d_a, s_a, d_b, s_b] for the min terms.
typedef struct {
    __m256i qs[2], off[2];
    __m256 dx[2];
    __m128 ds;
} mm_pair;

// One weight block pair, unpacked: the quants as the products want them (u), the signed
// quants (Q8_0 with maddubs only) and [d_a, m_a, d_b, m_b].
typedef struct {
    __m256i u[2], w[2];
    __m128 dm;
} mm_wpair;
#endif

PKW_INLINE PKW_TARGET void PKW(mm_expand)(int offset, const uint8_t *xq, size_t xs, int nv, int k0, int k1, mm_pair *e) {
    for (int k = k0; k < k1; k++) {
        for (int v = 0; v < nv; v++) {
            const pk_q8_32 *x = (const pk_q8_32 *)(xq + (size_t)v * xs) + 2 * k;
            mm_pair *m = &e[(k - k0) * MM_VECTORS + v];
            const __m256i xa = _mm256_loadu_si256((const __m256i *)x[0].qs), xb = _mm256_loadu_si256((const __m256i *)x[1].qs);
            m->qs[0] = xa;
            m->qs[1] = xb;
            if (offset) {
                m->off[0] = PKW(offset_term)(offset, xa);
                m->off[1] = PKW(offset_term)(offset, xb);
            }
            m->ds = pk_simd_pair_ds(&x[0], &x[1]);
            m->dx[0] = _mm256_set1_ps(x[0].d);
            m->dx[1] = _mm256_set1_ps(x[1].d);
        }
    }
}

PKW_INLINE PKW_TARGET void PKW(mm_unpack)(int type, size_t bb, int has_min, int is_signed, const uint8_t *w, size_t rb, int t0, int t1,
                           int k0, int k1, mm_wpair (*U)[MM_PAIRS]) {
    for (int r = t0; r < t1; r++)
        for (int k = k0; k < k1; k++) {
            const uint8_t *ba = w + (size_t)r * rb + (size_t)(2 * k) * bb;
            mm_wpair *p = &U[r - t0][k - k0];
            p->dm = pk_simd_pair_dm(has_min, ba, ba + bb);
            p->w[0] = pk_simd_block32_weights(type, ba);
            p->w[1] = pk_simd_block32_weights(type, ba + bb);
            p->u[0] = PKW(unsigned_weights)(is_signed, p->w[0]);
            p->u[1] = PKW(unsigned_weights)(is_signed, p->w[1]);
        }
}

// One row of a tile against NV (≤ 4) expanded vectors (e: the first of them), pairs k0..k1.
PKW_INLINE PKW_TARGET void PKW(mm_row)(int has_min, int is_signed, int offset, const mm_wpair *U, int k0, int k1,
                                       const mm_pair *e, const int NV, __m256 (*acc)[2], __m128 *accm) {
    __m256 a[4][2];
    __m128 am[4];
    for (int v = 0; v < NV; v++) { a[v][0] = acc[v][0]; a[v][1] = acc[v][1]; am[v] = accm[v]; }
    for (int k = k0; k < k1; k++) {
        const mm_wpair *p = &U[k - k0];
        const float *dm = (const float *)&p->dm;
        const __m256 dwa = _mm256_broadcast_ss(&dm[0]), dwb = _mm256_broadcast_ss(&dm[2]);
        for (int v = 0; v < NV; v++) {
            const mm_pair *m = &e[(k - k0) * MM_VECTORS + v];
            const __m256i offa = offset ? m->off[0] : _mm256_setzero_si256();
            const __m256i offb = offset ? m->off[1] : _mm256_setzero_si256();
            const __m256 Da = _mm256_mul_ps(dwa, m->dx[0]), Db = _mm256_mul_ps(dwb, m->dx[1]);
            a[v][0] = _mm256_add_ps(a[v][0], _mm256_mul_ps(Da, PKW(block_sums)(is_signed, p->w[0], p->u[0], m->qs[0], offa)));
            a[v][1] = _mm256_add_ps(a[v][1], _mm256_mul_ps(Db, PKW(block_sums)(is_signed, p->w[1], p->u[1], m->qs[1], offb)));
            if (has_min) am[v] = _mm_add_ps(am[v], _mm_mul_ps(p->dm, m->ds));
        }
    }
    for (int v = 0; v < NV; v++) { acc[v][0] = a[v][0]; acc[v][1] = a[v][1]; accm[v] = am[v]; }
}

PKW_INLINE PKW_TARGET void PKW(matmat_block32)(int type, size_t bb, int has_min, int is_signed, int offset, const uint8_t *w, size_t rb,
                                int nb, int r0, int r1, const uint8_t *xq, size_t xs, int n_vec, float *y, size_t ys) {
    const int pairs = nb / 2;
    mm_pair e[MM_PAIRS * MM_VECTORS] __attribute__((aligned(32)));
    mm_wpair U[MM_ROWS][MM_PAIRS] __attribute__((aligned(32)));
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
                PKW(mm_expand)(offset, x0, xs, nv, k0, k1, e);
                PKW(mm_unpack)(type, bb, has_min, is_signed, w, rb, t0, t1, k0, k1, U);
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
                        case 1: PKW(mm_row)(has_min, is_signed, offset, U[r], k0, k1, eg, 1, acc[r] + g, accm[r] + g); break;
                        case 2: PKW(mm_row)(has_min, is_signed, offset, U[r], k0, k1, eg, 2, acc[r] + g, accm[r] + g); break;
                        case 3: PKW(mm_row)(has_min, is_signed, offset, U[r], k0, k1, eg, 3, acc[r] + g, accm[r] + g); break;
                        default: PKW(mm_row)(has_min, is_signed, offset, U[r], k0, k1, eg, 4, acc[r] + g, accm[r] + g); break;
                        }
                    }
            }
            for (int r = t0; r < t1; r++) {
                const uint8_t *tail = nb & 1 ? w + (size_t)r * rb + (size_t)(nb - 1) * bb : NULL;
                for (int v = 0; v < nv; v++) {
                    const pk_q8_32 *x = (const pk_q8_32 *)(x0 + (size_t)v * xs) + (nb & 1 ? nb - 1 : 0);
                    y[(size_t)(v0 + v) * ys + r] = PKW(finish_row32)(type, has_min, is_signed, offset, tail, x, acc[r - t0][v][0],
                                                                acc[r - t0][v][1], accm[r - t0][v]);
                }
            }
        }
    }
}

#define PKW_DEFINE(type, bytes, has_min, is_signed, offset)                                                    \
    PKW_TARGET __attribute__((noinline)) static void PKW(matvec_##type)(const uint8_t *w, size_t rb, int nb, int r0,  \
                                                                       int r1, const pk_q8_32 *x, float *y) {       \
        PKW(matvec_block32)(PK_##type, bytes, has_min, is_signed, offset, w, rb, nb, r0, r1, x, y);                 \
    }                                                                                                               \
    PKW_TARGET __attribute__((noinline)) static void PKW(matmat_##type)(const uint8_t *w, size_t rb, int nb, int r0,  \
                                                                       int r1, const uint8_t *xq, size_t xs,        \
                                                                       int n_vec, float *y, size_t ys) {            \
        PKW(matmat_block32)(PK_##type, bytes, has_min, is_signed, offset, w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); \
    }
PKW_DEFINE(Q4_0, 18, 0, 0, 8)
PKW_DEFINE(Q4_1, 20, 1, 0, 0)
PKW_DEFINE(Q5_0, 22, 0, 0, 16)
PKW_DEFINE(Q5_1, 24, 1, 0, 0)
PKW_DEFINE(Q8_0, 34, 0, 1, PKW_VNNI ? 128 : 0)
#undef PKW_DEFINE

// Entry points: 1 if the type is a 32-element block type (done), else 0 (nothing written).
PKW_ENTRY int PKW(pk_matvec32)(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, float *y) {
    const int nb = n / 32;
    switch (type) {
    case PK_Q4_0: PKW(matvec_Q4_0)(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q4_1: PKW(matvec_Q4_1)(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q5_0: PKW(matvec_Q5_0)(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q5_1: PKW(matvec_Q5_1)(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q8_0: PKW(matvec_Q8_0)(w, rb, nb, r0, r1, xq, y); return 1;
    default: return 0;
    }
}

PKW_ENTRY int PKW(pk_matmat32)(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs, int n_vec,
                     float *y, size_t ys) {
    const int nb = n / 32;
    if (!PKW_TILE_PREFILL(type)) return 0;
    switch (type) {
    case PK_Q4_0: PKW(matmat_Q4_0)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q4_1: PKW(matmat_Q4_1)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q5_0: PKW(matmat_Q5_0)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q5_1: PKW(matmat_Q5_1)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q8_0: PKW(matmat_Q8_0)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    default: return 0;
    }
}

#undef PKW
#undef PKW_INLINE
#undef PKW_ENTRY
#undef PKW_TILE_PREFILL
#undef PKW_CAT
#undef PKW_CAT2
#undef PKW_TARGET
#undef PKW_VNNI
#undef PKW_DPBUSD
#undef PKW_SUFFIX
