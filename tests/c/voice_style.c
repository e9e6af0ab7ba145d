/* parley_npc_set_voice: argument checks, status codes and parley_last_error()
 * messages, and that a style set is saved with the NPC; against the built
 * library without a model (fast enough for valgrind, which also flags any read
 * past a string the library was given). Exits non-zero on a failed check. */
#include <parley.h>
#include "check.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The NPC's save data as a NUL-terminated string (caller frees). */
static char *saved(parley_npc *npc) {
    size_t size = 0;
    parley_npc_save(npc, NULL, 0, &size);
    char *buf = calloc(size + 1, 1);
    if (!buf) return NULL;
    parley_status st = parley_npc_save(npc, buf, size, &size);
    CHECK(st == PARLEY_OK, "save: %s %s", parley_status_string(st), parley_last_error());
    return buf;
}

int main(void) {
    parley_runtime *rt = NULL;
    parley_status st = parley_runtime_create(NULL, &rt);
    CHECK(st == PARLEY_OK && rt, "runtime without models: %s %s", parley_status_string(st), parley_last_error());
    if (!rt) return 1;
    parley_npc_params np = parley_npc_default_params();
    np.name = "Hilde";
    parley_npc *npc = NULL;
    st = parley_npc_create(rt, &np, &npc);
    CHECK(st == PARLEY_OK && npc, "npc: %s %s", parley_status_string(st), parley_last_error());
    if (!npc) return 1;

    EXPECT_ERR(parley_npc_set_voice(NULL, "old_man"), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_set_voice(npc, NULL), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_set_voice(npc, "\xff\xfe"), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");
    EXPECT_ERR(parley_npc_set_voice(npc, "elf_queen"), PARLEY_ERR_INVALID_ARGUMENT, "unknown voice preset");
    EXPECT_ERR(parley_npc_set_voice(npc, ""), PARLEY_ERR_INVALID_ARGUMENT, "unknown voice preset");
    EXPECT_ERR(parley_npc_set_voice(npc, "{\"pitch\":3}"), PARLEY_ERR_INVALID_ARGUMENT, "voice pitch");
    EXPECT_ERR(parley_npc_set_voice(npc, "{\"pitch\":0.4}"), PARLEY_ERR_INVALID_ARGUMENT, "voice pitch");
    EXPECT_ERR(parley_npc_set_voice(npc, "{\"formant\":1.5}"), PARLEY_ERR_INVALID_ARGUMENT, "voice formant");
    EXPECT_ERR(parley_npc_set_voice(npc, "{\"rate\":5}"), PARLEY_ERR_INVALID_ARGUMENT, "voice rate");
    EXPECT_ERR(parley_npc_set_voice(npc, "{\"rate\":\"fast\"}"), PARLEY_ERR_INVALID_ARGUMENT, "must be a number");
    EXPECT_ERR(parley_npc_set_voice(npc, "{\"effects\":[\"disco\"]}"), PARLEY_ERR_INVALID_ARGUMENT, "unknown voice effect");
    EXPECT_ERR(parley_npc_set_voice(npc, "{\"effects\":[\"radio\",\"radio\",\"radio\",\"radio\",\"radio\",\"radio\",\"radio\",\"radio\",\"radio\"]}"),
               PARLEY_ERR_INVALID_ARGUMENT, "at most 8");
    EXPECT_ERR(parley_npc_set_voice(npc, "{\"pitch\":1.2"), PARLEY_ERR_INVALID_ARGUMENT, "not valid JSON");
    EXPECT_ERR(parley_npc_set_voice(npc, "{\"volume\":1}"), PARLEY_ERR_INVALID_ARGUMENT, "unknown voice style key");
    {
        char big[5000];
        memset(big, ' ', sizeof big - 1);
        big[sizeof big - 1] = 0;
        EXPECT_ERR(parley_npc_set_voice(npc, big), PARLEY_ERR_INVALID_ARGUMENT, "at most 4096");
    }
    /* a rejected style leaves the voice as it was: plain */
    char *plain = saved(npc);
    CHECK(plain && !strstr(plain, "\"pitch\"") && !strstr(plain, "\"effects\""), "plain voice saved with design fields: %s", plain ? plain : "");
    free(plain);

    EXPECT_OK(parley_npc_set_voice(npc, "witch"));
    EXPECT_OK(parley_npc_set_voice(npc, " {\"preset\":\"old_man\",\"pitch\":1.1,\"effects\":[\"radio\",\"hall\"]} "));
    char *styled = saved(npc);
    CHECK(styled && strstr(styled, "\"pitch\":1.1") && strstr(styled, "\"effects\":[\"radio\",\"hall\"]") &&
          strstr(styled, "\"preset\":\"old_man\""), "styled voice not saved: %s", styled ? styled : "");
    free(styled);

    parley_npc_destroy(npc);
    parley_runtime_destroy(rt);
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    else printf("voice style: all checks passed\n");
    return failures ? 1 : 0;
}
