/* C smoke test of libparley.so: built against dist/include, linked with -lparley
 * or loaded with dlopen (-DUSE_DLOPEN). Exits non-zero on the first failed check. */
#include <parley.h>
#include <stdio.h>
#include <string.h>
#ifdef USE_DLOPEN
#include <dlfcn.h>
#endif

static int failures = 0;
#define CHECK(cond, ...) do { if (!(cond)) { fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); failures++; } } while (0)

typedef const char *(*version_fn)(void);
typedef uint32_t (*api_version_fn)(void);
typedef const char *(*status_string_fn)(parley_status);
typedef const char *(*last_error_fn)(void);
typedef parley_runtime_params (*default_params_fn)(void);
typedef parley_status (*create_fn)(const parley_runtime_params *, parley_runtime **);
typedef void (*destroy_fn)(parley_runtime *);
typedef parley_status (*poll_fn)(parley_runtime *, parley_event *);

int main(int argc, char **argv) {
#ifdef USE_DLOPEN
    const char *path = argc > 1 ? argv[1] : "libparley.so";
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "dlopen %s: %s\n", path, dlerror()); return 1; }
/* The symbol name after macro expansion, as a program built with the header must look it
 * up: parley.h maps parley_runtime_default_params to its current symbol (_v2). */
#define SYMBOL_(name) #name
#define SYMBOL(name) SYMBOL_(name)
#define LOAD(T, name) T name##_p = (T)dlsym(lib, SYMBOL(name)); CHECK(name##_p != NULL, "missing symbol %s", SYMBOL(name)); if (!name##_p) return 1;
#else
    (void)argc; (void)argv;
#define LOAD(T, name) T name##_p = name;
#endif
    LOAD(version_fn, parley_version)
    LOAD(api_version_fn, parley_api_version)
    LOAD(status_string_fn, parley_status_string)
    LOAD(last_error_fn, parley_last_error)
    LOAD(default_params_fn, parley_runtime_default_params)
    LOAD(create_fn, parley_runtime_create)
    LOAD(destroy_fn, parley_runtime_destroy)
    LOAD(poll_fn, parley_poll)

    /* Version: string and number agree with the header we compiled against. */
    const char *v = parley_version_p();
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", PARLEY_API_VERSION_MAJOR, PARLEY_API_VERSION_MINOR, PARLEY_API_VERSION_PATCH);
    CHECK(v && strcmp(v, expect) == 0, "parley_version() = %s, header says %s", v ? v : "(null)", expect);
    CHECK(parley_api_version_p() == PARLEY_API_VERSION, "parley_api_version() = %u", parley_api_version_p());
    CHECK(strcmp(parley_status_string_p(PARLEY_OK), "PARLEY_OK") == 0, "status string of OK");
    CHECK(strcmp(parley_status_string_p(PARLEY_ERR_FILE_NOT_FOUND), "PARLEY_ERR_FILE_NOT_FOUND") == 0, "status string of FILE_NOT_FOUND");
    CHECK(strcmp(parley_status_string_p((parley_status)-12345), "PARLEY_UNKNOWN_STATUS") == 0, "unknown status");

    /* A missing model: a status, a readable message, *out stays NULL. */
    parley_runtime_params params = parley_runtime_default_params_p();
    CHECK(params.struct_size == sizeof params, "struct_size %zu", params.struct_size);
    params.model_path = "/nonexistent/dir/missing-model.gguf";
    parley_runtime *rt = (parley_runtime *)0x1;
    parley_status st = parley_runtime_create_p(&params, &rt);
    CHECK(st == PARLEY_ERR_FILE_NOT_FOUND, "create with missing model: %s", parley_status_string_p(st));
    CHECK(rt == NULL, "*out must be NULL on failure");
    const char *msg = parley_last_error_p();
    CHECK(msg && strstr(msg, "missing-model.gguf") != NULL, "last error names the file: '%s'", msg ? msg : "(null)");
    printf("missing model -> %s: %s\n", parley_status_string_p(st), msg);

    /* A file that is not a GGUF: BAD_MODEL, not a crash. */
    params.model_path = argv[0];
    st = parley_runtime_create_p(&params, &rt);
    CHECK(st == PARLEY_ERR_BAD_MODEL, "create with a non-GGUF file: %s", parley_status_string_p(st));
    printf("non-GGUF model -> %s: %s\n", parley_status_string_p(st), parley_last_error_p());

    /* Bad arguments. */
    CHECK(parley_runtime_create_p(&params, NULL) == PARLEY_ERR_INVALID_ARGUMENT, "NULL out");
    parley_runtime_params tiny = params;
    tiny.struct_size = 4;
    CHECK(parley_runtime_create_p(&tiny, &rt) == PARLEY_ERR_STRUCT_SIZE, "struct_size too small");

    /* A runtime with no model: created, polled (nothing pending), destroyed. */
    st = parley_runtime_create_p(NULL, &rt);
    CHECK(st == PARLEY_OK && rt != NULL, "create with defaults: %s %s", parley_status_string_p(st), parley_last_error_p());
    parley_event ev;
    memset(&ev, 0, sizeof ev);
    ev.struct_size = sizeof ev;
    CHECK(parley_poll_p(rt, &ev) == PARLEY_NO_EVENT && ev.type == PARLEY_EVENT_NONE, "empty poll");
    CHECK(parley_poll_p(NULL, &ev) == PARLEY_ERR_INVALID_ARGUMENT, "poll NULL runtime");
    parley_runtime_destroy_p(rt);
    parley_runtime_destroy_p(NULL);

#ifdef USE_DLOPEN
    dlclose(lib);
#endif
    if (failures) { fprintf(stderr, "%d check(s) failed\n", failures); return 1; }
    printf("c smoke test: all checks passed (%s)\n", v);
    return 0;
}
