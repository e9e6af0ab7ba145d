// Hot loops Swift cannot express fast (integer SIMD): quantized dot products.
// No allocation, no state beyond the CPU feature choice made once at load.
//
// Results are bit-identical on every CPU level (scalar, AVX2, AVX-VNNI, AVX-512 VNNI) and for every
// type: each level computes the same exact integer block sums and then the same float
// operations in the same order, never fused (see "Canonical arithmetic" in dot_scalar.c).
#ifndef PARLEY_KERNELS_H
#define PARLEY_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Levels in order: each runs on every CPU that runs a higher one (an AVX-512 VNNI CPU runs the
// AVX-VNNI kernels in dpbusd's EVEX form).
enum pk_cpu_level { PK_CPU_SCALAR = 0, PK_CPU_AVX2 = 1, PK_CPU_AVXVNNI = 2, PK_CPU_AVX512VNNI = 3 };

// The instruction set the kernels use on this CPU (decided once, by CPUID).
int pk_cpu_level(void);
// The level CPUID allows (capped by PARLEY_CPU_LEVEL when set), whatever pk_set_cpu_level forced.
int pk_detected_cpu_level(void);
// Force a level (tests and benchmarks compare paths); a level the CPU lacks is clamped
// down, a negative level returns to the detected one. Results do not depend on it.
void pk_set_cpu_level(int level);
const char *pk_cpu_level_name(int level);
// 1 when the CPU has the VEX encoding of the VNNI instructions (AVX-VNNI), whatever the level;
// an AVX-512 VNNI CPU without it runs the avx-vnni level's EVEX or AVX2 forms. Thread-safe.
int pk_cpu_has_avxvnni(void);
// 1 when this CPU runs the engines (AVX2 + FMA + F16C, within PARLEY_CPU_LEVEL's cap), else 0.
// The Swift engines are compiled for x86-64-v3, so the C and Lua layers ask this before
// touching them: an older CPU gets an error, never an illegal instruction.
int pk_engines_supported(void);
// Why pk_engines_supported said no, for error messages. Static storage.
const char *pk_engines_requirement(void);

// ---- Activation blocks (our own layouts, not ggml's) ----
// x ≈ d*qs; s = d*Σqs (used by weight types with a min term).
typedef struct { float d; float s; int8_t qs[32]; } pk_q8_32;
// bsums[j] = Σ qs[16j..16j+15].
typedef struct { float d; int16_t bsums[16]; int8_t qs[256]; } pk_q8_256;

enum pk_act_format { PK_ACT_F32 = 0, PK_ACT_Q8_32 = 1, PK_ACT_Q8_256 = 2 };

// GGML type numbers handled here: F32=0 F16=1 Q4_0=2 Q4_1=3 Q5_0=6 Q5_1=7 Q8_0=8
// Q2_K=10 Q3_K=11 Q4_K=12 Q5_K=13 Q6_K=14 BF16=30.
enum pk_ggml_type {
    PK_F32 = 0, PK_F16 = 1, PK_Q4_0 = 2, PK_Q4_1 = 3, PK_Q5_0 = 6, PK_Q5_1 = 7, PK_Q8_0 = 8,
    PK_Q2_K = 10, PK_Q3_K = 11, PK_Q4_K = 12, PK_Q5_K = 13, PK_Q6_K = 14, PK_BF16 = 30
};

// Layouts made at load time, never read from a file (pk_type_supported says 0 for them).
// PK_Q5_0_T8 and PK_Q4_1_T8: Q5_0 and Q4_1 rows with each group of 8 blocks (the last
// group of a row may have fewer, c) stored so that the SIMD levels read a block's quants
// already side by side with the other blocks' (lane j of a 32-byte vector = block j): the
// c fp16 scales, Q5_0's plane of fifth bits or Q4_1's c fp16 mins, then four vectors of
// nibbles (repack.c has the bytes). Same size as the file's type (row_bytes per row, any
// number of rows); pk_matvec, pk_matmat, pk_act_format and pk_act_bytes take them and give
// the file type's results bit for bit at every level. Not for pk_dequantize_row.
enum pk_layout { PK_Q4_1_T8 = 512 + PK_Q4_1, PK_Q5_0_T8 = 512 + PK_Q5_0 };
#define PK_T8_MAX_N 16384

// Rewrites rows × n of Q5_0 or Q4_1 (row_bytes each, at src) into its T8 layout at dst
// (rows·row_bytes bytes, not overlapping src). Returns PK_Q5_0_T8 or PK_Q4_1_T8, or -1 (dst
// untouched) when the shape does not allow it: another type, rows negative, n not a
// positive multiple of 32, n above PK_T8_MAX_N, or row_bytes not the type's for n.
int pk_repack(int ggml_type, const void *src, size_t row_bytes, int rows, int n, void *dst);

// 1 if the kernels below handle this weight type, else 0.
int pk_type_supported(int ggml_type);
// Elements per block of the weight type (1 for float types); 0 if unsupported.
int pk_block_elems(int ggml_type);
// Bytes of one row of n elements of the weight type; 0 if unsupported or n is not a
// whole number of blocks.
size_t pk_row_bytes(int ggml_type, int n);

// The activation format pk_matvec needs for this weight type
// (F32/F16/BF16 → PK_ACT_F32; Q4_0/Q4_1/Q5_0/Q5_1/Q8_0 → PK_ACT_Q8_32; K-quants → PK_ACT_Q8_256).
int pk_act_format(int ggml_type);
// Bytes of the activation buffer for n inputs (n a multiple of the block size: 32 / 256).
size_t pk_act_bytes(int ggml_type, int n);
// Writes x (n floats) in the format pk_act_format says into out (pk_act_bytes bytes);
// for quantized formats n must be a multiple of 32 / 256 (a partial block is ignored).
// As ggml's x86 path: blocks of 32: qs = round-half-even(x·127/max|x|) clamped to ±127,
// d = max|x|/127 and s = d·Σqs stored through fp16; blocks of 256: iscale = −127/max with
// max the first value of largest magnitude (signed), qs = round-half-even(x·iscale),
// d = 1/iscale. NaN is skipped by the maximum and becomes -127.
void pk_quantize_act(int ggml_type, const float *x, void *out, int n);

// y[r] for r in [row_begin, row_end) = dot(row r of W, x). Row r of W starts at
// w + r*row_bytes and holds n elements of ggml_type. xq is the quantized activation
// buffer from pk_quantize_act (for PK_ACT_F32 types: the float x itself). No alignment is
// required; calls on disjoint row ranges may run on several threads at once.
// An unsupported type, or n not a whole number of blocks, writes NaN to y[row_begin..row_end).
void pk_matvec(int ggml_type, const void *w, size_t row_bytes, int n, int row_begin, int row_end,
               const void *xq, float *y);

// pk_matvec for n_vec activation vectors (prefill): vector j at xq + j*xq_stride bytes,
// result y[j*y_stride + r]. Bit-identical to calling pk_matvec once per vector; each
// weight block is unpacked once and reused across up to four vectors.
void pk_matmat(int ggml_type, const void *w, size_t row_bytes, int n, int row_begin, int row_end,
               const void *xq, size_t xq_stride, int n_vec, float *y, size_t y_stride);

// dst[0..n) = the row's values, exactly as ggml dequantizes them; n a multiple of the
// block size. Unsupported types write NaN.
void pk_dequantize_row(int ggml_type, const void *src, float *dst, int n);

// IEEE half <-> float (round to nearest even; NaN stays NaN).
float pk_fp16_to_fp32(uint16_t h);
uint16_t pk_fp32_to_fp16(float f);
// bfloat16 -> float (exact).
float pk_bf16_to_fp32(uint16_t h);

#ifdef __cplusplus
}
#endif
#endif
