// Gated activations of the feed-forward block, y = act(x)·g, computed as llama.cpp's
// CPU backend computes them (its AVX-512 build), so our FFN rounds where the peer does.
#ifndef PARLEY_GLU_H
#define PARLEY_GLU_H

// y[i] = silu(x[i])·g[i]. Whole groups of 16 use ggml's vector expf (a polynomial, at
// most 1.5 ulp from expf); the last n % 16 elements use libm's expf, as ggml does.
void pk_swiglu(const float *x, const float *g, float *y, int n);

// y[i] = gelu(x[i])·g[i] with GELU (tanh form) read from a table at the fp16-rounded
// input, the table holding fp16 values; 0 for x ≤ −10, x·g for x ≥ 10.
void pk_geglu(const float *x, const float *g, float *y, int n);
#endif
