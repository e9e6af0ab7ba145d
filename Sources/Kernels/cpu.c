// CPU feature detection: which kernel family to run. Chosen once, lazily.
// Atomics (relaxed) because any thread may ask, and tests may force a level meanwhile:
// every level computes bit-identical results, so a switch mid-run changes speed only.
#include <stdatomic.h>
#include "kernels.h"

static _Atomic int detected = -1;
static _Atomic int forced = -1;

static int detect(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
        __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return PK_CPU_AVX512VNNI;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c"))
        return PK_CPU_AVX2;
#endif
    return PK_CPU_SCALAR;
}

int pk_detected_cpu_level(void) {
    int d = atomic_load_explicit(&detected, memory_order_relaxed);
    if (d < 0) {
        d = detect();
        atomic_store_explicit(&detected, d, memory_order_relaxed);
    }
    return d;
}

int pk_cpu_level(void) {
    const int d = pk_detected_cpu_level();
    const int f = atomic_load_explicit(&forced, memory_order_relaxed);
    return f >= 0 && f < d ? f : d;
}

void pk_set_cpu_level(int level) { atomic_store_explicit(&forced, level, memory_order_relaxed); }

const char *pk_cpu_level_name(int level) {
    switch (level) {
    case PK_CPU_AVX512VNNI: return "avx512-vnni";
    case PK_CPU_AVX2: return "avx2";
    default: return "scalar";
    }
}
