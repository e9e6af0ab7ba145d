// Portable dot-product kernels. They also define the arithmetic every SIMD level repeats
// exactly, so results do not depend on the CPU:
//
// Canonical arithmetic
// - 32-element blocks (Q4_0 … Q8_0 against pk_q8_32): block b's integer products are
//   summed exactly, S_b = Σ_{i<32} w[i]*x[i] (w signed: Q4_0 and Q5_0 after their offset).
//   Block b does acc[b % 8] = fma(d_w*d_x, S_b, acc[b % 8]), blocks in order (one rounding,
//   as llama.cpp's dot products); the 8 lanes are reduced by halving: acc[k]+acc[k+4],
//   then +2, +1. Types with a min term do accm[b % 8] = fma(m_w, s_x, accm[b % 8]) and add
//   its reduction to the result. (Exact block sums let
//   the SIMD levels form S_b however suits them: 8 blocks side by side, one per lane.)
// - 256-element super-blocks (K-quants against pk_q8_256): the whole super-block is one
//   exact integer isum = Σ_e sc(e)*u(e)*x(e) - offset*Σ_j sc(j)*bsums(j) (u the unsigned
//   quant, sc the scale of its 16-element group) and msum = Σ_j min(j)*bsums(j); then
//   sum += (d_x*d)*isum and, for types with mins, sum -= (d_x*dmin)*msum, in order.
// - Float weights (F32, F16, BF16): element i adds w[i]*x[i] (multiply, then add; never
//   fused) into acc[i % 32]; the 32 lanes are reduced by halving.
// Float expressions are never contracted (-ffp-contract=off on this target); fmaf is written out.
#include <math.h>
#include "quants.h"

static float reduce_halving(float *acc, int lanes) {
    for (int width = lanes / 2; width >= 1; width /= 2)
        for (int k = 0; k < width; k++) acc[k] = acc[k] + acc[k + width];
    return acc[0];
}

// ---- 32-element blocks ----

// Signed (or, for min types, unsigned) weight values of one block, with its d and m.
static inline void unpack_block32(int type, const uint8_t *blk, int8_t w[32], float *d, float *m) {
    switch (type) {
    case PK_Q4_0: {
        const blk_q4_0 *b = (const blk_q4_0 *)blk;
        for (int j = 0; j < 16; j++) { w[j] = (int8_t)((b->qs[j] & 0xf) - 8); w[j + 16] = (int8_t)((b->qs[j] >> 4) - 8); }
        *d = pk_half(b->d);
        break;
    }
    case PK_Q4_1: {
        const blk_q4_1 *b = (const blk_q4_1 *)blk;
        for (int j = 0; j < 16; j++) { w[j] = (int8_t)(b->qs[j] & 0xf); w[j + 16] = (int8_t)(b->qs[j] >> 4); }
        *d = pk_half(b->d);
        *m = pk_half(b->m);
        break;
    }
    case PK_Q5_0: {
        const blk_q5_0 *b = (const blk_q5_0 *)blk;
        uint32_t qh;
        memcpy(&qh, b->qh, 4);
        for (int j = 0; j < 16; j++) {
            w[j] = (int8_t)(((b->qs[j] & 0xf) | (((qh >> j) & 1) << 4)) - 16);
            w[j + 16] = (int8_t)(((b->qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16);
        }
        *d = pk_half(b->d);
        break;
    }
    case PK_Q5_1: {
        const blk_q5_1 *b = (const blk_q5_1 *)blk;
        uint32_t qh;
        memcpy(&qh, b->qh, 4);
        for (int j = 0; j < 16; j++) {
            w[j] = (int8_t)((b->qs[j] & 0xf) | (((qh >> j) & 1) << 4));
            w[j + 16] = (int8_t)((b->qs[j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
        }
        *d = pk_half(b->d);
        *m = pk_half(b->m);
        break;
    }
    default: {
        const blk_q8_0 *b = (const blk_q8_0 *)blk;
        memcpy(w, b->qs, 32);
        *d = pk_half(b->d);
        break;
    }
    }
}

static inline float dot_block32(int type, size_t block_bytes, int has_min, const uint8_t *row, int nb,
                                const pk_q8_32 *x) {
    float acc[8] = {0}, accm[8] = {0};
    for (int b = 0; b < nb; b++) {
        int8_t w[32];
        float d, m = 0.0f;
        unpack_block32(type, row + (size_t)b * block_bytes, w, &d, &m);
        int sum = 0;
        for (int i = 0; i < 32; i++) sum += w[i] * x[b].qs[i];
        acc[b % 8] = fmaf(d * x[b].d, (float)sum, acc[b % 8]);
        if (has_min) accm[b % 8] = fmaf(m, x[b].s, accm[b % 8]);
    }
    const float r = reduce_halving(acc, 8);
    return has_min ? r + reduce_halving(accm, 8) : r;
}

#define DEFINE_BLOCK32(name, type, bytes, has_min)                                                        \
    static void name(const uint8_t *row, int n, const uint8_t *x, size_t xs, int nv, float *out) {         \
        for (int v = 0; v < nv; v++)                                                                       \
            out[v] = dot_block32(type, bytes, has_min, row, n / 32, (const pk_q8_32 *)(x + (size_t)v * xs)); \
    }
DEFINE_BLOCK32(dot_q4_0, PK_Q4_0, 18, 0)
DEFINE_BLOCK32(dot_q4_1, PK_Q4_1, 20, 1)
DEFINE_BLOCK32(dot_q5_0, PK_Q5_0, 22, 0)
DEFINE_BLOCK32(dot_q5_1, PK_Q5_1, 24, 1)
DEFINE_BLOCK32(dot_q8_0, PK_Q8_0, 34, 0)

// The T8 layouts (repack.c): Q5_0's and Q4_1's blocks read from the rewritten rows, the
// same sums as dot_block32.
static float dot_t8(int type, size_t bb, const uint8_t *row, int nb, const pk_q8_32 *x) {
    float acc[8] = {0}, accm[8] = {0};
    for (int b = 0; b < nb; b++) {
        const int k = b / 8, j = b % 8, c = nb - 8 * k < 8 ? nb - 8 * k : 8;
        const uint8_t *g = row + 8 * bb * k;
        int sum = 0;
        for (int e = 0; e < 32; e++) {
            const uint8_t nib = g[pk_t8_nibble_at(type, c, j, e)];
            int q = e < 16 ? nib & 15 : nib >> 4;
            if (type == PK_Q5_0) q = (q | (g[pk_t8_plane_at(c, j, e)] >> (e / 4) & 1) << 4) - 16;
            sum += q * x[b].qs[e];
        }
        uint16_t d, m;
        memcpy(&d, g + pk_t8_scale_at(j), 2);
        acc[j] = fmaf(pk_half(d) * x[b].d, (float)sum, acc[j]);
        if (type == PK_Q4_1) {
            memcpy(&m, g + pk_t8_min_at(c, j), 2);
            accm[j] = fmaf(pk_half(m), x[b].s, accm[j]);
        }
    }
    const float r = reduce_halving(acc, 8);
    return type == PK_Q4_1 ? r + reduce_halving(accm, 8) : r;
}

void pk_dot_q5_0_t8_scalar(const uint8_t *row, int n, const uint8_t *x, size_t xs, int nv, float *out) {
    for (int v = 0; v < nv; v++) out[v] = dot_t8(PK_Q5_0, 22, row, n / 32, (const pk_q8_32 *)(x + (size_t)v * xs));
}

void pk_dot_q4_1_t8_scalar(const uint8_t *row, int n, const uint8_t *x, size_t xs, int nv, float *out) {
    for (int v = 0; v < nv; v++) out[v] = dot_t8(PK_Q4_1, 20, row, n / 32, (const pk_q8_32 *)(x + (size_t)v * xs));
}

// ---- 256-element super-blocks ----

// One super-block's unsigned quants u[256] (the quant plus the type's offset). Loops run
// over 32 consecutive bytes with constant shifts so the compiler vectorizes them.
static inline void unpack_superblock(int type, const uint8_t *blk, uint8_t u[256]) {
    switch (type) {
    case PK_Q2_K:
    case PK_Q3_K: {
        // each half: group g takes bits 2g..2g+1 of qs[32*half + l]; Q3_K adds 4 when the hmask bit 4*half+g is set
        const uint8_t *qs = type == PK_Q2_K ? ((const blk_q2_K *)blk)->qs : ((const blk_q3_K *)blk)->qs;
        const uint8_t *hmask = ((const blk_q3_K *)blk)->hmask;
        for (int half = 0; half < 2; half++)
            for (int g = 0; g < 4; g++)
                for (int l = 0; l < 32; l++) {
                    uint8_t q = (qs[32 * half + l] >> (2 * g)) & 3;
                    if (type == PK_Q3_K) q |= ((hmask[l] >> (4 * half + g)) & 1) << 2;
                    u[128 * half + 32 * g + l] = q;
                }
        break;
    }
    case PK_Q4_K:
    case PK_Q5_K: {
        // chunk c of 64: low nibbles of qs[32c..32c+31], then their high nibbles; Q5_K adds bit 2c / 2c+1 of qh[l] as 16
        const uint8_t *qs = type == PK_Q4_K ? ((const blk_q4_K *)blk)->qs : ((const blk_q5_K *)blk)->qs;
        const uint8_t *qh = ((const blk_q5_K *)blk)->qh;
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++) {
                uint8_t lo = qs[32 * c + l] & 0xf, hi = qs[32 * c + l] >> 4;
                if (type == PK_Q5_K) {
                    lo |= ((qh[l] >> (2 * c)) & 1) << 4;
                    hi |= ((qh[l] >> (2 * c + 1)) & 1) << 4;
                }
                u[64 * c + l] = lo;
                u[64 * c + 32 + l] = hi;
            }
        break;
    }
    default: {
        // each half: groups 0-3 take the low nibbles of ql[0..31], ql[32..63], then their high
        // nibbles, with bits 2g..2g+1 of qh[32*half + l] on top
        const blk_q6_K *b = (const blk_q6_K *)blk;
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = b->ql + 64 * half, *qh = b->qh + 32 * half;
            uint8_t *o = u + 128 * half;
            for (int l = 0; l < 32; l++) {
                o[l] = (uint8_t)((ql[l] & 0xf) | ((qh[l] & 3) << 4));
                o[32 + l] = (uint8_t)((ql[32 + l] & 0xf) | (((qh[l] >> 2) & 3) << 4));
                o[64 + l] = (uint8_t)((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
                o[96 + l] = (uint8_t)((ql[32 + l] >> 4) | (((qh[l] >> 6) & 3) << 4));
            }
        }
        break;
    }
    }
}

static inline float dot_superblocks(int type, size_t block_bytes, int has_min, const uint8_t *row, int nb,
                                    const pk_q8_256 *x) {
    float sum = 0.0f;
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = row + (size_t)b * block_bytes;
        uint8_t u[256];
        pk_super_scales s;
        unpack_superblock(type, blk, u);
        pk_super_scales_of(type, blk, &s);
        int isum = 0, corr = 0, msum = 0;
        for (int j = 0; j < 16; j++) {
            int g = 0;
            for (int l = 16 * j; l < 16 * j + 16; l++) g += u[l] * x[b].qs[l];
            isum += s.sc[j] * g;
            corr += s.sc[j] * x[b].bsums[j];
            msum += s.mn[j] * x[b].bsums[j];
        }
        isum -= s.offset * corr;
        sum = sum + (x[b].d * s.d) * (float)isum;
        if (has_min) sum = sum - (x[b].d * s.dmin) * (float)msum;
    }
    return sum;
}

#define DEFINE_SUPER(name, type, bytes, has_min)                                                              \
    static void name(const uint8_t *row, int n, const uint8_t *x, size_t xs, int nv, float *out) {             \
        for (int v = 0; v < nv; v++)                                                                           \
            out[v] = dot_superblocks(type, bytes, has_min, row, n / 256, (const pk_q8_256 *)(x + (size_t)v * xs)); \
    }
DEFINE_SUPER(dot_q2_K, PK_Q2_K, 84, 1)
DEFINE_SUPER(dot_q3_K, PK_Q3_K, 110, 0)
DEFINE_SUPER(dot_q4_K, PK_Q4_K, 144, 1)
DEFINE_SUPER(dot_q5_K, PK_Q5_K, 176, 1)
DEFINE_SUPER(dot_q6_K, PK_Q6_K, 210, 0)

// ---- float weights ----

static inline float weight_value(int type, const uint8_t *row, int i) {
    uint16_t h;
    switch (type) {
    case PK_F16: memcpy(&h, row + 2 * (size_t)i, 2); return pk_half(h);
    case PK_BF16: memcpy(&h, row + 2 * (size_t)i, 2); return pk_bf16_to_fp32(h);
    default: { float f; memcpy(&f, row + 4 * (size_t)i, 4); return f; }
    }
}

static inline float dot_float(int type, const uint8_t *row, int n, const float *x) {
    float acc[32] = {0};
    for (int i = 0; i < n; i++) acc[i % 32] = acc[i % 32] + weight_value(type, row, i) * x[i];
    return reduce_halving(acc, 32);
}

#define DEFINE_FLOAT(name, type)                                                                 \
    static void name(const uint8_t *row, int n, const uint8_t *x, size_t xs, int nv, float *out) { \
        for (int v = 0; v < nv; v++) out[v] = dot_float(type, row, n, (const float *)(x + (size_t)v * xs)); \
    }
DEFINE_FLOAT(dot_f32, PK_F32)
DEFINE_FLOAT(dot_f16, PK_F16)
DEFINE_FLOAT(dot_bf16, PK_BF16)

const pk_dot_fn pk_dot_scalar[PK_TYPE_COUNT] = {
    [PK_F32] = dot_f32,   [PK_F16] = dot_f16,   [PK_BF16] = dot_bf16, [PK_Q4_0] = dot_q4_0,
    [PK_Q4_1] = dot_q4_1, [PK_Q5_0] = dot_q5_0, [PK_Q5_1] = dot_q5_1, [PK_Q8_0] = dot_q8_0,
    [PK_Q2_K] = dot_q2_K, [PK_Q3_K] = dot_q3_K, [PK_Q4_K] = dot_q4_K, [PK_Q5_K] = dot_q5_K,
    [PK_Q6_K] = dot_q6_K,
};
