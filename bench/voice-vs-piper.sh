#!/usr/bin/env bash
# Parley's voice against Piper 1.8.0 (onnxruntime) in one run: same voice file,
# same text, same scales, 1 and 2 threads. Piper's synthesis is timed in Python
# around PiperVoice.synthesize (text → audio, model load excluded); Parley's by
# `parley bench voice`. Each engine reports medians of RUNS runs; the pair is
# measured ROUNDS times, alternating, and the best round of each is compared
# (other processes on a shared machine only ever slow a round down). Prints
# every round and the ratios (Parley / Piper).
#
#   PARLEY_MODELS=~/.cache/parley/models bench/voice-vs-piper.sh [VOICE] [RUNS] [ROUNDS]
#
# PARLEY_VOICE_PRESET=NAME times Parley with that voice preset on (docs/voice-design.md),
# against plain Piper: the cost of designing a voice on top of the base one.
# PARLEY_VOICE_PRECISION=int16 times Parley's reduced-precision voice (exact by default;
# its intelligibility: bench/voice-precision.py).
#
# At a forced level (PARLEY_CPU_LEVEL=avx2 or avx-vnni) Piper runs at that level too:
# bench/cpuid-mask.c hides the instructions above it from onnxruntime through
# CPUID faulting, as on a player's CPU without them. PIPER_NATIVE=1 keeps Piper
# on everything the machine has.
#
# BENCH_NICE (default 0) runs both engines at that nice level, e.g. -10 (as root)
# so that other jobs on a shared machine disturb the measurement less.
set -euo pipefail

voice_name=${1:-en_US-joe-medium.onnx}
runs=${2:-5}
rounds=${3:-3}
nice_level=${BENCH_NICE:-0}
models=${PARLEY_MODELS:-$HOME/.cache/parley/models}
voice="$models/$voice_name"
venv=${PIPER_VENV:-$HOME/.cache/parley/piper-venv}
root=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$voice" ] && [ -f "$voice.json" ] || { echo "voice not found: $voice(.json)" >&2; exit 1; }

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import piper' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q piper-tts==1.8.0
fi
(cd "$root" && swift build -c release --product parley-cli >/dev/null)
parley="$root/.build/release/parley-cli"

sentence="The lighthouse keeper lit the lamp every night for forty years before the storm came."
paragraph="$sentence Nobody in the village remembers what happened to him. Some say he sailed away; \
others say the sea took him. If you find his journal, bring it to me, and I will pay you twelve silver coins."
read -r noise length noise_w < <(python3 -c '
import json, sys
i = json.load(open(sys.argv[1])).get("inference", {})
print(i.get("noise_scale", 0.667), i.get("length_scale", 1.0), i.get("noise_w", 0.8))' "$voice.json")

piper_level=native
piper_err=$(mktemp)
trap 'rm -f "$piper_err"' EXIT
piper_env=()
case "${PARLEY_CPU_LEVEL:-}" in
avx2 | avx-vnni)
    if [ "${PIPER_NATIVE:-0}" != 1 ]; then
        mask="$HOME/.cache/parley/cpuid-mask.so"
        cc -O2 -shared -fPIC -o "$mask" "$root/bench/cpuid-mask.c"
        if grep -qw cpuid_fault /proc/cpuinfo; then
            piper_level=$PARLEY_CPU_LEVEL
            piper_env=(env PEER_CPU_LEVEL="$PARLEY_CPU_LEVEL" LD_PRELOAD="$mask")
        else
            echo "warning: no CPUID faulting on this machine; Piper runs at its native level" >&2
        fi
    fi
    ;;
esac

piper_bench() {  # threads → one JSON line
    nice -n "$nice_level" "${piper_env[@]}" "$venv/bin/python" - "$voice" "$1" "$runs" "$sentence" "$paragraph" "$noise" "$length" "$noise_w" <<'PY'
import json, statistics, sys, time
import onnxruntime
from piper import PiperVoice, SynthesisConfig
from piper.config import PiperConfig

path, threads, runs, sentence, paragraph = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
noise, length, noise_w = map(float, sys.argv[6:9])
options = onnxruntime.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
with open(path + ".json", encoding="utf-8") as f:
    config = PiperConfig.from_dict(json.load(f))
voice = PiperVoice(config=config, session=onnxruntime.InferenceSession(path, sess_options=options, providers=["CPUExecutionProvider"]))
syn = SynthesisConfig(noise_scale=noise, length_scale=length, noise_w_scale=noise_w)
rate = config.sample_rate

def paragraph_rtf():
    t0 = time.perf_counter()
    samples = sum(len(c.audio_float_array) for c in voice.synthesize(paragraph, syn))
    return (time.perf_counter() - t0) / (samples / rate), samples / rate

def first_sentence():
    t0 = time.perf_counter()
    chunk = next(iter(voice.synthesize(sentence, syn)))  # Piper's first audio is the whole sentence
    return 1000 * (time.perf_counter() - t0), len(chunk.audio_float_array) / rate

paragraph_rtf()  # warm-up
rtf, audio, first, sentence_audio = [], 0, [], 0
for _ in range(runs):
    r, audio = paragraph_rtf()
    rtf.append(r)
    ms, sentence_audio = first_sentence()
    first.append(ms)
print(json.dumps({"threads": threads, "runs": runs, "audio_s": round(audio, 3), "rtf": round(statistics.median(rtf), 4),
                  "sentence_audio_s": round(sentence_audio, 3), "sentence_ms": round(statistics.median(first), 1)}))
PY
}

echo "voice: $voice_name; scales noise $noise, length $length, noise_w $noise_w; medians of $runs runs, best of $rounds rounds"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); nice $nice_level"
echo "sentence: $sentence"
echo "parley voice preset: ${PARLEY_VOICE_PRESET:-none}, precision ${PARLEY_VOICE_PRECISION:-exact}; CPU level: parley ${PARLEY_CPU_LEVEL:-native}, piper $piper_level"
for threads in 1 2; do
    results=()
    for ((round = 1; round <= rounds; round++)); do
        piper=$(piper_bench "$threads" 2>"$piper_err") || { cat "$piper_err" >&2; exit 1; }
        grep -h cpuid-mask "$piper_err" >&2 || true
        ours=$(nice -n "$nice_level" "$parley" bench voice -v "$voice" --threads "$threads" --runs "$runs" --json \
            --sentence "$sentence" --paragraph "$paragraph" ${PARLEY_VOICE_PRESET:+--preset "$PARLEY_VOICE_PRESET"} \
            --precision "${PARLEY_VOICE_PRECISION:-exact}")
        echo "round $round piper  $piper"
        echo "round $round parley $ours (load average $(cut -d' ' -f1 /proc/loadavg))"
        results+=("$piper" "$ours")
    done
    python3 - "${results[@]}" <<'PY'
import json, sys
rows = [json.loads(a) for a in sys.argv[1:]]
piper, ours = rows[0::2], rows[1::2]
p = {k: min(r[k] for r in piper) for k in ("rtf", "sentence_ms")}
o = {k: min(r[k] for r in ours) for k in ("rtf", "first_chunk_ms", "sentence_ms")}
words = ours[0]["sentence_words"]
print(f"threads {ours[0]['threads']}, parley at CPU level {ours[0]['cpu_level']} (best rounds): real-time factor parley {o['rtf']} vs piper {p['rtf']} "
      f"(ratio {o['rtf'] / p['rtf']:.2f}); first audio of the {words}-word sentence: parley {o['first_chunk_ms']} ms "
      f"vs piper {p['sentence_ms']} ms (ratio {o['first_chunk_ms'] / p['sentence_ms']:.2f}); whole sentence parley "
      f"{o['sentence_ms']} ms (ratio {o['sentence_ms'] / p['sentence_ms']:.2f})")
PY
done
