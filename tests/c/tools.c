/* The tool functions of parley.h (parley_npc_add_tool, parley_npc_set_tool_guard,
 * parley_npc_set_tool_rate_limit, parley_tool_result): argument checking, status
 * codes and parley_last_error() messages, against the built library without a
 * model (fast enough for valgrind, which also flags any read past a string the
 * library was given). Exits non-zero on a failed check. */
#include <parley.h>
#include "check.h"
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* An error status and a message containing `needle`. */

/* The 0.2 event fields for tools come after type_name, in this order. */
_Static_assert(offsetof(parley_event, call_id) == offsetof(parley_event, type_name) + sizeof(const char *), "call_id");
_Static_assert(offsetof(parley_event, tool_arguments) == offsetof(parley_event, call_id) + sizeof(const char *), "tool_arguments");

static const char *sell_schema =
    "{\"type\":\"object\",\"properties\":{"
    "\"item\":{\"type\":\"string\",\"enum\":[\"sword\",\"shield\",\"healing_potion\"]},"
    "\"quantity\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5}},"
    "\"required\":[\"item\",\"quantity\"]}";

static int never_called(void *user_data, const char *tool, const char *args, char *reason, size_t cap) {
    (void)tool; (void)args; (void)reason; (void)cap;
    ++*(int *)user_data;
    return 1;
}

int main(void) {
    parley_runtime *rt = NULL;
    parley_status st = parley_runtime_create(NULL, &rt);
    CHECK(st == PARLEY_OK && rt, "runtime without models: %s %s", parley_status_string(st), parley_last_error());
    if (!rt) return 1;
    parley_npc_params np = parley_npc_default_params();
    np.name = "Brom";
    parley_npc *npc = NULL;
    st = parley_npc_create(rt, &np, &npc);
    CHECK(st == PARLEY_OK && npc, "npc: %s %s", parley_status_string(st), parley_last_error());
    if (!npc) return 1;

    /* parley_npc_add_example / parley_npc_add_authored_line (0.4): NULLs, UTF-8, bounds */
    EXPECT_ERR(parley_npc_add_example(NULL, "Hi", "Hm."), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_add_example(npc, NULL, "Hm."), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_add_example(npc, "Hi", "\xff"), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");
    EXPECT_ERR(parley_npc_add_example(npc, "", "Hm."), PARLEY_ERR_INVALID_ARGUMENT, "example player line");
    for (int i = 0; i < 16; i++) EXPECT_OK(parley_npc_add_example(npc, "Hello.", "Hm. Need something forged?"));
    EXPECT_ERR(parley_npc_add_example(npc, "Hello.", "Hm."), PARLEY_ERR_INVALID_ARGUMENT, "number of examples");
    EXPECT_ERR(parley_npc_add_authored_line(npc, NULL, "x"), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_add_authored_line(npc, "How much?", NULL), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_add_authored_line(npc, "\xc3", "x"), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");
    EXPECT_OK(parley_npc_add_authored_line(npc, "How much is a sword?", "Twelve silver, and worth every coin."));
    {
        size_t size = 0;
        EXPECT_OK(parley_npc_save(npc, NULL, 0, &size));
        char *buf = malloc(size + 1);
        CHECK(buf != NULL, "malloc");
        if (buf) {
            EXPECT_OK(parley_npc_save(npc, buf, size, &size));
            buf[size] = 0;
            CHECK(strstr(buf, "\"authored\":[{\"trigger\":\"How much is a sword?\"") != NULL, "authored line saved");
            free(buf);
        }
    }

    /* parley_npc_add_tool */
    EXPECT_ERR(parley_npc_add_tool(NULL, "sell_item", "Sell", sell_schema), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_add_tool(npc, NULL, "Sell", sell_schema), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_add_tool(npc, "sell_item", "Sell", NULL), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_add_tool(npc, "sell_item", "Sell", "{\"type\":\"object\","), PARLEY_ERR_INVALID_ARGUMENT,
               "invalid JSON");
    EXPECT_ERR(parley_npc_add_tool(npc, "sell_item", "Sell", "{\"type\":\"string\"}"), PARLEY_ERR_INVALID_ARGUMENT,
               "object schema");
    EXPECT_ERR(parley_npc_add_tool(npc, "sell_item", "Sell",
                                   "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"minimum\":5,\"maximum\":1}}}"),
               PARLEY_ERR_INVALID_ARGUMENT, "parameters.properties.n");
    EXPECT_ERR(parley_npc_add_tool(npc, "sell_item", "Sell", "{\"type\":\"object\",\"format\":\"x\"}"),
               PARLEY_ERR_INVALID_ARGUMENT, "unsupported keyword 'format'");
    EXPECT_ERR(parley_npc_add_tool(npc, "sell item", "Sell", sell_schema), PARLEY_ERR_INVALID_ARGUMENT, "tool name");
    EXPECT_ERR(parley_npc_add_tool(npc, "", "Sell", sell_schema), PARLEY_ERR_INVALID_ARGUMENT, "tool name");
    EXPECT_ERR(parley_npc_add_tool(npc, "sell\xff", "Sell", sell_schema), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");
    EXPECT_ERR(parley_npc_add_tool(npc, "sell_item", "Sell \xc3", sell_schema), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");
    EXPECT_ERR(parley_npc_add_tool(npc, "sell_item", "Sell\x01", sell_schema), PARLEY_ERR_INVALID_ARGUMENT, "control character");
    EXPECT_ERR(parley_npc_add_tool(npc, "sell_item", "Sell", "{\"type\":\"object\"} \xff"), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");
    char *long_desc = malloc(1100);
    if (!long_desc) return 1;
    memset(long_desc, 'a', 1099);
    long_desc[1099] = 0;
    EXPECT_ERR(parley_npc_add_tool(npc, "sell_item", long_desc, sell_schema), PARLEY_ERR_INVALID_ARGUMENT, "1024");
    free(long_desc);
    EXPECT_OK(parley_npc_add_tool(npc, "sell_item", "Sell the player an item from the forge.", sell_schema));
    EXPECT_OK(parley_npc_add_tool(npc, "sell_item", "Replaced: same name, one tool.", sell_schema));
    EXPECT_OK(parley_npc_add_tool(npc, "wave", NULL, "{\"type\":\"object\",\"properties\":{}}"));

    /* parley_npc_set_tool_guard */
    int calls = 0;
    EXPECT_ERR(parley_npc_set_tool_guard(NULL, "sell_item", never_called, &calls), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_set_tool_guard(npc, NULL, never_called, &calls), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_set_tool_guard(npc, "steal", never_called, &calls), PARLEY_ERR_INVALID_ARGUMENT, "no tool \"steal\"");
    EXPECT_ERR(parley_npc_set_tool_guard(npc, "sell\xff", never_called, &calls), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");
    EXPECT_OK(parley_npc_set_tool_guard(npc, "sell_item", never_called, &calls));
    EXPECT_OK(parley_npc_set_tool_guard(npc, "sell_item", never_called, NULL));  /* replaced */
    EXPECT_OK(parley_npc_set_tool_guard(npc, "sell_item", NULL, NULL));          /* removed */
    EXPECT_OK(parley_npc_set_tool_guard(npc, "sell_item", NULL, NULL));          /* removing none is fine */
    EXPECT_OK(parley_npc_set_tool_guard(npc, "wave", never_called, &calls));     /* freed with the NPC */

    /* parley_npc_set_tool_rate_limit */
    EXPECT_ERR(parley_npc_set_tool_rate_limit(NULL, "sell_item", 3, 60), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_set_tool_rate_limit(npc, NULL, 3, 60), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_set_tool_rate_limit(npc, "steal", 3, 60), PARLEY_ERR_INVALID_ARGUMENT, "no tool");
    EXPECT_ERR(parley_npc_set_tool_rate_limit(npc, "sell_item", -1, 60), PARLEY_ERR_INVALID_ARGUMENT, "max calls");
    EXPECT_ERR(parley_npc_set_tool_rate_limit(npc, "sell_item", 1001, 60), PARLEY_ERR_INVALID_ARGUMENT, "max calls");
    EXPECT_ERR(parley_npc_set_tool_rate_limit(npc, "sell_item", 3, 0), PARLEY_ERR_INVALID_ARGUMENT, "rate window");
    EXPECT_ERR(parley_npc_set_tool_rate_limit(npc, "sell_item", 3, NAN), PARLEY_ERR_INVALID_ARGUMENT, "rate window");
    EXPECT_ERR(parley_npc_set_tool_rate_limit(npc, "sell_item", 3, INFINITY), PARLEY_ERR_INVALID_ARGUMENT, "rate window");
    EXPECT_ERR(parley_npc_set_tool_rate_limit(npc, "sell_item", 3, 1e300), PARLEY_ERR_INVALID_ARGUMENT, "rate window");
    EXPECT_OK(parley_npc_set_tool_rate_limit(npc, "sell_item", 3, 60));
    EXPECT_OK(parley_npc_set_tool_rate_limit(npc, "sell_item", 0, 60));  /* removed */

    /* parley_tool_result */
    EXPECT_ERR(parley_tool_result(NULL, "1.1", PARLEY_OK, "{}"), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_tool_result(npc, NULL, PARLEY_OK, "{}"), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_tool_result(npc, "1.1", PARLEY_OK, NULL), PARLEY_ERR_INVALID_ARGUMENT, "result_json");
    EXPECT_ERR(parley_tool_result(npc, "1.1", PARLEY_OK, "{\"ok\":true}"), PARLEY_ERR_INVALID_STATE,
               "not waiting for tool call \"1.1\"");
    EXPECT_ERR(parley_tool_result(npc, "1.1", PARLEY_ERR_INVALID_STATE, NULL), PARLEY_ERR_INVALID_STATE, "not waiting");
    EXPECT_ERR(parley_tool_result(npc, "1.1", PARLEY_ERR_TOOL_REJECTED, "{\"error\":\"out of stock\"}"),
               PARLEY_ERR_INVALID_STATE, "not waiting");
    EXPECT_ERR(parley_tool_result(npc, "1.\xff", PARLEY_OK, "{}"), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");
    EXPECT_ERR(parley_tool_result(npc, "1.1", PARLEY_OK, "{\"a\":\"\xe2\x82\"}"), PARLEY_ERR_INVALID_ARGUMENT, "UTF-8");
    /* Over the limit: refused before the call id is looked up; exactly 16384 bytes plus a NUL
     * on the heap, so valgrind flags any read past the string's end. */
    char *big = malloc(16386);
    if (!big) return 1;
    memset(big, ' ', 16385);
    big[16385] = 0;
    EXPECT_ERR(parley_tool_result(npc, "1.1", PARLEY_OK, big), PARLEY_ERR_INVALID_ARGUMENT, "16384");
    big[16384] = 0;
    EXPECT_ERR(parley_tool_result(npc, "1.1", PARLEY_OK, big), PARLEY_ERR_INVALID_STATE, "not waiting");
    free(big);

    /* No tool events without a model; the 0.2 tool fields of an empty poll are NULL. */
    parley_event ev;
    memset(&ev, 0x5A, sizeof ev);
    ev.struct_size = sizeof ev;
    st = parley_poll(rt, &ev);
    CHECK(st == PARLEY_NO_EVENT && ev.call_id == NULL && ev.tool_arguments == NULL, "empty poll: %s call_id %p",
          parley_status_string(st), (const void *)ev.call_id);
    CHECK(calls == 0, "a guard ran without a tool call (%d)", calls);

    parley_npc_destroy(npc);
    parley_runtime_destroy(rt);
    if (failures) { fprintf(stderr, "%d check(s) failed\n", failures); return 1; }
    printf("tools: all checks passed\n");
    return 0;
}
