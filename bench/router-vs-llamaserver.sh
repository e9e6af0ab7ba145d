#!/usr/bin/env bash
# The router's economics on the committed set: SmolLM2 local (Parley's engine)
# against Qwen2.5-0.5B served by llama.cpp's llama-server on loopback as the
# "remote large model". Runs `parley eval --mode all` (local only, remote only,
# routed) over eval/router/*.jsonl, then the threshold sweep (PNG), and prints
# routed success as a share of remote-only, the escalation share, and the gain
# over random routing at the same share.
#
# llama.cpp is built once into $PARLEY_CACHE (default ~/.cache/parley) by
# bench/llm-vs-llamacpp.sh --build-only, as for the other benchmarks.
# Usage: bench/router-vs-llamaserver.sh [--quick] [--threshold T] [--out DIR]
#   --quick: the first 15 cases of each file (a smoke run, minutes not an hour)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${PARLEY_CACHE:-$HOME/.cache/parley}
export PARLEY_MODELS=${PARLEY_MODELS:-$cache/models}
port=${PEER_PORT:-18090}
quick=0 threshold="" out=${TMPDIR:-/tmp}/parley-router-bench
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --threshold) threshold=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"

"$repo/bench/llm-vs-llamacpp.sh" --build-only
server=$cache/llama.cpp-build/bin/llama-server
(cd "$repo" && swift build -c release --product parley-cli >&2)
parley=$repo/.build/release/parley-cli

# One thread each: the local model and the "remote" share this machine's cores.
"$server" -m "$PARLEY_MODELS/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf" -t 1 -c 8192 -np 1 --jinja \
    --host 127.0.0.1 --port $port --no-webui >"$out/llama-server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || { echo "llama-server did not start" >&2; exit 1; }

sets=("$repo"/eval/router/*.jsonl)
if [ $quick = 1 ]; then
  for f in "${sets[@]}"; do head -15 "$f"; done >"$out/quick.jsonl"
  sets=("$out/quick.jsonl")
fi
extra=()
[ -n "$threshold" ] && extra+=(--threshold "$threshold")

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); level: ${PARLEY_CPU_LEVEL:-native}" >&2
"$parley" eval --local smollm2-135m-instruct-q4_1.gguf --threads 1 --seed 0 \
    --remote "http://127.0.0.1:$port/v1" --remote-model qwen2.5-0.5b --mode all "${extra[@]}" \
    --json --cases-out "$out/cases.jsonl" "${sets[@]}" >"$out/report.json"
python3 - "$out/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
loc, rem, rt, esc = r["local_only_success"], r["remote_only_success"], r["routed_success"], r["escalation_share"]
rand = esc * rem + (1 - esc) * loc
print(f"cases {r['cases']}: local {loc:.3f}  remote {rem:.3f}  routed {rt:.3f}  escalated {esc:.3f}")
print(f"routed / remote-only: {rt / rem if rem else float('nan'):.3f}   routed - random at the same share: {100 * (rt - rand):+.1f} points")
lat = r["latency_ms"]
print(f"first text p50 ms: local {lat['local_p50']}  remote {lat['remote_p50']}  routed {lat['routed_p50']}")
print(f"remote tokens {r['remote_tokens']}, cost per hour (routed) ${r['cost_per_hour_usd']}")
for kind, k in r["by_kind"].items():
    print(f"  {kind:10s} {k['cases']:4d}  local {k['local_only_success']}  remote {k['remote_only_success']}  routed {k['routed_success']}")
PY
echo "report: $out/report.json, cases: $out/cases.jsonl" >&2
