// Activation quantization: float x -> int8 blocks with one scale (pk_q8_32, pk_q8_256),
// rounded the way ggml rounds them. Pure IEEE float steps (max, divide, multiply,
// round-half-even), so every CPU gets the same bytes. One source, compiled twice: for the baseline and, where the CPU has it, for AVX2
// (the loops are written so the compiler vectorizes them; the results do not change).
#include "quants.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

// Largest |x| of a block; NaN is skipped. Non-negative floats order like their bit patterns.
ALWAYS_INLINE float block_amax(const float *x, int n) {
    uint32_t amax = 0;
    // vectorize even for a 32-element block (full unrolling would leave scalar code)
#pragma clang loop vectorize(enable) unroll(disable)
    for (int i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], 4);
        bits &= 0x7fffffffu;
        bits = bits > 0x7f800000u ? 0 : bits;
        amax = bits > amax ? bits : amax;
    }
    float f;
    memcpy(&f, &amax, 4);
    return f;
}

// round-half-even(x*id) clamped to ±127 (NaN -> -127): adding 1.5*2^23 rounds to an integer.
ALWAYS_INLINE int8_t quantize_one(float x, float id) {
    float t = x * id;
    t = t >= -127.0f ? t : -127.0f;
    t = t <= 127.0f ? t : 127.0f;
    const float r = t + 12582912.0f;
    uint32_t bits;
    memcpy(&bits, &r, 4);
    return (int8_t)((int32_t)(bits & 0x7fffffu) - 0x400000);
}

// q8_0/q8_1 as ggml's x86 path makes them: id = 127/amax (not 1/d), the scale
// and the block sum stored through fp16. Matching the peer's rounding here keeps
// our logits on its side of every rounding boundary.
ALWAYS_INLINE void quantize_q8_32(const float *x, pk_q8_32 *out, int nb) {
    for (int b = 0; b < nb; b++, x += 32) {
        const float amax = block_amax(x, 32);
        const float d = amax / 127.0f;
        const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int i = 0; i < 32; i++) {
            out[b].qs[i] = quantize_one(x[i], id);
            sum += out[b].qs[i];
        }
        out[b].d = pk_fp16_to_fp32(pk_fp32_to_fp16(d));
        out[b].s = pk_fp16_to_fp32(pk_fp32_to_fp16(d * (float)sum));
    }
}

// q8_K as ggml makes it: iscale = -127/max with max the first element of largest
// magnitude (signed), d = 1/iscale.
ALWAYS_INLINE void quantize_q8_256(const float *x, pk_q8_256 *out, int nb) {
    for (int b = 0; b < nb; b++, x += 256) {
        float amax = 0.0f, max = 0.0f;
        for (int i = 0; i < 256; i++) {
            const float a = __builtin_fabsf(x[i]);
            if (a > amax) { amax = a; max = x[i]; }
        }
        if (amax == 0.0f) {
            out[b].d = 0.0f;
            memset(out[b].qs, 0, 256);
            memset(out[b].bsums, 0, sizeof out[b].bsums);
            continue;
        }
        const float iscale = -127.0f / max;
        for (int i = 0; i < 256; i++) out[b].qs[i] = quantize_one(x[i], iscale);
        out[b].d = 1.0f / iscale;
        for (int j = 0; j < 16; j++) {
            int sum = 0;
            for (int i = 0; i < 16; i++) sum += out[b].qs[16 * j + i];
            out[b].bsums[j] = (int16_t)sum;
        }
    }
}

static void quantize_baseline(int format, const float *x, void *out, int n) {
    if (format == PK_ACT_Q8_32) quantize_q8_32(x, out, n / 32);
    else quantize_q8_256(x, out, n / 256);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma,f16c"))) static void quantize_avx2(int format, const float *x, void *out, int n) {
    if (format == PK_ACT_Q8_32) quantize_q8_32(x, out, n / 32);
    else quantize_q8_256(x, out, n / 256);
}
#endif

void pk_quantize_act(int type, const float *x, void *out, int n) {
    if (n <= 0) return;
    const int format = pk_act_format(type);
    switch (format) {
    case PK_ACT_F32: memcpy(out, x, (size_t)n * 4); break;
    case PK_ACT_Q8_32:
    case PK_ACT_Q8_256:
#if defined(__x86_64__) || defined(__i386__)
        if (pk_cpu_level() >= PK_CPU_AVX2) {
            quantize_avx2(format, x, out, n);
            break;
        }
#endif
        quantize_baseline(format, x, out, n);
        break;
    default: break;  // unsupported type: pk_act_bytes was 0
    }
}
