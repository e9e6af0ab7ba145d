/* A program built against the 0.1 header (tests/c/old_header/parley.h, a frozen
 * copy) running on the current library: its structs are the V1 sizes, so the
 * library must read the new params fields from its defaults and never write past
 * the caller's struct_size. Real models: argv[1] dialogue model, argv[2] voice
 * (bare names are looked up in $PARLEY_MODELS). Compile with the V1 sizes of the
 * current header as -D flags (scripts/test does): they must equal this header's sizeof. */
#include <parley.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#if !defined(PARLEY_EVENT_V1_SIZE) || !defined(PARLEY_NPC_PARAMS_V1_SIZE) || \
    !defined(PARLEY_RUNTIME_PARAMS_V1_SIZE) || !defined(PARLEY_STATS_V1_SIZE)
#error "pass the current header's PARLEY_*_V1_SIZE values with -D"
#endif
_Static_assert(sizeof(parley_runtime_params) == PARLEY_RUNTIME_PARAMS_V1_SIZE, "0.1 runtime params are V1");
_Static_assert(sizeof(parley_npc_params) == PARLEY_NPC_PARAMS_V1_SIZE, "0.1 npc params are V1");
_Static_assert(sizeof(parley_event) == PARLEY_EVENT_V1_SIZE, "0.1 event is V1");
_Static_assert(sizeof(parley_stats) == PARLEY_STATS_V1_SIZE, "0.1 stats are V1");

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

#define CANARY 0xC5
static int canary_intact(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) if (p[i] != CANARY) return 0;
    return 1;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    const char *model = argc > 1 ? argv[1] : "smollm2-135m-instruct-q4_1.gguf";
    const char *voice = argc > 2 ? argv[2] : "en_US-joe-medium.onnx";
    CHECK(parley_api_version() >> 16 == PARLEY_API_VERSION_MAJOR, "same major version");
    CHECK(parley_api_version() >= (uint32_t)PARLEY_API_VERSION, "library %x is at least the header's %x",
          parley_api_version(), (unsigned)PARLEY_API_VERSION);

    parley_runtime_params rp = parley_runtime_default_params();
    CHECK(rp.struct_size == sizeof rp, "runtime params struct_size %zu", rp.struct_size);
    rp.model_path = model;
    rp.voice_path = voice;
    rp.n_ctx = 1024;
    parley_runtime *rt = NULL;
    parley_status st = parley_runtime_create(&rp, &rt);
    CHECK(st == PARLEY_OK && rt, "runtime: %s %s", parley_status_string(st), parley_last_error());
    if (!rt) return 1;

    /* The 0.1 by-value defaults: the V1 layout, nothing written past it. */
    struct { parley_npc_params p; unsigned char canary[32]; } np;
    memset(&np, CANARY, sizeof np);
    np.p = parley_npc_default_params();
    CHECK(canary_intact(np.canary, sizeof np.canary), "parley_npc_default_params wrote past the 0.1 struct");
    CHECK(np.p.struct_size == sizeof np.p && np.p.max_reply_tokens == 96 && np.p.voice_rate == 1.0f,
          "0.1 defaults: struct_size %zu max_reply_tokens %d", np.p.struct_size, np.p.max_reply_tokens);
    np.p.name = "Mara";
    np.p.persona = "Innkeeper of the Drowned Lantern; warm, gossipy.";
    const char *lore[] = { "The lighthouse went dark forty years ago." };
    np.p.knowledge = lore;
    np.p.n_knowledge = 1;
    np.p.max_reply_tokens = 16;
    np.p.temperature = 0;
    parley_npc *npc = NULL;
    st = parley_npc_create(rt, &np.p, &npc);
    CHECK(st == PARLEY_OK && npc, "npc: %s %s", parley_status_string(st), parley_last_error());
    if (!npc) { parley_runtime_destroy(rt); return 1; }
    uint64_t npc_id = parley_npc_id(npc), turn = 0;
    st = parley_npc_say(npc, "Any work for me?", &turn);
    CHECK(st == PARLEY_OK && turn != 0, "say: %s %s", parley_status_string(st), parley_last_error());

    struct { parley_event e; unsigned char canary[32]; } ev;
    int n_text = 0, n_audio = 0, n_route = 0, done = 0;
    char reply[2048] = "";
    double deadline = now_s() + 120;
    while (!done && now_s() < deadline) {
        memset(&ev, CANARY, sizeof ev);
        ev.e.struct_size = sizeof ev.e;
        st = parley_poll(rt, &ev.e);
        CHECK(canary_intact(ev.canary, sizeof ev.canary), "parley_poll wrote past the 0.1 event (type %d)", (int)ev.e.type);
        CHECK(ev.e.struct_size == sizeof ev.e, "struct_size changed to %zu", ev.e.struct_size);
        if (st == PARLEY_NO_EVENT) {
            CHECK(ev.e.type == PARLEY_EVENT_NONE, "NO_EVENT has type NONE");
            struct timespec ts = { 0, 2000000 };  /* a game would render a frame here */
            nanosleep(&ts, NULL);
            continue;
        }
        CHECK(st == PARLEY_OK, "poll: %s %s", parley_status_string(st), parley_last_error());
        if (st != PARLEY_OK) break;
        CHECK(ev.e.type >= PARLEY_EVENT_TEXT && ev.e.type <= PARLEY_EVENT_ERROR, "event type %d", (int)ev.e.type);
        if (ev.e.turn_id != turn) continue;  /* runtime-wide events (e.g. a template notice) */
        CHECK(ev.e.npc_id == npc_id, "npc_id %llu, expected %llu", (unsigned long long)ev.e.npc_id, (unsigned long long)npc_id);
        CHECK(ev.e.t_ms >= 0, "t_ms %f", ev.e.t_ms);
        switch (ev.e.type) {
        case PARLEY_EVENT_TEXT:
            CHECK(ev.e.text && ev.e.text_len > 0 && strlen(ev.e.text) == ev.e.text_len, "TEXT payload");
            if (ev.e.text && strlen(reply) + ev.e.text_len < sizeof reply) strcat(reply, ev.e.text);
            n_text++;
            break;
        case PARLEY_EVENT_AUDIO:
            CHECK(ev.e.samples && ev.e.n_samples > 0 && ev.e.sample_rate > 0 && ev.e.end_sample > ev.e.start_sample,
                  "AUDIO payload: %zu samples at %d Hz", ev.e.n_samples, ev.e.sample_rate);
            n_audio++;
            break;
        case PARLEY_EVENT_ROUTE:
            CHECK(ev.e.text && strstr(ev.e.text, "\"route\""), "ROUTE payload: %s", ev.e.text ? ev.e.text : "(null)");
            n_route++;
            break;
        case PARLEY_EVENT_DONE:
            CHECK(ev.e.status == PARLEY_OK, "DONE status %s", parley_status_string(ev.e.status));
            CHECK(ev.e.text && ev.e.text_len > 0, "DONE carries the whole reply");
            done = 1;
            break;
        case PARLEY_EVENT_ERROR:
            CHECK(0, "ERROR event: %s %s", parley_status_string(ev.e.status), ev.e.text ? ev.e.text : "");
            break;
        default:
            break;
        }
    }
    CHECK(done, "the turn ended with DONE within 120 s");
    CHECK(n_text > 0 && reply[0] != '\0', "streamed text");
    CHECK(n_audio > 0, "spoke (AUDIO events)");
    printf("mara (%d TEXT, %d AUDIO, %d ROUTE): %s\n", n_text, n_audio, n_route, reply);

    struct { parley_stats s; unsigned char canary[32]; } stats;
    memset(&stats, CANARY, sizeof stats);
    stats.s.struct_size = sizeof stats.s;
    st = parley_runtime_stats(rt, &stats.s);
    CHECK(st == PARLEY_OK && stats.s.npc_count == 1 && stats.s.turns_completed == 1 && stats.s.tokens_generated > 0
          && stats.s.last_turn_id == turn, "stats: %s npcs %u turns %llu", parley_status_string(st), stats.s.npc_count,
          (unsigned long long)stats.s.turns_completed);
    CHECK(canary_intact(stats.canary, sizeof stats.canary), "parley_runtime_stats wrote past the 0.1 struct");

    parley_npc_destroy(npc);
    parley_runtime_destroy(rt);
    if (failures) { fprintf(stderr, "%d check(s) failed\n", failures); return 1; }
    printf("old caller (0.1 header): all checks passed against library %s\n", parley_version());
    return 0;
}
