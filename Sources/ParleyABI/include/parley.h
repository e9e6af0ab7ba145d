/*
 * parley.h — the C ABI of libparley, a voice runtime for game characters.
 *
 * A game loads libparley.so, creates one parley_runtime (it owns the loaded
 * dialogue model and voice, memory-mapped and shared by every NPC) and pumps
 * events once per frame with parley_poll().
 *
 * Conventions
 *   - Every fallible call returns a parley_status: 0 is PARLEY_OK, positive
 *     values are non-error outcomes ("nothing to report"), negative values are
 *     errors. After an error, parley_last_error() describes it.
 *   - Params structs start with `struct_size`; get them from the matching
 *     *_default_params() function, change what you need, pass a pointer. The
 *     library reads only the fields that fit in struct_size, so a program built
 *     against an older header keeps working (see "Struct versions" below).
 *   - Ownership is written next to every pointer. Strings passed in are copied
 *     before the call returns unless stated otherwise.
 *   - Threads: the library runs inference on its own worker threads. Game code
 *     (tool hooks, callbacks) only ever runs inside parley_poll(), on the thread
 *     that calls it. parley_poll() never blocks. Functions whose "Threads:"
 *     note names the polling thread return PARLEY_ERR_INVALID_STATE (since 0.5.1;
 *     no effect from those that return no status) when called from another thread
 *     than the one that last called parley_poll(); before the first poll, one
 *     thread may set up (create NPCs, add tools) for another to poll.
 *   - Nothing here aborts the process: bad files, bad arguments and failures
 *     become status codes and ERROR events.
 *   - Handles are checked against the ones given out (since 0.5): a handle that
 *     was destroyed, or never created, gets PARLEY_ERR_INVALID_ARGUMENT from
 *     every call (0 or no effect from the few that return no status), and
 *     destroying a handle twice does nothing. A destroyed handle whose address a
 *     newer handle has taken cannot be told apart from it: still never use a
 *     handle after destroying it.
 */
#ifndef PARLEY_H
#define PARLEY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define PARLEY_API __declspec(dllimport)
#else
#  define PARLEY_API __attribute__((visibility("default")))
#endif

/* API version: MAJOR changes break source or binary compatibility. */
#define PARLEY_API_VERSION_MAJOR 0
#define PARLEY_API_VERSION_MINOR 6
#define PARLEY_API_VERSION_PATCH 0
#define PARLEY_API_VERSION ((PARLEY_API_VERSION_MAJOR << 16) | (PARLEY_API_VERSION_MINOR << 8) | PARLEY_API_VERSION_PATCH)

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */
/* ------------------------------------------------------------------------ */

typedef enum parley_status {
    PARLEY_OK                        = 0,
    PARLEY_NO_EVENT                  = 1,    /* parley_poll: the queue is empty right now */
    PARLEY_CANCELLED                 = 2,    /* DONE: the turn was cancelled or barged in on */

    /* Caller errors (-1 … -99) */
    PARLEY_ERR_INVALID_ARGUMENT      = -1,   /* NULL where a value is required, out-of-range value */
    PARLEY_ERR_BUFFER_TOO_SMALL      = -2,
    PARLEY_ERR_INVALID_STATE         = -3,   /* call not allowed now (e.g. no model loaded) */
    PARLEY_ERR_STRUCT_SIZE           = -4,   /* struct_size smaller than the first version of the struct */

    /* Files and models (-100 … -199) */
    PARLEY_ERR_FILE_NOT_FOUND        = -100,
    PARLEY_ERR_IO                    = -101,
    PARLEY_ERR_BAD_MODEL             = -102, /* corrupt, truncated or inconsistent file */
    PARLEY_ERR_UNSUPPORTED_MODEL     = -103, /* valid file, but an architecture / type we do not run */

    /* Voice (-200 … -299) */
    PARLEY_ERR_VOICE                 = -200,
    PARLEY_ERR_PHONEMIZER_UNAVAILABLE = -201, /* libespeak-ng (or the game's phonemizer) not found */

    /* Remote model (-300 … -399) */
    PARLEY_ERR_NETWORK               = -300,
    PARLEY_ERR_REMOTE                = -301,

    /* Scripts and tools (-400 … -499) */
    PARLEY_ERR_SCRIPT                = -400,
    PARLEY_ERR_TOOL_REJECTED         = -401,

    /* Audio output (-500 … -599), since 0.5 */
    PARLEY_ERR_AUDIO_DEVICE          = -500, /* no audio output: the device could not be opened or was lost;
                                                AUDIO events still flow */

    /* Platform (-800 … -899) */
    PARLEY_ERR_UNSUPPORTED_CPU       = -800, /* the engines need x86-64 with AVX2 + FMA + F16C */

    /* Internal (-900 … -999) */
    PARLEY_ERR_OUT_OF_MEMORY         = -900,
    PARLEY_ERR_INTERNAL              = -999,

    PARLEY_STATUS_FORCE_32BIT        = 0x7fffffff
} parley_status;

/* Library version string, e.g. "0.6.0". Static storage; never free. Thread-safe. */
PARLEY_API const char *parley_version(void);

/* PARLEY_API_VERSION of the loaded library (compare with the macro you built against). Thread-safe. */
PARLEY_API uint32_t parley_api_version(void);

/* Name of a status code, e.g. "PARLEY_ERR_FILE_NOT_FOUND"; "PARLEY_UNKNOWN_STATUS"
 * for values not listed above. Static storage; never free. Thread-safe. */
PARLEY_API const char *parley_status_string(parley_status status);

/* Human-readable message for the most recent failed call on the calling thread
 * ("" if none). Thread-local: calls on other threads do not change it. The
 * pointer stays valid until the next failing parley_* call on this thread. */
PARLEY_API const char *parley_last_error(void);

/* ------------------------------------------------------------------------ */
/* Struct versions                                                           */
/* ------------------------------------------------------------------------ */
/*
 * Every struct passed across this ABI starts with `size_t struct_size`, the
 * sizeof() the caller was compiled with. New fields are only ever appended, so:
 *   - Params the library reads (parley_runtime_params, parley_npc_params): it
 *     starts from its own defaults and copies the first min(struct_size, its
 *     sizeof) bytes of yours over them. A program built against an older header
 *     gets the defaults for every field added since; a program built against a
 *     newer header has the fields this library does not know ignored.
 *   - Structs the library writes (parley_event, parley_stats): it writes at most
 *     struct_size bytes, never past the end of your (possibly older, smaller)
 *     struct, and leaves struct_size as you set it.
 *   - struct_size below the first published size (the *_V1_SIZE values here) is
 *     refused with PARLEY_ERR_STRUCT_SIZE and a message in parley_last_error().
 *   - A *_default_params() function returns its struct by value, so the size is
 *     part of that function's ABI: when the struct grows, the function gets a new
 *     symbol (parley_npc_default_params_v2) and this header maps the plain name to
 *     it; the old symbol stays and keeps returning the old layout to old programs.
 *     A program that looks functions up with dlsym() must ask for the new symbol
 *     ("parley_runtime_default_params_v2", "parley_npc_default_params_v2"): the
 *     plain names return the 0.1 layouts.
 *   - Each version's fields end on an 8-byte boundary (explicit padding where
 *     needed), so every version of a struct has its own sizeof and struct_size
 *     always tells them apart.
 * The V1 sizes are frozen: the sizeof of each struct in API 0.1 on 64-bit
 * targets (x86-64 / arm64). Fields added later are marked "since 0.2", "since 0.3".
 */
#define PARLEY_RUNTIME_PARAMS_V1_SIZE 40
#define PARLEY_NPC_PARAMS_V1_SIZE     88
#define PARLEY_EVENT_V1_SIZE          104
#define PARLEY_STATS_V1_SIZE          96

/* ------------------------------------------------------------------------ */
/* Runtime                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct parley_runtime parley_runtime;   /* opaque */

/* parley_runtime_params.voice_precision (since 0.6). */
typedef enum parley_voice_precision {
    PARLEY_VOICE_EXACT = 0,   /* float, as Piper (the default) */
    /* 16-bit integer products with exact sums in the text encoder, the duration predictor, the
     * flow and the decoder (Winograd F(4,4) in its 7-tap residual layers):
     * about 1.6x the voice's speed on AVX2 and AVX-512 CPUs. Not the exact voice bit for bit:
     * its spectrogram within ~36 dB, the pitch a fraction of a percent apart, a phoneme here
     * and there a frame longer or shorter (measured: Whisper's word error rate unchanged). */
    PARLEY_VOICE_INT16 = 1,
    PARLEY_VOICE_PRECISION_FORCE_32BIT = 0x7fffffff
} parley_voice_precision;

typedef struct parley_runtime_params {
    size_t      struct_size;  /* = sizeof(parley_runtime_params); set by parley_runtime_default_params();
                                 ≥ PARLEY_RUNTIME_PARAMS_V1_SIZE */
    /* Dialogue model (GGUF). A path, or a bare file name looked up in $PARLEY_MODELS,
     * then ./models. NULL: no local dialogue model. Copied during the call. */
    const char *model_path;
    /* Piper voice (.onnx, with its .onnx.json beside it). Same lookup rule.
     * NULL: no voice (text-only NPCs). Copied during the call. */
    const char *voice_path;
    int32_t     n_threads;    /* worker threads for inference, 0…64; 0 = choose (number of cores, at most 4) */
    int32_t     n_ctx;        /* context length per NPC in tokens, 0…131072; 0 = min(model's, 2048) */
    uint64_t    seed;         /* base seed for sampling and voice noise; same seed, same output */
    /* since 0.3 (a caller built against 0.1 or 0.2 gets the defaults: no remote model).
     * The remote model: any OpenAI-compatible Chat Completions server (hosted API, vLLM,
     * llama.cpp's llama-server). The router sends it the turns the local model would get
     * wrong; when it fails, the local model finishes the turn (see PARLEY_EVENT_ROUTE). */
    /* Base URL, http:// or https://, ≤ 2048 bytes, no spaces or control characters, e.g.
     * "http://127.0.0.1:8080/v1" ("/chat/completions" is appended). NULL: no remote model
     * (every turn is local; the router fields below are still checked). Copied during the call. */
    const char *remote_url;
    /* Model name sent to the server, UTF-8, ≤ 256 bytes. NULL: "" (servers that serve a single
     * model, such as llama-server, ignore it). Copied during the call. */
    const char *remote_model;
    /* Bearer token, ≤ 4096 bytes, no control characters. NULL or "": the environment variable
     * PARLEY_REMOTE_API_KEY, read when a request is sent (none if unset: fine for a local
     * server). Copied during the call; never logged, never part of an event or of
     * parley_last_error(). */
    const char *remote_api_key;
    int32_t     remote_first_byte_timeout_ms; /* request sent → first byte of the reply (the big model's
                                                 prefill), 1…300000; 0 = default (15000) */
    int32_t     remote_max_retries;    /* attempts after the first on connect failures, HTTP 408/429/5xx before
                                          the reply starts (jittered backoff), 0…5; -1 = default (2) */
    float       router_threshold;      /* AUTO turns whose difficulty is at least this go remote; 0…2 (0: every
                                          turn it may take, above 1: none); default 0.25; NaN is refused */
    int32_t     remote_tokens_per_minute; /* remote tokens (prompt + completion) per rolling minute before turns
                                             stay local, 0…100000000; 0 = no limit */
    int64_t     remote_token_budget;   /* remote tokens per runtime (the session) before every turn stays local,
                                          0…1000000000; 0 = no limit */
    int32_t     router_latency_budget_ms; /* AUTO turns whose remote reply is expected to start later than this
                                             stay local, 0…600000; 0 = no limit */
    /* since 0.6 (this was padding, left 0: a caller built against 0.3–0.5 gets EXACT).
     * How the voice computes its heaviest convolutions; PARLEY_VOICE_EXACT or PARLEY_VOICE_INT16. */
    int32_t     voice_precision;
} parley_runtime_params;

/* Defaults: no model, no voice, n_threads 0, n_ctx 0, seed 0; no remote model (remote_url,
 * remote_model, remote_api_key NULL), remote_first_byte_timeout_ms 0, remote_max_retries -1,
 * router_threshold 0.25, no token or latency budgets (0). Thread-safe.
 * The exported symbol of this layout is parley_runtime_default_params_v2 (see "Struct
 * versions"); the symbol parley_runtime_default_params returns the 0.1 layout. */
PARLEY_API parley_runtime_params parley_runtime_default_params_v2(void);
#define parley_runtime_default_params parley_runtime_default_params_v2

/* Create a runtime: loads (memory-maps and validates) the model and voice, and sets up
 * the remote model and the router when remote_url is set. Nothing is sent over the
 * network here: the remote is first contacted by a turn routed to it.
 *   params  in, optional: NULL means parley_runtime_default_params().
 *   out     out: receives the new runtime; set to NULL on any failure.
 * Returns PARLEY_OK, or an error (PARLEY_ERR_FILE_NOT_FOUND, PARLEY_ERR_BAD_MODEL,
 * PARLEY_ERR_UNSUPPORTED_MODEL, PARLEY_ERR_INVALID_ARGUMENT for a value out of its range
 * (remote and router fields included), …) with a message in parley_last_error();
 * nothing is leaked on failure.
 * Ownership: the caller owns *out and frees it with parley_runtime_destroy().
 * Threads: any thread; several runtimes may coexist. */
PARLEY_API parley_status parley_runtime_create(const parley_runtime_params *params, parley_runtime **out);

/* Stop the worker threads, drop pending events and free everything the runtime
 * owns (NPCs included). NULL is a no-op. Event payloads from parley_poll()
 * become invalid. Threads: not concurrently with any other call on `rt`. */
PARLEY_API void parley_runtime_destroy(parley_runtime *rt);

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum parley_event_type {
    PARLEY_EVENT_NONE      = 0,
    PARLEY_EVENT_TEXT      = 1,  /* text: a UTF-8 delta of the reply (whole characters only) */
    PARLEY_EVENT_AUDIO     = 2,  /* samples/n_samples/sample_rate: mono float PCM in [-1, 1]; start_sample/end_sample:
                                    where the chunk sits in the turn's speech; text: the sentence (on its first chunk) */
    PARLEY_EVENT_VISEME    = 3,  /* name: viseme (OVR 15: sil PP FF TH DD kk CH SS nn RR aa E ih oh ou);
                                    start_sample/end_sample in the turn's speech; sent before the audio it shapes */
    PARLEY_EVENT_TOOL_CALL = 4,  /* name: tool; text: JSON arguments (validated against its schema, passed the
                                    game's guard and rate limit); call_id: answer with parley_tool_result() */
    PARLEY_EVENT_ROUTE     = 5,  /* a turn's route, before its first TEXT. text: JSON {"route":"local"|"remote"|"bridge"|"authored",
                                    "reasons":["…"], "cost":USD, "latency_ms":ms|null}: reasons are readable strings
                                    (the designer's policy, remote health, budgets, the turn's difficulty against
                                    router_threshold); cost is the expected price of the turn in US dollars (0 for
                                    local); latency_ms the expected wait for the remote's first byte (null when
                                    unknown or local). When a remote turn fails (network, timeout, HTTP error,
                                    broken stream), an ERROR follows (status PARLEY_ERR_NETWORK or
                                    PARLEY_ERR_REMOTE, text ending "; the local model finishes the turn"), then a
                                    second ROUTE {"route":"local","reasons":["fallback: <why>"],…}; the local model
                                    continues from the text already sent, and DONE has status PARLEY_OK */
    PARLEY_EVENT_DONE      = 6,  /* the turn ended; status: PARLEY_OK, PARLEY_CANCELLED or the error; text: the whole reply */
    PARLEY_EVENT_ERROR     = 7,  /* status + text: message; the turn (if any) ends with DONE. A tool call that did
                                    not run (not the NPC's tool, arguments off its schema, refused by the guard,
                                    over its rate limit) is status PARLEY_ERR_TOOL_REJECTED, name: the tool,
                                    text: why, tool_arguments: the call's arguments; the turn goes on (the model
                                    is told the call was refused). A remote turn that failed is status
                                    PARLEY_ERR_NETWORK or PARLEY_ERR_REMOTE and the turn goes on locally (see ROUTE) */
    PARLEY_EVENT_TYPE_FORCE_32BIT = 0x7fffffff
} parley_event_type;

typedef struct parley_event {
    size_t            struct_size;  /* in: set to sizeof(parley_event) before polling; ≥ PARLEY_EVENT_V1_SIZE.
                                       The library writes at most this many bytes. */
    parley_event_type type;
    parley_status     status;       /* DONE/ERROR: outcome; otherwise PARLEY_OK */
    uint64_t          npc_id;       /* NPC the event belongs to; 0 for runtime-wide events */
    uint64_t          turn_id;      /* turn the event belongs to; 0 if none */
    /* Borrowed payloads: owned by the runtime, valid until the next parley_poll()
     * on the same runtime or parley_runtime_destroy(). Copy what you keep. */
    const char       *text;         /* NUL-terminated UTF-8 or NULL */
    size_t            text_len;     /* bytes, without the NUL */
    const char       *name;         /* NUL-terminated or NULL */
    const float      *samples;      /* AUDIO only, else NULL */
    size_t            n_samples;
    int32_t           sample_rate;
    int64_t           start_sample; /* AUDIO/VISEME: [start, end) in samples since the turn's first audio */
    int64_t           end_sample;
    double            t_ms;         /* when the event was produced, ms since the runtime was created */
    /* since 0.2 */
    const char       *type_name;    /* "text", "audio", "viseme", "tool_call", "route", "done", "error" ("none"
                                       when there is no event): the names the Lua binding uses. Static; never free. */
    const char       *call_id;      /* TOOL_CALL: the id to pass to parley_tool_result(), NUL-terminated; else NULL.
                                       Borrowed like text (valid until the next parley_poll()). */
    const char       *tool_arguments; /* ERROR with PARLEY_ERR_TOOL_REJECTED: the rejected call's arguments as the
                                       model wrote them (untrusted, not necessarily JSON); else NULL. Borrowed like text. */
} parley_event;

/* Take the next pending event, never blocking.
 *   rt   in: the runtime.
 *   out  out: filled when PARLEY_OK is returned; out->struct_size must be set.
 * Returns PARLEY_OK (an event was written), PARLEY_NO_EVENT (queue empty, *out
 * has type PARLEY_EVENT_NONE), or PARLEY_ERR_INVALID_ARGUMENT / PARLEY_ERR_STRUCT_SIZE,
 * or PARLEY_ERR_INVALID_STATE when called from inside a tool guard, or from a second
 * thread while another thread is inside parley_poll() on the same runtime.
 * Payloads stay valid until the next parley_poll() on `rt`.
 * Threads: call from one thread (the game thread); game hooks run inside it. */
PARLEY_API parley_status parley_poll(parley_runtime *rt, parley_event *out);

/* Run a designer's Lua script (a file) in the runtime's own LuaJIT state, for a game
 * that does not embed Lua itself. Since 0.4. The state is made on the first call and
 * shared by later ones (several files; the last global `update` wins). In it, `parley`
 * is the module (docs/lua.md) and `rt` this runtime: the script makes NPCs with
 * rt:npc{…}, registers tools with npc:tool(…) and callbacks with npc:on(…), and talks
 * with npc:say(…) (inside a coroutine it waits for the reply).
 * parley_poll() then drives it on the calling thread: when the previous poll found
 * no event, it first calls the script's global update(dt) (dt: seconds since the last
 * update), and every event is handed to the script (callbacks, Lua tools, waiting
 * coroutines) before it is written to *out. The game sees every event; tool calls of
 * a script's NPCs are answered by the script (their NPCs have no C handle). A Lua
 * error in update, a tool or a callback never escapes: it becomes an ERROR event
 * (status PARLEY_ERR_SCRIPT, text: the Lua message) and the turn still ends with DONE.
 * rt:poll() is a Lua error and rt:update() does nothing in this state.
 *   rt    in: the runtime.
 *   path  in: the script file (UTF-8 path); copied.
 * Returns PARLEY_OK; PARLEY_ERR_FILE_NOT_FOUND (cannot read the file); PARLEY_ERR_SCRIPT
 * (syntax error, or the script raised while running its top level; the message in
 * parley_last_error()); PARLEY_ERR_INVALID_ARGUMENT (NULL); PARLEY_ERR_INVALID_STATE
 * (called from inside parley_poll, e.g. a tool guard). NPCs the script made before an
 * error stay alive. The state is closed by parley_runtime_destroy().
 * Threads: the polling thread only. */
PARLEY_API parley_status parley_runtime_load_script(parley_runtime *rt, const char *path);

/* ------------------------------------------------------------------------ */
/* NPCs                                                                      */
/* ------------------------------------------------------------------------ */

typedef struct parley_npc parley_npc;   /* opaque */

typedef enum parley_route_policy {
    PARLEY_ROUTE_AUTO   = 0,  /* the router decides per turn (always local without a remote model) */
    PARLEY_ROUTE_LOCAL  = 1,  /* always the local model */
    PARLEY_ROUTE_REMOTE = 2,  /* the remote model when configured, else local */
    PARLEY_ROUTE_FORCE_32BIT = 0x7fffffff
} parley_route_policy;

typedef struct parley_npc_params {
    size_t        struct_size;     /* = sizeof(parley_npc_params); set by parley_npc_default_params();
                                      ≥ PARLEY_NPC_PARAMS_V1_SIZE */
    const char   *name;            /* required, UTF-8, 1…256 bytes; copied */
    const char   *persona;         /* who they are, how they talk (≤ 16 KB); copied; NULL = "" */
    const char *const *knowledge;  /* lore lines the NPC knows; copied; may be NULL when n_knowledge = 0 */
    size_t        n_knowledge;     /* ≤ 512 */
    float         voice_rate;      /* speaking rate, 1 = the voice's own (0.25…4) */
    float         noise_scale;     /* 0…2; < 0: the voice's default */
    float         noise_w;         /* 0…2; < 0: the voice's default */
    int32_t       speaker;         /* multi-speaker voices; < 0: default */
    float         position[3];     /* world position (for positioned audio) */
    parley_route_policy policy;
    int32_t       max_reply_tokens; /* 1…1024 */
    float         temperature;     /* 0…5; 0 = greedy */
    uint64_t      seed;            /* added to the runtime's seed */
    /* since 0.2 (a caller built against 0.1 gets the defaults) */
    int32_t       top_k;           /* 0…1000; 0 = off */
    float         top_p;           /* (0, 1]; 1 = off */
    float         min_p;           /* [0, 1); 0 = off */
    float         repeat_penalty;  /* 0.5…2; 1 = off */
} parley_npc_params;

/* Defaults: voice_rate 1, voice defaults, policy AUTO, max_reply_tokens 96,
 * temperature 0.3 (0.7 before 0.5.1), seed 0, top_k 40, top_p 0.95, min_p 0.05, repeat_penalty 1.1;
 * name and persona NULL (name must be set). Thread-safe.
 * The exported symbol of this layout is parley_npc_default_params_v2 (see "Struct
 * versions"); the symbol parley_npc_default_params returns the 0.1 layout. */
PARLEY_API parley_npc_params parley_npc_default_params_v2(void);
#define parley_npc_default_params parley_npc_default_params_v2

/* Create an NPC sharing the runtime's model and voice, with its own history and KV cache.
 *   rt      in: the runtime.
 *   params  in: required (name must be set).
 *   out     out: the new NPC, NULL on failure.
 * Returns PARLEY_OK or PARLEY_ERR_INVALID_ARGUMENT / PARLEY_ERR_STRUCT_SIZE.
 * Ownership: destroy with parley_npc_destroy() before parley_runtime_destroy(); the
 * runtime frees NPCs that are left, after which their pointers must not be used.
 * Threads: the thread that polls `rt`. */
PARLEY_API parley_status parley_npc_create(parley_runtime *rt, const parley_npc_params *params, parley_npc **out);

/* Cancel the NPC's turn and free it. NULL is a no-op. Events already queued for it
 * still arrive (with its npc_id). Threads: the thread that polls the runtime. */
PARLEY_API void parley_npc_destroy(parley_npc *npc);

/* The NPC's id, as found in parley_event.npc_id (never 0). */
PARLEY_API uint64_t parley_npc_id(const parley_npc *npc);

/* Hand a player line to the NPC and return at once; the reply arrives through
 * parley_poll(): ROUTE, TEXT deltas, AUDIO chunks (with the sentence as text), then
 * DONE (ERROR before it on failure; a remote turn that fails adds ERROR and a second
 * ROUTE "local" and still ends DONE OK, see PARLEY_EVENT_ROUTE). A line to an NPC that is still answering
 * cancels that turn first (its DONE has status PARLEY_CANCELLED).
 *   text     in: UTF-8, 1…4096 bytes; copied. Player text is untrusted and treated as such.
 *   turn_id  out, optional: the id carried by this turn's events.
 * Returns PARLEY_OK; PARLEY_ERR_INVALID_STATE when no dialogue model is loaded or too
 * many lines are waiting (4 per NPC); PARLEY_ERR_INVALID_ARGUMENT.
 * Threads: the thread that polls the runtime. */
PARLEY_API parley_status parley_npc_say(parley_npc *npc, const char *text, uint64_t *turn_id);

/* Designer control (since 0.4). Both copy their strings (UTF-8, 1…4096 bytes each)
 * and return PARLEY_OK, PARLEY_ERR_INVALID_ARGUMENT (NULL, not UTF-8, too long, past
 * the limit of 16 examples / 64 authored lines). Threads: the thread that polls.
 *
 * parley_npc_add_example: a sample exchange (a player line and the NPC's answer) that
 * shows the character's voice; examples open the conversation in every prompt.
 *
 * parley_npc_add_authored_line: an exact reply, spoken without inference when a player
 * line is close enough to `trigger` (letter-trigram similarity ≥ 0.72 after folding
 * case and punctuation). Such a turn's ROUTE is {"route":"authored",…}; then TEXT (the
 * reply), its AUDIO and DONE, as any turn. */
PARLEY_API parley_status parley_npc_add_example(parley_npc *npc, const char *player, const char *reply);
PARLEY_API parley_status parley_npc_add_authored_line(parley_npc *npc, const char *trigger, const char *reply);

/* Voice design (since 0.5): give the NPC a character made from the runtime's one voice.
 *   style  in: a preset name ("old_man", "child", "woman", "giant", "ghost", "guard_radio",
 *          "witch", "robot") or a JSON object
 *          {"preset":"old_man","pitch":1.1,"rate":0.9,"formant":1.0,"gain":1.0,
 *           "noise_scale":0.667,"noise_w":0.8,"speaker":0,"effects":["radio","hall"]}
 *          where every member is optional and overrides the preset's value. Ranges:
 *          pitch 0.5…2 (duration kept), formant 0.7…1.4 (vocal-tract size, independent of
 *          pitch), rate 0.25…4 (exact: duration ÷ rate), gain 0…4, noise scales 0…2,
 *          at most 8 effects from radio, hall, cave, robot, whisper, tremolo (run in order).
 *          NUL-terminated UTF-8, at most 4096 bytes; copied.
 * The style replaces the NPC's whole voice style (rate, noise scales and speaker too:
 * members left out take the preset's value, or the plain voice's), from the next sentence
 * on. AUDIO and VISEME sample positions count the designed audio. It is saved by
 * parley_npc_save().
 * Returns PARLEY_OK, or PARLEY_ERR_INVALID_ARGUMENT (NULL npc or style, invalid UTF-8 or
 * JSON, an unknown preset, key or effect, a value out of range or not a number); the
 * NPC's voice is then unchanged and parley_last_error() says why.
 * Threads: the thread that polls the runtime. */
PARLEY_API parley_status parley_npc_set_voice(parley_npc *npc, const char *style);

/* End the NPC's current turn early; its DONE event carries PARLEY_CANCELLED.
 * Nothing to cancel is not an error. Threads: the thread that polls the runtime. */
PARLEY_API parley_status parley_npc_cancel(parley_npc *npc);

/* Serialise the NPC (persona, settings, history, summary; versioned bytes) for the
 * game's save file.
 *   buf       out, optional: where to write; NULL to ask for the size.
 *   capacity  in: bytes available at buf.
 *   size      out: bytes needed (always set).
 * Returns PARLEY_OK, or PARLEY_ERR_BUFFER_TOO_SMALL when capacity < *size (nothing written).
 * A turn in progress is not included until it completes. Threads: the polling thread. */
PARLEY_API parley_status parley_npc_save(parley_npc *npc, void *buf, size_t capacity, size_t *size);

/* Recreate an NPC from parley_npc_save() bytes; it continues the conversation.
 * Returns PARLEY_OK or PARLEY_ERR_INVALID_ARGUMENT (corrupt / unknown version),
 * *out NULL on failure. Ownership as parley_npc_create(). Threads: the polling thread. */
PARLEY_API parley_status parley_npc_load(parley_runtime *rt, const void *data, size_t size, parley_npc **out);

typedef struct parley_stats {
    size_t   struct_size;        /* in: sizeof(parley_stats); ≥ PARLEY_STATS_V1_SIZE. At most this many bytes are written. */
    uint32_t npc_count;
    uint64_t turns_completed;
    uint64_t tokens_prefilled;   /* prompt tokens run through the model (cached prefixes excluded) */
    uint64_t tokens_generated;
    /* the most recent completed turn */
    uint64_t last_turn_id;
    uint32_t last_prompt_tokens;
    uint32_t last_prefilled_tokens;
    uint32_t last_generated_tokens;
    double   last_prefill_ms;
    double   last_generate_ms;
    double   last_first_text_ms;  /* say → first TEXT; < 0 if none */
    double   last_first_audio_ms; /* say → first AUDIO; < 0 if none (yet) */
    /* since 0.3 (not written for a caller whose struct_size ends before them) */
    uint64_t remote_tokens;      /* prompt + completion tokens billed by the remote model, completed turns */
    uint64_t remote_fallbacks;   /* turns the remote model started and the local model had to finish */
} parley_stats;

/* Fill *out with counters. Returns PARLEY_OK or PARLEY_ERR_INVALID_ARGUMENT /
 * PARLEY_ERR_STRUCT_SIZE. Threads: any. */
PARLEY_API parley_status parley_runtime_stats(parley_runtime *rt, parley_stats *out);

/* ------------------------------------------------------------------------ */
/* Audio output (since 0.5)                                                  */
/* ------------------------------------------------------------------------ */
/*
 * Optional positioned playback through OpenAL Soft: each NPC speaks from its
 * own OpenAL source at its position (parley_npc_set_position), heard by a
 * listener the game moves (parley_listener_set). Playback starts on a turn's
 * first AUDIO chunk; a cancelled or barged-in turn stops at once.
 * The output is fed inside parley_poll(), on the thread that polls: keep polling
 * every frame while NPCs speak (each poll that finds the queue empty refills the
 * sources; about 1.1 s of speech is queued in OpenAL per NPC). AUDIO events are
 * returned to the game exactly as without an output: a game that plays PCM
 * itself never opens one. OpenAL contexts: the library makes its own context
 * current only for the calling thread and only during its calls
 * (ALC_EXT_thread_local_context), so a game that uses OpenAL itself keeps its own.
 * Headless machines: OpenAL Soft's null backend (ALSOFT_DRIVERS=null) opens a
 * silent device; without any device, parley_audio_open() fails with a status and
 * everything else goes on.
 */

typedef enum parley_distance_model {
    PARLEY_DISTANCE_NONE             = 0,  /* no attenuation */
    PARLEY_DISTANCE_INVERSE          = 1,  /* OpenAL's models (OpenAL 1.1 spec, 3.4); the clamped ones stop */
    PARLEY_DISTANCE_INVERSE_CLAMPED  = 2,  /*   attenuating at max_distance, linear ones reach silence there */
    PARLEY_DISTANCE_LINEAR           = 3,
    PARLEY_DISTANCE_LINEAR_CLAMPED   = 4,
    PARLEY_DISTANCE_EXPONENT         = 5,
    PARLEY_DISTANCE_EXPONENT_CLAMPED = 6,
    PARLEY_DISTANCE_FORCE_32BIT      = 0x7fffffff
} parley_distance_model;

/* First published size of parley_audio_params (0.5). */
#define PARLEY_AUDIO_PARAMS_V1_SIZE 40  /* since 0.5 */

typedef struct parley_audio_params {
    size_t      struct_size;         /* = sizeof(parley_audio_params); set by parley_audio_default_params();
                                        ≥ PARLEY_AUDIO_PARAMS_V1_SIZE */
    const char *device;              /* OpenAL device name (UTF-8, ≤ 1024 bytes); NULL: the system's default. Copied. */
    parley_distance_model distance_model;
    float       reference_distance;  /* distance at which a voice plays at full gain, (0, 1e6]; world units */
    float       rolloff;             /* how fast gain falls beyond it, [0, 1e6]; 0: not at all */
    float       max_distance;        /* (0, 1e6]: clamped models stop attenuating here, linear ones fall silent */
    float       gain;                /* master gain [0, 16], 1 = unchanged */
    /* 0: play through the device. 8000…192000: open no device but OpenAL Soft's loopback
     * device mixing stereo at this rate, which the game pulls with parley_audio_render() (to
     * feed the mix to its own audio engine, or to test without a sound card); device ignored. */
    int32_t     loopback_rate;
} parley_audio_params;

/* Defaults: device NULL, PARLEY_DISTANCE_INVERSE_CLAMPED, reference_distance 1, rolloff 1,
 * max_distance 1000, gain 1, loopback_rate 0. Thread-safe. */
PARLEY_API parley_audio_params parley_audio_default_params(void);

/* Open the audio output and play every NPC's speech through it from now on (turns in
 * progress continue from their next chunk). Replaces an output already open.
 *   rt      in: the runtime.
 *   params  in, optional: NULL means parley_audio_default_params().
 * Returns PARLEY_OK; PARLEY_ERR_AUDIO_DEVICE (no such device, no sound card, no OpenAL
 * backend: the message says which) — an ERROR event (npc_id 0, same status and message)
 * is queued as well, the runtime has no output, and turns and their AUDIO events go on
 * unchanged; PARLEY_ERR_INVALID_ARGUMENT (a value out of range or NaN, unknown distance
 * model); PARLEY_ERR_STRUCT_SIZE. A device lost later (unplugged) is reported once as an
 * ERROR event with PARLEY_ERR_AUDIO_DEVICE.
 * Ownership: the runtime owns the output; parley_audio_close() or parley_runtime_destroy()
 * closes it. Threads: the thread that polls `rt` (not from inside a tool guard). */
PARLEY_API parley_status parley_audio_open(parley_runtime *rt, const parley_audio_params *params);

/* Loopback outputs only (loopback_rate set): mix the next `frames` stereo frames of every
 * NPC's positioned speech into `out`, interleaved left, right, as floats (silence when
 * nobody speaks). Refills the voices first, so pulling a block per audio callback or
 * frame streams like a device; events are not consumed (keep polling).
 *   out     out: room for 2 × frames floats; owned by the caller.
 *   frames  1…1048576.
 * Returns PARLEY_OK; PARLEY_ERR_INVALID_STATE (no output open, or one with a real device);
 * PARLEY_ERR_INVALID_ARGUMENT (NULL, frames out of range).
 * Threads: the thread that polls `rt`. */
PARLEY_API parley_status parley_audio_render(parley_runtime *rt, float *out, size_t frames);

/* Stop all playback and close the device. No output open is not an error; NULL is a
 * no-op. AUDIO events keep flowing. Threads: the thread that polls `rt`. */
PARLEY_API void parley_audio_close(parley_runtime *rt);

/* Where the player's ears are (kept for outputs opened later). Each array is 3 floats in
 * the game's world coordinates (OpenAL's right-handed frame: by default the listener faces
 * -z with +y up, so +x is to the right); each is optional: NULL keeps the current value.
 *   position  in, optional: default (0, 0, 0).
 *   velocity  in, optional: units per second, for Doppler shift; default (0, 0, 0).
 *   at, up    in, optional: the facing direction and the head's up; not parallel, not zero;
 *             default (0, 0, -1) and (0, 1, 0).
 * Returns PARLEY_OK or PARLEY_ERR_INVALID_ARGUMENT (NULL rt, a non-finite value, at/up
 * parallel or zero; nothing changed). Works with or without an open output.
 * Threads: the thread that polls `rt`. Cheap: call it every frame. */
PARLEY_API parley_status parley_listener_set(parley_runtime *rt, const float position[3], const float velocity[3],
                                             const float at[3], const float up[3]);

/* Move an NPC (the position it was created with is parley_npc_params.position); its voice
 * follows at once, also mid-sentence. The array is 3 finite floats, copied.
 * Returns PARLEY_OK or PARLEY_ERR_INVALID_ARGUMENT (NULL, non-finite; nothing changed).
 * Threads: the thread that polls the runtime. Cheap: call it every frame. */
PARLEY_API parley_status parley_npc_set_position(parley_npc *npc, const float position[3]);

/* The NPC's velocity in units per second (Doppler shift; default 0, 0, 0); 3 finite floats,
 * copied. Returns PARLEY_OK or PARLEY_ERR_INVALID_ARGUMENT. Threads: the polling thread. */
PARLEY_API parley_status parley_npc_set_velocity(parley_npc *npc, const float velocity[3]);

/* Nonzero while the NPC's speech is still playing through the output (queued or sounding);
 * 0 without an output or for NULL. Use it to wait for a line to finish before the next.
 * Threads: the thread that polls the runtime. */
PARLEY_API int parley_npc_is_speaking(parley_npc *npc);

/* ------------------------------------------------------------------------ */
/* Tools (quest hooks)                                                       */
/* ------------------------------------------------------------------------ */
/*
 * An NPC may only call the tools it was given (its allowlist). A call the model
 * writes is checked on the worker (known tool, arguments valid against the
 * tool's JSON Schema), then inside parley_poll() on the game's thread (the
 * game's guard, then the tool's rate limit). Only a call that passes all of
 * them arrives as PARLEY_EVENT_TOOL_CALL; the turn then waits until the game
 * answers it with parley_tool_result(). A call that fails a check arrives as
 * PARLEY_EVENT_ERROR with PARLEY_ERR_TOOL_REJECTED and is never executed; the
 * model is told it was refused and the turn goes on by itself.
 * The guard and the rate limit are also asked before the local model writes a
 * call: once the NPC has decided to act on the player's line, the calls that
 * line asks for (up to 16 complete, schema-valid argument objects, e.g. each
 * gate for "open a gate") go to the guard inside parley_poll(). Values the game
 * refuses in every call are not offered to the model; when it refuses them all,
 * no call is written (no event) and the NPC says in character that it cannot,
 * with the guard's reason. So a guard answers from the game's state and has no
 * side effects; it may run several times per turn.
 * At most 4 tool calls per turn. Player text is untrusted: guard every tool
 * whose effect matters, whatever the model says.
 */

/* Give the NPC a tool (or replace its tool of the same name).
 *   name             in: 1…64 ASCII characters of [A-Za-z0-9_-], starting with a letter; copied.
 *   description      in, optional: what the tool does, for the model (UTF-8, ≤ 1024 bytes, no control
 *                    characters but newline and tab); NULL = ""; copied.
 *   parameters_json  in: a JSON Schema of type "object" (the subset: object, string, enum, integer,
 *                    number, boolean, array; properties, required, minimum/maximum, …), UTF-8; copied.
 * Returns PARLEY_OK, or PARLEY_ERR_INVALID_ARGUMENT (NULL npc, name or parameters_json, bad name,
 * invalid UTF-8, malformed JSON, a schema outside the subset) with the reason (for a schema, the
 * path to the problem) in parley_last_error().
 * Threads: the thread that polls the runtime. */
PARLEY_API parley_status parley_npc_add_tool(parley_npc *npc, const char *name, const char *description,
                                             const char *parameters_json);

/* The game's precondition for one tool.
 *   user_data        the pointer given to parley_npc_set_tool_guard(), passed back unchanged.
 *   tool             the tool's name; NUL-terminated; borrowed for the duration of the call.
 *   arguments_json   the call's arguments, a JSON object already valid against the tool's schema;
 *                    NUL-terminated UTF-8; borrowed for the duration of the call.
 *   reason           out: on refusal, write a NUL-terminated UTF-8 reason here (at most
 *                    reason_capacity bytes, NUL included; longer text is cut). It is told to the
 *                    model (so the NPC can say why in character) and reported in the ERROR event.
 *                    Starts as "" (an empty reason becomes "refused by the game").
 * Return nonzero to allow the call, 0 to refuse it.
 * Called only from inside parley_poll(), on the thread that polls: before the TOOL_CALL event
 * would be returned, and before the NPC writes a call, about the calls the player's line asks
 * for (see above; a refusal there means the NPC does not act). It must not call parley_poll()
 * (that poll fails with PARLEY_ERR_INVALID_STATE) nor destroy the runtime or the NPC. */
typedef int (*parley_tool_guard_fn)(void *user_data, const char *tool, const char *arguments_json,
                                    char *reason, size_t reason_capacity);

/* Set (or replace) the guard of one of the NPC's tools; fn NULL removes it.
 *   tool       in: the name of a tool the NPC has (parley_npc_add_tool() first); copied.
 *   fn         in, optional: the guard.
 *   user_data  in, optional: handed to fn; not owned (keep it alive while the guard is set, i.e.
 *              until it is replaced or removed, or the NPC or the runtime is destroyed).
 * Returns PARLEY_OK, or PARLEY_ERR_INVALID_ARGUMENT (NULL npc or tool, a tool the NPC does not have).
 * Threads: the thread that polls the runtime; the guard then runs on that thread too. */
PARLEY_API parley_status parley_npc_set_tool_guard(parley_npc *npc, const char *tool,
                                                   parley_tool_guard_fn fn, void *user_data);

/* Let at most max_calls calls of `tool` through to the game per `seconds` (a sliding window,
 * counted when a call passes its guard). A call over the limit is refused like a guard's
 * refusal, with the reason "<tool> was used too often just now".
 *   tool       in: the name of a tool the NPC has; copied.
 *   max_calls  0…1000; 0 removes the limit.
 *   seconds    0.001…86400.
 * Returns PARLEY_OK or PARLEY_ERR_INVALID_ARGUMENT (NULL, unknown tool, a value out of range or NaN).
 * Threads: the thread that polls the runtime. */
PARLEY_API parley_status parley_npc_set_tool_rate_limit(parley_npc *npc, const char *tool,
                                                        int32_t max_calls, double seconds);

/* The game's answer to a PARLEY_EVENT_TOOL_CALL: the NPC's turn resumes with it.
 *   call_id      in: the event's call_id (copy it before the next poll); copied.
 *   status       PARLEY_OK: the game ran the tool and result_json is its outcome.
 *                Any other value: the game could not run it; the model is told
 *                {"ok":false,"error":"<parley_status_string(status)>"}, followed by the members of
 *                result_json when it is a JSON object ("ok" dropped, its "error" renamed "detail"),
 *                or by "detail": result_json when it is another JSON value or plain text.
 *   result_json  in: with PARLEY_OK required: the outcome, JSON text (plain text is accepted and
 *                passed on as it is), UTF-8, at most 16384 bytes; e.g. {"ok":true,"gold":40}.
 *                Otherwise optional (NULL: only ok and error). Copied.
 * Each call is answered once. Returns PARLEY_OK; PARLEY_ERR_INVALID_ARGUMENT (NULL npc or call_id,
 * NULL result_json with PARLEY_OK, invalid UTF-8, a result over 16384 bytes);
 * PARLEY_ERR_INVALID_STATE (the NPC is not waiting for that call: unknown or already answered
 * id, or the turn was cancelled or barged in on meanwhile; the game need do nothing more).
 * Threads: the thread that polls the runtime (not from inside a tool guard). */
PARLEY_API parley_status parley_tool_result(parley_npc *npc, const char *call_id, parley_status status,
                                            const char *result_json);

#ifdef __cplusplus
}
#endif

#endif /* PARLEY_H */
