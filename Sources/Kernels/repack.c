// The T8 layouts (kernels.h): Q5_0 and Q4_1 rewritten at load so that the SIMD levels find
// a group's 8 blocks already side by side, one block per 4-byte lane, as the canonical
// arithmetic sums them (dot_scalar.c): decode needs no fold of partial sums and prefill no
// transpose. A row is its groups in order, group k (blocks 8k.., c of them: 8, or fewer at
// the row's end) at 8 blocks' bytes · k (pk_t8_*_at in quants.h):
//   [0, 2c)              block j's fp16 scale at 2j
//   Q5_0: [2c, 6c)       the plane: byte 4j + i, bit s = the fifth bit of element 4s + i of block j
//   Q4_1: [2c, 4c)       block j's fp16 min at 2c + 2j
//   then, at head·c + 4c·t (head 6 for Q5_0, 4 for Q4_1), nibble vector t < 4: byte 4j + i =
//   block j's qs[4t + i], that is element 4t + i in the low nibble and 16 + 4t + i in the high
// So step s of the products (elements 4s..4s+3 of each block) is nibble vector s % 4's low
// (s < 4) or high (s ≥ 4) nibbles (Q5_0: with bit s of the plane as bit 4), for all 8 blocks.
#include <string.h>
#include "quants.h"

int pk_repack(int type, const void *src, size_t row_bytes, int rows, int n, void *dst) {
    if ((type != PK_Q5_0 && type != PK_Q4_1) || rows < 0 || n <= 0 || n % 32 != 0 || n > PK_T8_MAX_N ||
        row_bytes != pk_row_bytes(type, n))
        return -1;
    const int nb = n / 32;
    const size_t bb = row_bytes / (size_t)nb;
    for (int r = 0; r < rows; r++) {
        const uint8_t *in = (const uint8_t *)src + (size_t)r * row_bytes;
        for (int k = 0; 8 * k < nb; k++) {
            const int c = nb - 8 * k < 8 ? nb - 8 * k : 8;
            uint8_t *g = (uint8_t *)dst + (size_t)r * row_bytes + 8 * bb * k;
            for (int j = 0; j < c; j++) {
                const uint8_t *b = in + (8 * k + j) * bb;
                memcpy(g + pk_t8_scale_at(j), b, 2);
                const uint8_t *qs = type == PK_Q5_0 ? ((const blk_q5_0 *)b)->qs : ((const blk_q4_1 *)b)->qs;
                // nibble vector t's quad j is the block's qs[4t..4t+3] as they are
                for (int t = 0; t < 4; t++) memcpy(g + pk_t8_nibble_at(type, c, j, 4 * t), qs + 4 * t, 4);
                if (type == PK_Q4_1) {
                    memcpy(g + pk_t8_min_at(c, j), &((const blk_q4_1 *)b)->m, 2);
                    continue;
                }
                uint32_t qh;
                memcpy(&qh, ((const blk_q5_0 *)b)->qh, 4);
                for (int i = 0; i < 4; i++) {   // plane byte 4j + i gathers bits i, 4 + i, ..., 28 + i of qh
                    uint8_t byte = 0;
                    for (int s = 0; s < 8; s++) byte |= (uint8_t)((qh >> (4 * s + i) & 1) << s);
                    g[pk_t8_plane_at(c, j, i)] = byte;
                }
            }
        }
    }
    return type + 512;
}
