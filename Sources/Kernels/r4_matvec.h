// The PK_Q5_0_R4 decode kernel (repack.c's layout), written once and included per level with
//   R4_ISA     the target attribute of the level,
//   R4_STATIC  the entry point's storage class (static or empty),
//   R4_VNNI    0: products by maddubs + madd (AVX2); 1: by dpbusd (AVX-VNNI),
//   R4_DPBUSD  with R4_VNNI, the dpbusd intrinsic (VEX or EVEX encoding),
//   R4_NAME    the entry point's name.
// Either way of forming the products gives the same exact integers as Q5_0's kernels (the
// weights are unsigned 5-bit quants; the offset 16 is taken off as 16·Σx), so the sums are
// Q5_0's canonical ones at every level. Private to the Kernels target; include after
// simd_common.h.

#define R4_CAT2(a, b) a##b
#define R4_CAT(a, b) R4_CAT2(a, b)
#define R4_GROUP R4_CAT(R4_NAME, _group)

// Four rows' blocks of pairs k0..k0+kn (kn ≤ 4: one canonical group of 8 blocks; a constant,
// so the loops unroll without tests) against one vector. Per block pair: the fifth bits of
// all 8 blocks in one load (block (r, h)'s bit 2r + h is shifted to bit 4), each row's two
// blocks' nibbles in one load, the products folded by one hadd; then per row the 8 exact
// block sums (pk_simd_hsum4x2, less the offset 16·Σx) and the float steps once.
static inline __attribute__((always_inline)) R4_ISA void R4_GROUP(const uint8_t *grp, const pk_q8_32 *x, int k0, const int kn,
                                                                  __m256 acc[4]) {
    const __m256i low = _mm256_set1_epi8(15), fifth = _mm256_set1_epi8(16);
#if !R4_VNNI
    const __m256i ones = _mm256_set1_epi16(1);
#endif
    __m256i h[4][4];   // per row and pair: the two blocks' lane sums, hadd'ed
    uint64_t dw[4][2] = {{0}};
    __m256 dxv;
    const __m256i offset = _mm256_slli_epi32(pk_simd_xgroup8(x + 2 * k0, 2 * kn, 1, &dxv, NULL), 4);   // 16·Σx per block
    for (int kk = 0; kk < 4; kk++) {
        if (kk >= kn) {
            for (int r = 0; r < 4; r++) h[r][kk] = _mm256_setzero_si256();
            continue;
        }
        const int k = k0 + kk;
        const uint8_t *p = grp + (size_t)k * 176;
        for (int line = 0; line < 176; line += 64) _mm_prefetch((const char *)p + 4096 + line, _MM_HINT_T0);
        const __m256i xa = _mm256_loadu_si256((const __m256i *)x[2 * k].qs);
        const __m256i xb = _mm256_loadu_si256((const __m256i *)x[2 * k + 1].qs);
        const __m256i bits = _mm256_loadu_si256((const __m256i *)(p + 16));
        for (int r = 0; r < 4; r++) {
            uint32_t scales;   // the fp16 scales of blocks (r, 0) and (r, 1)
            memcpy(&scales, p + 4 * r, 4);
            dw[r][kk / 2] |= (uint64_t)scales << (32 * (kk % 2));
            const __m256i v = _mm256_loadu_si256((const __m256i *)(p + 48 + 32 * r));
            __m256i ha, hb;   // bits 2r and 2r + 1 of each byte moved to bit 4
            switch (r) {
            case 0: ha = _mm256_slli_epi16(bits, 4); hb = _mm256_slli_epi16(bits, 3); break;
            case 1: ha = _mm256_slli_epi16(bits, 2); hb = _mm256_slli_epi16(bits, 1); break;
            case 2: ha = bits; hb = _mm256_srli_epi16(bits, 1); break;
            default: ha = _mm256_srli_epi16(bits, 2); hb = _mm256_srli_epi16(bits, 3); break;
            }
            const __m256i ua = _mm256_or_si256(_mm256_and_si256(v, low), _mm256_and_si256(ha, fifth));
            const __m256i ub = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v, 4), low), _mm256_and_si256(hb, fifth));
#if R4_VNNI
            h[r][kk] = _mm256_hadd_epi32(R4_DPBUSD(_mm256_setzero_si256(), ua, xa), R4_DPBUSD(_mm256_setzero_si256(), ub, xb));
#else
            h[r][kk] = _mm256_hadd_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(ua, xa), ones),
                                         _mm256_madd_epi16(_mm256_maddubs_epi16(ub, xb), ones));
#endif
        }
    }
    for (int r = 0; r < 4; r++) {
        const __m256i S = _mm256_sub_epi32(pk_simd_hsum4x2(h[r]), offset);
        const __m256 dwv = _mm256_cvtph_ps(pk_simd_bytes16(dw[r][0], dw[r][1]));
        acc[r] = _mm256_fmadd_ps(_mm256_mul_ps(dwv, dxv), _mm256_cvtepi32_ps(S), acc[r]);
    }
}

// Groups [g0, g1) of four rows against one vector.
R4_STATIC R4_ISA void R4_NAME(const void *w, size_t rb, int n, int g0, int g1, const void *xq, float *y) {
    const pk_q8_32 *x = (const pk_q8_32 *)xq;
    const int pairs = n / 64;
    for (int g = g0; g < g1; g++) {
        const uint8_t *grp = (const uint8_t *)w + (size_t)g * 4 * rb;
        __m256 acc[4];
        for (int r = 0; r < 4; r++) acc[r] = _mm256_setzero_ps();
        int k0 = 0;
        for (; k0 + 4 <= pairs; k0 += 4) R4_GROUP(grp, x, k0, 4, acc);
        switch (pairs - k0) {
        case 1: R4_GROUP(grp, x, k0, 1, acc); break;
        case 2: R4_GROUP(grp, x, k0, 2, acc); break;
        case 3: R4_GROUP(grp, x, k0, 3, acc); break;
        default: break;
        }
        for (int r = 0; r < 4; r++) y[4 * g + r] = pk_simd_reduce8(acc[r]);
    }
}

#undef R4_ISA
#undef R4_STATIC
#undef R4_GROUP
#undef R4_CAT
#undef R4_CAT2
#undef R4_VNNI
#undef R4_DPBUSD
#undef R4_NAME
