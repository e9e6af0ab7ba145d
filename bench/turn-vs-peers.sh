#!/usr/bin/env bash
# First audio of an NPC turn: Parley against the stack a studio would chain today —
# llama.cpp's llama-server (prompt cache on, streaming) feeding Piper, which speaks
# each sentence once it is complete. Same model (SmolLM2, or PARLEY_TURN_MODEL, e.g.
# qwen2.5-coder-0.5b-instruct-q4_k_m.gguf), voice (joe), persona,
# lore, player lines and greedy decoding; same machine, same run. Prints the
# median first-AUDIO latency of turns 2–4 for both and the ratio.
#
# Uses the caches the other benchmarks build (outside the repo, $PARLEY_CACHE,
# default ~/.cache/parley): llama.cpp via bench/llm-vs-llamacpp.sh --build-only,
# and the piper-tts==1.8.0 venv bench/voice-vs-piper.sh uses.
# PARLEY_CPU_LEVEL=avx2 runs Parley at the AVX2 level and the peer's llama-server from
# llama.cpp's AVX2 build (no AVX-512), as a player's AVX2 machine would; Piper's
# onnxruntime picks its own kernels by CPUID (it has no switch to cap them).
# PARLEY_VOICE_PRECISION=int16 runs Parley's voice in its reduced-precision mode.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${PARLEY_CACHE:-$HOME/.cache/parley}
models=${PARLEY_MODELS:-$cache/models}
port=${PEER_PORT:-18089}
model=${PARLEY_TURN_MODEL:-smollm2-135m-instruct-q4_1.gguf}
threads=2

if [ "${PARLEY_CPU_LEVEL:-}" = avx2 ]; then
    "$repo/bench/llm-vs-llamacpp.sh" --level avx2 --build-only
    server=$cache/llama.cpp-build-avx2/bin/llama-server
else
    "$repo/bench/llm-vs-llamacpp.sh" --build-only
    server=$cache/llama.cpp-build/bin/llama-server
fi
echo "peer server: $server" >&2
venv=${PIPER_VENV:-$cache/piper-venv}
py=$venv/bin/python
if [ ! -x "$py" ] || ! "$py" -c 'import piper' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q piper-tts==1.8.0
fi
(cd "$repo" && swift build -c release --product parley-cli >&2)

"$server" -m "$models/$model" -t $threads -c 4096 --host 127.0.0.1 --port $port \
    --no-webui >/tmp/parley-peer-server.log 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null' EXIT
for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    sleep 0.5
done

echo "== peer: llama-server → Piper (sentence by sentence)"
peer=$("$py" - "$port" "$models/en_US-joe-medium.onnx" "$threads" <<'PY'
import json, os, re, sys, time, urllib.request
port, voice_path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.environ["OMP_NUM_THREADS"] = str(threads)
from piper import PiperVoice
from piper.config import SynthesisConfig
voice = PiperVoice.load(voice_path)
cfg = SynthesisConfig(noise_scale=voice.config.noise_scale, length_scale=voice.config.length_scale,
                      noise_w_scale=voice.config.noise_w_scale)
persona = ("You are Mara, the innkeeper of the Drowned Lantern, a tavern in a fishing town. Warm, gossipy, "
           "a little superstitious. Answer in one to three short spoken sentences.")
lore = ["The lighthouse went dark forty years ago.", "A room costs five silver a night.",
        "The smuggler Black Tam drinks here on Tuesdays."]
lines = ["Good evening! Do you have a room for the night?", "What happened to the old lighthouse?",
         "Who is that man drinking alone in the corner?", "Thank you. I will take the room."]
system = "You are Mara. " + persona + "\nWhat you know:\n" + "\n".join("- " + l for l in lore)
messages = [{"role": "system", "content": system}]
end = re.compile(r'[.!?…]["\')]*\s')
firsts = []
for n, line in enumerate(lines, 1):
    messages.append({"role": "user", "content": line})
    body = json.dumps({"messages": messages, "stream": True, "max_tokens": 64, "temperature": 0,
                       "cache_prompt": True}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", body,
                                 {"Content-Type": "application/json"})
    t0 = time.perf_counter()
    first_audio = None
    reply, pending = "", ""
    def speak(sentence):
        global first_audio
        for chunk in voice.synthesize(sentence, syn_config=cfg):
            _ = chunk.audio_float_array
        if first_audio is None:
            first_audio = (time.perf_counter() - t0) * 1000
    with urllib.request.urlopen(req) as resp:
        for raw in resp:
            raw = raw.decode().strip()
            if not raw.startswith("data:"): continue
            data = raw[5:].strip()
            if data == "[DONE]": break
            delta = json.loads(data)["choices"][0]["delta"].get("content") or ""
            reply += delta; pending += delta
            m = end.search(pending)
            while m:
                speak(pending[:m.end()].strip()); pending = pending[m.end():]
                m = end.search(pending)
    if pending.strip(): speak(pending.strip())
    messages.append({"role": "assistant", "content": reply.strip()})
    firsts.append(first_audio)
    print(f"turn {n}: first audio {first_audio:.1f} ms", file=sys.stderr)
later = sorted(firsts[1:])
print(json.dumps({"first_audio_ms": firsts, "median_turns_2_on": later[len(later) // 2]}))
PY
)
echo "$peer"
echo "== parley bench turn"
ours=$(PARLEY_MODELS=$models "$repo/.build/release/parley-cli" bench turn -m "$model" \
       -v en_US-joe-medium.onnx --threads $threads --voice-precision "${PARLEY_VOICE_PRECISION:-exact}" --json)
echo "$ours"
python3 - "$peer" "$ours" <<'PY'
import json, sys
peer, ours = json.loads(sys.argv[1]), json.loads(sys.argv[2])
p, o = peer["median_turns_2_on"], ours["median_first_audio_ms_turns_2_on"]
print(f"\nmedian first AUDIO, turns 2-4: parley {o:.1f} ms, llama-server + Piper {p:.1f} ms, ratio {o / p:.2f}x")
print("turn  parley_prefilled/prompt  parley_first_audio_ms  peer_first_audio_ms")
for i, (t, pa) in enumerate(zip(ours["turns"], peer["first_audio_ms"]), 1):
    print(f"{i:4d}  {int(t['prefilled_tokens']):>9d}/{int(t['prompt_tokens']):<13d}  {t['first_audio_ms']:21.1f}  {pa:19.1f}")
PY
