/* The remote model and the router through the C ABI (parley.h 0.3):
 *   1. without models: the new runtime params' defaults, and every bad remote or
 *      router value refused with PARLEY_ERR_INVALID_ARGUMENT (the API key never echoed);
 *   2. with SmolLM2 (argv[1], a bare name is looked up in $PARLEY_MODELS): a remote
 *      that refuses connections (a loopback port bound, read and closed here), an NPC
 *      whose policy is remote; the turn must go ROUTE remote → ERROR (network/remote,
 *      "…the local model finishes the turn") → ROUTE local "fallback" → TEXT → DONE OK,
 *      the stats must count one fallback, and the key must appear in no event.
 * A missing model skips part 2 (exit 0) unless PARLEY_REQUIRE_MODELS=1.
 * Run under valgrind by scripts/test. Exits non-zero on a failed check. */
#include <parley.h>
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

/* A key that must never come back out of the library. */
static const char *const SECRET = "sk-parley-test-5ecret-7f3a";

/* The 0.3 fields follow the V1 prefix in the documented order, 8-byte aligned as a whole. */
_Static_assert(offsetof(parley_runtime_params, remote_url) == PARLEY_RUNTIME_PARAMS_V1_SIZE, "remote_url after V1");
_Static_assert(sizeof(parley_runtime_params) == PARLEY_RUNTIME_PARAMS_V1_SIZE + 56, "runtime params 0.3 size");
_Static_assert(offsetof(parley_stats, remote_tokens) == PARLEY_STATS_V1_SIZE, "stats remote_tokens after V1");
_Static_assert(sizeof(parley_stats) == PARLEY_STATS_V1_SIZE + 16, "stats 0.3 size");

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A loopback port nobody listens on: bound by the kernel's choice, read, closed. */
static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Create must fail with INVALID_ARGUMENT, leave *out NULL, and say `needle`. */
static void refused(const char *what, const parley_runtime_params *p, const char *needle) {
    parley_runtime *rt = (parley_runtime *)0x1;
    parley_status st = parley_runtime_create(p, &rt);
    const char *msg = parley_last_error();
    CHECK(st == PARLEY_ERR_INVALID_ARGUMENT && rt == NULL && strstr(msg, needle) != NULL,
          "%s: %s, message \"%s\" (expected \"%s\")", what, parley_status_string(st), msg, needle);
    CHECK(strstr(msg, SECRET) == NULL, "%s: the API key appears in parley_last_error()", what);
    if (st == PARLEY_OK) parley_runtime_destroy(rt);
}

static void invalid_params(const char *url) {
    parley_runtime_params d = parley_runtime_default_params();
    CHECK(d.struct_size == sizeof d, "struct_size %zu", d.struct_size);
    CHECK(d.remote_url == NULL && d.remote_model == NULL && d.remote_api_key == NULL, "no remote by default");
    CHECK(d.remote_first_byte_timeout_ms == 0 && d.remote_max_retries == -1 && d.router_threshold == 0.25f
          && d.remote_token_budget == 0 && d.remote_tokens_per_minute == 0 && d.router_latency_budget_ms == 0,
          "remote and router defaults: timeout %d retries %d threshold %g", d.remote_first_byte_timeout_ms,
          d.remote_max_retries, d.router_threshold);

    parley_runtime_params p = d;
    p.remote_api_key = SECRET;
    p.remote_url = "ftp://x";
    refused("remote_url ftp://x", &p, "http://");
    p.remote_url = "http://exa mple/v1";
    refused("remote_url with a space", &p, "spaces");
    p.remote_url = "\xff\xfe";
    refused("remote_url not UTF-8", &p, "UTF-8");

    p = d;
    p.remote_url = url;
    p.remote_api_key = SECRET;
    p.router_threshold = NAN;
    refused("router_threshold NaN", &p, "threshold");
    p.router_threshold = 5;
    refused("router_threshold 5", &p, "threshold");
    p.router_threshold = -0.1f;
    refused("router_threshold -0.1", &p, "threshold");
    p.router_threshold = 0.5f;
    p.remote_max_retries = 9;
    refused("remote_max_retries 9", &p, "retries");
    p.remote_max_retries = -2;
    refused("remote_max_retries -2", &p, "retries");
    p.remote_max_retries = -1;
    p.remote_first_byte_timeout_ms = -5;
    refused("remote_first_byte_timeout_ms -5", &p, "first-byte timeout");
    p.remote_first_byte_timeout_ms = 0;
    p.remote_token_budget = -1;
    refused("remote_token_budget -1", &p, "budget");
    p.remote_token_budget = 0;
    p.remote_tokens_per_minute = -1;
    refused("remote_tokens_per_minute -1", &p, "budget");
    p.remote_tokens_per_minute = 0;
    p.router_latency_budget_ms = 600001;
    refused("router_latency_budget_ms 600001", &p, "latency budget");
    p.router_latency_budget_ms = 0;
    char bad_key[64];
    snprintf(bad_key, sizeof bad_key, "%s\n", SECRET);
    p.remote_api_key = bad_key;
    refused("remote_api_key with a newline", &p, "API key");

    /* The router fields are checked without a remote too. */
    p = d;
    p.router_threshold = NAN;
    refused("router_threshold NaN without a remote", &p, "threshold");

    /* A 0.2 caller's struct ends before the remote fields: what lies past it is never read
     * (here 0xff bytes, which as remote_url would crash or be refused). */
    p = d;
    memset((unsigned char *)&p + PARLEY_RUNTIME_PARAMS_V1_SIZE, 0xff, sizeof p - PARLEY_RUNTIME_PARAMS_V1_SIZE);
    p.struct_size = PARLEY_RUNTIME_PARAMS_V1_SIZE;
    parley_runtime *rt = NULL;
    parley_status st = parley_runtime_create(&p, &rt);
    CHECK(st == PARLEY_OK && rt, "V1-size params with garbage past them: %s %s", parley_status_string(st), parley_last_error());
    parley_runtime_destroy(rt);

    /* Valid remote settings without a local model: created (nothing is sent yet). */
    p = d;
    p.remote_url = url;
    p.remote_model = "big";
    p.remote_api_key = SECRET;
    p.remote_first_byte_timeout_ms = 2000;
    p.remote_max_retries = 0;
    p.router_threshold = 2;
    p.remote_token_budget = 100000;
    p.remote_tokens_per_minute = 5000;
    p.router_latency_budget_ms = 1500;
    rt = NULL;
    st = parley_runtime_create(&p, &rt);
    CHECK(st == PARLEY_OK && rt, "valid remote settings: %s %s", parley_status_string(st), parley_last_error());
    parley_runtime_destroy(rt);
}

/* Whether `text` (may be NULL) leaks the key. */
static int leaks(const char *text) { return text && strstr(text, SECRET) != NULL; }

static int fallback_turn(const char *model, const char *url) {
    parley_runtime_params p = parley_runtime_default_params();
    p.model_path = model;
    p.n_ctx = 512;
    p.remote_url = url;
    p.remote_model = "big";
    p.remote_api_key = SECRET;
    p.remote_max_retries = 0;  /* one refused connection is enough */
    parley_runtime *rt = NULL;
    parley_status st = parley_runtime_create(&p, &rt);
    if (st == PARLEY_ERR_FILE_NOT_FOUND) {
        const char *require = getenv("PARLEY_REQUIRE_MODELS");
        if (require && strcmp(require, "1") == 0) {
            fprintf(stderr, "FAIL: %s not found and PARLEY_REQUIRE_MODELS=1: %s\n", model, parley_last_error());
            return 1;
        }
        printf("remote_fallback: SKIP the real turn: %s not found (PARLEY_MODELS or models/)\n", model);
        return 0;
    }
    CHECK(st == PARLEY_OK && rt, "runtime: %s %s", parley_status_string(st), parley_last_error());
    if (!rt) return 1;

    parley_npc_params np = parley_npc_default_params();
    np.name = "Mara";
    np.persona = "Innkeeper of the Drowned Lantern; warm, gossipy.";
    np.policy = PARLEY_ROUTE_REMOTE;
    np.max_reply_tokens = 8;
    np.temperature = 0;
    parley_npc *npc = NULL;
    st = parley_npc_create(rt, &np, &npc);
    CHECK(st == PARLEY_OK && npc, "npc: %s %s", parley_status_string(st), parley_last_error());
    if (!npc) { parley_runtime_destroy(rt); return 1; }
    uint64_t turn = 0;
    st = parley_npc_say(npc, "Any work for me?", &turn);
    CHECK(st == PARLEY_OK && turn != 0, "say: %s %s", parley_status_string(st), parley_last_error());

    /* The turn's events in order: R = ROUTE remote, E = ERROR (fallback), L = ROUTE local
     * fallback, T = TEXT, D = DONE OK; anything else is '?'. */
    char seq[256] = "";
    size_t n_seq = 0;
    char reply[1024] = "";
    int done = 0;
    double deadline = now_s() + 900;  /* a real forward pass under valgrind */
    while (!done && now_s() < deadline) {
        parley_event ev;
        ev.struct_size = sizeof ev;
        st = parley_poll(rt, &ev);
        if (st == PARLEY_NO_EVENT) {
            struct timespec ts = { 0, 2000000 };
            nanosleep(&ts, NULL);
            continue;
        }
        CHECK(st == PARLEY_OK, "poll: %s %s", parley_status_string(st), parley_last_error());
        if (st != PARLEY_OK) break;
        CHECK(!leaks(ev.text) && !leaks(ev.name) && !leaks(ev.tool_arguments), "the API key appears in a %s event",
              ev.type_name);
        if (ev.turn_id != turn) continue;  /* runtime-wide notices */
        char c = '?';
        switch (ev.type) {
        case PARLEY_EVENT_ROUTE:
            if (ev.text && strstr(ev.text, "\"route\":\"remote\"")) c = 'R';
            else if (ev.text && strstr(ev.text, "\"route\":\"local\"") && strstr(ev.text, "fallback: ")) c = 'L';
            CHECK(ev.text && strstr(ev.text, "\"reasons\":[") && strstr(ev.text, "\"cost\":") && strstr(ev.text, "\"latency_ms\":"),
                  "ROUTE keys: %s", ev.text ? ev.text : "(null)");
            printf("ROUTE %s\n", ev.text ? ev.text : "(null)");
            break;
        case PARLEY_EVENT_ERROR:
            if ((ev.status == PARLEY_ERR_NETWORK || ev.status == PARLEY_ERR_REMOTE) && ev.text
                && ends_with(ev.text, "the local model finishes the turn")) c = 'E';
            printf("ERROR %s: %s\n", parley_status_string(ev.status), ev.text ? ev.text : "(null)");
            break;
        case PARLEY_EVENT_TEXT:
            if (ev.text && ev.text_len > 0) c = 'T';
            if (ev.text && strlen(reply) + ev.text_len < sizeof reply) strcat(reply, ev.text);
            break;
        case PARLEY_EVENT_DONE:
            CHECK(ev.status == PARLEY_OK, "DONE status %s", parley_status_string(ev.status));
            if (ev.status == PARLEY_OK) c = 'D';
            done = 1;
            break;
        default:
            break;
        }
        /* consecutive TEXT deltas count once */
        if (n_seq + 1 < sizeof seq && !(c == 'T' && n_seq > 0 && seq[n_seq - 1] == 'T')) { seq[n_seq++] = c; seq[n_seq] = '\0'; }
    }
    CHECK(done, "the turn ended with DONE");
    CHECK(strcmp(seq, "RELTD") == 0, "event sequence %s, expected RELTD (ROUTE remote, ERROR, ROUTE local fallback, "
          "TEXT, DONE OK)", seq);
    CHECK(reply[strspn(reply, " \n\t")] != '\0', "the local model said something: \"%s\"", reply);
    printf("mara, finished locally: %s\n", reply);

    parley_stats s;
    s.struct_size = sizeof s;
    st = parley_runtime_stats(rt, &s);
    CHECK(st == PARLEY_OK && s.remote_fallbacks == 1 && s.remote_tokens == 0 && s.turns_completed == 1,
          "stats: %s fallbacks %llu remote tokens %llu turns %llu", parley_status_string(st),
          (unsigned long long)s.remote_fallbacks, (unsigned long long)s.remote_tokens, (unsigned long long)s.turns_completed);
    CHECK(!leaks(parley_last_error()), "the API key appears in parley_last_error()");

    parley_npc_destroy(npc);
    parley_runtime_destroy(rt);
    return 0;
}

int main(int argc, char **argv) {
    const char *model = argc > 1 ? argv[1] : "smollm2-135m-instruct-q4_1.gguf";
    int port = closed_port();
    CHECK(port > 0, "a free loopback port");
    if (port <= 0) return 1;
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", port);

    invalid_params(url);
    int rc = fallback_turn(model, url);
    if (failures || rc) { fprintf(stderr, "%d check(s) failed\n", failures); return 1; }
    printf("remote fallback: all checks passed (remote %s)\n", url);
    return 0;
}
