// Attention inner loops over an fp16 KV cache (as llama.cpp keeps it): fp16
// storage halves the cache and matches the peer's rounding of keys and values.
#ifndef PARLEY_ATTENTION_H
#define PARLEY_ATTENTION_H
#include <stdint.h>

// y[i] = fp16(x[i]) for i < n (round to nearest even).
void pk_f32_to_f16_row(const float *x, uint16_t *y, int n);

// Floats pk_attention_f16 needs as scratch for n_pos positions.
int pk_attention_scratch_floats(int n_pos);

// Query heads first_head … first_head+heads−1 (q: heads × d floats) against n_pos cached
// positions: out (heads × d) = Σ softmax(scale·q·k_j) v_j, head h reading key/value head
// h / heads_per_kv (k, v: key/value head 0 at the first position; position j of kv head g
// at k + j*stride + g*d). As llama.cpp's CPU flash attention computes one query row:
// q rounded to fp16, q·k_j accumulated in fp32, an online softmax whose value
// accumulator is rounded to fp16 after every position (scaled by expf(m_old − m) on a new
// maximum, else v_j·expf(s − m) added). Every CPU level gives the same bits (the AVX2
// order: 16 lanes of fused products reduced by halving; fused v_j·e + acc); heads are
// computed two at a time where that fits in registers (independent chains overlap).
void pk_attention_f16(const float *q, int first_head, int heads, int heads_per_kv, const uint16_t *k, const uint16_t *v,
                      long stride, int n_pos, int d, float scale, float *scratch, float *out);
#endif
