/* npc_chat.c — a three-turn conversation with one NPC through the C ABI.
 *
 *   cc npc_chat.c $(pkg-config --cflags --libs parley) -o npc_chat
 *   ./npc_chat [model.gguf] [voice.onnx] [out-dir]
 *
 * Prints the reply as it streams, writes each turn's speech to out-dir/turn-N.wav,
 * saves the NPC after turn 2, destroys it, loads it back and asks a question
 * that needs the earlier conversation. Models are found by bare name in
 * $PARLEY_MODELS or ./models. Exits non-zero on any failure. */
#include <parley.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void sleep_ms(int ms) {
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* 16-bit PCM mono WAV. */
static int write_wav(const char *path, const float *samples, size_t n, int rate) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    uint32_t data_bytes = (uint32_t)(n * 2), u32;
    uint16_t u16;
    fwrite("RIFF", 1, 4, f); u32 = 36 + data_bytes; fwrite(&u32, 4, 1, f);
    fwrite("WAVEfmt ", 1, 8, f); u32 = 16; fwrite(&u32, 4, 1, f);
    u16 = 1; fwrite(&u16, 2, 1, f); fwrite(&u16, 2, 1, f);
    u32 = (uint32_t)rate; fwrite(&u32, 4, 1, f); u32 = (uint32_t)rate * 2; fwrite(&u32, 4, 1, f);
    u16 = 2; fwrite(&u16, 2, 1, f); u16 = 16; fwrite(&u16, 2, 1, f);
    fwrite("data", 1, 4, f); fwrite(&data_bytes, 4, 1, f);
    for (size_t i = 0; i < n; i++) {
        float s = samples[i] < -1 ? -1 : samples[i] > 1 ? 1 : samples[i];
        int16_t v = (int16_t)(s * 32767);
        fwrite(&v, 2, 1, f);
    }
    return fclose(f);
}

/* Runs one turn: say, then poll (as a game would once per frame) until DONE.
 * The reply is copied into reply (NUL-terminated). Returns the DONE status. */
static parley_status turn(parley_runtime *rt, parley_npc *npc, const char *line, const char *wav_path,
                          char *reply, size_t reply_cap) {
    uint64_t turn_id = 0;
    parley_status st = parley_npc_say(npc, line, &turn_id);
    if (st != PARLEY_OK) {
        fprintf(stderr, "say: %s: %s\n", parley_status_string(st), parley_last_error());
        return st;
    }
    printf("you> %s\nnpc> ", line);
    float *audio = NULL;
    size_t n_audio = 0;
    int rate = 0, texts = 0, audios = 0;
    parley_status outcome = PARLEY_ERR_INTERNAL;
    reply[0] = 0;
    for (;;) {
        parley_event ev;
        memset(&ev, 0, sizeof ev);
        ev.struct_size = sizeof ev;
        st = parley_poll(rt, &ev);
        if (st == PARLEY_NO_EVENT) { sleep_ms(2); continue; }  /* a game renders a frame here */
        if (st != PARLEY_OK) { fprintf(stderr, "poll: %s\n", parley_last_error()); break; }
        if (ev.turn_id != turn_id) continue;
        if (ev.type == PARLEY_EVENT_TEXT) {
            texts++;
            fputs(ev.text, stdout);
            fflush(stdout);
            strncat(reply, ev.text, reply_cap - strlen(reply) - 1);
        } else if (ev.type == PARLEY_EVENT_AUDIO) {
            if (texts == 0) { fprintf(stderr, "order: AUDIO before any TEXT\n"); outcome = PARLEY_ERR_INTERNAL; }
            audios++;
            /* Payloads live until the next poll: copy what we keep. */
            float *grown = realloc(audio, (n_audio + ev.n_samples) * sizeof *audio);
            if (!grown) { free(audio); return PARLEY_ERR_OUT_OF_MEMORY; }
            audio = grown;
            memcpy(audio + n_audio, ev.samples, ev.n_samples * sizeof *audio);
            n_audio += ev.n_samples;
            rate = ev.sample_rate;
        } else if (ev.type == PARLEY_EVENT_ERROR) {
            fprintf(stderr, "\n[error %s: %s]\n", parley_status_string(ev.status), ev.text ? ev.text : "");
        } else if (ev.type == PARLEY_EVENT_DONE) {
            outcome = ev.status;
            break;
        }
    }
    printf("\n");
    parley_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    if (parley_runtime_stats(rt, &stats) == PARLEY_OK)
        printf("  [%u of %u prompt tokens prefilled, %u generated, first text %.0f ms, first audio %.0f ms, %d audio chunks]\n",
               stats.last_prefilled_tokens, stats.last_prompt_tokens, stats.last_generated_tokens,
               stats.last_first_text_ms, stats.last_first_audio_ms, audios);
    if (wav_path && n_audio > 0 && write_wav(wav_path, audio, n_audio, rate) != 0) {
        fprintf(stderr, "cannot write %s\n", wav_path);
        outcome = PARLEY_ERR_IO;
    }
    free(audio);
    return outcome;
}

int main(int argc, char **argv) {
    const char *model = argc > 1 ? argv[1] : "smollm2-135m-instruct-q4_1.gguf";
    const char *voice = argc > 2 ? argv[2] : "en_US-joe-medium.onnx";
    const char *dir = argc > 3 ? argv[3] : ".";
    int replies = getenv("NPC_CHAT_MAX_TOKENS") ? atoi(getenv("NPC_CHAT_MAX_TOKENS")) : 48;

    parley_runtime_params rp = parley_runtime_default_params();
    rp.model_path = model;
    rp.voice_path = strcmp(voice, "-") == 0 ? NULL : voice;
    rp.seed = 42;
    parley_runtime *rt = NULL;
    if (parley_runtime_create(&rp, &rt) != PARLEY_OK) {
        fprintf(stderr, "parley_runtime_create: %s\n", parley_last_error());
        return 1;
    }

    const char *lore[] = { "The lighthouse went dark forty years ago.", "A room costs five silver a night." };
    parley_npc_params np = parley_npc_default_params();
    np.name = "Mara";
    np.persona = "The innkeeper of the Drowned Lantern. Warm, gossipy, remembers every guest.";
    np.knowledge = lore;
    np.n_knowledge = 2;
    np.max_reply_tokens = replies;
    np.temperature = 0;  /* greedy: the same run every time */
    parley_npc *npc = NULL;
    if (parley_npc_create(rt, &np, &npc) != PARLEY_OK) {
        fprintf(stderr, "parley_npc_create: %s\n", parley_last_error());
        parley_runtime_destroy(rt);
        return 1;
    }

    int failed = 0;
    char reply[4096], path[1024];
    snprintf(path, sizeof path, "%s/turn-1.wav", dir);
    failed |= turn(rt, npc, "Good evening! My name is Aldric. Do you have a room?", path, reply, sizeof reply) != PARLEY_OK;
    snprintf(path, sizeof path, "%s/turn-2.wav", dir);
    failed |= turn(rt, npc, "How much does a room cost?", path, reply, sizeof reply) != PARLEY_OK;

    /* Save, destroy, load: the conversation continues from the game's save file. */
    size_t size = 0;
    parley_npc_save(npc, NULL, 0, &size);
    void *saved = malloc(size);
    if (!saved || parley_npc_save(npc, saved, size, &size) != PARLEY_OK) failed = 1;
    parley_npc_destroy(npc);
    npc = NULL;
    if (saved && parley_npc_load(rt, saved, size, &npc) != PARLEY_OK) {
        fprintf(stderr, "parley_npc_load: %s\n", parley_last_error());
        failed = 1;
    }
    free(saved);
    if (npc) {
        snprintf(path, sizeof path, "%s/turn-3.wav", dir);
        failed |= turn(rt, npc, "Remind me, what did I say my name was?", path, reply, sizeof reply) != PARLEY_OK;
        printf("recalls the name: %s\n", strstr(reply, "Aldric") ? "yes" : "no");
    }
    parley_npc_destroy(npc);
    parley_runtime_destroy(rt);
    if (failed) { fprintf(stderr, "npc_chat: a turn failed\n"); return 1; }
    printf("npc_chat: 3 turns done\n");
    return 0;
}
