// Hot loops Swift cannot express fast (integer SIMD): quantized dot products.
// No allocation, no state beyond the CPU feature choice made once at load.
#ifndef PARLEY_KERNELS_H
#define PARLEY_KERNELS_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pk_cpu_level { PK_CPU_SCALAR = 0, PK_CPU_AVX2 = 1, PK_CPU_AVX512VNNI = 2 };

// The instruction set the kernels use on this CPU (decided once, by CPUID).
int pk_cpu_level(void);
// Force a level (tests compare paths); a level the CPU lacks is clamped down.
void pk_set_cpu_level(int level);
const char *pk_cpu_level_name(int level);

#ifdef __cplusplus
}
#endif
#endif
