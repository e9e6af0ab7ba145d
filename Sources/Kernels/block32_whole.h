// The whole-matrix kernels for 32-element block types, written once and included per level
// with:
//   PKW_TARGET   the function attribute of the level (its instruction sets),
//   PKW_VNNI     0: products by maddubs + madd (AVX2); 1: by dpbusd (AVX-VNNI, AVX-512),
//   PKW_DPBUSD   with PKW_VNNI, the 256-bit dpbusd intrinsic (VEX or EVEX encoding),
//   PKW_SUFFIX   appended to every name (one copy per inclusion),
//   PKW_ENTRY    optional storage class of the entry points (e.g. static),
//   PKW_512      optional, 1 at the AVX-512 level: decode forms two blocks' products in one
//                512-bit dpbusd, prefill takes two vectors per 512-bit register (the same
//                lanes, so the same bits).
// Private to the Kernels target; include after simd_common.h.
//
// The canonical arithmetic of dot_scalar.c: exact block sums S_b, then per block one
// multiply d_w·d_x and one fused multiply-add into lane b % 8. Eight blocks (one group) are
// handled side by side, lane j being block j of the group, so the float steps run once per
// 8 blocks. Prefill (pk_matmat32) transposes a group's blocks (an 8x8 transpose of their
// 4-byte quads): the products of all 8 steps land in the block's own lane, no reduction;
// weights are unpacked once per tile and 16 vectors, activations expanded once per tile
// and segment. Decode (pk_matvec32) reads four rows per pass in the file's layout and
// folds each block's 8 partial sums by horizontal adds. Either way of forming the
// products gives the same exact integers: maddubs never saturates on these weights
// (|w| ≤ 128 against |x| ≤ 127), and the offset that keeps dpbusd's weights unsigned
// (Q4_0 8, Q5_0 16, Q8_0 128) is taken off as offset·Σx.

#define PKW_CAT2(a, b) a##b
#define PKW_CAT(a, b) PKW_CAT2(a, b)
#define PKW(name) PKW_CAT(name, PKW_SUFFIX)
#define PKW_INLINE static inline __attribute__((always_inline))
#ifndef PKW_ENTRY
#define PKW_ENTRY
#endif
#ifndef PKW_512
#define PKW_512 0
#endif

#ifndef PARLEY_BLOCK32_WHOLE_TYPES
#define PARLEY_BLOCK32_WHOLE_TYPES
#define MM_VECTORS 16  // vectors per unpack of a tile's weights (register groups of 4)
#define MM_GROUPS 2    // 8-block groups per segment (a segment of 16 vectors: 11 KB)
#define MM_ROWS 16     // rows per tile (their accumulators live on the stack between segments)

// Eight activation blocks side by side: x[s] lane j = bytes 4s..4s+3 of block j; off lane j
// = block j's offset term (maddubs: offset·Σx, subtracted; dpbusd: −offset·Σx, the start);
// dx and s lane j = block j's d and s. Lanes past the row's last block are zero.
typedef struct {
    __m256i x[8], off;
    __m256 dx, s;
} pk_xgroup;

// Eight weight blocks the same way: u[s] the quants as the products want them (Q8_0 with
// maddubs: signed, its signs move to x at use), dw and m the blocks' d and m.
typedef struct {
    __m256i u[8];
    __m256 dw, m;
} pk_wgroup;

// Two activation groups (vectors v and v + 1) in the halves of 512-bit registers.
typedef struct {
    __m512i x[8], off;
    __m512 dx, s;
} pk_xpair;
#endif

// Activation blocks x[0..cnt) (cnt ≤ 8) as a group.
PKW_INLINE PKW_TARGET void PKW(expand_group)(int offset, const pk_q8_32 *x, int cnt, pk_xgroup *e) {
    __m256i v[8];
    for (int j = 0; j < 8; j++) v[j] = j < cnt ? _mm256_loadu_si256((const __m256i *)x[j].qs) : _mm256_setzero_si256();
    pk_simd_xgroup8(x, cnt, 0, &e->dx, &e->s);
    pk_simd_transpose8(v);
    __m256i sum16 = _mm256_setzero_si256();
    for (int k = 0; k < 8; k++) {
        e->x[k] = v[k];
        if (offset) sum16 = _mm256_add_epi16(sum16, _mm256_maddubs_epi16(_mm256_set1_epi8(1), v[k]));   // |pair| ≤ 254
    }
    const __m256i term = _mm256_mullo_epi32(_mm256_madd_epi16(sum16, _mm256_set1_epi16(1)), _mm256_set1_epi32(offset));
    e->off = PKW_VNNI ? _mm256_sub_epi32(_mm256_setzero_si256(), term) : term;
}

// Weight blocks blk[0..cnt) (bb bytes each, cnt ≤ 8) as a group.
PKW_INLINE PKW_TARGET void PKW(unpack_group)(int type, size_t bb, int has_min, int is_signed, const uint8_t *blk, int cnt,
                                             pk_wgroup *g) {
    __m256i v[8];
    for (int j = 0; j < 8; j++) v[j] = j < cnt ? pk_simd_block32_weights(type, blk + (size_t)j * bb) : _mm256_setzero_si256();
    pk_simd_transpose8(v);
    for (int k = 0; k < 8; k++)   // dpbusd wants Q8_0 unsigned: w + 128 (offset 128)
        g->u[k] = PKW_VNNI && is_signed ? _mm256_xor_si256(v[k], _mm256_set1_epi8((char)0x80)) : v[k];
    g->dw = pk_simd_halves8(blk, bb, cnt, 0);
    g->m = has_min ? pk_simd_halves8(blk, bb, cnt, 2) : _mm256_setzero_ps();
}

// A T8 group of cnt blocks at p (repack.c) as a group: step s is nibble vector s % 4 (low
// nibbles for s < 4, high for s ≥ 4); Q5_0 adds its plane's bit s as bit 4 (the 16-bit
// shifts only move bits within a byte as far as bit 4: left by 4 − s, right by s − 4).
PKW_INLINE PKW_TARGET void PKW(t8_group)(int type, const uint8_t *p, const int cnt, pk_wgroup *g) {
    const int q5 = type == PK_Q5_0_T8, head = q5 ? 6 : 4;
    const __m256i low = _mm256_set1_epi8(15), fifth = _mm256_set1_epi8(16);
    const __m256i plane = q5 ? pk_simd_quads(p + 2 * cnt, cnt) : _mm256_setzero_si256();
    __m256i nib[4];
    for (int t = 0; t < 4; t++) nib[t] = pk_simd_quads(p + head * cnt + 4 * cnt * t, cnt);
    for (int s = 0; s < 8; s++) {
        const __m256i u = _mm256_and_si256(s < 4 ? nib[s] : _mm256_srli_epi16(nib[s - 4], 4), low);
        const __m256i h = s < 4 ? _mm256_slli_epi16(plane, 4 - s) : _mm256_srli_epi16(plane, s - 4);
        g->u[s] = q5 ? _mm256_or_si256(u, _mm256_and_si256(h, fifth)) : u;
    }
    g->dw = cnt == 8 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)) : pk_simd_halves8(p, 2, cnt, 0);
    g->m = q5 ? _mm256_setzero_ps()
              : cnt == 8 ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p + 16))) : pk_simd_halves8(p + 2 * cnt, 2, cnt, 0);
}

// The exact block sums S (lane j: block j) of one weight group against NV (≤ 4) activation
// groups. maddubs: unsigned quants ≤ 31 against |x| ≤ 127 keep four steps' pair sums within
// int16 (4·2·31·127 < 2^15); Q8_0 moves its signs to x and widens every step.
PKW_INLINE PKW_TARGET void PKW(group_sums)(int is_signed, int offset, const pk_wgroup *w, const pk_xgroup *const *e,
                                           const int NV, __m256i *S) {
#if PKW_VNNI
    (void)is_signed;
    for (int v = 0; v < NV; v++) S[v] = offset ? e[v]->off : _mm256_setzero_si256();
    for (int k = 0; k < 8; k++) {
        const __m256i u = w->u[k];
        for (int v = 0; v < NV; v++) S[v] = PKW_DPBUSD(S[v], u, e[v]->x[k]);
    }
#else
    const __m256i ones = _mm256_set1_epi16(1);
    if (is_signed) {
        for (int v = 0; v < NV; v++) S[v] = _mm256_setzero_si256();
        for (int k = 0; k < 8; k++) {
            const __m256i q = w->u[k], u = _mm256_abs_epi8(q);
            for (int v = 0; v < NV; v++)
                S[v] = _mm256_add_epi32(S[v], _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_sign_epi8(e[v]->x[k], q)), ones));
        }
        return;
    }
    for (int half = 0; half < 2; half++) {
        __m256i p[4];
        for (int k = 4 * half; k < 4 * half + 4; k++) {
            const __m256i u = w->u[k];
            for (int v = 0; v < NV; v++) {
                const __m256i t = _mm256_maddubs_epi16(u, e[v]->x[k]);
                p[v] = k == 4 * half ? t : _mm256_add_epi16(p[v], t);
            }
        }
        for (int v = 0; v < NV; v++) {
            const __m256i t = _mm256_madd_epi16(p[v], ones);
            S[v] = half ? _mm256_add_epi32(S[v], t) : t;
        }
    }
    if (offset)
        for (int v = 0; v < NV; v++) S[v] = _mm256_sub_epi32(S[v], e[v]->off);
#endif
}

// The canonical float steps of one group, lane-wise: acc = fma(d_w·d_x, S, acc) and
// accm = fma(m_w, s_x, accm).
PKW_INLINE PKW_TARGET void PKW(group_add)(int has_min, const pk_wgroup *w, const pk_xgroup *e, __m256i S, __m256 *acc,
                                          __m256 *accm) {
    *acc = _mm256_fmadd_ps(_mm256_mul_ps(w->dw, e->dx), _mm256_cvtepi32_ps(S), *acc);
    if (has_min) *accm = _mm256_fmadd_ps(w->m, e->s, *accm);
}

PKW_INLINE PKW_TARGET float PKW(finish)(int has_min, __m256 acc, __m256 accm) {
    const float r = pk_simd_reduce8(acc);
    return has_min ? r + pk_simd_reduce8(accm) : r;
}

// One block's 8 partial sums (each over 4 elements) against activation block x: exact int32.
// For Q8_0 under dpbusd the weights are w + 128; the caller takes 128·Σx off.
PKW_INLINE PKW_TARGET __m256i PKW(block_partials)(int type, int is_signed, const uint8_t *blk, const pk_q8_32 *x) {
    const __m256i w = pk_simd_block32_weights(type, blk), xv = _mm256_loadu_si256((const __m256i *)x->qs);
#if PKW_VNNI
    return PKW_DPBUSD(_mm256_setzero_si256(), is_signed ? _mm256_xor_si256(w, _mm256_set1_epi8((char)0x80)) : w, xv);
#else
    const __m256i p = is_signed ? _mm256_maddubs_epi16(_mm256_abs_epi8(w), _mm256_sign_epi8(xv, w)) : _mm256_maddubs_epi16(w, xv);
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
#endif
}

#if PKW_512
PKW_INLINE PKW_TARGET __m512i PKW(join)(__m256i lo, __m256i hi) { return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1); }
PKW_INLINE PKW_TARGET __m512 PKW(join_ps)(__m256 lo, __m256 hi) {
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1));
}
PKW_INLINE PKW_TARGET __m256 PKW(high_ps)(__m512 a) { return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)); }

// Two blocks' packed nibbles -> 64 bytes: block a's 32 quants, then block b's.
PKW_INLINE PKW_TARGET __m512i PKW(nibbles_pair)(const uint8_t *qa, const uint8_t *qb) {
    const __m256i q = _mm256_set_m128i(_mm_loadu_si128((const __m128i *)qb), _mm_loadu_si128((const __m128i *)qa));
    const __m512i z = PKW(join)(q, _mm256_srli_epi16(q, 4));   // a, b, a>>4, b>>4
    return _mm512_and_si512(_mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0)), _mm512_set1_epi8(0x0f));
}

// Blocks a and b's quants as dpbusd wants them (Q8_0: w + 128), 64 bytes.
PKW_INLINE PKW_TARGET __m512i PKW(pair_weights)(int type, const uint8_t *a, const uint8_t *b) {
    uint32_t ha, hb;
    switch (type) {
    case PK_Q4_0: return PKW(nibbles_pair)(((const blk_q4_0 *)a)->qs, ((const blk_q4_0 *)b)->qs);
    case PK_Q4_1: return PKW(nibbles_pair)(((const blk_q4_1 *)a)->qs, ((const blk_q4_1 *)b)->qs);
    case PK_Q5_0:
    case PK_Q5_1: {
        const size_t at = type == PK_Q5_0 ? 2 : 4;   // qh, then qs
        memcpy(&ha, a + at, 4);
        memcpy(&hb, b + at, 4);
        const __m512i nib = PKW(nibbles_pair)(a + at + 4, b + at + 4);
        return _mm512_mask_add_epi8(nib, (__mmask64)ha | (__mmask64)hb << 32, nib, _mm512_set1_epi8(16));
    }
    default:
        return _mm512_xor_si512(PKW(join)(_mm256_loadu_si256((const __m256i *)(a + 2)), _mm256_loadu_si256((const __m256i *)(b + 2))),
                                _mm512_set1_epi8((char)0x80));
    }
}

// The 8 exact block sums (lane j: block j) from four products z[k] = [block 2k's 8 partial
// sums | block 2k + 1's]. In-lane unpacks do most of it (measured a few percent faster
// than cross-lane permutes): after two rounds, 128-bit lane L holds the four
// z[k]'s sums over their lane L; one swap of lane pairs completes each block, one permute
// orders them.
PKW_INLINE PKW_TARGET __m256i PKW(fold4)(const __m512i z[4]) {
    const __m512i a01 = _mm512_add_epi32(_mm512_unpacklo_epi32(z[0], z[1]), _mm512_unpackhi_epi32(z[0], z[1]));
    const __m512i a23 = _mm512_add_epi32(_mm512_unpacklo_epi32(z[2], z[3]), _mm512_unpackhi_epi32(z[2], z[3]));
    const __m512i b = _mm512_add_epi32(_mm512_unpacklo_epi64(a01, a23), _mm512_unpackhi_epi64(a01, a23));
    const __m512i c = _mm512_add_epi32(b, _mm512_shuffle_i64x2(b, b, _MM_SHUFFLE(2, 3, 0, 1)));   // lanes 0-3: blocks 0 2 4 6; 8-11: 1 3 5 7
    return _mm512_castsi512_si256(_mm512_permutexvar_epi32(_mm512_setr_epi32(0, 8, 1, 9, 2, 10, 3, 11, 0, 8, 1, 9, 2, 10, 3, 11), c));
}
#endif

// R rows against the group of blocks b..b+cnt (cnt ≤ 8; a constant 8 in the main loop, so
// the block loops unroll without tests). The activations' scales and offset terms
// (offset·Σx per block) are gathered once for the R rows; per row, the blocks' partial
// sums are folded into the group's 8 exact block sums and the float steps run once.
PKW_INLINE PKW_TARGET void PKW(matvec_group)(int type, size_t bb, int has_min, int is_signed, int offset, const uint8_t *row0,
                                             size_t rb, const pk_q8_32 *xg, const int cnt, const int R, const char *pf,
                                             __m256 *acc, __m256 *accm) {
    __m256 dx, sv;
    const __m256i sx = pk_simd_xgroup8(xg, cnt, offset != 0, &dx, &sv);
    const __m256i off = offset ? _mm256_mullo_epi32(sx, _mm256_set1_epi32(offset)) : _mm256_setzero_si256();
#if PKW_512
    __m512i xz[4];   // the activation pairs, joined once for the R rows
    for (int k = 0; k < 4; k++)
        if (2 * k + 1 < cnt)
            xz[k] = PKW(join)(_mm256_loadu_si256((const __m256i *)xg[2 * k].qs), _mm256_loadu_si256((const __m256i *)xg[2 * k + 1].qs));
#endif
#pragma clang loop unroll(full)   // the R accumulators stay in registers
    for (int i = 0; i < R; i++) {
        const uint8_t *blk = row0 + (size_t)i * rb;
        // this row's share of the prefetches (pf: the rows ahead, cnt·R·bb bytes), a few
        // lines between rows rather than all at once
        const int span = cnt * R * (int)bb, from = span * i / R / 64 * 64, to = i + 1 == R ? span : span * (i + 1) / R / 64 * 64;
        for (int line = from; line < to; line += 64) _mm_prefetch(pf + line, _MM_HINT_T0);
#if PKW_512
        // two blocks per product; an odd last block alone, zero past the group's end
        __m512i z[4];
        for (int k = 0; k < 4; k++) {
            const int j = 2 * k;
            z[k] = j + 1 < cnt ? _mm512_dpbusd_epi32(_mm512_setzero_si512(),
                                                     PKW(pair_weights)(type, blk + (size_t)j * bb, blk + (size_t)(j + 1) * bb), xz[k])
                 : j < cnt     ? _mm512_zextsi256_si512(PKW(block_partials)(type, is_signed, blk + (size_t)j * bb, &xg[j]))
                               : _mm512_setzero_si512();
        }
        const __m256i S = _mm256_sub_epi32(PKW(fold4)(z), off);
#else
        __m256i h[4];   // block pairs' partial sums, folded by one hadd
        for (int k = 0; k < 4; k++) {
            const int j = 2 * k;
            const __m256i pa = j < cnt ? PKW(block_partials)(type, is_signed, blk + (size_t)j * bb, &xg[j]) : _mm256_setzero_si256();
            const __m256i pb = j + 1 < cnt ? PKW(block_partials)(type, is_signed, blk + (size_t)(j + 1) * bb, &xg[j + 1])
                                           : _mm256_setzero_si256();
            h[k] = _mm256_hadd_epi32(pa, pb);
        }
        const __m256i S = _mm256_sub_epi32(pk_simd_hsum4x2(h), off);
#endif
        acc[i] = _mm256_fmadd_ps(_mm256_mul_ps(pk_simd_halves8(blk, bb, cnt, 0), dx), _mm256_cvtepi32_ps(S), acc[i]);
        if (has_min) accm[i] = _mm256_fmadd_ps(pk_simd_halves8(blk, bb, cnt, 2), sv, accm[i]);
    }
}

// R rows against one vector, one canonical group at a time.
PKW_INLINE PKW_TARGET void PKW(matvec_rows32)(int type, size_t bb, int has_min, int is_signed, int offset, const uint8_t *row0,
                                              size_t rb, int nb, const pk_q8_32 *x, const int R, float *out) {
    const size_t group = (size_t)R * rb, ahead = group >= 2048 ? 2 : 4096 / group;
    __m256 acc[4], accm[4];
    for (int i = 0; i < R; i++) acc[i] = accm[i] = _mm256_setzero_ps();
    // rows read side by side defeat the hardware prefetcher: fetch the rows about 4 KB
    // ahead (contiguous after these) at the rate these are read, every block of them
    // (measured on Zen 4 against 8, 16 and 32 KB: decode +4 to +15% at two threads)
    const char *ahead_rows = (const char *)row0 + (size_t)ahead * R * rb;
    int b = 0;
    for (; b + 8 <= nb; b += 8)
        PKW(matvec_group)(type, bb, has_min, is_signed, offset, row0 + (size_t)b * bb, rb, x + b, 8, R, ahead_rows + (size_t)R * b * bb,
                          acc, accm);
    // the last, partial group: its block count a constant too (rows of 576, 640 and 896
    // elements end in 2, 4 and 4 blocks)
    const uint8_t *tail = row0 + (size_t)b * bb;
    const char *pf = ahead_rows + (size_t)R * b * bb;
    switch (nb - b) {
    case 1: PKW(matvec_group)(type, bb, has_min, is_signed, offset, tail, rb, x + b, 1, R, pf, acc, accm); break;
    case 2: PKW(matvec_group)(type, bb, has_min, is_signed, offset, tail, rb, x + b, 2, R, pf, acc, accm); break;
    case 3: PKW(matvec_group)(type, bb, has_min, is_signed, offset, tail, rb, x + b, 3, R, pf, acc, accm); break;
    case 4: PKW(matvec_group)(type, bb, has_min, is_signed, offset, tail, rb, x + b, 4, R, pf, acc, accm); break;
    case 5: PKW(matvec_group)(type, bb, has_min, is_signed, offset, tail, rb, x + b, 5, R, pf, acc, accm); break;
    case 6: PKW(matvec_group)(type, bb, has_min, is_signed, offset, tail, rb, x + b, 6, R, pf, acc, accm); break;
    case 7: PKW(matvec_group)(type, bb, has_min, is_signed, offset, tail, rb, x + b, 7, R, pf, acc, accm); break;
    default: break;
    }
    for (int i = 0; i < R; i++) out[i] = PKW(finish)(has_min, acc[i], accm[i]);
}

PKW_INLINE PKW_TARGET void PKW(matvec_block32)(int type, size_t bb, int has_min, int is_signed, int offset, const uint8_t *w, size_t rb,
                                int nb, int r0, int r1, const pk_q8_32 *x, float *y) {
    int r = r0;
    for (; r + 4 <= r1; r += 4) PKW(matvec_rows32)(type, bb, has_min, is_signed, offset, w + (size_t)r * rb, rb, nb, x, 4, y + r);
    for (; r < r1; r++) PKW(matvec_rows32)(type, bb, has_min, is_signed, offset, w + (size_t)r * rb, rb, nb, x, 1, y + r);
}

// Eight rows' results at once (the same reductions as PKW(finish)) into out[0..8).
PKW_INLINE PKW_TARGET void PKW(finish8)(int has_min, const __m256 *acc, const __m256 *accm, float *out) {
    const __m256 sum = pk_simd_reduce8x8(acc);
    _mm256_storeu_ps(out, has_min ? _mm256_add_ps(sum, pk_simd_reduce8x8(accm)) : sum);
}

// One row of a tile against NV (≤ 4) expanded vectors (e: the first of them), groups k0..k1,
// into the row's accumulators for those vectors (the caller keeps them in registers).
PKW_INLINE PKW_TARGET void PKW(mm_row)(int has_min, int is_signed, int offset, const pk_wgroup *U, int k0, int k1,
                                       const pk_xgroup *e, const int NV, __m256 *acc, __m256 *accm) {
    for (int k = k0; k < k1; k++) {
        const pk_wgroup *w = &U[k - k0];
        const pk_xgroup *ev[4];
        __m256i S[4];
        for (int v = 0; v < NV; v++) ev[v] = &e[(k - k0) * MM_VECTORS + v];
        PKW(group_sums)(is_signed, offset, w, ev, NV, S);
        for (int v = 0; v < NV; v++) PKW(group_add)(has_min, w, ev[v], S[v], &acc[v], &accm[v]);
    }
}

// A segment's weights for a tile: rows t0..t1, groups k0..k1 unpacked into U; with
// prefetch, the next tile's part of the segment is fetched while this one computes.
PKW_INLINE PKW_TARGET void PKW(mm_weights)(int type, size_t bb, int has_min, int is_signed, const uint8_t *w, size_t rb, int nb,
                                           int t0, int t1, int r1, int k0, int k1, int prefetch, pk_wgroup (*U)[MM_GROUPS]) {
    for (int k = k0; k < k1; k++) {
        const int cnt = nb - 8 * k < 8 ? nb - 8 * k : 8;
        for (int r = t0; r < t1; r++) {
            const uint8_t *blk = w + (size_t)r * rb + (size_t)(8 * k) * bb;
            if (pk_t8_file_type(type) >= 0) PKW(t8_group)(type, blk, cnt, &U[r - t0][k - k0]);
            else PKW(unpack_group)(type, bb, has_min, is_signed, blk, cnt, &U[r - t0][k - k0]);
        }
    }
    if (!prefetch) return;
    const size_t lo = (size_t)(8 * k0) * bb, hi = (size_t)(8 * k1 < nb ? 8 * k1 : nb) * bb;
    for (int r = t1; r < t1 + MM_ROWS && r < r1; r++)
        for (size_t o = lo; o < hi; o += 64) _mm_prefetch((const char *)w + (size_t)r * rb + o, _MM_HINT_T0);
}

PKW_INLINE PKW_TARGET void PKW(matmat_block32)(int type, size_t bb, int has_min, int is_signed, int offset, const uint8_t *w, size_t rb,
                                int nb, int r0, int r1, const uint8_t *xq, size_t xs, int n_vec, float *y, size_t ys) {
    const int groups = (nb + 7) / 8;
    pk_xgroup e[MM_GROUPS * MM_VECTORS] __attribute__((aligned(32)));
    pk_wgroup U[MM_ROWS][MM_GROUPS] __attribute__((aligned(32)));
    __m256 acc[MM_VECTORS][MM_ROWS], accm[MM_VECTORS][MM_ROWS];
    for (int v0 = 0; v0 < n_vec; v0 += MM_VECTORS) {
        const int nv = n_vec - v0 < MM_VECTORS ? n_vec - v0 : MM_VECTORS;
        const uint8_t *x0 = xq + (size_t)v0 * xs;
        for (int t0 = r0; t0 < r1; t0 += MM_ROWS) {
            const int t1 = r1 - t0 < MM_ROWS ? r1 : t0 + MM_ROWS;
            for (int v = 0; v < nv; v++)
                for (int r = 0; r < t1 - t0; r++) acc[v][r] = accm[v][r] = _mm256_setzero_ps();
            for (int k0 = 0; k0 < groups; k0 += MM_GROUPS) {
                const int k1 = groups - k0 < MM_GROUPS ? groups : k0 + MM_GROUPS;
                for (int k = k0; k < k1; k++) {
                    const int cnt = nb - 8 * k < 8 ? nb - 8 * k : 8;
                    for (int v = 0; v < nv; v++)
                        PKW(expand_group)(offset, (const pk_q8_32 *)(x0 + (size_t)v * xs) + 8 * k, cnt, &e[(k - k0) * MM_VECTORS + v]);
                }
                PKW(mm_weights)(type, bb, has_min, is_signed, w, rb, nb, t0, t1, r1, k0, k1, v0 == 0, U);
                for (int r = 0; r < t1 - t0; r++)
                    for (int g = 0; g < nv; g += 4) {
                        __m256 a[4], am[4];
                        const int n4 = nv - g < 4 ? nv - g : 4;
                        for (int v = 0; v < n4; v++) { a[v] = acc[g + v][r]; am[v] = accm[g + v][r]; }
                        const pk_xgroup *eg = e + g;
                        switch (n4) {
                        case 1: PKW(mm_row)(has_min, is_signed, offset, U[r], k0, k1, eg, 1, a, am); break;
                        case 2: PKW(mm_row)(has_min, is_signed, offset, U[r], k0, k1, eg, 2, a, am); break;
                        case 3: PKW(mm_row)(has_min, is_signed, offset, U[r], k0, k1, eg, 3, a, am); break;
                        default: PKW(mm_row)(has_min, is_signed, offset, U[r], k0, k1, eg, 4, a, am); break;
                        }
                        for (int v = 0; v < n4; v++) { acc[g + v][r] = a[v]; accm[g + v][r] = am[v]; }
                    }
            }
            for (int v = 0; v < nv; v++) {
                float *out = y + (size_t)(v0 + v) * ys;
                int r = t0;
                for (; r + 8 <= t1; r += 8) PKW(finish8)(has_min, &acc[v][r - t0], &accm[v][r - t0], out + r);
                for (; r < t1; r++) out[r] = PKW(finish)(has_min, acc[v][r - t0], accm[v][r - t0]);
            }
        }
    }
}

#if PKW_512
// Vectors v and v + 1's groups (b NULL: a zero vector) as one pair.
PKW_INLINE PKW_TARGET void PKW(expand_pair)(int offset, const pk_q8_32 *a, const pk_q8_32 *b, int cnt, pk_xpair *e) {
    pk_xgroup ga, gb;
    PKW(expand_group)(offset, a, cnt, &ga);
    if (b) PKW(expand_group)(offset, b, cnt, &gb);
    else memset(&gb, 0, sizeof gb);
    for (int k = 0; k < 8; k++) e->x[k] = PKW(join)(ga.x[k], gb.x[k]);
    e->off = PKW(join)(ga.off, gb.off);
    e->dx = PKW(join_ps)(ga.dx, gb.dx);
    e->s = PKW(join_ps)(ga.s, gb.s);
}

// One row of a tile against NP (≤ 4) expanded vector pairs, groups k0..k1.
PKW_INLINE PKW_TARGET void PKW(mm_row_pairs)(int has_min, int offset, const pk_wgroup *U, int k0, int k1, const pk_xpair *e,
                                             const int NP, __m512 *acc, __m512 *accm) {
    __m512 a[4], am[4];
    for (int p = 0; p < NP; p++) { a[p] = acc[p]; am[p] = accm[p]; }
    for (int k = k0; k < k1; k++) {
        const pk_wgroup *w = &U[k - k0];
        const pk_xpair *ep = &e[(k - k0) * (MM_VECTORS / 2)];
        __m512i S[4];
        for (int p = 0; p < NP; p++) S[p] = offset ? ep[p].off : _mm512_setzero_si512();
        for (int s = 0; s < 8; s++) {
            const __m512i u = _mm512_broadcast_i64x4(w->u[s]);
            for (int p = 0; p < NP; p++) S[p] = _mm512_dpbusd_epi32(S[p], u, ep[p].x[s]);
        }
        const __m512 dw = PKW(join_ps)(w->dw, w->dw), m = PKW(join_ps)(w->m, w->m);
        for (int p = 0; p < NP; p++) {
            a[p] = _mm512_fmadd_ps(_mm512_mul_ps(dw, ep[p].dx), _mm512_cvtepi32_ps(S[p]), a[p]);
            if (has_min) am[p] = _mm512_fmadd_ps(m, ep[p].s, am[p]);
        }
    }
    for (int p = 0; p < NP; p++) { acc[p] = a[p]; accm[p] = am[p]; }
}

// matmat_block32 with two vectors per register.
PKW_INLINE PKW_TARGET void PKW(matmat_pairs)(int type, size_t bb, int has_min, int is_signed, int offset, const uint8_t *w, size_t rb,
                                             int nb, int r0, int r1, const uint8_t *xq, size_t xs, int n_vec, float *y, size_t ys) {
    enum { PAIRS = MM_VECTORS / 2 };
    const int groups = (nb + 7) / 8;
    pk_xpair e[MM_GROUPS * PAIRS] __attribute__((aligned(64)));
    pk_wgroup U[MM_ROWS][MM_GROUPS] __attribute__((aligned(32)));
    __m512 acc[MM_ROWS][PAIRS], accm[MM_ROWS][PAIRS];
    for (int v0 = 0; v0 < n_vec; v0 += MM_VECTORS) {
        const int nv = n_vec - v0 < MM_VECTORS ? n_vec - v0 : MM_VECTORS, np = (nv + 1) / 2;
        const uint8_t *x0 = xq + (size_t)v0 * xs;
        for (int t0 = r0; t0 < r1; t0 += MM_ROWS) {
            const int t1 = r1 - t0 < MM_ROWS ? r1 : t0 + MM_ROWS;
            for (int r = 0; r < t1 - t0; r++)
                for (int p = 0; p < np; p++) acc[r][p] = accm[r][p] = _mm512_setzero_ps();
            for (int k0 = 0; k0 < groups; k0 += MM_GROUPS) {
                const int k1 = groups - k0 < MM_GROUPS ? groups : k0 + MM_GROUPS;
                for (int k = k0; k < k1; k++) {
                    const int cnt = nb - 8 * k < 8 ? nb - 8 * k : 8;
                    for (int p = 0; p < np; p++) {
                        const pk_q8_32 *xa = (const pk_q8_32 *)(x0 + (size_t)(2 * p) * xs) + 8 * k;
                        const pk_q8_32 *xb = 2 * p + 1 < nv ? (const pk_q8_32 *)(x0 + (size_t)(2 * p + 1) * xs) + 8 * k : NULL;
                        PKW(expand_pair)(offset, xa, xb, cnt, &e[(k - k0) * PAIRS + p]);
                    }
                }
                PKW(mm_weights)(type, bb, has_min, is_signed, w, rb, nb, t0, t1, r1, k0, k1, v0 == 0, U);
                for (int r = 0; r < t1 - t0; r++)
                    for (int g = 0; g < np; g += 4) {
                        const pk_xpair *eg = e + g;
                        switch (np - g < 4 ? np - g : 4) {
                        case 1: PKW(mm_row_pairs)(has_min, offset, U[r], k0, k1, eg, 1, acc[r] + g, accm[r] + g); break;
                        case 2: PKW(mm_row_pairs)(has_min, offset, U[r], k0, k1, eg, 2, acc[r] + g, accm[r] + g); break;
                        case 3: PKW(mm_row_pairs)(has_min, offset, U[r], k0, k1, eg, 3, acc[r] + g, accm[r] + g); break;
                        default: PKW(mm_row_pairs)(has_min, offset, U[r], k0, k1, eg, 4, acc[r] + g, accm[r] + g); break;
                        }
                    }
            }
            for (int v = 0; v < nv; v++) {
                float *out = y + (size_t)(v0 + v) * ys;
                __m256 a[8], m[8];
                for (int r = t0; r < t1; r++) {
                    const __m512 ar = acc[r - t0][v / 2], mr = accm[r - t0][v / 2];
                    a[(r - t0) % 8] = v & 1 ? PKW(high_ps)(ar) : _mm512_castps512_ps256(ar);
                    m[(r - t0) % 8] = v & 1 ? PKW(high_ps)(mr) : _mm512_castps512_ps256(mr);
                    if ((r - t0) % 8 == 7) PKW(finish8)(has_min, a, m, out + r - 7);   // eight rows side by side
                }
                for (int r = t0 + (t1 - t0) / 8 * 8; r < t1; r++) out[r] = PKW(finish)(has_min, a[(r - t0) % 8], m[(r - t0) % 8]);
            }
        }
    }
}
#define PKW_MATMAT PKW(matmat_pairs)
#else
#define PKW_MATMAT PKW(matmat_block32)
#endif

#define PKW_DEFINE(type, bytes, has_min, is_signed, offset)                                                    \
    PKW_TARGET __attribute__((noinline)) static void PKW(matvec_##type)(const uint8_t *w, size_t rb, int nb, int r0,  \
                                                                       int r1, const pk_q8_32 *x, float *y) {       \
        PKW(matvec_block32)(PK_##type, bytes, has_min, is_signed, offset, w, rb, nb, r0, r1, x, y);                 \
    }                                                                                                               \
    PKW_TARGET __attribute__((noinline)) static void PKW(matmat_##type)(const uint8_t *w, size_t rb, int nb, int r0,  \
                                                                       int r1, const uint8_t *xq, size_t xs,        \
                                                                       int n_vec, float *y, size_t ys) {            \
        PKW_MATMAT(PK_##type, bytes, has_min, is_signed, offset, w, rb, nb, r0, r1, xq, xs, n_vec, y, ys);             \
    }
PKW_DEFINE(Q4_0, 18, 0, 0, 8)
PKW_DEFINE(Q4_1, 20, 1, 0, 0)
PKW_DEFINE(Q5_0, 22, 0, 0, 16)
PKW_DEFINE(Q5_1, 24, 1, 0, 0)
PKW_DEFINE(Q8_0, 34, 0, 1, PKW_VNNI ? 128 : 0)
#undef PKW_DEFINE

// T8 decode: the vector's groups expanded once per call (as prefill expands them), then
// each row's groups read side by side: the products land in their blocks' lanes, so the
// float steps run once per group with no fold. Rows are read one after another (the
// hardware prefetcher follows a single stream).
PKW_INLINE PKW_TARGET void PKW(t8_group_dot)(int type, const uint8_t *g, const int cnt, const pk_xgroup *e, __m256 *acc,
                                             __m256 *accm) {
    const int has_min = type == PK_Q4_1_T8;
    pk_wgroup w;
    __m256i S;
    PKW(t8_group)(type, g, cnt, &w);
    PKW(group_sums)(0, has_min ? 0 : 16, &w, &e, 1, &S);
    PKW(group_add)(has_min, &w, e, S, acc, accm);
}

PKW_INLINE PKW_TARGET void PKW(matvec_t8)(int type, size_t bb, const uint8_t *w, size_t rb, int nb, int r0, int r1,
                                          const pk_q8_32 *x, float *y) {
    pk_xgroup e[PK_T8_MAX_N / 256] __attribute__((aligned(32)));
    const int has_min = type == PK_Q4_1_T8, full = nb / 8;
    const size_t gb = 8 * bb;
    for (int k = 0; 8 * k < nb; k++) PKW(expand_group)(has_min ? 0 : 16, x + 8 * k, nb - 8 * k < 8 ? nb - 8 * k : 8, &e[k]);
    for (int r = r0; r < r1; r++) {
        const uint8_t *row = w + (size_t)r * rb, *tail = row + gb * full;
        __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
        for (int k = 0; k < full; k++) PKW(t8_group_dot)(type, row + gb * k, 8, &e[k], &acc, &accm);
        switch (nb - 8 * full) {   // the last, partial group: a constant count (896 and 640 end in 4)
        case 1: PKW(t8_group_dot)(type, tail, 1, &e[full], &acc, &accm); break;
        case 2: PKW(t8_group_dot)(type, tail, 2, &e[full], &acc, &accm); break;
        case 3: PKW(t8_group_dot)(type, tail, 3, &e[full], &acc, &accm); break;
        case 4: PKW(t8_group_dot)(type, tail, 4, &e[full], &acc, &accm); break;
        case 5: PKW(t8_group_dot)(type, tail, 5, &e[full], &acc, &accm); break;
        case 6: PKW(t8_group_dot)(type, tail, 6, &e[full], &acc, &accm); break;
        case 7: PKW(t8_group_dot)(type, tail, 7, &e[full], &acc, &accm); break;
        default: break;
        }
        y[r] = PKW(finish)(has_min, acc, accm);
    }
}

#define PKW_DEFINE_T8(type, bytes, has_min, offset)                                                                       \
    PKW_TARGET __attribute__((noinline)) static void PKW(matvec_##type##_T8)(const uint8_t *w, size_t rb, int nb, int r0,   \
                                                                            int r1, const pk_q8_32 *x, float *y) {          \
        PKW(matvec_t8)(PK_##type##_T8, bytes, w, rb, nb, r0, r1, x, y);                                                     \
    }                                                                                                                       \
    PKW_TARGET __attribute__((noinline)) static void PKW(matmat_##type##_T8)(const uint8_t *w, size_t rb, int nb, int r0,   \
                                                                            int r1, const uint8_t *xq, size_t xs,           \
                                                                            int n_vec, float *y, size_t ys) {               \
        PKW_MATMAT(PK_##type##_T8, bytes, has_min, 0, offset, w, rb, nb, r0, r1, xq, xs, n_vec, y, ys);                     \
    }
PKW_DEFINE_T8(Q5_0, 22, 0, 16)
PKW_DEFINE_T8(Q4_1, 20, 1, 0)
#undef PKW_DEFINE_T8
#undef PKW_MATMAT

// Entry points: 1 if the type is a 32-element block type or a T8 layout (done), else 0 (nothing written).
PKW_ENTRY int PKW(pk_matvec32)(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, float *y) {
    const int nb = n / 32;
    switch (type) {
    case PK_Q4_0: PKW(matvec_Q4_0)(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q4_1: PKW(matvec_Q4_1)(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q5_0: PKW(matvec_Q5_0)(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q5_1: PKW(matvec_Q5_1)(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q8_0: PKW(matvec_Q8_0)(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q5_0_T8: PKW(matvec_Q5_0_T8)(w, rb, nb, r0, r1, xq, y); return 1;
    case PK_Q4_1_T8: PKW(matvec_Q4_1_T8)(w, rb, nb, r0, r1, xq, y); return 1;
    default: return 0;
    }
}

PKW_ENTRY int PKW(pk_matmat32)(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs, int n_vec,
                     float *y, size_t ys) {
    const int nb = n / 32;
    switch (type) {
    case PK_Q4_0: PKW(matmat_Q4_0)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q4_1: PKW(matmat_Q4_1)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q5_0: PKW(matmat_Q5_0)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q5_1: PKW(matmat_Q5_1)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q8_0: PKW(matmat_Q8_0)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q5_0_T8: PKW(matmat_Q5_0_T8)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q4_1_T8: PKW(matmat_Q4_1_T8)(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    default: return 0;
    }
}

#undef PKW
#undef PKW_INLINE
#undef PKW_ENTRY
#undef PKW_CAT
#undef PKW_CAT2
#undef PKW_TARGET
#undef PKW_VNNI
#undef PKW_DPBUSD
#undef PKW_SUFFIX
#undef PKW_512
