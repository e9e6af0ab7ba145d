// CPU feature detection: which kernel family to run. Chosen once, lazily.
#include "kernels.h"

static int detected = -1;
static int forced = -1;

static int detect(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
        return PK_CPU_AVX512VNNI;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return PK_CPU_AVX2;
#endif
    return PK_CPU_SCALAR;
}

int pk_cpu_level(void) {
    if (detected < 0) detected = detect();
    if (forced >= 0) return forced < detected ? forced : detected;
    return detected;
}

void pk_set_cpu_level(int level) { forced = level; }

const char *pk_cpu_level_name(int level) {
    switch (level) {
    case PK_CPU_AVX512VNNI: return "avx512-vnni";
    case PK_CPU_AVX2: return "avx2";
    default: return "scalar";
    }
}
