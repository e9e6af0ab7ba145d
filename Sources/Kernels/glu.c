// Gated activations as ggml computes them. Elementwise only: the SIMD builds of the
// same loop give the same bits as the baseline (explicit fmaf, no other contraction).
#include "glu.h"
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include "kernels.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

// 2^k for an integer k in [-126, 127], built from its exponent bits.
ALWAYS_INLINE float pow2i(int k) {
    const uint32_t bits = (uint32_t)(k + 127) << 23;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

// ggml_v_expf of the AVX-512 build, one lane: e^x = 2^n · p(b), n = round(x/ln 2),
// b = x − n·ln 2 in two steps, p a degree-5 polynomial, then scalef(p, n) (one rounding:
// the first half of the scaling is exact). |n| > 192 gives 0 or infinity.
ALWAYS_INLINE float ggml_vector_expf(float x) {
    const float r = 0x1.8p23f;
    const float z = fmaf(x, 0x1.715476p+0f, r);
    const float n = z - r;
    const float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    const float u = b * b;
    const float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u,
                         fmaf(0x1.ffffecp-1f, b, 1.0f));
    if (n != n) return n;
    if (fabsf(n) > 192.0f) return n <= 0.0f ? 0.0f : INFINITY;
    const int k = (int)n, half = k / 2;
    return j * pow2i(half) * pow2i(k - half);
}

ALWAYS_INLINE void swiglu_loop(const float *x, const float *g, float *y, int n) {
    const int whole = n - n % 16;
    for (int i = 0; i < whole; i++) {
        const float e = ggml_vector_expf(0.0f - x[i]);
        y[i] = x[i] / (1.0f + e) * g[i];
    }
    for (int i = whole; i < n; i++) y[i] = x[i] / (1.0f + expf(-x[i])) * g[i];
}

static void swiglu_baseline(const float *x, const float *g, float *y, int n) { swiglu_loop(x, g, y, n); }

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma,f16c")))
static void swiglu_avx512(const float *x, const float *g, float *y, int n) { swiglu_loop(x, g, y, n); }
__attribute__((target("avx2,fma,f16c")))
static void swiglu_avx2(const float *x, const float *g, float *y, int n) { swiglu_loop(x, g, y, n); }
#endif

void pk_swiglu(const float *x, const float *g, float *y, int n) {
#if defined(__x86_64__) || defined(__i386__)
    switch (pk_cpu_level()) {
    case PK_CPU_AVX512VNNI: swiglu_avx512(x, g, y, n); return;
    case PK_CPU_AVXVNNI:
    case PK_CPU_AVX2: swiglu_avx2(x, g, y, n); return;
    default: break;
    }
#endif
    swiglu_baseline(x, g, y, n);
}

// ggml's GELU table: gelu(h) for every fp16 h, as ggml's x86 build evaluates it
// (GCC contracts 1 + a·x·x into one fused multiply-add), rounded to fp16. Two spare
// entries: the SIMD paths gather 32 bits at each 16-bit entry.
static uint16_t gelu_table[(1 << 16) + 2];
static pthread_once_t gelu_once = PTHREAD_ONCE_INIT;

static void build_gelu_table(void) {
    const float a = 0.044715f, sqrt_2_over_pi = 0.79788456080286535587989211986876f;
    for (int i = 0; i < 1 << 16; i++) {
        const float x = pk_fp16_to_fp32((uint16_t)i);
        const float c = fmaf(a * x, x, 1.0f);
        gelu_table[i] = pk_fp32_to_fp16(0.5f * x * (1.0f + tanhf(sqrt_2_over_pi * x * c)));
    }
}

ALWAYS_INLINE float geglu_one(float x, float g) {
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x * g;
    return pk_fp16_to_fp32(gelu_table[pk_fp32_to_fp16(x)]) * g;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
// The same steps 16 at a time: F16C rounds to nearest even like pk_fp32_to_fp16.
__attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))
static void geglu_avx512(const float *x, const float *g, float *y, int n) {
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 xv = _mm512_loadu_ps(x + i), gv = _mm512_loadu_ps(g + i);
        const __m512i index = _mm512_cvtepu16_epi32(_mm512_cvtps_ph(xv, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        const __m512i entry = _mm512_i32gather_epi32(index, (const void *)gelu_table, 2);
        __m512 r = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_cvtepi32_epi16(entry)), gv);
        r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(xv, _mm512_set1_ps(10.0f), _CMP_GE_OQ), _mm512_mul_ps(xv, gv));
        r = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(xv, _mm512_set1_ps(-10.0f), _CMP_LE_OQ), _mm512_setzero_ps());
        _mm512_storeu_ps(y + i, r);
    }
    for (; i < n; i++) y[i] = geglu_one(x[i], g[i]);
}

__attribute__((target("avx2,fma,f16c")))
static void geglu_avx2(const float *x, const float *g, float *y, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 xv = _mm256_loadu_ps(x + i), gv = _mm256_loadu_ps(g + i);
        const __m256i index = _mm256_cvtepu16_epi32(_mm256_cvtps_ph(xv, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        const __m256i entry = _mm256_i32gather_epi32((const int *)gelu_table, index, 2);
        const __m128i halves = _mm_packus_epi32(_mm256_castsi256_si128(_mm256_and_si256(entry, _mm256_set1_epi32(0xffff))),
                                                _mm256_extracti128_si256(_mm256_and_si256(entry, _mm256_set1_epi32(0xffff)), 1));
        __m256 r = _mm256_mul_ps(_mm256_cvtph_ps(halves), gv);
        r = _mm256_blendv_ps(r, _mm256_mul_ps(xv, gv), _mm256_cmp_ps(xv, _mm256_set1_ps(10.0f), _CMP_GE_OQ));
        r = _mm256_blendv_ps(r, _mm256_setzero_ps(), _mm256_cmp_ps(xv, _mm256_set1_ps(-10.0f), _CMP_LE_OQ));
        _mm256_storeu_ps(y + i, r);
    }
    for (; i < n; i++) y[i] = geglu_one(x[i], g[i]);
}
#endif

void pk_geglu(const float *x, const float *g, float *y, int n) {
    pthread_once(&gelu_once, build_gelu_table);
#if defined(__x86_64__) || defined(__i386__)
    switch (pk_cpu_level()) {
    case PK_CPU_AVX512VNNI: geglu_avx512(x, g, y, n); return;
    case PK_CPU_AVXVNNI:
    case PK_CPU_AVX2: geglu_avx2(x, g, y, n); return;
    default: break;
    }
#endif
    for (int i = 0; i < n; i++) y[i] = geglu_one(x[i], g[i]);
}
