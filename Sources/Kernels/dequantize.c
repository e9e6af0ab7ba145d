// Row dequantization, operation for operation as ggml does it (it defines the model's
// values; the target compiles with -ffp-contract=off so no multiply-add is fused here).
#include <math.h>
#include "quants.h"

static void fill_nan(float *dst, int n) {
    for (int i = 0; i < n; i++) dst[i] = NAN;
}

static void dq_q4_0(const blk_q4_0 *b, float *y, int nb) {
    for (int i = 0; i < nb; i++, y += 32) {
        const float d = pk_half(b[i].d);
        for (int j = 0; j < 16; j++) {
            y[j] = ((b[i].qs[j] & 0xf) - 8) * d;
            y[j + 16] = ((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

static void dq_q4_1(const blk_q4_1 *b, float *y, int nb) {
    for (int i = 0; i < nb; i++, y += 32) {
        const float d = pk_half(b[i].d), m = pk_half(b[i].m);
        for (int j = 0; j < 16; j++) {
            y[j] = (b[i].qs[j] & 0xf) * d + m;
            y[j + 16] = (b[i].qs[j] >> 4) * d + m;
        }
    }
}

static void dq_q5_0(const blk_q5_0 *b, float *y, int nb) {
    for (int i = 0; i < nb; i++, y += 32) {
        const float d = pk_half(b[i].d);
        uint32_t qh;
        memcpy(&qh, b[i].qh, 4);
        for (int j = 0; j < 16; j++) {
            const int h0 = ((qh >> j) & 1) << 4, h1 = ((qh >> (j + 16)) & 1) << 4;
            y[j] = (((b[i].qs[j] & 0xf) | h0) - 16) * d;
            y[j + 16] = (((b[i].qs[j] >> 4) | h1) - 16) * d;
        }
    }
}

static void dq_q5_1(const blk_q5_1 *b, float *y, int nb) {
    for (int i = 0; i < nb; i++, y += 32) {
        const float d = pk_half(b[i].d), m = pk_half(b[i].m);
        uint32_t qh;
        memcpy(&qh, b[i].qh, 4);
        for (int j = 0; j < 16; j++) {
            const int h0 = ((qh >> j) & 1) << 4, h1 = ((qh >> (j + 16)) & 1) << 4;
            y[j] = ((b[i].qs[j] & 0xf) | h0) * d + m;
            y[j + 16] = ((b[i].qs[j] >> 4) | h1) * d + m;
        }
    }
}

static void dq_q8_0(const blk_q8_0 *b, float *y, int nb) {
    for (int i = 0; i < nb; i++, y += 32) {
        const float d = pk_half(b[i].d);
        for (int j = 0; j < 32; j++) y[j] = b[i].qs[j] * d;
    }
}

static void dq_q2_K(const blk_q2_K *b, float *y, int nb) {
    for (int i = 0; i < nb; i++) {
        const float d = pk_half(b[i].d), dmin = pk_half(b[i].dmin);
        const uint8_t *q = b[i].qs;
        int is = 0;
        for (int half = 0; half < 2; half++, q += 32) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int g = 0; g < 2; g++, is++) {
                    const uint8_t sc = b[i].scales[is];
                    const float dl = d * (sc & 0xf), ml = dmin * (sc >> 4);
                    for (int l = 0; l < 16; l++) *y++ = dl * ((q[16 * g + l] >> shift) & 3) - ml;
                }
            }
        }
    }
}

static void dq_q3_K(const blk_q3_K *b, float *y, int nb) {
    for (int i = 0; i < nb; i++) {
        const float d = pk_half(b[i].d);
        int8_t sc[16];
        pk_unpack_q3_scales(b[i].scales, sc);
        const uint8_t *q = b[i].qs;
        uint8_t m = 1;
        int is = 0;
        for (int half = 0; half < 2; half++, q += 32) {
            for (int shift = 0; shift < 8; shift += 2, m <<= 1) {
                for (int g = 0; g < 2; g++, is++) {
                    const float dl = d * sc[is];
                    for (int l = 16 * g; l < 16 * g + 16; l++)
                        *y++ = dl * (((q[l] >> shift) & 3) - ((b[i].hmask[l] & m) ? 0 : 4));
                }
            }
        }
    }
}

static void dq_q4_K(const blk_q4_K *b, float *y, int nb) {
    for (int i = 0; i < nb; i++) {
        const float d = pk_half(b[i].d), dmin = pk_half(b[i].dmin);
        uint8_t sc[8], mn[8];
        pk_unpack_k4_scales(b[i].scales, sc, mn);
        for (int c = 0; c < 4; c++) {
            const uint8_t *q = b[i].qs + 32 * c;
            const float d1 = d * sc[2 * c], m1 = dmin * mn[2 * c];
            const float d2 = d * sc[2 * c + 1], m2 = dmin * mn[2 * c + 1];
            for (int l = 0; l < 32; l++) *y++ = d1 * (q[l] & 0xf) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * (q[l] >> 4) - m2;
        }
    }
}

static void dq_q5_K(const blk_q5_K *b, float *y, int nb) {
    for (int i = 0; i < nb; i++) {
        const float d = pk_half(b[i].d), dmin = pk_half(b[i].dmin);
        uint8_t sc[8], mn[8];
        pk_unpack_k4_scales(b[i].scales, sc, mn);
        for (int c = 0; c < 4; c++) {
            const uint8_t *q = b[i].qs + 32 * c;
            const uint8_t u1 = (uint8_t)(1u << (2 * c)), u2 = (uint8_t)(2u << (2 * c));
            const float d1 = d * sc[2 * c], m1 = dmin * mn[2 * c];
            const float d2 = d * sc[2 * c + 1], m2 = dmin * mn[2 * c + 1];
            for (int l = 0; l < 32; l++) *y++ = d1 * ((q[l] & 0xf) + (b[i].qh[l] & u1 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) *y++ = d2 * ((q[l] >> 4) + (b[i].qh[l] & u2 ? 16 : 0)) - m2;
        }
    }
}

static void dq_q6_K(const blk_q6_K *b, float *y, int nb) {
    for (int i = 0; i < nb; i++, y += 256) {
        const float d = pk_half(b[i].d);
        for (int half = 0; half < 2; half++) {
            const uint8_t *ql = b[i].ql + 64 * half, *qh = b[i].qh + 32 * half;
            const int8_t *sc = b[i].scales + 8 * half;
            float *o = y + 128 * half;
            for (int l = 0; l < 32; l++) {
                const int is = l / 16;
                const int q1 = ((ql[l] & 0xf) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                o[l] = d * sc[is] * q1;
                o[l + 32] = d * sc[is + 2] * q2;
                o[l + 64] = d * sc[is + 4] * q3;
                o[l + 96] = d * sc[is + 6] * q4;
            }
        }
    }
}

void pk_dequantize_row(int type, const void *src, float *dst, int n) {
    const int be = pk_block_elems(type);
    if (be == 0 || n < 0 || n % be != 0) {
        fill_nan(dst, n);
        return;
    }
    const int nb = n / be;
    switch (type) {
    case PK_F32: memcpy(dst, src, (size_t)n * 4); break;
    case PK_F16: {
        const uint16_t *h = src;
        for (int i = 0; i < n; i++) dst[i] = pk_half(h[i]);
        break;
    }
    case PK_BF16: {
        const uint16_t *h = src;
        for (int i = 0; i < n; i++) dst[i] = pk_bf16_to_fp32(h[i]);
        break;
    }
    case PK_Q4_0: dq_q4_0(src, dst, nb); break;
    case PK_Q4_1: dq_q4_1(src, dst, nb); break;
    case PK_Q5_0: dq_q5_0(src, dst, nb); break;
    case PK_Q5_1: dq_q5_1(src, dst, nb); break;
    case PK_Q8_0: dq_q8_0(src, dst, nb); break;
    case PK_Q2_K: dq_q2_K(src, dst, nb); break;
    case PK_Q3_K: dq_q3_K(src, dst, nb); break;
    case PK_Q4_K: dq_q4_K(src, dst, nb); break;
    case PK_Q5_K: dq_q5_K(src, dst, nb); break;
    case PK_Q6_K: dq_q6_K(src, dst, nb); break;
    default: fill_nan(dst, n); break;
    }
}
