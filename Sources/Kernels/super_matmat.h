// The prefill driver for K-quant super-blocks, written once for the 256- and 512-bit levels
// and included per level after defining:
//   PKS_TARGET  the level's function attribute (its instruction sets),
//   PKS_SUFFIX  appended to the entry point's name (pk_matmat_super_avx2, …_avx512),
// and a function super_row8(type, bb, has_min, row, nb, xb, xs, dx, NV, out): one row
// against NV ≤ 8 vectors (dx: the vectors' scales, 8 per super-block, zeros past NV), the
// canonical arithmetic per vector, one vector per output lane.
// Private to the Kernels target.

#define PKS_CAT2(a, b) a##b
#define PKS_CAT(a, b) PKS_CAT2(a, b)
enum { PKS_VECTORS = 8 };

static inline __attribute__((always_inline)) PKS_TARGET void matmat_super(int type, size_t bb, int has_min,
                                                                          const uint8_t *w, size_t rb, int nb, int r0,
                                                                          int r1, const uint8_t *xq, size_t xs,
                                                                          int n_vec, float *y, size_t ys) {
    float dx[PKS_VECTORS * nb] __attribute__((aligned(32)));
    for (int v0 = 0; v0 < n_vec; v0 += PKS_VECTORS) {
        const int nv = n_vec - v0 < PKS_VECTORS ? n_vec - v0 : PKS_VECTORS;
        const uint8_t *x0 = xq + (size_t)v0 * xs;
        for (int b = 0; b < nb; b++)
            for (int v = 0; v < PKS_VECTORS; v++)
                dx[PKS_VECTORS * b + v] = v < nv ? ((const pk_q8_256 *)(x0 + (size_t)v * xs))[b].d : 0.0f;
        for (int r = r0; r < r1; r++) {
            const uint8_t *row = w + (size_t)r * rb;
            float out[PKS_VECTORS];
            switch (nv) {   // NV a constant in each copy, so the accumulators stay in registers
            case 1: super_row8(type, bb, has_min, row, nb, x0, xs, dx, 1, out); break;
            case 2: super_row8(type, bb, has_min, row, nb, x0, xs, dx, 2, out); break;
            case 3: super_row8(type, bb, has_min, row, nb, x0, xs, dx, 3, out); break;
            case 4: super_row8(type, bb, has_min, row, nb, x0, xs, dx, 4, out); break;
            case 5: super_row8(type, bb, has_min, row, nb, x0, xs, dx, 5, out); break;
            case 6: super_row8(type, bb, has_min, row, nb, x0, xs, dx, 6, out); break;
            case 7: super_row8(type, bb, has_min, row, nb, x0, xs, dx, 7, out); break;
            default: super_row8(type, bb, has_min, row, nb, x0, xs, dx, 8, out); break;
            }
            for (int v = 0; v < nv; v++) y[(size_t)(v0 + v) * ys + r] = out[v];
        }
    }
}

#define PKS_MATMAT(name, type, bytes, has_min)                                                              \
    PKS_TARGET __attribute__((noinline)) static void name(const uint8_t *w, size_t rb, int nb, int r0, int r1, \
                                                          const uint8_t *xq, size_t xs, int n_vec, float *y,   \
                                                          size_t ys) {                                         \
        matmat_super(type, bytes, has_min, w, rb, nb, r0, r1, xq, xs, n_vec, y, ys);                          \
    }
PKS_MATMAT(matmat_q2_K, PK_Q2_K, 84, 1)
PKS_MATMAT(matmat_q3_K, PK_Q3_K, 110, 0)
PKS_MATMAT(matmat_q4_K, PK_Q4_K, 144, 1)
PKS_MATMAT(matmat_q5_K, PK_Q5_K, 176, 1)
PKS_MATMAT(matmat_q6_K, PK_Q6_K, 210, 0)

int PKS_CAT(pk_matmat_super, PKS_SUFFIX)(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq,
                                         size_t xs, int n_vec, float *y, size_t ys) {
    const int nb = n / 256;
    switch (type) {
    case PK_Q2_K: matmat_q2_K(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q3_K: matmat_q3_K(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q4_K: matmat_q4_K(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q5_K: matmat_q5_K(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    case PK_Q6_K: matmat_q6_K(w, rb, nb, r0, r1, xq, xs, n_vec, y, ys); return 1;
    default: return 0;
    }
}
