// CPU feature detection: which kernel family to run. Chosen once, lazily.
// Atomics (relaxed) because any thread may ask, and tests may force a level meanwhile:
// every level computes bit-identical results, so a switch mid-run changes speed only.
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
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
        return __builtin_cpu_supports("avxvnni") ? PK_CPU_AVXVNNI : PK_CPU_AVX2;
#endif
    return PK_CPU_SCALAR;
}

// PARLEY_CPU_LEVEL=scalar|avx2|avx-vnni|avx512-vnni caps the level (tests and benchmarks run
// the lower paths on a machine that has the higher ones). Anything else is ignored.
static int level_from_environment(void) {
    const char *v = getenv("PARLEY_CPU_LEVEL");
    if (!v) return -1;
    if (strcmp(v, "scalar") == 0) return PK_CPU_SCALAR;
    if (strcmp(v, "avx2") == 0) return PK_CPU_AVX2;
    if (strcmp(v, "avx-vnni") == 0) return PK_CPU_AVXVNNI;
    if (strcmp(v, "avx512-vnni") == 0) return PK_CPU_AVX512VNNI;
    return -1;
}

int pk_detected_cpu_level(void) {
    int d = atomic_load_explicit(&detected, memory_order_relaxed);
    if (d < 0) {
        d = detect();
        const int cap = level_from_environment();
        if (cap >= 0 && cap < d) d = cap;
        atomic_store_explicit(&detected, d, memory_order_relaxed);
    }
    return d;
}

int pk_cpu_level(void) {
    const int d = pk_detected_cpu_level();
    const int f = atomic_load_explicit(&forced, memory_order_relaxed);
    return f >= 0 && f < d ? f : d;
}

int pk_cpu_has_avxvnni(void) {
    static _Atomic int known = -1;
    int v = atomic_load_explicit(&known, memory_order_relaxed);
    if (v < 0) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avxvnni") ? 1 : 0;
#else
        v = 0;
#endif
        atomic_store_explicit(&known, v, memory_order_relaxed);
    }
    return v;
}

int pk_engines_supported(void) { return pk_detected_cpu_level() >= PK_CPU_AVX2; }

const char *pk_engines_requirement(void) {
    return "this CPU (or PARLEY_CPU_LEVEL) lacks AVX2 + FMA + F16C, which Parley's engines need (x86-64-v3: Intel Haswell, AMD Zen or later)";
}

void pk_set_cpu_level(int level) { atomic_store_explicit(&forced, level, memory_order_relaxed); }

const char *pk_cpu_level_name(int level) {
    switch (level) {
    case PK_CPU_AVX512VNNI: return "avx512-vnni";
    case PK_CPU_AVXVNNI: return "avx-vnni";
    case PK_CPU_AVX2: return "avx2";
    default: return "scalar";
    }
}
