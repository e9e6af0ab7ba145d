// IEEE half and bfloat16 conversions (scalar, exact, identical to F16C's results).
#include "quants.h"

float pk_fp16_to_fp32(uint16_t h) { return pk_half(h); }

uint16_t pk_fp32_to_fp16(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    uint32_t abs = bits & 0x7fffffffu;
    if (abs > 0x7f800000u) return sign | 0x7e00u | (uint16_t)((abs >> 13) & 0x3ffu);  // NaN stays quiet NaN
    if (abs >= 0x47800000u) return sign | 0x7c00u;                                     // >= 65536: infinity
    if (abs >= 0x38800000u) {
        // normal half: rebias the exponent, round the 13 dropped bits to nearest even;
        // a carry into the exponent (up to 0x7c00 = infinity) is the correct result
        uint32_t r = abs - 0x38000000u + 0xfffu + ((abs >> 13) & 1u);
        return sign | (uint16_t)(r >> 13);
    }
    // subnormal half (or zero): |f| * 2^24 is exact; adding 2^23 rounds it to nearest even
    float a;
    memcpy(&a, &abs, 4);
    float scaled = a * 0x1p24f + 0x1p23f;
    uint32_t s;
    memcpy(&s, &scaled, 4);
    return sign | (uint16_t)(s & 0x7ffu);
}

float pk_bf16_to_fp32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}
