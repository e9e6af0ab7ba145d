/* parley_runtime_load_script: a designer's Lua script run by the runtime's own LuaJIT
 * state, driven by parley_poll. Bad scripts give status codes (missing file, syntax
 * error, an error at the top level); tests/c/scripts/inn.lua runs a real turn on
 * SmolLM2 inside a coroutine; its Lua errors (a text callback, update) come out as
 * ERROR events with PARLEY_ERR_SCRIPT and the turn still ends DONE OK; probe scripts,
 * loaded the same way, check the script's own view (the reply, update's dt, rt:poll
 * refused). Usage: script MODEL SCRIPT_DIR. Exits non-zero on a failed check. */
#include <parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

/* Writes `text` to a temporary .lua file and loads it; returns the status. */
static parley_status load_text(parley_runtime *rt, const char *text) {
    char path[] = "/tmp/parley-script-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return PARLEY_ERR_IO;
    size_t n = strlen(text);
    int written = write(fd, text, n) == (ssize_t)n;
    close(fd);
    parley_status st = written ? parley_runtime_load_script(rt, path) : PARLEY_ERR_IO;
    unlink(path);
    return st;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: script MODEL SCRIPT_DIR\n"); return 2; }
    parley_runtime_params p = parley_runtime_default_params();
    p.model_path = argv[1];
    p.n_ctx = 512;
    parley_runtime *rt = NULL;
    parley_status st = parley_runtime_create(&p, &rt);
    if (st != PARLEY_OK) { fprintf(stderr, "runtime: %s\n", parley_last_error()); return 1; }

    CHECK(parley_runtime_load_script(NULL, "x.lua") == PARLEY_ERR_INVALID_ARGUMENT, "NULL runtime");
    CHECK(parley_runtime_load_script(rt, NULL) == PARLEY_ERR_INVALID_ARGUMENT, "NULL path");
    st = parley_runtime_load_script(rt, "/nonexistent/quests.lua");
    CHECK(st == PARLEY_ERR_FILE_NOT_FOUND && strstr(parley_last_error(), "quests.lua"), "missing file: %s %s",
          parley_status_string(st), parley_last_error());
    st = load_text(rt, "local x = = 1\n");
    CHECK(st == PARLEY_ERR_SCRIPT && strstr(parley_last_error(), "unexpected symbol"), "syntax error: %s %s",
          parley_status_string(st), parley_last_error());
    st = load_text(rt, "error('the quest file is broken')\n");
    CHECK(st == PARLEY_ERR_SCRIPT && strstr(parley_last_error(), "the quest file is broken"), "top-level error: %s %s",
          parley_status_string(st), parley_last_error());
    st = load_text(rt, "local t = {} ; t = t.a.b\n");
    CHECK(st == PARLEY_ERR_SCRIPT, "index error: %s", parley_status_string(st));
    char globals[256];   /* the Lua module's version is the library's */
    snprintf(globals, sizeof globals,
             "assert(parley and rt and parley._VERSION == 'parley %s' and require('parley') == parley)\n"
             "assert(not pcall(rt.poll, rt))\nassert(rt:update(0) == 0)\n", parley_version());
    st = load_text(rt, globals);
    CHECK(st == PARLEY_OK, "the script's parley and rt: %s", parley_last_error());

    char inn[1024];
    snprintf(inn, sizeof inn, "%s/inn.lua", argv[2]);
    st = parley_runtime_load_script(rt, inn);
    CHECK(st == PARLEY_OK, "inn.lua: %s %s", parley_status_string(st), parley_last_error());

    /* ERROR(script) for a callback is queued when the script sees the event, so it may
     * come after the turn's DONE: poll until DONE, then drain a few times more. */
    int script_errors_npc = 0, script_errors_update = 0, done_ok = 0, texts = 0, drains = 0;
    time_t deadline = time(NULL) + 300;
    while (drains < 3 && time(NULL) < deadline) {
        parley_event ev = { .struct_size = sizeof ev };
        st = parley_poll(rt, &ev);
        if (st == PARLEY_NO_EVENT) { if (done_ok) drains++; usleep(2000); continue; }
        CHECK(st == PARLEY_OK, "poll: %s", parley_status_string(st));
        if (ev.type == PARLEY_EVENT_ERROR && ev.status == PARLEY_ERR_SCRIPT) {
            if (ev.npc_id != 0 && ev.text && strstr(ev.text, "typo in a text callback")) script_errors_npc++;
            if (ev.npc_id == 0 && ev.text && strstr(ev.text, "update failed on purpose")) script_errors_update++;
        }
        if (ev.type == PARLEY_EVENT_TEXT) texts++;
        if (ev.type == PARLEY_EVENT_DONE) done_ok = ev.status == PARLEY_OK;
    }
    CHECK(done_ok, "the script's turn ended DONE OK");
    CHECK(texts > 0, "the game saw the script NPC's text");
    CHECK(script_errors_npc == 1, "one ERROR(script) for the text callback, got %d", script_errors_npc);
    CHECK(script_errors_update == 1, "one ERROR(script) for update, got %d", script_errors_update);
    st = load_text(rt, "assert(type(reply) == 'string' and #reply > 0, 'reply: ' .. tostring(reply))\n"
                       "assert(done_seen, 'done callback')\n"
                       "assert(updates >= 3 and last_dt >= 0 and last_dt < 60, 'updates ' .. updates .. ' dt ' .. last_dt)\n");
    CHECK(st == PARLEY_OK, "the script's view: %s", parley_last_error());
    parley_runtime_destroy(rt);
    if (failures) { fprintf(stderr, "%d check(s) failed\n", failures); return 1; }
    printf("script: all checks passed\n");
    return 0;
}
