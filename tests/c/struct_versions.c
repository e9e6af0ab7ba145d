/* The struct_size rule of parley.h ("Struct versions"), checked against the built
 * library without models (fast enough for valgrind, which also catches any read
 * past a caller's struct_size): V1 sizes, old-size and newer-size params, and
 * outputs written only up to struct_size. Exits non-zero on a failed check. */
#include <parley.h>
#include <dlfcn.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

/* The V1 sizes are where each struct's first field added after 0.1 starts
 * (or the whole struct, for those that have not grown). */
_Static_assert(offsetof(parley_runtime_params, remote_url) == PARLEY_RUNTIME_PARAMS_V1_SIZE, "runtime params V1");
_Static_assert(offsetof(parley_npc_params, top_k) == PARLEY_NPC_PARAMS_V1_SIZE, "npc params V1");
_Static_assert(offsetof(parley_event, type_name) == PARLEY_EVENT_V1_SIZE, "event V1");
_Static_assert(offsetof(parley_stats, remote_tokens) == PARLEY_STATS_V1_SIZE, "stats V1");
/* parley_event in 0.2: type_name, then the tool fields, appended in this order. */
_Static_assert(offsetof(parley_event, call_id) == PARLEY_EVENT_V1_SIZE + 8, "event call_id");
_Static_assert(offsetof(parley_event, tool_arguments) == PARLEY_EVENT_V1_SIZE + 16, "event tool_arguments");
_Static_assert(sizeof(parley_event) == PARLEY_EVENT_V1_SIZE + 24, "event 0.2 size");
/* 0.3: the remote and router fields of the runtime params (ending on an 8-byte boundary,
 * see "Struct versions"), and the remote counters of the stats. */
_Static_assert(offsetof(parley_runtime_params, voice_precision) == PARLEY_RUNTIME_PARAMS_V1_SIZE + 52, "runtime params voice_precision");
_Static_assert(sizeof(parley_runtime_params) == PARLEY_RUNTIME_PARAMS_V1_SIZE + 56, "runtime params 0.3 size");
_Static_assert(sizeof(parley_stats) == PARLEY_STATS_V1_SIZE + 16, "stats 0.3 size");

static int untouched(const unsigned char *p, size_t n, unsigned char fill) {
    for (size_t i = 0; i < n; i++) if (p[i] != fill) return 0;
    return 1;
}

/* The 0.1 by-value symbol: an opaque blob of the V1 size has the same return ABI. */
typedef struct { unsigned char bytes[PARLEY_NPC_PARAMS_V1_SIZE]; } npc_params_v1_blob;
typedef struct { unsigned char bytes[PARLEY_RUNTIME_PARAMS_V1_SIZE]; } runtime_params_v1_blob;

int main(void) {
    /* Current defaults, including the fields added in 0.2. */
    parley_npc_params d = parley_npc_default_params();
    CHECK(d.struct_size == sizeof d, "struct_size %zu", d.struct_size);
    CHECK(d.max_reply_tokens == 96 && fabsf(d.temperature - 0.3f) < 1e-6f && d.voice_rate == 1.0f, "V1 defaults");
    CHECK(d.top_k == 40 && fabsf(d.top_p - 0.95f) < 1e-6f && fabsf(d.min_p - 0.05f) < 1e-6f
          && fabsf(d.repeat_penalty - 1.1f) < 1e-6f, "0.2 defaults: top_k %d top_p %g min_p %g repeat %g",
          d.top_k, d.top_p, d.min_p, d.repeat_penalty);

    /* The legacy symbol returns exactly the V1 prefix of the same defaults. */
    npc_params_v1_blob (*legacy)(void) = (npc_params_v1_blob (*)(void))dlsym(RTLD_DEFAULT, "parley_npc_default_params");
    CHECK(legacy != NULL, "the 0.1 symbol parley_npc_default_params is exported");
    if (legacy) {
        npc_params_v1_blob b = legacy();
        size_t size;
        memcpy(&size, b.bytes, sizeof size);
        CHECK(size == PARLEY_NPC_PARAMS_V1_SIZE, "legacy struct_size %zu", size);
        CHECK(memcmp(b.bytes + sizeof(size_t), (const unsigned char *)&d + sizeof(size_t),
                     PARLEY_NPC_PARAMS_V1_SIZE - sizeof(size_t)) == 0, "legacy defaults equal the V1 prefix");
    }

    parley_runtime *rt = NULL;
    parley_status st = parley_runtime_create(NULL, &rt);
    CHECK(st == PARLEY_OK && rt, "runtime without models: %s %s", parley_status_string(st), parley_last_error());
    if (!rt) return 1;

    /* An old caller's params: exactly V1 bytes on the heap (valgrind flags any read past them). */
    d.name = "Old";
    parley_npc_params *old = malloc(PARLEY_NPC_PARAMS_V1_SIZE);
    if (!old) return 1;
    memcpy(old, &d, PARLEY_NPC_PARAMS_V1_SIZE);
    old->struct_size = PARLEY_NPC_PARAMS_V1_SIZE;
    parley_npc *npc_old = NULL;
    st = parley_npc_create(rt, old, &npc_old);
    CHECK(st == PARLEY_OK && npc_old, "V1-size params: %s %s", parley_status_string(st), parley_last_error());

    /* Below V1: refused, with a message that says what to do. */
    old->struct_size = PARLEY_NPC_PARAMS_V1_SIZE - 8;
    parley_npc *none = (parley_npc *)0x1;
    st = parley_npc_create(rt, old, &none);
    CHECK(st == PARLEY_ERR_STRUCT_SIZE && none == NULL, "small struct_size: %s", parley_status_string(st));
    CHECK(strstr(parley_last_error(), "struct_size") != NULL, "message: %s", parley_last_error());
    free(old);

    /* A 0.2 field is read when struct_size covers it, ignored when it does not. */
    parley_npc_params bad = d;
    bad.top_k = 5000;
    st = parley_npc_create(rt, &bad, &none);
    CHECK(st == PARLEY_ERR_INVALID_ARGUMENT && strstr(parley_last_error(), "top-k") && strstr(parley_last_error(), "1000"),
          "top_k out of range: %s %s", parley_status_string(st), parley_last_error());
    bad.struct_size = PARLEY_NPC_PARAMS_V1_SIZE;
    parley_npc *npc_cut = NULL;
    st = parley_npc_create(rt, &bad, &npc_cut);
    CHECK(st == PARLEY_OK && npc_cut, "top_k beyond struct_size is ignored: %s %s", parley_status_string(st), parley_last_error());
    bad = d;
    bad.temperature = NAN;
    st = parley_npc_create(rt, &bad, &none);
    CHECK(st == PARLEY_ERR_INVALID_ARGUMENT && strstr(parley_last_error(), "temperature"), "NaN temperature: %s", parley_last_error());

    /* A newer caller's larger struct: accepted, the unknown tail ignored. */
    struct { parley_npc_params p; unsigned char future[32]; } newer;
    memset(&newer, 0x7f, sizeof newer);
    newer.p = d;
    newer.p.struct_size = sizeof newer;
    parley_npc *npc_new = NULL;
    st = parley_npc_create(rt, &newer.p, &npc_new);
    CHECK(st == PARLEY_OK && npc_new, "larger struct_size: %s %s", parley_status_string(st), parley_last_error());

    /* Outputs: an old caller's event is written up to V1 and no further. */
    unsigned char evbuf[sizeof(parley_event) + 16];
    memset(evbuf, 0xAB, sizeof evbuf);
    size_t v1 = PARLEY_EVENT_V1_SIZE;
    memcpy(evbuf, &v1, sizeof v1);
    st = parley_poll(rt, (parley_event *)evbuf);
    CHECK(st == PARLEY_NO_EVENT, "poll: %s", parley_status_string(st));
    parley_event_type type;
    memcpy(&type, evbuf + offsetof(parley_event, type), sizeof type);
    CHECK(type == PARLEY_EVENT_NONE, "type %d", (int)type);
    CHECK(untouched(evbuf + PARLEY_EVENT_V1_SIZE, sizeof evbuf - PARLEY_EVENT_V1_SIZE, 0xAB), "bytes past struct_size written");
    size_t kept;
    memcpy(&kept, evbuf, sizeof kept);
    CHECK(kept == PARLEY_EVENT_V1_SIZE, "struct_size kept: %zu", kept);

    /* A caller of 0.2 before the tool fields (call_id, tool_arguments) were appended:
     * type_name written, nothing past it. */
    memset(evbuf, 0xAB, sizeof evbuf);
    size_t before_tools = offsetof(parley_event, call_id);
    memcpy(evbuf, &before_tools, sizeof before_tools);
    st = parley_poll(rt, (parley_event *)evbuf);
    const char *tn = NULL;
    memcpy(&tn, evbuf + offsetof(parley_event, type_name), sizeof tn);
    CHECK(st == PARLEY_NO_EVENT && tn && strcmp(tn, "none") == 0, "poll before tools: %s", parley_status_string(st));
    CHECK(untouched(evbuf + before_tools, sizeof evbuf - before_tools, 0xAB), "bytes past struct_size (before tools) written");

    parley_event ev;
    memset(&ev, 0x5A, sizeof ev);
    ev.struct_size = sizeof ev;
    CHECK(parley_poll(rt, &ev) == PARLEY_NO_EVENT && ev.type_name && strcmp(ev.type_name, "none") == 0,
          "type_name of no event: %s", ev.type_name ? ev.type_name : "(null)");
    CHECK(ev.call_id == NULL && ev.tool_arguments == NULL, "tool fields of no event are NULL");
    ev.struct_size = PARLEY_EVENT_V1_SIZE - 1;
    CHECK(parley_poll(rt, &ev) == PARLEY_ERR_STRUCT_SIZE && strstr(parley_last_error(), "parley_poll"),
          "poll small struct_size: %s", parley_last_error());

    /* Stats: V1 size (nothing written past it: the 0.3 remote counters stay untouched),
     * the full size, and a struct_size cut short is refused. */
    struct { parley_stats s; unsigned char canary[16]; } stats;
    memset(&stats, 0xCD, sizeof stats);
    stats.s.struct_size = PARLEY_STATS_V1_SIZE;
    st = parley_runtime_stats(rt, &stats.s);
    CHECK(st == PARLEY_OK && stats.s.npc_count == 3 && stats.s.turns_completed == 0 && stats.s.last_first_text_ms < 0,
          "stats: %s npc_count %u", parley_status_string(st), stats.s.npc_count);
    CHECK(untouched((const unsigned char *)&stats + PARLEY_STATS_V1_SIZE, sizeof stats - PARLEY_STATS_V1_SIZE, 0xCD),
          "bytes past the V1 stats written");
    stats.s.struct_size = sizeof stats.s;
    st = parley_runtime_stats(rt, &stats.s);
    CHECK(st == PARLEY_OK && stats.s.remote_tokens == 0 && stats.s.remote_fallbacks == 0, "0.3 stats: %s", parley_status_string(st));
    CHECK(untouched(stats.canary, sizeof stats.canary, 0xCD), "bytes past stats written");
    stats.s.struct_size = 8;
    CHECK(parley_runtime_stats(rt, &stats.s) == PARLEY_ERR_STRUCT_SIZE, "stats small struct_size");

    /* Runtime params: the same rule, and the limits come from one table. */
    parley_runtime_params rp = parley_runtime_default_params();
    CHECK(rp.struct_size == sizeof rp && rp.n_threads == 0 && rp.n_ctx == 0, "runtime defaults");
    CHECK(rp.remote_url == NULL && rp.remote_max_retries == -1 && rp.router_threshold == 0.25f, "0.3 runtime defaults");
    /* The 0.1 by-value symbol of the runtime params: exactly the V1 prefix of the same defaults. */
    runtime_params_v1_blob (*legacy_rt)(void) =
        (runtime_params_v1_blob (*)(void))dlsym(RTLD_DEFAULT, "parley_runtime_default_params");
    CHECK(legacy_rt != NULL, "the 0.1 symbol parley_runtime_default_params is exported");
    if (legacy_rt) {
        runtime_params_v1_blob b = legacy_rt();
        size_t size;
        memcpy(&size, b.bytes, sizeof size);
        CHECK(size == PARLEY_RUNTIME_PARAMS_V1_SIZE, "legacy runtime struct_size %zu", size);
        CHECK(memcmp(b.bytes + sizeof(size_t), (const unsigned char *)&rp + sizeof(size_t),
                     PARLEY_RUNTIME_PARAMS_V1_SIZE - sizeof(size_t)) == 0, "legacy runtime defaults equal the V1 prefix");
    }
    /* An old caller's runtime params: exactly V1 bytes on the heap (valgrind flags any read past them). */
    parley_runtime_params *old_rp = malloc(PARLEY_RUNTIME_PARAMS_V1_SIZE);
    if (!old_rp) return 1;
    memcpy(old_rp, &rp, PARLEY_RUNTIME_PARAMS_V1_SIZE);
    old_rp->struct_size = PARLEY_RUNTIME_PARAMS_V1_SIZE;
    parley_runtime *rt_old = NULL;
    st = parley_runtime_create(old_rp, &rt_old);
    CHECK(st == PARLEY_OK && rt_old, "V1-size runtime params: %s %s", parley_status_string(st), parley_last_error());
    parley_runtime_destroy(rt_old);
    free(old_rp);
    rp.n_threads = 65;
    parley_runtime *rt2 = (parley_runtime *)0x1;
    st = parley_runtime_create(&rp, &rt2);
    CHECK(st == PARLEY_ERR_INVALID_ARGUMENT && rt2 == NULL && strstr(parley_last_error(), "0…64"),
          "n_threads 65: %s %s", parley_status_string(st), parley_last_error());

    parley_npc_destroy(npc_old);
    parley_npc_destroy(npc_cut);
    parley_npc_destroy(npc_new);
    parley_runtime_destroy(rt);
    if (failures) { fprintf(stderr, "%d check(s) failed\n", failures); return 1; }
    printf("struct versions: all checks passed (V1 sizes: runtime %d, npc %d, event %d, stats %d; now %zu, %zu, %zu, %zu)\n",
           PARLEY_RUNTIME_PARAMS_V1_SIZE, PARLEY_NPC_PARAMS_V1_SIZE, PARLEY_EVENT_V1_SIZE, PARLEY_STATS_V1_SIZE,
           sizeof(parley_runtime_params), sizeof(parley_npc_params), sizeof(parley_event), sizeof(parley_stats));
    return 0;
}
