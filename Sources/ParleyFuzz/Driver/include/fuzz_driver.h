#pragma once
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry for programs that have their own main (compiler-rt's
 * FuzzerInterface.h): parses libFuzzer's flags from argv and runs the loop. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/* The Swift side's test function, handed to the driver from C so the
 * callback has the C calling convention. */
int parley_fuzz_one(const uint8_t *data, size_t size);

static inline int parley_fuzz_run(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, parley_fuzz_one);
}
