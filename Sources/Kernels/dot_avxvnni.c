// AVX-VNNI kernels (Intel 12th generation and later, AMD Zen 5): the 32-element block types
// (and PK_Q5_0_T8) run as whole-matrix kernels whose products are 256-bit dpbusd
// (block32_whole.h): one instruction where AVX2 needs maddubs and madd. Other weight types
// run the AVX2 kernels (matmul.c).
//
// dpbusd exists in two encodings: VEX (AVX-VNNI) and EVEX (AVX-512 VNNI with VL). Both are
// compiled from the same source; an AVX-VNNI CPU runs the VEX copy, and an AVX-512 VNNI CPU
// forced to this level (PARLEY_CPU_LEVEL=avx-vnni: tests, benchmarks) runs the EVEX copy,
// so that every machine with either feature checks the level's arithmetic.
#if defined(__x86_64__) || defined(__i386__)
#include "simd_common.h"

#define PKW_TARGET __attribute__((target("avxvnni,avx2,fma,f16c")))
#define PKW_VNNI 1
#define PKW_DPBUSD _mm256_dpbusd_avx_epi32
#define PKW_SUFFIX _vex
#define PKW_ENTRY static
#include "block32_whole.h"

#define PKW_TARGET __attribute__((target("avx512f,avx512vl,avx512vnni,avx2,fma,f16c")))
#define PKW_VNNI 1
#define PKW_DPBUSD _mm256_dpbusd_epi32
#define PKW_SUFFIX _evex
#define PKW_ENTRY static
#include "block32_whole.h"

int pk_matvec32_avxvnni(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, float *y) {
    return pk_cpu_has_avxvnni() ? pk_matvec32_vex(type, w, rb, n, r0, r1, xq, y) : pk_matvec32_evex(type, w, rb, n, r0, r1, xq, y);
}

int pk_matmat32_avxvnni(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs, int n_vec,
                        float *y, size_t ys) {
    return pk_cpu_has_avxvnni() ? pk_matmat32_vex(type, w, rb, n, r0, r1, xq, xs, n_vec, y, ys)
                          : pk_matmat32_evex(type, w, rb, n, r0, r1, xq, xs, n_vec, y, ys);
}
#else
#include "quants.h"
int pk_matvec32_avxvnni(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, float *y) { return 0; }
int pk_matmat32_avxvnni(int type, const void *w, size_t rb, int n, int r0, int r1, const void *xq, size_t xs, int n_vec,
                        float *y, size_t ys) { return 0; }
#endif
