// Attention inner loops over an fp16 KV cache (as llama.cpp keeps it): fp16
// storage halves the cache and matches the peer's rounding of keys and values.
#ifndef PARLEY_ATTENTION_H
#define PARLEY_ATTENTION_H
#include <stdint.h>

// y[i] = fp16(x[i]) for i < n (round to nearest even).
void pk_f32_to_f16_row(const float *x, uint16_t *y, int n);
// Σ a[i]·b[i] over fp16 vectors, accumulated in fp32.
float pk_dot_f16(const uint16_t *a, const uint16_t *b, int n);
// acc[i] += s·v[i], fp16 v, fp32 acc.
void pk_mad_f16(float *acc, const uint16_t *v, float s, int n);


// One query head against n_pos cached positions, single pass with an online
// softmax, as llama.cpp's CPU flash attention computes it (fp16 q·k, fp16 value
// accumulator): out (d) = Σ softmax(scale·q·k_j) v_j. Key/value j start at
// k + j*stride / v + j*stride. acc16: scratch of d halves.
void pk_attention_f16(const uint16_t *q, const uint16_t *k, const uint16_t *v, long stride, int n_pos, int d,
                      float scale, uint16_t *acc16, float *out);
#endif
