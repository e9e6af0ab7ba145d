// ggml's weight block layouts (byte-exact) and the per-level kernel tables.
// Private to the Kernels target.
#ifndef PARLEY_KERNELS_QUANTS_H
#define PARLEY_KERNELS_QUANTS_H
#include <string.h>
#include "kernels.h"

// Blocks are packed: GGUF rows start at any even offset, and x86 loads do not care.
#define PK_PACKED __attribute__((packed))

// 32-element blocks. Element j < 16 is the low nibble of qs[j], element j + 16 its high nibble.
typedef struct PK_PACKED { uint16_t d; uint8_t qs[16]; } blk_q4_0;                       // x = d*(q-8)
typedef struct PK_PACKED { uint16_t d, m; uint8_t qs[16]; } blk_q4_1;                    // x = d*q + m
typedef struct PK_PACKED { uint16_t d; uint8_t qh[4]; uint8_t qs[16]; } blk_q5_0;        // bit j of qh = bit 4 of element j; x = d*(q-16)
typedef struct PK_PACKED { uint16_t d, m; uint8_t qh[4]; uint8_t qs[16]; } blk_q5_1;     // x = d*q + m
typedef struct PK_PACKED { uint16_t d; int8_t qs[32]; } blk_q8_0;                        // x = d*q

// 256-element super-blocks.
typedef struct PK_PACKED { uint8_t scales[16]; uint8_t qs[64]; uint16_t d, dmin; } blk_q2_K;
typedef struct PK_PACKED { uint8_t hmask[32]; uint8_t qs[64]; uint8_t scales[12]; uint16_t d; } blk_q3_K;
typedef struct PK_PACKED { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[128]; } blk_q4_K;
typedef struct PK_PACKED { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[32]; uint8_t qs[128]; } blk_q5_K;
typedef struct PK_PACKED { uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; uint16_t d; } blk_q6_K;

_Static_assert(sizeof(blk_q4_0) == 18, "q4_0"); _Static_assert(sizeof(blk_q4_1) == 20, "q4_1");
_Static_assert(sizeof(blk_q5_0) == 22, "q5_0"); _Static_assert(sizeof(blk_q5_1) == 24, "q5_1");
_Static_assert(sizeof(blk_q8_0) == 34, "q8_0"); _Static_assert(sizeof(blk_q2_K) == 84, "q2_K");
_Static_assert(sizeof(blk_q3_K) == 110, "q3_K"); _Static_assert(sizeof(blk_q4_K) == 144, "q4_K");
_Static_assert(sizeof(blk_q5_K) == 176, "q5_K"); _Static_assert(sizeof(blk_q6_K) == 210, "q6_K");
_Static_assert(sizeof(pk_q8_32) == 40, "pk_q8_32"); _Static_assert(sizeof(pk_q8_256) == 292, "pk_q8_256");

// Half -> float without F16C (exact; also the reference the SIMD paths must equal).
static inline float pk_half(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
    if (exp == 0) {
        // zero or subnormal: mant * 2^-24 is exact in float
        float f = (float)mant * 0x1p-24f;
        return sign ? -f : f;
    }
    bits = exp == 31 ? (sign | 0x7f800000u | (mant << 13)) : (sign | ((exp + 112u) << 23) | (mant << 13));
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

// Q4_K / Q5_K: 8 six-bit scales and 8 six-bit mins packed into 12 bytes.
static inline void pk_unpack_k4_scales(const uint8_t q[12], uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; j++) {
        sc[j] = q[j] & 63;
        mn[j] = q[j + 4] & 63;
        sc[j + 4] = (q[j + 8] & 0xf) | ((q[j] >> 6) << 4);
        mn[j + 4] = (q[j + 8] >> 4) | ((q[j + 4] >> 6) << 4);
    }
}

// Q3_K: 16 six-bit scales (stored +32) packed into 12 bytes: low 4 bits in bytes 0-7
// (scale j < 8 in the low nibble of byte j, scale j+8 in its high nibble), high 2 bits in
// bytes 8-11 (scale j at bits 2*(j/4) of byte 8 + j%4).
static inline void pk_unpack_q3_scales(const uint8_t q[12], int8_t sc[16]) {
    for (int j = 0; j < 16; j++) {
        int low = j < 8 ? (q[j] & 0xf) : (q[j - 8] >> 4);
        int high = (q[8 + (j & 3)] >> (2 * (j >> 2))) & 3;
        sc[j] = (int8_t)((low | (high << 4)) - 32);
    }
}

// Offset subtracted from the unsigned quants of each K-quant type.
static inline int pk_super_offset(int type) { return type == PK_Q3_K ? 4 : type == PK_Q6_K ? 32 : 0; }

// A K-quant super-block's scales as one int16 per 16-element group (sc), its mins (mn, zero
// for types without), the offset subtracted from its unsigned quants (Q3_K 4, Q6_K 32), d, dmin.
typedef struct { int16_t sc[16], mn[16]; int offset; float d, dmin; } pk_super_scales;

static inline void pk_super_scales_of(int type, const uint8_t *blk, pk_super_scales *s) {
    memset(s, 0, sizeof *s);
    s->offset = pk_super_offset(type);
    switch (type) {
    case PK_Q2_K: {
        const blk_q2_K *b = (const blk_q2_K *)blk;
        for (int j = 0; j < 16; j++) { s->sc[j] = b->scales[j] & 0xf; s->mn[j] = b->scales[j] >> 4; }
        s->d = pk_half(b->d);
        s->dmin = pk_half(b->dmin);
        break;
    }
    case PK_Q3_K: {
        const blk_q3_K *b = (const blk_q3_K *)blk;
        int8_t sc[16];
        pk_unpack_q3_scales(b->scales, sc);
        for (int j = 0; j < 16; j++) s->sc[j] = sc[j];
        s->d = pk_half(b->d);
        break;
    }
    case PK_Q4_K:
    case PK_Q5_K: {
        const blk_q4_K *b = (const blk_q4_K *)blk;  // d, dmin, scales: same place in Q5_K
        uint8_t sc[8], mn[8];
        pk_unpack_k4_scales(b->scales, sc, mn);
        for (int j = 0; j < 16; j++) { s->sc[j] = sc[j / 2]; s->mn[j] = mn[j / 2]; }
        s->d = pk_half(b->d);
        s->dmin = pk_half(b->dmin);
        break;
    }
    default: {
        const blk_q6_K *b = (const blk_q6_K *)blk;
        for (int j = 0; j < 16; j++) s->sc[j] = b->scales[j];
        s->d = pk_half(b->d);
        break;
    }
    }
}

// One dot-product kernel per (type, CPU level): out[v] = dot(row, x_v) for v < nv (1..4),
// x_v at x + v*xstride bytes (pk_q8_32[], pk_q8_256[] or float[] per the type).
typedef void (*pk_dot_fn)(const uint8_t *row, int n, const uint8_t *x, size_t xstride, int nv, float *out);

// Tables indexed by GGML type number (0..30); NULL where a level lacks that type.
#define PK_TYPE_COUNT 31
extern const pk_dot_fn pk_dot_scalar[PK_TYPE_COUNT];
extern const pk_dot_fn pk_dot_avx2[PK_TYPE_COUNT];
extern const pk_dot_fn pk_dot_avx512[PK_TYPE_COUNT];

// pk_matvec / pk_matmat for 32-element block types on AVX-512 VNNI (same results).
// Return 0 (and do nothing) for other types.
int pk_matvec32_avx512(int type, const void *w, size_t row_bytes, int n, int row_begin, int row_end, const void *xq,
                       float *y);
int pk_matmat32_avx512(int type, const void *w, size_t row_bytes, int n, int row_begin, int row_end, const void *xq,
                       size_t xq_stride, int n_vec, float *y, size_t y_stride);

// pk_matmat for K-quant super-blocks on AVX-512 VNNI (same results as pk_matvec, up to 8 vectors per unpack).
int pk_matmat_super_avx512(int type, const void *w, size_t row_bytes, int n, int row_begin, int row_end, const void *xq,
                           size_t xq_stride, int n_vec, float *y, size_t y_stride);

// The same at the AVX2 level (also run at AVX-VNNI).
int pk_matmat_super_avx2(int type, const void *w, size_t row_bytes, int n, int row_begin, int row_end, const void *xq,
                         size_t xq_stride, int n_vec, float *y, size_t y_stride);

// The T8 layouts (repack.c). The file type of a T8 layout (or -1), and, within a group of c
// blocks, where block j's scale, Q4_1's min, and the plane byte (bit e / 4; Q5_0) and nibble
// byte (low nibble for e < 16) of its element e lie. A group of 8 blocks takes 8 blocks' bytes.
static inline int pk_t8_file_type(int type) { return type == PK_Q5_0_T8 || type == PK_Q4_1_T8 ? type - 512 : -1; }
static inline int pk_t8_head(int file_type) { return file_type == PK_Q5_0 ? 6 : 4; }   // bytes per block before the nibbles
static inline size_t pk_t8_scale_at(int j) { return (size_t)2 * j; }
static inline size_t pk_t8_min_at(int c, int j) { return (size_t)(2 * c + 2 * j); }
static inline size_t pk_t8_plane_at(int c, int j, int e) { return (size_t)(2 * c + 4 * j + e % 4); }
static inline size_t pk_t8_nibble_at(int file_type, int c, int j, int e) {
    return (size_t)(pk_t8_head(file_type) * c + 4 * c * (e % 16 / 4) + 4 * j + e % 4);
}
// The scalar level's T8 kernels (dot_scalar.c): the file type's canonical sums.
void pk_dot_q5_0_t8_scalar(const uint8_t *row, int n, const uint8_t *x, size_t xstride, int nv, float *out);
void pk_dot_q4_1_t8_scalar(const uint8_t *row, int n, const uint8_t *x, size_t xstride, int nv, float *out);

// The whole-matrix kernels for 32-element block types at the AVX2 level (same results):
// four rows per pass for one vector, weights unpacked once per up to 16 vectors for several
// (pk_matvec32 and pk_matmat32 take the T8 layouts too). Return 0 (and do nothing) for other types.
int pk_matvec32_avx2(int type, const void *w, size_t row_bytes, int n, int row_begin, int row_end, const void *xq,
                     float *y);
int pk_matmat32_avx2(int type, const void *w, size_t row_bytes, int n, int row_begin, int row_end, const void *xq,
                     size_t xq_stride, int n_vec, float *y, size_t y_stride);

// The same kernels with dpbusd products (AVX-VNNI level; dot_avxvnni.c).
int pk_matvec32_avxvnni(int type, const void *w, size_t row_bytes, int n, int row_begin, int row_end, const void *xq,
                        float *y);
int pk_matmat32_avxvnni(int type, const void *w, size_t row_bytes, int n, int row_begin, int row_end, const void *xq,
                        size_t xq_stride, int n_vec, float *y, size_t y_stride);

// Largest number of vectors one kernel call handles (register blocking of pk_matmat).
#define PK_MAX_NV 4

#endif
