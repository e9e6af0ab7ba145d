// fp16 attention: one canonical arithmetic (see attention.h), a portable path and SIMD
// paths that repeat it lane for lane, chosen by pk_cpu_level().
//
// Three passes per head: all scores (independent dot products), then the online
// softmax's factors and running sum (a scalar chain with expf), then the value
// accumulator (a vector chain kept in registers as fp16-exact floats).
#include "attention.h"
#include <math.h>
#include <string.h>
#include "kernels.h"
#include "quants.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

int pk_attention_scratch_floats(int n_pos) { return 4 * (n_pos > 0 ? n_pos : 1); }

ALWAYS_INLINE float round16(float x) { return pk_half(pk_fp32_to_fp16(x)); }

// ---- portable path: the canonical order written out ----

// q·k: lanes l < 16 take fused products of elements ≡ l (mod 16); lanes l and l+8 are
// added, then l and l+4, then (0+1) + (2+3); a tail past the last 16 adds plain products.
static float dot_portable(const float *qf, const uint16_t *k, int d) {
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= d; i += 16)
        for (int l = 0; l < 16; l++) acc[l] = fmaf(qf[i + l], pk_half(k[i + l]), acc[l]);
    float t[8], s[4];
    for (int l = 0; l < 8; l++) t[l] = acc[l] + acc[l + 8];
    for (int l = 0; l < 4; l++) s[l] = t[l] + t[l + 4];
    float sum = (s[0] + s[1]) + (s[2] + s[3]);
    for (; i < d; i++) sum += qf[i] * pk_half(k[i]);
    return sum;
}

// Scores, then factors in place: ms[j] scales the accumulator before position j (1: no
// new maximum), vs[j] weighs v_j. Returns the softmax sum.
ALWAYS_INLINE float softmax_factors(float *ms, float *vs, int n_pos) {
    float m = -INFINITY, sum = 0.0f;
    for (int j = 0; j < n_pos; j++) {
        const float s = ms[j];
        float a = 1.0f, b = 1.0f;
        if (s > m) {
            a = expf(m - s);   // 0 on the first position
            m = s;
        } else {
            b = expf(s - m);
        }
        ms[j] = a;
        vs[j] = b;
        sum = sum * a + b;
    }
    return sum;
}

static void attention_portable(const float *q, const uint16_t *k, const uint16_t *v, long stride, int n_pos, int d,
                               float scale, float *scratch, float *out) {
    float *ms = scratch, *vs = scratch + n_pos;
    float qf[d], acc[d];
    for (int i = 0; i < d; i++) { qf[i] = round16(q[i]); acc[i] = 0.0f; }
    for (int j = 0; j < n_pos; j++) ms[j] = dot_portable(qf, k + (long)j * stride, d) * scale;
    const float sum = softmax_factors(ms, vs, n_pos);
    const int fused = d - d % 8;   // the SIMD paths' fused lanes; their scalar tail adds plain products
    for (int j = 0; j < n_pos; j++) {
        const uint16_t *vj = v + (long)j * stride;
        if (ms[j] != 1.0f)
            for (int i = 0; i < d; i++) acc[i] = round16(acc[i] * ms[j]);
        for (int i = 0; i < fused; i++) acc[i] = round16(fmaf(pk_half(vj[i]), vs[j], acc[i]));
        for (int i = fused; i < d; i++) acc[i] = round16(acc[i] + pk_half(vj[i]) * vs[j]);
    }
    const float inv = sum > 0 ? 1 / sum : 0;
    for (int i = 0; i < d; i++) out[i] = acc[i] * inv;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma,f16c")))
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))

AVX2 static void f32_to_f16_avx2(const float *x, uint16_t *y, int n) {
    int i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) y[i] = pk_fp32_to_fp16(x[i]);
}

AVX2 static inline __m256 round16_8(__m256 x) { return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); }

// The canonical reduction of 8 + 8 lanes (as dot_portable).
AVX2 static inline float reduce_8_8(__m256 acc0, __m256 acc1) {
    const __m256 t = _mm256_add_ps(acc0, acc1);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
    s = _mm_hadd_ps(s, s);
    s = _mm_hadd_ps(s, s);
    return _mm_cvtss_f32(s);
}

// ---- AVX2: 8 lanes, one head at a time ----

AVX2 static void attention_avx2(const float *q, const uint16_t *k, const uint16_t *v, long stride, int n_pos, int d,
                                float scale, float *scratch, float *out) {
    float *ms = scratch, *vs = scratch + n_pos;
    float qf[d];
    for (int i = 0; i < d; i++) qf[i] = round16(q[i]);
    const int d16 = d - d % 16, d8 = d - d % 8;
    for (int j = 0; j < n_pos; j++) {
        const uint16_t *kj = k + (long)j * stride;
        __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
        for (int i = 0; i < d16; i += 16) {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(qf + i), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kj + i))), acc0);
            acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(qf + i + 8), _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(kj + i + 8))), acc1);
        }
        float sum = reduce_8_8(acc0, acc1);
        for (int i = d16; i < d; i++) sum += qf[i] * pk_half(kj[i]);
        ms[j] = sum * scale;
    }
    const float total = softmax_factors(ms, vs, n_pos);
    // the accumulator lives in memory (up to 512 lanes); fused in 8-lane steps, tail plain
    float acc[d];
    for (int i = 0; i < d; i++) acc[i] = 0.0f;
    for (int j = 0; j < n_pos; j++) {
        const uint16_t *vj = v + (long)j * stride;
        const __m256 a = _mm256_set1_ps(ms[j]), b = _mm256_set1_ps(vs[j]);
        const int rescale = ms[j] != 1.0f;
        for (int i = 0; i < d8; i += 8) {
            __m256 x = _mm256_loadu_ps(acc + i);
            if (rescale) x = round16_8(_mm256_mul_ps(x, a));
            x = round16_8(_mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(vj + i))), b, x));
            _mm256_storeu_ps(acc + i, x);
        }
        for (int i = d8; i < d; i++) {
            if (rescale) acc[i] = round16(acc[i] * ms[j]);
            acc[i] = round16(acc[i] + pk_half(vj[i]) * vs[j]);
        }
    }
    const float inv = total > 0 ? 1 / total : 0;
    for (int i = 0; i < d; i++) out[i] = acc[i] * inv;
}

// ---- AVX-512: 16 lanes, up to two heads interleaved, accumulators in registers (d = 64, 128, 256) ----

#define MAX_CHUNKS 16   // head sizes up to 256 keep the accumulator in registers

AVX512 static inline __m512 round16_16(__m512 x) { return _mm512_cvtph_ps(_mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT)); }

AVX512 static inline void scores_avx512(const float *qf, const uint16_t *k, long stride, int n_pos, int d, float scale,
                                        float *ms) {
    const int d16 = d - d % 16;
    for (int j = 0; j < n_pos; j++) {
        const uint16_t *kj = k + (long)j * stride;
        __m512 acc = _mm512_setzero_ps();   // lanes 0-7 and 8-15: the AVX2 path's two accumulators
        for (int i = 0; i < d16; i += 16)
            acc = _mm512_fmadd_ps(_mm512_loadu_ps(qf + i), _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(kj + i))), acc);
        float sum = reduce_8_8(_mm512_castps512_ps256(acc), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc), 1)));
        for (int i = d16; i < d; i++) sum += qf[i] * pk_half(kj[i]);
        ms[j] = sum * scale;
    }
}

// softmax_factors for two heads in one loop: two independent chains (the sum's multiply-add
// and expf) overlap instead of waiting on each other.
AVX512 static inline void softmax_factors2(float *ms0, float *vs0, float *ms1, float *vs1, int n_pos, float *sum0,
                                           float *sum1) {
    float m0 = -INFINITY, m1 = -INFINITY, t0 = 0.0f, t1 = 0.0f;
    for (int j = 0; j < n_pos; j++) {
        const float s0 = ms0[j], s1 = ms1[j];
        float a0 = 1.0f, b0 = 1.0f, a1 = 1.0f, b1 = 1.0f;
        if (s0 > m0) { a0 = expf(m0 - s0); m0 = s0; } else { b0 = expf(s0 - m0); }
        if (s1 > m1) { a1 = expf(m1 - s1); m1 = s1; } else { b1 = expf(s1 - m1); }
        ms0[j] = a0; vs0[j] = b0; ms1[j] = a1; vs1[j] = b1;
        t0 = t0 * a0 + b0;
        t1 = t1 * a1 + b1;
    }
    *sum0 = t0;
    *sum1 = t1;
}

// One position's update of CH 16-lane accumulators (d = 16·CH).
#define ACCUMULATE(acc, CH, vj, a, b)                                                                                \
    do {                                                                                                             \
        const __m512 va_ = _mm512_set1_ps(a), vb_ = _mm512_set1_ps(b);                                               \
        if ((a) != 1.0f)                                                                                             \
            for (int c_ = 0; c_ < (CH); c_++) acc[c_] = round16_16(_mm512_mul_ps(acc[c_], va_));                     \
        for (int c_ = 0; c_ < (CH); c_++)                                                                            \
            acc[c_] = round16_16(_mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((vj) + 16 * c_))), \
                                                 vb_, acc[c_]));                                                     \
    } while (0)

// Heads in pairs when two accumulators fit in registers (CH ≤ 8), else one at a time;
// CH is a constant in each instantiation so the accumulators stay in registers.
static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vl,avx2,fma,f16c")))
void attention_avx512_body(const float *q, int first_head, int heads, int per_kv, const uint16_t *k, const uint16_t *v,
                           long stride, int n_pos, float scale, float *scratch, float *out, const int CH) {
    const int d = 16 * CH;
    float *ms0 = scratch, *vs0 = scratch + n_pos, *ms1 = scratch + 2 * n_pos, *vs1 = scratch + 3 * n_pos;
    float qf0[16 * MAX_CHUNKS], qf1[16 * MAX_CHUNKS];
    for (int h0 = 0; h0 < heads;) {
        const int pair = CH <= MAX_CHUNKS / 2 && h0 + 1 < heads;
        const long kv0 = (long)((first_head + h0) / per_kv) * d, kv1 = (long)((first_head + h0 + 1) / per_kv) * d;
        for (int i = 0; i < d; i++) qf0[i] = round16(q[h0 * d + i]);
        scores_avx512(qf0, k + kv0, stride, n_pos, d, scale, ms0);
        float sum0, sum1 = 0.0f;
        __m512 acc0[CH], acc1[CH];
        for (int c = 0; c < CH; c++) acc0[c] = acc1[c] = _mm512_setzero_ps();
        if (pair) {
            for (int i = 0; i < d; i++) qf1[i] = round16(q[(h0 + 1) * d + i]);
            scores_avx512(qf1, k + kv1, stride, n_pos, d, scale, ms1);
            softmax_factors2(ms0, vs0, ms1, vs1, n_pos, &sum0, &sum1);
            for (int j = 0; j < n_pos; j++) {
                const uint16_t *vj = v + (long)j * stride;
                ACCUMULATE(acc0, CH, vj + kv0, ms0[j], vs0[j]);
                ACCUMULATE(acc1, CH, vj + kv1, ms1[j], vs1[j]);
            }
        } else {
            sum0 = softmax_factors(ms0, vs0, n_pos);
            for (int j = 0; j < n_pos; j++) ACCUMULATE(acc0, CH, v + (long)j * stride + kv0, ms0[j], vs0[j]);
        }
        const float inv0 = sum0 > 0 ? 1 / sum0 : 0, inv1 = sum1 > 0 ? 1 / sum1 : 0;
        for (int c = 0; c < CH; c++) {
            _mm512_storeu_ps(out + h0 * d + 16 * c, _mm512_mul_ps(acc0[c], _mm512_set1_ps(inv0)));
            if (pair) _mm512_storeu_ps(out + (h0 + 1) * d + 16 * c, _mm512_mul_ps(acc1[c], _mm512_set1_ps(inv1)));
        }
        h0 += pair ? 2 : 1;
    }
}

#define DEFINE_ATTENTION(name, CH)                                                                                   \
    AVX512 static void name(const float *q, int first_head, int heads, int per_kv, const uint16_t *k,                 \
                            const uint16_t *v, long stride, int n_pos, float scale, float *scratch, float *out) {    \
        attention_avx512_body(q, first_head, heads, per_kv, k, v, stride, n_pos, scale, scratch, out, CH);          \
    }
DEFINE_ATTENTION(attention_avx512_64, 4)
DEFINE_ATTENTION(attention_avx512_128, 8)
DEFINE_ATTENTION(attention_avx512_256, 16)
#endif

void pk_f32_to_f16_row(const float *x, uint16_t *y, int n) {
#if defined(__x86_64__) || defined(__i386__)
    if (pk_cpu_level() >= PK_CPU_AVX2) { f32_to_f16_avx2(x, y, n); return; }
#endif
    for (int i = 0; i < n; i++) y[i] = pk_fp32_to_fp16(x[i]);
}

void pk_attention_f16(const float *q, int first_head, int heads, int heads_per_kv, const uint16_t *k, const uint16_t *v,
                      long stride, int n_pos, int d, float scale, float *scratch, float *out) {
    if (n_pos <= 0 || d <= 0 || heads_per_kv <= 0) {
        for (int i = 0; i < heads * d; i++) out[i] = 0.0f;
        return;
    }
#if defined(__x86_64__) || defined(__i386__)
    const int level = pk_cpu_level();
    if (level == PK_CPU_AVX512VNNI && (d == 64 || d == 128 || d == 256)) {
        (d == 64 ? attention_avx512_64 : d == 128 ? attention_avx512_128 : attention_avx512_256)(
            q, first_head, heads, heads_per_kv, k, v, stride, n_pos, scale, scratch, out);
        return;
    }
#endif
    for (int h = 0; h < heads; h++) {
        const long kv = (long)((first_head + h) / heads_per_kv) * d;
#if defined(__x86_64__) || defined(__i386__)
        if (level >= PK_CPU_AVX2) {
            attention_avx2(q + h * d, k + kv, v + kv, stride, n_pos, d, scale, scratch, out + h * d);
            continue;
        }
#endif
        attention_portable(q + h * d, k + kv, v + kv, stride, n_pos, d, scale, scratch, out + h * d);
    }
}
