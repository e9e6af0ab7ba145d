// PK_Q5_0_T8 (kernels.h): Q5_0 rewritten at load so that the SIMD levels find a group's 8
// blocks already side by side, one block per 4-byte lane, as the canonical arithmetic
// sums them (dot_scalar.c): decode needs no fold of partial sums and prefill no transpose.
// A row is its groups in order, group k (blocks 8k.., c of them: 8, or fewer at the row's
// end) at byte 176·k, 22·c bytes (pk_t8_*_at in quants.h):
//   [0, 2c)           block j's fp16 scale at 2j
//   [2c, 6c)          the plane: byte 4j + i, bit s = the fifth bit of element 4s + i of block j
//   [6c + 4c·t, ...)  nibble vector t < 4: byte 4j + i = block j's qs[4t + i], that is
//                     element 4t + i in the low nibble and element 16 + 4t + i in the high
// So step s of the products (elements 4s..4s+3 of each block) is nibble vector s % 4's low
// (s < 4) or high (s ≥ 4) nibbles with bit s of the plane as bit 4, for all 8 blocks at once.
#include <string.h>
#include "quants.h"

int pk_repack(int type, const void *src, size_t row_bytes, int rows, int n, void *dst) {
    if (type != PK_Q5_0 || rows < 0 || n <= 0 || n % 32 != 0 || n > PK_T8_MAX_N || row_bytes != pk_row_bytes(PK_Q5_0, n))
        return -1;
    const int nb = n / 32;
    for (int r = 0; r < rows; r++) {
        const blk_q5_0 *in = (const blk_q5_0 *)((const uint8_t *)src + (size_t)r * row_bytes);
        for (int k = 0; 8 * k < nb; k++) {
            const int c = nb - 8 * k < 8 ? nb - 8 * k : 8;
            uint8_t *g = (uint8_t *)dst + (size_t)r * row_bytes + (size_t)PK_T8_GROUP_BYTES * k;
            for (int j = 0; j < c; j++) {
                const blk_q5_0 *b = &in[8 * k + j];
                memcpy(g + pk_t8_scale_at(j), &b->d, 2);
                // nibble vector t's quad j is the block's qs[4t..4t+3] as they are
                for (int t = 0; t < 4; t++) memcpy(g + pk_t8_nibble_at(c, j, 4 * t), b->qs + 4 * t, 4);
                uint32_t qh;
                memcpy(&qh, b->qh, 4);
                for (int i = 0; i < 4; i++) {   // plane byte 4j + i gathers bits i, 4 + i, ..., 28 + i of qh
                    uint8_t byte = 0;
                    for (int s = 0; s < 8; s++) byte |= (uint8_t)((qh >> (4 * s + i) & 1) << s);
                    g[pk_t8_plane_at(c, j, i)] = byte;
                }
            }
        }
    }
    return PK_Q5_0_T8;
}
