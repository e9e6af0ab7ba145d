// LD_PRELOAD shim that makes a peer process (Piper's onnxruntime, a prebuilt
// llama.cpp) see a lower CPU level than the machine has, so that a benchmark
// at PARLEY_CPU_LEVEL=avx2 compares both sides on the instructions an AVX2-only
// player's CPU offers. Linux's CPUID faulting (arch_prctl ARCH_SET_CPUID, the
// `cpuid_fault` flag) turns every CPUID instruction into SIGSEGV; the handler
// runs the real CPUID with faulting briefly off and clears the feature bits
// above the level asked for in PEER_CPU_LEVEL (avx2 or avx-vnni).
//
// Build: cc -O2 -shared -fPIC -o cpuid-mask.so bench/cpuid-mask.c
// Use:   PEER_CPU_LEVEL=avx2 LD_PRELOAD=./cpuid-mask.so python3 ...
// On stderr at exit: how many CPUID instructions were masked (0 means the peer
// never asked, or the shim is not working and the figures are not at the level).
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static int keep_avx_vnni;
static volatile long masked_count;
static struct sigaction previous;

static int set_cpuid_enabled(int enabled) {
    return (int)syscall(SYS_arch_prctl, ARCH_SET_CPUID, (unsigned long)enabled);
}

static void real_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
    __asm__ volatile("cpuid" : "=a"(out[0]), "=b"(out[1]), "=c"(out[2]), "=d"(out[3]) : "a"(leaf), "c"(subleaf));
}

static void mask(uint32_t leaf, uint32_t subleaf, uint32_t r[4]) {
    if (leaf == 7 && subleaf == 0) {
        // EBX: AVX512F, DQ, IFMA, PF, ER, CD, BW, VL.
        r[1] &= ~((1u << 16) | (1u << 17) | (1u << 21) | (1u << 26) | (1u << 27) | (1u << 28) | (1u << 30) | (1u << 31));
        // ECX: VBMI, VBMI2, VNNI, BITALG, VPOPCNTDQ.
        r[2] &= ~((1u << 1) | (1u << 6) | (1u << 11) | (1u << 12) | (1u << 14));
        // EDX: 4VNNIW, 4FMAPS, VP2INTERSECT, FP16.
        r[3] &= ~((1u << 2) | (1u << 3) | (1u << 8) | (1u << 23));
    } else if (leaf == 7 && subleaf == 1) {
        // EAX: AVX-VNNI (bit 4) unless asked for, AVX512_BF16 (bit 5).
        r[0] &= ~((keep_avx_vnni ? 0u : (1u << 4)) | (1u << 5));
    } else if (leaf == 0xD && subleaf == 0) {
        // XCR0 components the OS supports: drop the AVX-512 state (opmask, ZMM).
        r[0] &= ~((1u << 5) | (1u << 6) | (1u << 7));
    }
}

static void on_segv(int sig, siginfo_t *info, void *context) {
    ucontext_t *uc = context;
    const unsigned char *ip = (const unsigned char *)uc->uc_mcontext.gregs[REG_RIP];
    if (ip[0] == 0x0F && ip[1] == 0xA2) {
        uint32_t leaf = (uint32_t)uc->uc_mcontext.gregs[REG_RAX];
        uint32_t subleaf = (uint32_t)uc->uc_mcontext.gregs[REG_RCX];
        uint32_t r[4];
        set_cpuid_enabled(1);
        real_cpuid(leaf, subleaf, r);
        set_cpuid_enabled(0);
        mask(leaf, subleaf, r);
        uc->uc_mcontext.gregs[REG_RAX] = r[0];
        uc->uc_mcontext.gregs[REG_RBX] = r[1];
        uc->uc_mcontext.gregs[REG_RCX] = r[2];
        uc->uc_mcontext.gregs[REG_RDX] = r[3];
        uc->uc_mcontext.gregs[REG_RIP] += 2;
        masked_count++;
        return;
    }
    // A real fault: hand it to whoever had it before, or die as without the shim.
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, info, context);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
    } else {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

static void report(void) {
    fprintf(stderr, "cpuid-mask: level %s, %ld CPUID instructions masked\n",
            keep_avx_vnni ? "avx-vnni" : "avx2", masked_count);
}

__attribute__((constructor)) static void install(void) {
    const char *level = getenv("PEER_CPU_LEVEL");
    if (level == NULL || (strcmp(level, "avx2") != 0 && strcmp(level, "avx-vnni") != 0)) {
        fprintf(stderr, "cpuid-mask: PEER_CPU_LEVEL must be avx2 or avx-vnni; not masking\n");
        return;
    }
    keep_avx_vnni = strcmp(level, "avx-vnni") == 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_segv;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGSEGV, &action, &previous) != 0 || set_cpuid_enabled(0) != 0) {
        fprintf(stderr, "cpuid-mask: this kernel or CPU has no CPUID faulting; not masking\n");
        sigaction(SIGSEGV, &previous, NULL);
        exit(3);
    }
    atexit(report);
}
