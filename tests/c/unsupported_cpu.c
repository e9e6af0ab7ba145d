/* Run with PARLEY_CPU_LEVEL=scalar: a CPU below x86-64-v3 gets a status and a message
 * from parley_runtime_create, never an illegal instruction from the engines. */
#include <parley.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    parley_runtime_params p = parley_runtime_default_params();
    parley_runtime *rt = NULL;
    const parley_status s = parley_runtime_create(&p, &rt);
    if (s != PARLEY_ERR_UNSUPPORTED_CPU || rt != NULL || !strstr(parley_last_error(), "AVX2")) {
        fprintf(stderr, "expected PARLEY_ERR_UNSUPPORTED_CPU, got %s: %s\n", parley_status_string(s), parley_last_error());
        return 1;
    }
    printf("refused: %s (%s)\n", parley_status_string(s), parley_last_error());
    return 0;
}
