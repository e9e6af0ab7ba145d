/* quest_hooks.c — an NPC that acts on the game world through a tool ("quest hook").
 *
 *   cc quest_hooks.c $(pkg-config --cflags --libs parley) -o quest_hooks
 *   ./quest_hooks [model.gguf] [voice.onnx]
 *
 * Brom the blacksmith may call sell_item {item: sword|shield|healing_potion,
 * quantity: 1…5}. The game guards it (no more than 3 at once: the stock on the
 * rack) and runs it on its own thread when the TOOL_CALL event arrives, then
 * answers with parley_tool_result() and the turn resumes. The player asks for
 * one sword. Whether the model decides to call the tool is up to the model; the
 * program checks that whatever happens is consistent: a call's arguments parse
 * and match the schema, the turn resumes after the answer and ends with DONE
 * PARLEY_OK and a reply. Prints a summary line starting "quest_hooks: DONE OK"
 * on success. Then the player asks for five shields: the guard, asked before the
 * NPC writes a call, refuses, so no call reaches the game and Brom says no
 * ("quest_hooks: refused before any call: yes"). Exits non-zero on any failure. Models are found by bare name in
 * $PARLEY_MODELS or ./models. */
#include <parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Just enough JSON for the arguments of sell_item, which the runtime has already
 * validated against the schema: the value of "key" as a string or an integer.
 * A game would use its own JSON library here. */
static const char *json_value(const char *json, const char *key) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *p = strstr(json, quoted);
    if (!p) return NULL;
    p += strlen(quoted);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p++ != ':') return NULL;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

static int json_string(const char *json, const char *key, char *out, size_t cap) {
    const char *p = json_value(json, key);
    if (!p || *p != '"') return 0;
    p++;
    size_t n = 0;
    while (*p && *p != '"' && *p != '\\' && n + 1 < cap) out[n++] = *p++;
    out[n] = 0;
    return *p == '"';
}

static int json_int(const char *json, const char *key, long *out) {
    const char *p = json_value(json, key);
    if (!p) return 0;
    char *end;
    *out = strtol(p, &end, 10);
    return end != p && (*end == ',' || *end == '}' || *end == ' ' || *end == '\n');
}

typedef struct shop {
    int stock_per_item;   /* the guard's limit */
    int guard_calls;
    int refusals;
} shop;

/* The game's precondition, called inside parley_poll() on this thread. */
static int sell_guard(void *user_data, const char *tool, const char *arguments_json, char *reason, size_t cap) {
    shop *s = user_data;
    s->guard_calls++;
    long quantity = 0;
    if (!json_int(arguments_json, "quantity", &quantity)) {
        snprintf(reason, cap, "%s: no quantity given", tool);
        s->refusals++;
        return 0;
    }
    if (quantity > s->stock_per_item) {
        snprintf(reason, cap, "only %d of each item are on the rack", s->stock_per_item);
        s->refusals++;
        return 0;
    }
    return 1;
}

static const char *sell_schema =
    "{\"type\":\"object\","
    " \"properties\":{"
    "  \"item\":{\"type\":\"string\",\"enum\":[\"sword\",\"shield\",\"healing_potion\"]},"
    "  \"quantity\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5}},"
    " \"required\":[\"item\",\"quantity\"]}";

static int price_of(const char *item) {
    if (strcmp(item, "sword") == 0) return 40;
    if (strcmp(item, "shield") == 0) return 25;
    if (strcmp(item, "healing_potion") == 0) return 10;
    return -1;
}

typedef struct turn_result {
    int calls, answered, rejected, texts_after_call, audio, reply_ok;
    parley_status outcome;
    char reply[4096];
} turn_result;

/* Says `line` and polls until its DONE, running sell_item calls against the player's gold.
 * Returns nonzero on a failure of the API or of the checks on a call. */
static int run_turn(parley_runtime *rt, parley_npc *npc, const char *line, int *gold_left, double timeout_s,
                    turn_result *r) {
    memset(r, 0, sizeof *r);
    r->outcome = PARLEY_ERR_INTERNAL;
    uint64_t turn_id = 0;
    parley_status st;
    if ((st = parley_npc_say(npc, line, &turn_id)) != PARLEY_OK) {
        fprintf(stderr, "say: %s: %s\n", parley_status_string(st), parley_last_error());
        return 1;
    }
    printf("you> %s\n", line);
    int failed = 0, done = 0, gold = *gold_left;
    double deadline = now_s() + timeout_s;
    while (!done) {
        if (now_s() > deadline) { fprintf(stderr, "timed out after %.0f s\n", timeout_s); failed = 1; break; }
        parley_event ev;
        memset(&ev, 0, sizeof ev);
        ev.struct_size = sizeof ev;
        st = parley_poll(rt, &ev);
        if (st == PARLEY_NO_EVENT) { sleep_ms(2); continue; }  /* a game renders a frame here */
        if (st != PARLEY_OK) { fprintf(stderr, "poll: %s\n", parley_last_error()); failed = 1; break; }
        if (ev.turn_id != turn_id) continue;
        switch (ev.type) {
        case PARLEY_EVENT_TEXT:
            if (r->calls > 0) r->texts_after_call++;
            fputs(ev.text, stdout);
            fflush(stdout);
            strncat(r->reply, ev.text, sizeof r->reply - strlen(r->reply) - 1);
            break;
        case PARLEY_EVENT_AUDIO:
            r->audio++;
            break;
        case PARLEY_EVENT_TOOL_CALL: {
            r->calls++;
            printf("\n[tool call %s: %s %s]\n", ev.call_id ? ev.call_id : "(no id)", ev.name ? ev.name : "?",
                   ev.text ? ev.text : "");
            /* The game runs the action on its thread; the payloads live until the next poll. */
            char item[32], result[256];
            long quantity = 0;
            int price;
            if (!ev.call_id || !ev.name || strcmp(ev.name, "sell_item") != 0 || !ev.text ||
                !json_string(ev.text, "item", item, sizeof item) || !json_int(ev.text, "quantity", &quantity) ||
                quantity < 1 || quantity > 3 || (price = price_of(item)) < 0) {
                fprintf(stderr, "the call does not match the tool's schema and guard: %s\n", ev.text ? ev.text : "(null)");
                failed = 1;
                /* Still answer it, so the turn does not wait forever. */
                st = parley_tool_result(npc, ev.call_id ? ev.call_id : "", PARLEY_ERR_INVALID_ARGUMENT,
                                        "{\"error\":\"unexpected arguments\"}");
                break;
            }
            long cost = price * quantity;
            if (cost > gold) {
                snprintf(result, sizeof result, "{\"error\":\"the player has only %d gold\"}", gold);
                st = parley_tool_result(npc, ev.call_id, PARLEY_ERR_INVALID_STATE, result);
            } else {
                gold -= (int)cost;
                snprintf(result, sizeof result, "{\"ok\":true,\"item\":\"%s\",\"quantity\":%ld,\"paid_gold\":%ld,\"player_gold_left\":%d}",
                         item, quantity, cost, gold);
                st = parley_tool_result(npc, ev.call_id, PARLEY_OK, result);
            }
            if (st == PARLEY_OK) { r->answered++; printf("[game: %s]\n", result); }
            else { fprintf(stderr, "parley_tool_result: %s: %s\n", parley_status_string(st), parley_last_error()); failed = 1; }
            break;
        }
        case PARLEY_EVENT_ERROR:
            if (ev.status == PARLEY_ERR_TOOL_REJECTED) {
                r->rejected++;
                printf("\n[rejected %s %s: %s]\n", ev.name ? ev.name : "?", ev.tool_arguments ? ev.tool_arguments : "",
                       ev.text ? ev.text : "");
            } else {
                fprintf(stderr, "\n[error %s: %s]\n", parley_status_string(ev.status), ev.text ? ev.text : "");
            }
            break;
        case PARLEY_EVENT_DONE:
            r->outcome = ev.status;
            done = 1;
            break;
        default:
            break;
        }
    }
    printf("\n");
    *gold_left = gold;
    r->reply_ok = r->reply[strspn(r->reply, " \t\r\n")] != 0;
    return failed;
}

int main(int argc, char **argv) {
    const char *model = argc > 1 ? argv[1] : "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf";
    const char *voice = argc > 2 ? argv[2] : NULL;
    double timeout_s = getenv("QUEST_HOOKS_TIMEOUT") ? atof(getenv("QUEST_HOOKS_TIMEOUT")) : 300;

    parley_runtime_params rp = parley_runtime_default_params();
    rp.model_path = model;
    rp.voice_path = voice;
    rp.seed = 7;
    parley_runtime *rt = NULL;
    if (parley_runtime_create(&rp, &rt) != PARLEY_OK) {
        fprintf(stderr, "parley_runtime_create: %s\n", parley_last_error());
        return 1;
    }

    const char *lore[] = { "Brom's prices: a sword is 40 gold, a shield 25 gold, a healing potion 10 gold.",
                           "Brom sells with the sell_item action; he never hands out goods without it." };
    parley_npc_params np = parley_npc_default_params();
    np.name = "Brom";
    np.persona = "Brom, the village blacksmith. Gruff, honest, few words. Sells what he forges.";
    np.knowledge = lore;
    np.n_knowledge = 2;
    np.max_reply_tokens = 64;
    np.temperature = 0;  /* greedy: the same run every time */
    parley_npc *npc = NULL;
    if (parley_npc_create(rt, &np, &npc) != PARLEY_OK) {
        fprintf(stderr, "parley_npc_create: %s\n", parley_last_error());
        parley_runtime_destroy(rt);
        return 1;
    }

    shop rack = { 3, 0, 0 };
    parley_status st;
    if ((st = parley_npc_add_tool(npc, "sell_item", "Sell the player items from the forge; takes their gold.",
                                  sell_schema)) != PARLEY_OK ||
        (st = parley_npc_set_tool_guard(npc, "sell_item", sell_guard, &rack)) != PARLEY_OK ||
        (st = parley_npc_set_tool_rate_limit(npc, "sell_item", 2, 60)) != PARLEY_OK) {
        fprintf(stderr, "tool setup: %s: %s\n", parley_status_string(st), parley_last_error());
        parley_npc_destroy(npc);
        parley_runtime_destroy(rt);
        return 1;
    }

    int gold = 100, failed = 0;
    /* 1. A request the game allows: the call, the game's answer, the NPC telling the outcome. */
    turn_result first;
    failed |= run_turn(rt, npc, "Sell me one sword, please.", &gold, timeout_s, &first);
    if (first.outcome != PARLEY_OK) { fprintf(stderr, "the turn ended with %s\n", parley_status_string(first.outcome)); failed = 1; }
    if (first.calls > 0 && first.answered != first.calls) { fprintf(stderr, "%d of %d calls answered\n", first.answered, first.calls); failed = 1; }
    if (first.calls > 0 && !first.reply_ok) { fprintf(stderr, "no reply after the tool call\n"); failed = 1; }
    if (rack.guard_calls < first.calls) { fprintf(stderr, "a call bypassed the guard\n"); failed = 1; }
    printf("quest_hooks: DONE %s; tool calls: %d (answered %d, text after a call: %s), rejected: %d "
           "(guard ran %d times, refused %d); player gold: %d; audio chunks: %d; reply: %s\n",
           first.outcome == PARLEY_OK ? "OK" : parley_status_string(first.outcome), first.calls, first.answered,
           first.texts_after_call > 0 ? "yes" : "no", first.rejected, rack.guard_calls, rack.refusals, gold, first.audio,
           first.reply_ok ? "non-empty" : "empty");
    if (first.calls == 0) printf("quest_hooks: the model did not call sell_item this time (allowed; the reply was text only)\n");

    /* 2. A request the guard refuses (5 shields, 3 on the rack): the guard is asked before the
     * NPC writes a call, so no call is made and the NPC says no. */
    int refusals_before = rack.refusals, guard_before = rack.guard_calls;
    turn_result second;
    failed |= run_turn(rt, npc, "Sell me five shields, please.", &gold, timeout_s, &second);
    int asked_first = rack.guard_calls > guard_before && rack.refusals > refusals_before && second.calls == 0 && second.rejected == 0;
    if (second.outcome != PARLEY_OK || !second.reply_ok) { fprintf(stderr, "the refused request did not end DONE OK with a reply\n"); failed = 1; }
    if (second.calls > 0) { fprintf(stderr, "a call the guard refuses reached the game\n"); failed = 1; }
    printf("quest_hooks: refused before any call: %s (guard ran %d more times, refused %d); reply: %s\n",
           asked_first ? "yes" : "no", rack.guard_calls - guard_before, rack.refusals - refusals_before,
           second.reply_ok ? "non-empty" : "empty");

    parley_npc_destroy(npc);
    parley_runtime_destroy(rt);
    return failed ? 1 : 0;
}
