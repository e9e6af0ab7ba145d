// The PK_Q5_0_R4 decode kernel (repack.c's layout), written once and included per level with
//   R4_TARGET  the function attribute of the level,
//   R4_VNNI    0: products by maddubs + madd (AVX2); 1: by dpbusd (AVX-VNNI),
//   R4_DPBUSD  with R4_VNNI, the dpbusd intrinsic (VEX or EVEX encoding),
//   R4_NAME    the entry point's name.
// Either way of forming the products gives the same exact integers as Q5_0's kernels (the
// weights are unsigned 5-bit quants; the offset 16 is taken off as 16·Σx), so the sums are
// Q5_0's canonical ones at every level. Private to the Kernels target; include after
// simd_common.h.

// Groups [g0, g1) of four rows against one vector. Per block pair: the 8 scales in one
// conversion and one multiply, the fifth bits of all 8 blocks in one load (block (r, h)'s
// bit 2r + h is shifted to bit 4), each row's two blocks' nibbles in one load.
R4_TARGET void R4_NAME(const void *w, size_t rb, int n, int g0, int g1, const void *xq, float *y) {
    const pk_q8_32 *x = (const pk_q8_32 *)xq;
    const int pairs = n / 64;
    const __m256i low = _mm256_set1_epi8(15), fifth = _mm256_set1_epi8(16), sixteen = _mm256_set1_epi8(16);
#if !R4_VNNI
    const __m256i ones = _mm256_set1_epi16(1);
#endif
    for (int g = g0; g < g1; g++) {
        const uint8_t *grp = (const uint8_t *)w + (size_t)g * 4 * rb;
        __m256 acc[4][2];
        for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
        for (int k = 0; k < pairs; k++) {
            const uint8_t *p = grp + (size_t)k * 176;
            for (int line = 0; line < 176; line += 64) _mm_prefetch((const char *)p + 4096 + line, _MM_HINT_T0);
            const __m256i xa = _mm256_loadu_si256((const __m256i *)x[2 * k].qs);
            const __m256i xb = _mm256_loadu_si256((const __m256i *)x[2 * k + 1].qs);
#if R4_VNNI
            // dpbusd starts from −16·Σx (per lane of 4), which takes the offset off
            const __m256i offa = _mm256_sub_epi32(_mm256_setzero_si256(), R4_DPBUSD(_mm256_setzero_si256(), sixteen, xa));
            const __m256i offb = _mm256_sub_epi32(_mm256_setzero_si256(), R4_DPBUSD(_mm256_setzero_si256(), sixteen, xb));
#else
            const __m256i offa = _mm256_maddubs_epi16(sixteen, xa), offb = _mm256_maddubs_epi16(sixteen, xb);
#endif
            // the 8 blocks' scales d_w·d_x in one multiply: lane 2r + h is block (r, h)
            const __m256 dx = _mm256_blend_ps(_mm256_set1_ps(x[2 * k].d), _mm256_set1_ps(x[2 * k + 1].d), 0xAA);
            const __m256 scales = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)), dx);
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(p + 16));
            for (int r = 0; r < 4; r++) {
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
                const __m256 sa = _mm256_cvtepi32_ps(R4_DPBUSD(offa, ua, xa));
                const __m256 sb = _mm256_cvtepi32_ps(R4_DPBUSD(offb, ub, xb));
#else
                const __m256 sa = _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_sub_epi16(_mm256_maddubs_epi16(ua, xa), offa), ones));
                const __m256 sb = _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_sub_epi16(_mm256_maddubs_epi16(ub, xb), offb), ones));
#endif
                const __m256 da = _mm256_permutevar8x32_ps(scales, _mm256_set1_epi32(2 * r));
                const __m256 db = _mm256_permutevar8x32_ps(scales, _mm256_set1_epi32(2 * r + 1));
                acc[r][0] = _mm256_add_ps(acc[r][0], _mm256_mul_ps(da, sa));
                acc[r][1] = _mm256_add_ps(acc[r][1], _mm256_mul_ps(db, sb));
            }
        }
        for (int r = 0; r < 4; r++) y[4 * g + r] = pk_simd_reduce16(acc[r][0], acc[r][1]);
    }
}

#undef R4_TARGET
#undef R4_VNNI
#undef R4_DPBUSD
#undef R4_NAME
