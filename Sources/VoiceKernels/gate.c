// tanh and WaveNet's gate, out = tanh(a) · sigmoid(b), with a vector exp
// (Cephes' polynomial: relative error below 2e-7) instead of one libm call per value;
// and GELU, the same exp times a polynomial for erfc.
#include <math.h>
#include "kernels.h"
#include "voice_kernels.h"

static void gate_scalar(const float *a, const float *b, float *out, long n) {
    for (long i = 0; i < n; i++) out[i] = tanhf(a[i]) * (1.0f / (1.0f + expf(-b[i])));
}

// erfc(a)·e^{a²} for a in [0, 4] as a polynomial in t = 1 / (1 + a/2), degree 9 (fitted here;
// relative error 2e-8, about 4e-7 evaluated in float), highest power first.
static const float erfcx_poly[10] = {
    -1.818764396e-02f, 5.464822054e-02f, 7.657772303e-02f, -5.125172138e-01f, 6.718788743e-01f,
    -2.005332857e-01f, 3.952210546e-01f, 2.461898327e-01f, 2.870157063e-01f, -2.932860516e-04f,
};

// exp8's arithmetic on one value (same operations, same bits).
static float exp1(float x) {
    x = fminf(fmaxf(x, -87.3f), 88.3f);
    const float n = nearbyintf(x * 1.44269504088896341f);
    float r = fmaf(-n, 0.693359375f, x);
    r = fmaf(-n, -2.12194440e-4f, r);
    float p = 1.9875691500e-4f;
    p = fmaf(p, r, 1.3981999507e-3f);
    p = fmaf(p, r, 8.3334519073e-3f);
    p = fmaf(p, r, 4.1665795894e-2f);
    p = fmaf(p, r, 1.6666665459e-1f);
    p = fmaf(p, r, 5.0000001201e-1f);
    p = fmaf(p, r * r, r + 1.0f);
    union { int32_t i; float f; } e = {.i = ((int32_t)n + 127) << 23};
    return p * e.f;
}

// GELU(x) = x/2 · (1 + erf(x/√2)) = x/2 · (x ≥ 0 ? 2 − erfc(a) : erfc(a)), a = |x|/√2, with
// erfc(a) = e^{−a²} · erfcx(min(a, 4)) (beyond 4, erfc < 2e-8: the clamp changes nothing visible).
static float gelu1(float x) {
    const float a = fabsf(x) * 0.70710678118654752f, c = fminf(a, 4.0f);
    const float h = 0.5f * c;   // apart from the add below, so that it is not fused into an fma
    const float t = 1.0f / (1.0f + h);
    float r = erfcx_poly[0];
    for (int k = 1; k < 10; k++) r = fmaf(r, t, erfcx_poly[k]);
    const float e = exp1(-(a * a)) * r;
    return 0.5f * x * (x >= 0.0f ? 2.0f - e : e);
}

static void gelu_scalar(float *y, long n) {
    for (long i = 0; i < n; i++) y[i] = gelu1(y[i]);
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

// e^x for x in [-87.3, 88.3] (inputs are clamped to it).
static inline __attribute__((always_inline)) AVX2 __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // r = x − n·ln2 in two steps, so r stays exact
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static AVX2 void gate_avx2(const float *a, const float *b, float *out, long n) {
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);
        // tanh(a) = sign(a) · (1 − 2 / (e^{2|a|} + 1))
        const __m256 abs = _mm256_andnot_ps(sign, va);
        const __m256 t = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(exp8(_mm256_add_ps(abs, abs)), one)));
        const __m256 th = _mm256_or_ps(t, _mm256_and_ps(sign, va));
        // sigmoid(b) = 1 / (1 + e^{−b})
        const __m256 sg = _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_xor_ps(vb, sign))));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(th, sg));
    }
    gate_scalar(a + i, b + i, out + i, n - i);
}

static AVX2 void gelu_avx2(float *y, long n) {
    const __m256 sign = _mm256_set1_ps(-0.0f), half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(y + i);
        const __m256 a = _mm256_mul_ps(_mm256_andnot_ps(sign, x), _mm256_set1_ps(0.70710678118654752f));
        const __m256 c = _mm256_min_ps(a, _mm256_set1_ps(4.0f));
        const __m256 t = _mm256_div_ps(one, _mm256_add_ps(one, _mm256_mul_ps(half, c)));
        __m256 r = _mm256_set1_ps(erfcx_poly[0]);
        for (int k = 1; k < 10; k++) r = _mm256_fmadd_ps(r, t, _mm256_set1_ps(erfcx_poly[k]));
        const __m256 e = _mm256_mul_ps(exp8(_mm256_xor_ps(_mm256_mul_ps(a, a), sign)), r);
        const __m256 positive = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
        const __m256 f = _mm256_blendv_ps(e, _mm256_sub_ps(two, e), positive);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(half, x), f));
    }
    gelu_scalar(y + i, n - i);
}

static AVX2 void tanh_avx2(const float *x, float *out, long n) {
    const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f), sign = _mm256_set1_ps(-0.0f);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i), abs = _mm256_andnot_ps(sign, v);
        const __m256 t = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(exp8(_mm256_add_ps(abs, abs)), one)));
        _mm256_storeu_ps(out + i, _mm256_or_ps(t, _mm256_and_ps(sign, v)));
    }
    for (; i < n; i++) out[i] = tanhf(x[i]);
}

void pv_tanh(const float *x, float *out, long n) {
    if (pk_cpu_level() >= PK_CPU_AVX2) tanh_avx2(x, out, n);
    else for (long i = 0; i < n; i++) out[i] = tanhf(x[i]);
}

void pv_gate_tanh_sigmoid(const float *a, const float *b, float *out, long n) {
    if (pk_cpu_level() >= PK_CPU_AVX2) gate_avx2(a, b, out, n);
    else gate_scalar(a, b, out, n);
}

void pv_gelu(float *y, long n) {
    if (pk_cpu_level() >= PK_CPU_AVX2) gelu_avx2(y, n);
    else gelu_scalar(y, n);
}
#else
void pv_gelu(float *y, long n) { gelu_scalar(y, n); }
void pv_tanh(const float *x, float *out, long n) { for (long i = 0; i < n; i++) out[i] = tanhf(x[i]); }
void pv_gate_tanh_sigmoid(const float *a, const float *b, float *out, long n) { gate_scalar(a, b, out, n); }
#endif
