// fp16 attention helpers: an F16C/FMA path and a portable one, chosen by pk_cpu_level().
#include "attention.h"
#include "kernels.h"
#include <immintrin.h>
#include <math.h>

static float f16_to_f32(uint16_t h) { return pk_fp16_to_fp32(h); }

__attribute__((target("avx2,fma,f16c")))
static void f32_to_f16_avx2(const float *x, uint16_t *y, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = pk_fp32_to_fp16(x[i]);
}

__attribute__((target("avx2,fma,f16c")))
static float dot_f16_avx2(const uint16_t *a, const uint16_t *b, int n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i))),
                               _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + i))), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + i + 8))),
                               _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + i + 8))), acc1);
    }
    __m256 acc = _mm256_add_ps(acc0, acc1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_hadd_ps(s, s);
    s = _mm_hadd_ps(s, s);
    float sum = _mm_cvtss_f32(s);
    for (; i < n; i++) sum += f16_to_f32(a[i]) * f16_to_f32(b[i]);
    return sum;
}

__attribute__((target("avx2,fma,f16c")))
static void mad_f16_avx2(float *acc, const uint16_t *v, float s, int n) {
    __m256 vs = _mm256_set1_ps(s);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i)));
        _mm256_storeu_ps(acc + i, _mm256_fmadd_ps(x, vs, _mm256_loadu_ps(acc + i)));
    }
    for (; i < n; i++) acc[i] += s * f16_to_f32(v[i]);
}

void pk_f32_to_f16_row(const float *x, uint16_t *y, int n) {
    if (pk_cpu_level() >= PK_CPU_AVX2) { f32_to_f16_avx2(x, y, n); return; }
    for (int i = 0; i < n; i++) y[i] = pk_fp32_to_fp16(x[i]);
}

float pk_dot_f16(const uint16_t *a, const uint16_t *b, int n) {
    if (pk_cpu_level() >= PK_CPU_AVX2) return dot_f16_avx2(a, b, n);
    float sum = 0;
    for (int i = 0; i < n; i++) sum += f16_to_f32(a[i]) * f16_to_f32(b[i]);
    return sum;
}

void pk_mad_f16(float *acc, const uint16_t *v, float s, int n) {
    if (pk_cpu_level() >= PK_CPU_AVX2) { mad_f16_avx2(acc, v, s, n); return; }
    for (int i = 0; i < n; i++) acc[i] += s * f16_to_f32(v[i]);
}

// acc16 = fp16(acc16·s)
__attribute__((target("avx2,fma,f16c")))
static void scale_f16_avx2(uint16_t *acc, float s, int n) {
    __m256 vs = _mm256_set1_ps(s);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i)));
        _mm_storeu_si128((__m128i *)(acc + i), _mm256_cvtps_ph(_mm256_mul_ps(x, vs), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++) acc[i] = pk_fp32_to_fp16(f16_to_f32(acc[i]) * s);
}

// acc16 = fp16(acc16 + v·s)
__attribute__((target("avx2,fma,f16c")))
static void mad_f16_f16acc_avx2(uint16_t *acc, const uint16_t *v, float s, int n) {
    __m256 vs = _mm256_set1_ps(s);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 a = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(acc + i)));
        __m256 x = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(v + i)));
        _mm_storeu_si128((__m128i *)(acc + i), _mm256_cvtps_ph(_mm256_fmadd_ps(x, vs, a), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; i++) acc[i] = pk_fp32_to_fp16(f16_to_f32(acc[i]) + f16_to_f32(v[i]) * s);
}

static void scale_f16(uint16_t *acc, float s, int n) {
    if (pk_cpu_level() >= PK_CPU_AVX2) { scale_f16_avx2(acc, s, n); return; }
    for (int i = 0; i < n; i++) acc[i] = pk_fp32_to_fp16(f16_to_f32(acc[i]) * s);
}

static void mad_f16_f16acc(uint16_t *acc, const uint16_t *v, float s, int n) {
    if (pk_cpu_level() >= PK_CPU_AVX2) { mad_f16_f16acc_avx2(acc, v, s, n); return; }
    for (int i = 0; i < n; i++) acc[i] = pk_fp32_to_fp16(f16_to_f32(acc[i]) + f16_to_f32(v[i]) * s);
}

void pk_attention_f16(const uint16_t *q, const uint16_t *k, const uint16_t *v, long stride, int n_pos, int d,
                      float scale, uint16_t *acc16, float *out) {
    float m = -INFINITY, sum = 0;
    for (int i = 0; i < d; i++) acc16[i] = 0;
    for (int j = 0; j < n_pos; j++) {
        float s = pk_dot_f16(q, k + (long)j * stride, d) * scale;
        float ms = 1, vs = 1;
        if (s > m) {
            float m_old = m;
            m = s;
            ms = expf(m_old - m);   // 0 on the first position
            scale_f16(acc16, ms, d);
        } else {
            vs = expf(s - m);
        }
        mad_f16_f16acc(acc16, v + (long)j * stride, vs, d);
        sum = sum * ms + vs;
    }
    float inv = sum > 0 ? 1 / sum : 0;
    for (int i = 0; i < d; i++) out[i] = f16_to_f32(acc16[i]) * inv;
}
