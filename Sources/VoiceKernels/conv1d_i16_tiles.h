// The 16-bit-product convolution's register tiles and loops (conv1d_i16.c's arithmetic),
// written once and included per level and tile shape (conv1d_i16_avx2.c: two instruction
// sets × two shapes) with:
//   I16_TARGET   the function attribute of the level,
//   I16_NAME     the entry point's name (I16_LINKAGE before it, e.g. static, when it is one of a level's shapes),
//   I16_ROWS     output channels per tile, I16_NV vectors of I16_LANES columns per tile,
//   I16_CHUNK    columns per chunk (the row blocks run inside it, so a block's weights stay in L1),
//   I16_VEC      the integer vector type; I16_ZERO(), I16_LOAD(p), I16_SET1(v): zero, load, broadcast,
//   I16_MADD(acc, w, x)  acc + the int16 pair products of w and x, as int32 lanes,
//   I16_END(out, acc, s, b, count, accumulate)  the first `count` columns' canonical end:
//                out = (accumulate ? out + b : b) + (float)acc · s,
//   I16_RAW_NAME (optional) an entry point that stores the int32 sums themselves (whole tiles), with
//   I16_STORE(p, acc) storing one vector of them.
// The window was zero-padded when quantized: no masked loads. Private to VoiceKernels.

#define I16_CAT2(a, b) a##b
#define I16_CAT(a, b) I16_CAT2(a, b)
#define I16_TILE I16_CAT(I16_NAME, _tile)
#define I16_LOOP I16_CAT(I16_NAME, _loop)
#ifndef I16_LINKAGE
#define I16_LINKAGE
#endif

// Rows [0, rows) of y (≤ I16_ROWS, from weight rows wb) on columns [t0, t0 + I16_NV·I16_LANES), of
// which the first `width` are stored; or, with `raw`, the int32 sums of all of them into raw (ldy apart).
static inline __attribute__((always_inline)) I16_TARGET void I16_TILE(const int32_t *wb, const float *wscale, const float *bias,
                                                                       int rows, int cinp, int k, int dil, const int16_t *xq,
                                                                       long ldq, float xscale, float *y, int32_t *raw, long ldy,
                                                                       long t0, long width, int accumulate) {
    I16_VEC acc[I16_ROWS][I16_NV];
    for (int r = 0; r < I16_ROWS; r++)
        for (int v = 0; v < I16_NV; v++) acc[r][v] = I16_ZERO();
    const long wstride = (long)cinp * k;
    const int32_t *wr[I16_ROWS];   // rows past `rows` repeat the last real one (computed, never stored)
    for (int r = 0; r < I16_ROWS; r++) wr[r] = wb + (r < rows ? r : rows - 1) * wstride;
    for (int cp = 0; cp < cinp; cp++) {
        const int16_t *xr = xq + ((long)cp * ldq + t0) * 2;
        for (int j = 0; j < k; j++) {
            I16_VEC xv[I16_NV];
            for (int v = 0; v < I16_NV; v++) xv[v] = I16_LOAD(xr + 2 * ((long)j * dil + I16_LANES * v));
            const long o = (long)cp * k + j;
            for (int r = 0; r < I16_ROWS; r++) {
                const I16_VEC wv = I16_SET1(wr[r][o]);
                for (int v = 0; v < I16_NV; v++) acc[r][v] = I16_MADD(acc[r][v], wv, xv[v]);
            }
        }
    }
#ifdef I16_RAW_NAME
    if (raw) {
        for (int r = 0; r < rows; r++)
            for (int v = 0; v < I16_NV; v++) I16_STORE(raw + r * ldy + t0 + I16_LANES * v, acc[r][v]);
        return;
    }
#endif
    for (int r = 0; r < rows; r++) {
        const float s = wscale[r] * xscale, b = bias ? bias[r] : 0.0f;
        for (int v = 0; v < I16_NV && width > I16_LANES * v; v++)
            I16_END(y + r * ldy + t0 + I16_LANES * v, acc[r][v], s, b, width - I16_LANES * v, accumulate);
    }
}

// Chunks of I16_CHUNK columns, the row blocks inside: into y (or the sums into raw, whole tiles).
static inline __attribute__((always_inline)) I16_TARGET void I16_LOOP(const int32_t *wq, const float *wscale, const float *bias,
                                                                       int cout, int cinp, int k, int dil, const int16_t *xq,
                                                                       long ldq, float xscale, float *y, int32_t *raw, long ldy,
                                                                       long n, int accumulate) {
    const int blocks = (cout + I16_ROWS - 1) / I16_ROWS;
    for (long c0 = 0; c0 < n; c0 += I16_CHUNK) {
        const long c1 = c0 + I16_CHUNK < n ? c0 + I16_CHUNK : n;
        for (int b = 0; b < blocks; b++) {
            const int rows = cout - I16_ROWS * b < I16_ROWS ? cout - I16_ROWS * b : I16_ROWS;
            const long row0 = (long)I16_ROWS * b * ldy;
            for (long t0 = c0; t0 < c1; t0 += I16_NV * I16_LANES)
                I16_TILE(wq + (size_t)I16_ROWS * b * cinp * k, raw ? 0 : wscale + I16_ROWS * b, bias ? bias + I16_ROWS * b : 0,
                         rows, cinp, k, dil, xq, ldq, xscale, raw ? 0 : y + row0, raw ? raw + row0 : 0, ldy, t0,
                         raw || c1 - t0 >= I16_NV * I16_LANES ? I16_NV * I16_LANES : c1 - t0, accumulate);
        }
    }
}

I16_LINKAGE I16_TARGET void I16_NAME(const int32_t *wq, const float *wscale, const float *bias, int cout, int cinp, int k, int dil,
                         const int16_t *xq, long ldq, float xscale, float *y, long ldy, long n, int accumulate) {
    I16_LOOP(wq, wscale, bias, cout, cinp, k, dil, xq, ldq, xscale, y, 0, ldy, n, accumulate);
}

#ifdef I16_RAW_NAME
// The exact sums S of rows [0, cout) on columns [0, n) rounded up to whole tiles, into out (ldo apart).
I16_LINKAGE I16_TARGET void I16_RAW_NAME(const int32_t *wq, int cout, int cinp, int k, int dil, const int16_t *xq, long ldq,
                                         int32_t *out, long ldo, long n) {
    I16_LOOP(wq, 0, 0, cout, cinp, k, dil, xq, ldq, 0.0f, 0, out, ldo, n, 0);
}
#undef I16_RAW_NAME
#endif

// What differs between two inclusions in one file; the vector macros may stay for the next.
#undef I16_TILE
#undef I16_LOOP
#undef I16_ROWS
#undef I16_NV
#undef I16_LINKAGE
#undef I16_CAT
#undef I16_CAT2
#undef I16_TARGET
#undef I16_NAME
#undef I16_MADD
