// Internal to libparley (not installed): helpers shared by the Swift C-ABI layer.
#ifndef PARLEY_INTERNAL_H
#define PARLEY_INTERNAL_H
#include "parley.h"
void pabi_set_last_error(const char *message);
const char *pabi_last_error(void);

/* parley_npc_params as published in API 0.1, returned by value by the symbol
 * parley_npc_default_params that programs built against 0.1 call. Frozen: never edit. */
typedef struct parley_npc_params_v1 {
    size_t        struct_size;
    const char   *name;
    const char   *persona;
    const char *const *knowledge;
    size_t        n_knowledge;
    float         voice_rate;
    float         noise_scale;
    float         noise_w;
    int32_t       speaker;
    float         position[3];
    parley_route_policy policy;
    int32_t       max_reply_tokens;
    float         temperature;
    uint64_t      seed;
} parley_npc_params_v1;
_Static_assert(sizeof(parley_npc_params_v1) == PARLEY_NPC_PARAMS_V1_SIZE, "the 0.1 layout of parley_npc_params is frozen");

/* parley_runtime_params as published in API 0.1 (and 0.2), returned by value by the
 * symbol parley_runtime_default_params that programs built against them call. Frozen. */
typedef struct parley_runtime_params_v1 {
    size_t      struct_size;
    const char *model_path;
    const char *voice_path;
    int32_t     n_threads;
    int32_t     n_ctx;
    uint64_t    seed;
} parley_runtime_params_v1;
_Static_assert(sizeof(parley_runtime_params_v1) == PARLEY_RUNTIME_PARAMS_V1_SIZE, "the 0.1 layout of parley_runtime_params is frozen");
#endif
