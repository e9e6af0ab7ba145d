// Attention inner loops over an fp16 KV cache (as llama.cpp keeps it): fp16
// storage halves the cache and matches the peer's rounding of keys and values.
#ifndef PARLEY_ATTENTION_H
#define PARLEY_ATTENTION_H
#include <stdint.h>

// y[i] = fp16(x[i]) for i < n (round to nearest even).
void pk_f32_to_f16_row(const float *x, uint16_t *y, int n);

// Floats pk_attention_f16 needs as scratch for n_pos positions.
int pk_attention_scratch_floats(int n_pos);

// `heads` query heads (q: heads × d floats) that share one key/value head, against n_pos
// cached positions: out (heads × d) = Σ softmax(scale·q·k_j) v_j. As llama.cpp's CPU
// flash attention computes it for one query row: q rounded to fp16, q·k_j accumulated in
// fp32, an online softmax whose value accumulator is rounded to fp16 after every
// position (scale by expf(m_old − m) on a new maximum, else add v_j·expf(s − m)).
// Key/value j start at k + j*stride / v + j*stride. Every CPU level gives the same bits
// (the AVX2 order: 16 lanes of fused products reduced by halving; fused v_j·e + acc).
void pk_attention_f16(const float *q, int heads, const uint16_t *k, const uint16_t *v, long stride, int n_pos, int d,
                      float scale, float *scratch, float *out);
#endif
