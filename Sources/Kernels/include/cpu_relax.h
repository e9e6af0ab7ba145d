// A spin-wait hint for the thread pool (x86 PAUSE), so a spinning core does
// not starve its sibling hyperthread or burn power at full rate.
#ifndef PARLEY_CPU_RELAX_H
#define PARLEY_CPU_RELAX_H
static inline void pk_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
#endif
