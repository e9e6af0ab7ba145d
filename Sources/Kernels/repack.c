// PK_Q5_0_R4 (kernels.h): Q5_0 rewritten at load so the 256-bit levels decode it with
// about 13 vector operations per block instead of 21. A group is four rows; for each
// block pair k of the group, 176 bytes:
//   [0, 16)    the 8 blocks' fp16 scales, block (row r, half h) at 2r + h
//   [16, 48)   byte i: bit 2r + h = the fifth bit of element i of block (r, h)
//   [48, 176)  row r's 32 bytes: byte i = element i of block (r, 0) | element i of block (r, 1) << 4
// The quants, scales and element order are Q5_0's, so every kernel gives Q5_0's sums.
// The levels without a kernel for the layout (and rows outside whole groups) turn groups
// back into Q5_0 rows in a small buffer and run the Q5_0 kernels on it.
#include <string.h>
#include "quants.h"

enum { PAIR = 176 };

int pk_repack(int type, const void *src, size_t row_bytes, int rows, int n, void *dst) {
    if (type != PK_Q5_0 || rows < 0 || rows % 4 != 0 || n <= 0 || n % 64 != 0 || n > PK_R4_MAX_N ||
        row_bytes != pk_row_bytes(PK_Q5_0, n))
        return -1;
    const int pairs = n / 64;
    for (int g = 0; g < rows / 4; g++)
        for (int k = 0; k < pairs; k++) {
            uint8_t *o = (uint8_t *)dst + (size_t)g * 4 * row_bytes + (size_t)k * PAIR;
            memset(o, 0, PAIR);
            for (int r = 0; r < 4; r++)
                for (int h = 0; h < 2; h++) {
                    const blk_q5_0 *b = (const blk_q5_0 *)((const uint8_t *)src + (size_t)(4 * g + r) * row_bytes) + 2 * k + h;
                    memcpy(o + 2 * (2 * r + h), &b->d, 2);
                    uint32_t qh;
                    memcpy(&qh, b->qh, 4);
                    for (int i = 0; i < 32; i++) {
                        const int q = i < 16 ? b->qs[i] & 15 : b->qs[i - 16] >> 4;
                        if (qh >> i & 1) o[16 + i] |= (uint8_t)(1 << (2 * r + h));
                        o[48 + 32 * r + i] |= (uint8_t)(h ? q << 4 : q);
                    }
                }
        }
    return PK_Q5_0_R4;
}

// Group g (rows 4g..4g+3) back into four Q5_0 rows at out (4 · row_bytes bytes).
static void unpack_group(const uint8_t *w, size_t row_bytes, int n, int g, uint8_t *out) {
    const uint8_t *grp = w + (size_t)g * 4 * row_bytes;
    for (int k = 0; k < n / 64; k++) {
        const uint8_t *p = grp + (size_t)k * PAIR;
        for (int r = 0; r < 4; r++)
            for (int h = 0; h < 2; h++) {
                blk_q5_0 *b = (blk_q5_0 *)(out + (size_t)r * row_bytes) + 2 * k + h;
                memcpy(&b->d, p + 2 * (2 * r + h), 2);
                uint32_t qh = 0;
                for (int i = 0; i < 32; i++) qh |= (uint32_t)(p[16 + i] >> (2 * r + h) & 1) << i;
                memcpy(b->qh, &qh, 4);
                for (int i = 0; i < 16; i++) {
                    const uint8_t lo = p[48 + 32 * r + i], hi = p[48 + 32 * r + 16 + i];
                    b->qs[i] = (uint8_t)(h ? (lo >> 4) | (hi & 0xf0) : (lo & 15) | (hi << 4));
                }
            }
    }
}

// Rows [r0, r1) of PK_Q5_0_R4 through the Q5_0 kernels, 16 rows (at most 90 KB: n ≤
// PK_R4_MAX_N) at a time turned back into Q5_0 on the stack. Prefill runs here: the tile
// kernel wants 16 rows (measured: 4 rows at a time cost Qwen2.5's prefill 10%).
void pk_r4_fallback(const void *w, size_t row_bytes, int n, int r0, int r1, const void *xq, size_t xq_stride, int n_vec,
                    float *y, size_t y_stride) {
    enum { SPAN = 16 };
    const int vector = pk_cpu_level() >= PK_CPU_AVX2;
    uint8_t rows[SPAN * (PK_R4_MAX_N / 32) * sizeof(blk_q5_0)];
    for (int g0 = r0 / 4 * 4; g0 < r1; g0 += SPAN) {
        const int g1 = g0 + SPAN < r1 ? g0 + SPAN : (r1 + 3) / 4 * 4;
        for (int g = g0 / 4; g < g1 / 4; g++) {
            uint8_t *out = rows + (size_t)(4 * g - g0) * row_bytes;
#if defined(__x86_64__) || defined(__i386__)
            if (vector) {
                pk_unpack_r4_avx2(w, row_bytes, n, g, out);
                continue;
            }
#endif
            unpack_group((const uint8_t *)w, row_bytes, n, g, out);
        }
        const int lo = r0 > g0 ? r0 : g0, hi = r1 < g1 ? r1 : g1;
        pk_matmat(PK_Q5_0, rows, row_bytes, n, lo - g0, hi - g0, xq, xq_stride, n_vec, y + g0, y_stride);
    }
}
