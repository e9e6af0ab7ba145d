// The transposed convolution's phases woven into one signal (ConvTranspose1d): each phase's
// outputs are computed as a plain row, then every `s`-th output is taken from each row in turn.
// A pass of sequential stores, where storing each row with stride s would write every cache
// line of the output s times. Data movement only: the same bits at every level.
#include "kernels.h"
#include "voice_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))

// 8 columns q of each of the s = 2, 4 or 8 rows (ps apart, from src) → 8·s outputs from y.
// Returns the columns done (a multiple of 8).
static AVX2 long interleave_avx2(const float *src, long ps, int s, long nq, float *y) {
    long i = 0;
    for (; i + 8 <= nq; i += 8) {
        const float *p = src + i;
        float *out = y + i * s;
        if (s == 2) {
            const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + ps);
            const __m256 lo = _mm256_unpacklo_ps(a, b), hi = _mm256_unpackhi_ps(a, b);   // a0 b0 a1 b1 | a4 b4 a5 b5, a2 … | a6 …
            _mm256_storeu_ps(out, _mm256_permute2f128_ps(lo, hi, 0x20));
            _mm256_storeu_ps(out + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
            continue;
        }
        // rows 0–3 (and 4–7): u[j] holds column j of rows 0–3 in its low half, column j + 4 in its high
        __m256 u[8];
        for (int h = 0; h < s / 4; h++) {
            const float *r = p + 4 * h * ps;
            const __m256 a = _mm256_loadu_ps(r), b = _mm256_loadu_ps(r + ps);
            const __m256 c = _mm256_loadu_ps(r + 2 * ps), d = _mm256_loadu_ps(r + 3 * ps);
            const __m256 t0 = _mm256_unpacklo_ps(a, b), t1 = _mm256_unpackhi_ps(a, b);
            const __m256 t2 = _mm256_unpacklo_ps(c, d), t3 = _mm256_unpackhi_ps(c, d);
            u[4 * h + 0] = _mm256_shuffle_ps(t0, t2, 0x44);
            u[4 * h + 1] = _mm256_shuffle_ps(t0, t2, 0xEE);
            u[4 * h + 2] = _mm256_shuffle_ps(t1, t3, 0x44);
            u[4 * h + 3] = _mm256_shuffle_ps(t1, t3, 0xEE);
        }
        if (s == 4) {   // outputs of column j: 4 floats at out + 4j
            for (int j = 0; j < 4; j += 2) {
                _mm256_storeu_ps(out + 4 * j, _mm256_permute2f128_ps(u[j], u[j + 1], 0x20));
                _mm256_storeu_ps(out + 4 * j + 16, _mm256_permute2f128_ps(u[j], u[j + 1], 0x31));
            }
        } else {        // s == 8: outputs of column j: 8 floats at out + 8j
            for (int j = 0; j < 4; j++) {
                _mm256_storeu_ps(out + 8 * j, _mm256_permute2f128_ps(u[j], u[j + 4], 0x20));
                _mm256_storeu_ps(out + 8 * (j + 4), _mm256_permute2f128_ps(u[j], u[j + 4], 0x31));
            }
        }
    }
    return i;
}
#endif

void pv_interleave_phases(const float *src, long ps, int s, long q0, long o0, long o1, float *y) {
    if (s <= 0 || o0 < 0 || o1 <= o0) return;
    long o = o0;
    for (; o < o1 && o % s != 0; o++) y[o - o0] = src[(o % s) * ps + o / s - q0];
#if defined(__x86_64__)
    if ((s == 2 || s == 4 || s == 8) && pk_cpu_level() >= PK_CPU_AVX2)
        o += s * interleave_avx2(src + o / s - q0, ps, s, (o1 - o) / s, y + (o - o0));
#endif
    for (; o < o1; o++) y[o - o0] = src[(o % s) * ps + o / s - q0];
}
