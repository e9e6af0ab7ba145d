/* Bad input through the C ABI, without a model (fast enough for valgrind): NULL,
 * made-up and destroyed handles, double destroys, wrong struct sizes, invalid
 * UTF-8, oversized strings, tool results for calls that do not exist and save
 * blobs that are not saves. Every call must return a status with a message (or
 * do nothing, for the calls that return no status); none may crash or touch
 * freed memory (valgrind). Exits non-zero on a failed check. */
#include <parley.h>
#include "check.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const float v3[3] = { 1, 2, 3 };

/* Every NPC call on a handle that is not a live NPC. */
static void npc_calls_refuse(parley_npc *npc, const char *needle) {
    char buf[64];
    size_t size = 0;
    uint64_t turn = 0;
    EXPECT_ERR(parley_npc_say(npc, "Hello", &turn), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_npc_cancel(npc), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_npc_add_example(npc, "Hi", "Hm."), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_npc_add_authored_line(npc, "Hi", "Hm."), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_npc_set_voice(npc, "old_man"), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_npc_save(npc, buf, sizeof buf, &size), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_npc_set_position(npc, v3), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_npc_set_velocity(npc, v3), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_npc_add_tool(npc, "open_gate", "Opens it.", "{\"type\":\"object\"}"), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_npc_set_tool_guard(npc, "open_gate", NULL, NULL), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_npc_set_tool_rate_limit(npc, "open_gate", 1, 1000), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_tool_result(npc, "call_1", PARLEY_OK, "{}"), PARLEY_ERR_INVALID_ARGUMENT, needle);
    CHECK(parley_npc_id(npc) == 0, "parley_npc_id of a dead handle");
    CHECK(parley_npc_is_speaking(npc) == 0, "parley_npc_is_speaking of a dead handle");
    parley_npc_destroy(npc);  /* no effect */
}

/* Every runtime call on a handle that is not a live runtime. */
static void runtime_calls_refuse(parley_runtime *rt, const char *needle) {
    parley_event ev = { .struct_size = sizeof ev };
    parley_stats stats = { .struct_size = sizeof stats };
    parley_npc_params np = parley_npc_default_params();
    np.name = "Ghost";
    parley_npc *npc = (parley_npc *)1;
    float mix[8];
    EXPECT_ERR(parley_poll(rt, &ev), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_npc_create(rt, &np, &npc), PARLEY_ERR_INVALID_ARGUMENT, needle);
    CHECK(npc == NULL, "out is cleared on failure");
    EXPECT_ERR(parley_npc_load(rt, "{}", 2, &npc), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_runtime_stats(rt, &stats), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_runtime_load_script(rt, "/nonexistent.lua"), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_audio_open(rt, NULL), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_audio_render(rt, mix, 4), PARLEY_ERR_INVALID_ARGUMENT, needle);
    EXPECT_ERR(parley_listener_set(rt, v3, NULL, NULL, NULL), PARLEY_ERR_INVALID_ARGUMENT, needle);
    parley_audio_close(rt);      /* no effect */
    parley_runtime_destroy(rt);  /* no effect */
}

/* Two threads polling one runtime at once: each poll either runs (no event here) or is
 * refused with a status that says why; never a crash or a torn event. */
static int poll_refusals[2], poll_bad[2];
struct poller { parley_runtime *rt; int index; };
static void *poll_loop(void *arg) {
    struct poller *p = arg;
    for (int i = 0; i < 20000; i++) {
        parley_event ev = { .struct_size = sizeof ev };
        parley_status st = parley_poll(p->rt, &ev);
        if (st == PARLEY_ERR_INVALID_STATE && strstr(parley_last_error(), "second thread")) poll_refusals[p->index]++;
        else if (st != PARLEY_NO_EVENT) poll_bad[p->index]++;
    }
    return NULL;
}

/* The polling-thread calls from a thread that does not poll: each refused with
 * PARLEY_ERR_INVALID_STATE and a message naming the thread rule, nothing changed. */
struct intruder { parley_runtime *rt; parley_npc *npc; };
static void *call_from_other_thread(void *arg) {
    struct intruder *in = arg;
    const char *needle = "thread other than the one that polls";
    uint64_t turn = 0;
    char buf[64];
    size_t size = 0;
    float mix[8];
    parley_npc_params np = parley_npc_default_params();
    np.name = "Stray";
    parley_npc *made = (parley_npc *)1;
    EXPECT_ERR(parley_npc_create(in->rt, &np, &made), PARLEY_ERR_INVALID_STATE, needle);
    CHECK(made == NULL, "out is cleared when the thread is refused");
    EXPECT_ERR(parley_npc_load(in->rt, "{}", 2, &made), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_runtime_load_script(in->rt, "/nonexistent.lua"), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_audio_open(in->rt, NULL), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_audio_render(in->rt, mix, 4), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_listener_set(in->rt, v3, NULL, NULL, NULL), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_npc_say(in->npc, "Hello", &turn), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_npc_cancel(in->npc), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_npc_add_example(in->npc, "Hi", "Hm."), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_npc_add_authored_line(in->npc, "Hi", "Hm."), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_npc_set_voice(in->npc, "old_man"), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_npc_save(in->npc, buf, sizeof buf, &size), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_npc_set_position(in->npc, v3), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_npc_set_velocity(in->npc, v3), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_npc_add_tool(in->npc, "open_gate", "Opens it.", "{\"type\":\"object\"}"), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_npc_set_tool_guard(in->npc, "open_gate", NULL, NULL), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_npc_set_tool_rate_limit(in->npc, "open_gate", 1, 1000), PARLEY_ERR_INVALID_STATE, needle);
    EXPECT_ERR(parley_tool_result(in->npc, "call_1", PARLEY_OK, "{}"), PARLEY_ERR_INVALID_STATE, needle);
    CHECK(parley_npc_is_speaking(in->npc) == 0, "parley_npc_is_speaking from another thread");
    parley_npc_destroy(in->npc);  /* refused: the NPC stays */
    parley_audio_close(in->rt);   /* refused */
    parley_stats stats = { .struct_size = sizeof stats };
    CHECK(parley_runtime_stats(in->rt, &stats) == PARLEY_OK && stats.npc_count == 1,
          "parley_runtime_stats from any thread: %s", parley_last_error());
    return NULL;
}

int main(void) {
    /* NULL everywhere */
    npc_calls_refuse(NULL, "NULL");
    runtime_calls_refuse(NULL, "NULL");
    parley_runtime_destroy(NULL);

    /* pointers the library never gave out */
    long junk[64] = { 0 };
    npc_calls_refuse((parley_npc *)junk, "not a live handle");
    runtime_calls_refuse((parley_runtime *)junk, "not a live handle");

    parley_runtime *rt = NULL;
    parley_status st = parley_runtime_create(NULL, &rt);
    CHECK(st == PARLEY_OK && rt, "runtime without models: %s %s", parley_status_string(st), parley_last_error());
    if (!rt) return 1;
    struct poller a = { rt, 0 }, b = { rt, 1 };
    pthread_t ta, tb;
    if (pthread_create(&ta, NULL, poll_loop, &a) == 0 && pthread_create(&tb, NULL, poll_loop, &b) == 0) {
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        CHECK(poll_bad[0] == 0 && poll_bad[1] == 0, "concurrent polls: %d and %d unexpected statuses", poll_bad[0], poll_bad[1]);
        printf("concurrent polls from two threads: %d refused\n", poll_refusals[0] + poll_refusals[1]);
    }
    /* main takes over polling: the calls the header reserves to the polling thread follow it */
    parley_event ev = { .struct_size = sizeof ev };
    CHECK(parley_poll(rt, &ev) == PARLEY_NO_EVENT, "main thread polls: %s", parley_last_error());
    /* an NPC handle is not a runtime handle, nor the other way round */
    runtime_calls_refuse((parley_runtime *)(void *)&junk[8], "not a live handle");

    /* wrong struct sizes */
    parley_npc_params np = parley_npc_default_params();
    np.name = "Brom";
    np.struct_size = 8;
    parley_npc *npc = NULL;
    EXPECT_ERR(parley_npc_create(rt, &np, &npc), PARLEY_ERR_STRUCT_SIZE, "struct_size");
    parley_runtime_params rp = parley_runtime_default_params();
    rp.struct_size = 3;
    parley_runtime *rt2 = NULL;
    EXPECT_ERR(parley_runtime_create(&rp, &rt2), PARLEY_ERR_STRUCT_SIZE, "struct_size");
    CHECK(rt2 == NULL, "no runtime on a bad struct_size");
    rp = parley_runtime_default_params();
    CHECK(rp.voice_precision == PARLEY_VOICE_EXACT, "voice_precision defaults to EXACT");
    rp.voice_precision = 7;
    EXPECT_ERR(parley_runtime_create(&rp, &rt2), PARLEY_ERR_INVALID_ARGUMENT, "voice_precision 7");
    CHECK(rt2 == NULL, "no runtime on a bad voice_precision");
    parley_event small = { .struct_size = 4 };
    EXPECT_ERR(parley_poll(rt, &small), PARLEY_ERR_STRUCT_SIZE, "struct_size");

    /* bad strings: invalid UTF-8, oversized, empty */
    np = parley_npc_default_params();
    np.name = "\xc3\x28";
    EXPECT_ERR(parley_npc_create(rt, &np, &npc), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");
    size_t huge = 64u << 20;
    char *big = malloc(huge + 1);
    if (!big) return 1;
    memset(big, 'a', huge);
    big[huge] = 0;
    np.name = big;
    EXPECT_ERR(parley_npc_create(rt, &np, &npc), PARLEY_ERR_INVALID_ARGUMENT, "name");
    np.name = "Brom";
    np.persona = big;
    EXPECT_ERR(parley_npc_create(rt, &np, &npc), PARLEY_ERR_INVALID_ARGUMENT, "persona");
    np.persona = "The smith.";
    st = parley_npc_create(rt, &np, &npc);
    CHECK(st == PARLEY_OK && npc, "npc: %s %s", parley_status_string(st), parley_last_error());
    if (!npc) return 1;
    uint64_t turn = 0;
    EXPECT_ERR(parley_npc_say(npc, big, &turn), PARLEY_ERR_INVALID_ARGUMENT, "player line");
    EXPECT_ERR(parley_npc_say(npc, "\xff\xfe", &turn), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");
    EXPECT_ERR(parley_npc_set_voice(npc, big), PARLEY_ERR_INVALID_ARGUMENT, "");
    EXPECT_ERR(parley_npc_set_voice(npc, "{\"pitch\": 1e999}"), PARLEY_ERR_INVALID_ARGUMENT, "");
    free(big);

    /* the thread rule: main polls (above), a second thread's polling-thread calls are refused */
    struct intruder in = { rt, npc };
    pthread_t ti;
    if (pthread_create(&ti, NULL, call_from_other_thread, &in) == 0) pthread_join(ti, NULL);
    CHECK(parley_npc_id(npc) != 0, "the NPC survives a destroy from the wrong thread");
    EXPECT_ERR(parley_npc_say(npc, "\xff\xfe", &turn), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");  /* main still may */

    /* a tool result for a call that does not exist */
    EXPECT_ERR(parley_tool_result(npc, "call_404", PARLEY_OK, "{}"), PARLEY_ERR_INVALID_STATE, "");

    /* save blobs that are not saves */
    parley_npc *loaded = (parley_npc *)1;
    EXPECT_ERR(parley_npc_load(rt, "\x00\x01\x02", 3, &loaded), PARLEY_ERR_INVALID_ARGUMENT, "save");
    CHECK(loaded == NULL, "out is cleared on a failed load");
    const char *other = "{\"format\":\"parley.npc\",\"version\":99,\"name\":\"X\",\"persona\":\"\"}";
    EXPECT_ERR(parley_npc_load(rt, other, strlen(other), &loaded), PARLEY_ERR_INVALID_ARGUMENT, "version");

    /* calls after destroy: the NPC, then the runtime; a second destroy does nothing */
    parley_npc_destroy(npc);
    npc_calls_refuse(npc, "not a live handle");
    parley_npc *kept = NULL;
    np.name = "Mara";
    st = parley_npc_create(rt, &np, &kept);
    CHECK(st == PARLEY_OK && kept, "second npc: %s", parley_last_error());
    parley_runtime_destroy(rt);
    runtime_calls_refuse(rt, "not a live handle");
    npc_calls_refuse(kept, "not a live handle");  /* freed with its runtime */

    if (failures) fprintf(stderr, "%d failed\n", failures);
    else printf("bad input: every call refused with a status and a message\n");
    return failures ? 1 : 0;
}
