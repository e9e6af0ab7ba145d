/* The audio output of parley.h (parley_audio_*, parley_listener_set, NPC position and
 * velocity) against the built library.
 *   audio_out                    no model: argument checks, statuses and messages; a bogus
 *                                device fails with PARLEY_ERR_AUDIO_DEVICE and an ERROR
 *                                event; OpenAL Soft's null backend opens (valgrind-friendly).
 *   audio_out MODEL VOICE        real turns: with no device the turn still ends DONE OK with
 *                                AUDIO events; then two NPCs at x = -3 and x = +3 speak through
 *                                the loopback output and the rendered stereo leans their way.
 * Exits non-zero on a failed check. */
#include <parley.h>
#include "check.h"
#include <AL/al.h>
#include <AL/alc.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


_Static_assert(sizeof(parley_audio_params) == PARLEY_AUDIO_PARAMS_V1_SIZE, "audio params V1 size");

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static parley_npc *make_npc(parley_runtime *rt, const char *name, float x) {
    parley_npc_params np = parley_npc_default_params();
    np.name = name;
    np.persona = "A villager. Answers in one short sentence.";
    np.max_reply_tokens = 16;
    np.temperature = 0;
    np.position[0] = x;
    parley_npc *npc = NULL;
    parley_status st = parley_npc_create(rt, &np, &npc);
    CHECK(st == PARLEY_OK && npc, "npc %s: %s %s", name, parley_status_string(st), parley_last_error());
    return npc;
}

static void no_model(void) {
    parley_audio_params d = parley_audio_default_params();
    CHECK(d.struct_size == sizeof d && d.device == NULL && d.distance_model == PARLEY_DISTANCE_INVERSE_CLAMPED &&
          d.reference_distance == 1 && d.rolloff == 1 && d.max_distance == 1000 && d.gain == 1 && d.loopback_rate == 0,
          "default params");
    CHECK(strcmp(parley_status_string(PARLEY_ERR_AUDIO_DEVICE), "PARLEY_ERR_AUDIO_DEVICE") == 0, "status name");
    EXPECT_ERR(parley_audio_open(NULL, NULL), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    parley_audio_close(NULL);

    parley_runtime *rt = NULL;
    parley_status st = parley_runtime_create(NULL, &rt);
    CHECK(st == PARLEY_OK && rt, "runtime: %s %s", parley_status_string(st), parley_last_error());
    if (!rt) return;
    parley_npc *npc = make_npc(rt, "Ada", 0);
    if (!npc) { parley_runtime_destroy(rt); return; }

    parley_audio_params p = parley_audio_default_params();
    p.gain = NAN;
    EXPECT_ERR(parley_audio_open(rt, &p), PARLEY_ERR_INVALID_ARGUMENT, "gain");
    p = parley_audio_default_params();
    p.distance_model = (parley_distance_model)99;
    EXPECT_ERR(parley_audio_open(rt, &p), PARLEY_ERR_INVALID_ARGUMENT, "distance model");
    p = parley_audio_default_params();
    p.reference_distance = 0;
    EXPECT_ERR(parley_audio_open(rt, &p), PARLEY_ERR_INVALID_ARGUMENT, "reference distance");
    p = parley_audio_default_params();
    p.loopback_rate = 100;
    EXPECT_ERR(parley_audio_open(rt, &p), PARLEY_ERR_INVALID_ARGUMENT, "loopback");
    p = parley_audio_default_params();
    p.struct_size = 8;
    EXPECT_ERR(parley_audio_open(rt, &p), PARLEY_ERR_STRUCT_SIZE, "struct_size");

    /* no such device: a status, a message, an ERROR event; nothing else changes */
    p = parley_audio_default_params();
    p.device = "parley-no-such-device";
    EXPECT_ERR(parley_audio_open(rt, &p), PARLEY_ERR_AUDIO_DEVICE, "parley-no-such-device");
    parley_event e = { .struct_size = sizeof e };
    st = parley_poll(rt, &e);
    CHECK(st == PARLEY_OK && e.type == PARLEY_EVENT_ERROR && e.status == PARLEY_ERR_AUDIO_DEVICE && e.npc_id == 0 &&
          e.text && strstr(e.text, "AUDIO events still flow"), "ERROR event for the failed open: %s %s",
          parley_status_string(e.status), e.text ? e.text : "(null)");
    CHECK(parley_poll(rt, &e) == PARLEY_NO_EVENT, "one ERROR only");
    float out[8];
    EXPECT_ERR(parley_audio_render(rt, out, 4), PARLEY_ERR_INVALID_STATE, "no audio output");
    CHECK(parley_npc_is_speaking(npc) == 0 && parley_npc_is_speaking(NULL) == 0, "not speaking");

    /* listener and NPC placement: NULL keeps, bad values refused */
    const float origin[3] = { 0, 0, 0 }, ahead[3] = { 0, 0, -1 }, up[3] = { 0, 1, 0 }, bad[3] = { 0, NAN, 0 };
    EXPECT_OK(parley_listener_set(rt, origin, origin, ahead, up));
    EXPECT_OK(parley_listener_set(rt, NULL, NULL, NULL, NULL));
    EXPECT_ERR(parley_listener_set(rt, NULL, NULL, ahead, ahead), PARLEY_ERR_INVALID_ARGUMENT, "parallel");
    EXPECT_ERR(parley_listener_set(rt, bad, NULL, NULL, NULL), PARLEY_ERR_INVALID_ARGUMENT, "finite");
    EXPECT_ERR(parley_listener_set(NULL, origin, NULL, NULL, NULL), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    const float east[3] = { 3, 0, -1 };
    EXPECT_OK(parley_npc_set_position(npc, east));
    EXPECT_ERR(parley_npc_set_position(npc, bad), PARLEY_ERR_INVALID_ARGUMENT, "finite");
    EXPECT_ERR(parley_npc_set_position(npc, NULL), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_ERR(parley_npc_set_position(NULL, east), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    EXPECT_OK(parley_npc_set_velocity(npc, east));
    EXPECT_ERR(parley_npc_set_velocity(npc, bad), PARLEY_ERR_INVALID_ARGUMENT, "finite");
    size_t size = 0;
    EXPECT_OK(parley_npc_save(npc, NULL, 0, &size));

    /* the null backend (ALSOFT_DRIVERS=null, set in main): a silent device, as on a headless server */
    EXPECT_OK(parley_audio_open(rt, NULL));
    EXPECT_ERR(parley_audio_render(rt, out, 4), PARLEY_ERR_INVALID_STATE, "loopback");
    /* a loopback output replaces it; render before anyone speaks is silence */
    p = parley_audio_default_params();
    p.loopback_rate = 44100;
    EXPECT_OK(parley_audio_open(rt, &p));
    memset(out, 0xff, sizeof out);
    EXPECT_OK(parley_audio_render(rt, out, 4));
    for (int i = 0; i < 8; i++) CHECK(out[i] == 0, "silence before speech: out[%d] = %g", i, out[i]);
    EXPECT_ERR(parley_audio_render(rt, out, 0), PARLEY_ERR_INVALID_ARGUMENT, "frames");
    EXPECT_ERR(parley_audio_render(rt, NULL, 4), PARLEY_ERR_INVALID_ARGUMENT, "NULL");
    parley_audio_close(rt);
    parley_audio_close(rt);
    EXPECT_ERR(parley_audio_render(rt, out, 4), PARLEY_ERR_INVALID_STATE, "no audio output");
    /* a game that drives OpenAL itself keeps its current context through our calls */
    ALCdevice *game_device = alcOpenDevice(NULL);
    ALCcontext *game_context = game_device ? alcCreateContext(game_device, NULL) : NULL;
    CHECK(game_context && alcMakeContextCurrent(game_context), "the game's own OpenAL context (null backend)");
    EXPECT_OK(parley_audio_open(rt, &p));
    EXPECT_OK(parley_npc_set_position(npc, east));
    EXPECT_OK(parley_listener_set(rt, origin, NULL, ahead, up));
    EXPECT_OK(parley_audio_render(rt, out, 4));
    CHECK(alcGetCurrentContext() == game_context, "the game's context is still current after parley's calls");
    ALuint game_source = 0;
    alGenSources(1, &game_source);
    CHECK(alGetError() == AL_NO_ERROR && alIsSource(game_source), "the game still makes sources in its context");
    alDeleteSources(1, &game_source);
    alcMakeContextCurrent(NULL);
    if (game_context) alcDestroyContext(game_context);
    if (game_device) alcCloseDevice(game_device);
    /* left open on purpose: the runtime closes it */
    parley_npc_destroy(npc);
    parley_runtime_destroy(rt);
}

/* Polls until the turn's DONE; counts its AUDIO samples. With `mix`, pulls the loopback
 * output in 1,024-frame blocks as an audio callback would, accumulating per-channel energy. */
static int run_turn(parley_runtime *rt, parley_npc *npc, const char *line, size_t *samples,
                    double energy[2], double *first_sound_ms) {
    uint64_t turn = 0;
    double start = now_ms();
    parley_status st = parley_npc_say(npc, line, &turn);
    CHECK(st == PARLEY_OK, "say: %s %s", parley_status_string(st), parley_last_error());
    if (st != PARLEY_OK) return 0;
    parley_event e = { .struct_size = sizeof e };
    int done = 0, ok = 0;
    static float block[2048];
    while (now_ms() - start < 600000) {
        st = parley_poll(rt, &e);
        if (st == PARLEY_OK && e.turn_id == turn) {
            if (e.type == PARLEY_EVENT_AUDIO) *samples += e.n_samples;
            if (e.type == PARLEY_EVENT_DONE) { done = 1; ok = e.status == PARLEY_OK; }
        }
        if (energy) {
            if (parley_audio_render(rt, block, 1024) != PARLEY_OK) { CHECK(0, "render: %s", parley_last_error()); break; }
            double l = 0, r = 0;
            for (int i = 0; i < 1024; i++) { l += block[2 * i] * block[2 * i]; r += block[2 * i + 1] * block[2 * i + 1]; }
            energy[0] += l;
            energy[1] += r;
            if (first_sound_ms && *first_sound_ms < 0 && l + r > 1e-6) *first_sound_ms = now_ms() - start;
            /* after DONE, drain what is still queued */
            if (done && !parley_npc_is_speaking(npc)) break;
            if (st == PARLEY_NO_EVENT) usleep(2000);
        } else if (done) {
            break;
        } else if (st == PARLEY_NO_EVENT) {
            usleep(2000);
        }
    }
    CHECK(done && ok, "turn ended DONE OK (done %d ok %d)", done, ok);
    return done && ok;
}

static void real_turns(const char *model, const char *voice) {
    parley_runtime_params rp = parley_runtime_default_params();
    rp.model_path = model;
    rp.voice_path = voice;
    rp.n_threads = 2;
    rp.n_ctx = 512;
    rp.seed = 1;
    parley_runtime *rt = NULL;
    parley_status st = parley_runtime_create(&rp, &rt);
    CHECK(st == PARLEY_OK && rt, "runtime: %s %s", parley_status_string(st), parley_last_error());
    if (!rt) return;
    parley_npc *west = make_npc(rt, "Wes", -3);
    parley_npc *east = make_npc(rt, "Esther", 3);
    if (!west || !east) { parley_runtime_destroy(rt); return; }

    /* no device: the turn goes on with its AUDIO events */
    parley_audio_params p = parley_audio_default_params();
    p.device = "parley-no-such-device";
    EXPECT_ERR(parley_audio_open(rt, &p), PARLEY_ERR_AUDIO_DEVICE, "cannot open");
    size_t samples = 0;
    run_turn(rt, west, "Hello there.", &samples, NULL, NULL);
    CHECK(samples > 2205, "AUDIO without a device: %zu samples", samples);
    printf("audio_out: no device: turn DONE OK with %zu samples of AUDIO\n", samples);

    /* loopback: each NPC alone, listener at the origin facing -z */
    p = parley_audio_default_params();
    p.loopback_rate = 44100;
    EXPECT_OK(parley_audio_open(rt, &p));
    const float origin[3] = { 0, 0, 0 }, ahead[3] = { 0, 0, -1 }, up[3] = { 0, 1, 0 };
    EXPECT_OK(parley_listener_set(rt, origin, origin, ahead, up));
    parley_npc *npcs[2] = { west, east };
    const char *names[2] = { "west (x=-3)", "east (x=+3)" };
    double db[2];
    for (int i = 0; i < 2; i++) {
        double energy[2] = { 0, 0 }, first = -1;
        samples = 0;
        run_turn(rt, npcs[i], "Good morning!", &samples, energy, &first);
        /* 1e-12: a silent channel reads as a large finite ratio instead of infinity */
        db[i] = 10 * log10((energy[0] + 1e-12) / (energy[1] + 1e-12));
        printf("audio_out: %s: %zu samples of AUDIO, energy L %.3g R %.3g, left over right %+.1f dB, "
               "first sound in the mix %.0f ms after say\n", names[i], samples, energy[0], energy[1], db[i], first);
        CHECK(energy[0] + energy[1] > 1, "%s: heard (energy %g)", names[i], energy[0] + energy[1]);
        parley_stats stats = { .struct_size = sizeof stats };
        if (parley_runtime_stats(rt, &stats) == PARLEY_OK)
            printf("audio_out: %s: first AUDIO event %.0f ms after say (stats)\n", names[i], stats.last_first_audio_ms);
    }
    CHECK(db[0] > 3, "west leans left: %+.1f dB", db[0]);
    CHECK(db[1] < -3, "east leans right: %+.1f dB", db[1]);
    parley_npc_destroy(west);
    parley_npc_destroy(east);
    parley_runtime_destroy(rt);
}

int main(int argc, char **argv) {
    if (argc == 3) {
        real_turns(argv[1], argv[2]);
    } else {
        /* OpenAL Soft reads it once, at its first call: before any parley_audio_open */
        setenv("ALSOFT_DRIVERS", "null", 1);
        no_model();
    }
    if (failures) { fprintf(stderr, "audio_out: %d failed\n", failures); return 1; }
    printf("audio_out: OK\n");
    return 0;
}
