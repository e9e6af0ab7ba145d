#!/usr/bin/env bash
# `parley serve` under a burst: N concurrent streaming chat completions from a
# loopback client against the real SmolLM2 model. Every request must be either
# answered with a whole event stream (ending in `data: [DONE]`) or refused with
# 503/429; none may hang. Prints answered/refused/failed/hung, p50/p99 latency
# and the server's resident memory before and after (and its peak).
#
# The server runs with an API key from PARLEY_SERVE_API_KEY (a random one per
# run), so the burst also goes through the key check.
# Usage: bench/serve-load.sh [-n N] [--max-tokens T] [--timeout S] [-- SERVE OPTIONS…]
#   -n: requests (default 200); --max-tokens: per request (default 8);
#   --timeout: seconds a client waits for its whole answer before it counts as hung (default 120);
#   after --: options for `parley serve` (say --max-connections 256 --queue-timeout 5).
# PARLEY_BIN: the binary to run (default: dist/bin/parley if present, else a release build).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${PARLEY_CACHE:-$HOME/.cache/parley}
export PARLEY_MODELS=${PARLEY_MODELS:-$cache/models}
model=${PARLEY_SERVE_MODEL:-smollm2-135m-instruct-q4_1.gguf}
n=200 max_tokens=8 timeout=120
serve_args=()
while [ $# -gt 0 ]; do
  case $1 in
    -n) n=$2; shift ;;
    --max-tokens) max_tokens=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    --) shift; serve_args=("$@"); break ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

parley=${PARLEY_BIN:-}
if [ -z "$parley" ]; then
  if [ -x "$repo/dist/bin/parley" ]; then
    parley=$repo/dist/bin/parley
  else
    (cd "$repo" && swift build -c release --product parley-cli >&2)
    parley=$repo/.build/release/parley-cli
  fi
fi

# a free loopback port (the kernel picks; the tiny race with another process is acceptable for a bench)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PARLEY_SERVE_API_KEY=$(python3 -c 'import secrets; print("sk-bench-" + secrets.token_hex(16))')
export PARLEY_SERVE_API_KEY
log=$(mktemp "${TMPDIR:-/tmp}/parley-serve-load.XXXXXX")
"$parley" serve -m "$model" --host 127.0.0.1 --port "$port" ${serve_args[@]+"${serve_args[@]}"} >"$log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  kill -0 $server_pid 2>/dev/null || { echo "parley serve exited:" >&2; cat "$log" >&2; exit 1; }
  sleep 0.25
done
curl -sf "http://127.0.0.1:$port/health" >/dev/null || { echo "parley serve did not start" >&2; cat "$log" >&2; exit 1; }

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores" >&2
echo "server: $parley serve -m $model ${serve_args[*]-} (pid $server_pid, port $port)" >&2
status=0
python3 - "$port" "$n" "$max_tokens" "$timeout" "$server_pid" <<'PY' || status=$?
import json, os, socket, sys, threading, time

port, n, max_tokens, timeout, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
key = os.environ["PARLEY_SERVE_API_KEY"]

def status_kb(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0

def request(stream=True):
    body = json.dumps({"model": "smollm2", "stream": stream, "max_tokens": max_tokens, "temperature": 0,
                       "messages": [{"role": "system", "content": "You are Mara, the innkeeper of the Drowned Lantern."},
                                    {"role": "user", "content": "Any rumours tonight?"}]}).encode()
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    return head + body

def judge(raw):
    """'answered', 'refused' or 'failed: why' for a response read to the server's close."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return f"failed: no response head ({len(raw)} bytes)"
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return f"failed: bad status line {lines[0]!r}"
    headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    if status in (429, 503):
        ok = headers.get("content-length") == str(len(body)) and "error" in json.loads(body or b"{}")
        return "refused" if ok else f"failed: incomplete {status}"
    if status != 200:
        return f"failed: status {status}"
    events = [e[6:] for e in body.decode("utf-8", "replace").split("\n\n") if e.startswith("data: ")]
    if not events or events[-1] != "[DONE]":
        return "failed: stream without [DONE]"
    try:
        chunks = [json.loads(e) for e in events[:-1]]
    except ValueError:
        return "failed: an event is not JSON"
    finishes = [c["choices"][0].get("finish_reason") for c in chunks if c.get("choices")]
    if not finishes or finishes[-1] not in ("stop", "length"):
        return "failed: no finish reason"
    return "answered"

def one(results, barrier, i):
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    start = time.monotonic()
    outcome = None
    raw = b""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            deadline = start + timeout
            try:
                s.sendall(request())
            except OSError:
                pass   # refused before the request was read: the answer is still there to read
            while True:
                s.settimeout(max(0.001, deadline - time.monotonic()))
                chunk = s.recv(65536)
                if not chunk:
                    break
                raw += chunk
    except socket.timeout:
        outcome = "hung"
    except OSError as e:
        # a reset after a whole refusal loses nothing
        outcome = None if raw else f"failed: {e.__class__.__name__}"
    if outcome is None:
        outcome = judge(raw)
    results[i] = (outcome, time.monotonic() - start)

# one request first, so "before" is the server with the model loaded and warm
warm = [None]
one(warm, threading.Barrier(1), 0)
rss_before = status_kb("VmRSS")

results = [None] * n
barrier = threading.Barrier(n, timeout=30)
threads = [threading.Thread(target=one, args=(results, barrier, i), daemon=True) for i in range(n)]
wall = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join(timeout + 30)
wall = time.monotonic() - wall
time.sleep(0.5)   # let connection threads end before reading memory
rss_after, rss_peak = status_kb("VmRSS"), status_kb("VmHWM")

outcomes = [r[0] if r else "hung" for r in results]
count = lambda k: sum(1 for o in outcomes if o == k)
answered, refused, hung = count("answered"), count("refused"), count("hung")
failed = [o for o in outcomes if o.startswith("failed")]

def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]

lat = lambda kind: [r[1] * 1000 for r in results if r and r[0] == kind]
print(f"warm-up request: {warm[0][0]} in {warm[0][1] * 1000:.0f} ms")
print(f"sent {n}: answered {answered}, refused {refused}, failed {len(failed)}, hung {hung} (wall {wall:.2f} s)")
for kind in ("answered", "refused"):
    v = lat(kind)
    if v:
        print(f"  {kind:8s} latency ms: p50 {pct(v, 50):.0f}  p99 {pct(v, 99):.0f}  max {max(v):.0f}")
print(f"server RSS: before {rss_before / 1024:.1f} MB, after {rss_after / 1024:.1f} MB, peak {rss_peak / 1024:.1f} MB")
for why in sorted(set(failed))[:5]:
    print("  " + why)
sys.exit(0 if answered + refused == n and answered > 0 else 1)
PY
# the server must still answer after the burst
curl -sf "http://127.0.0.1:$port/health" >/dev/null || { echo "parley serve stopped answering after the burst" >&2; exit 1; }
echo "server log: $(grep -c ' 401 ' "$log" || true) requests refused for the key (expected 0)" >&2
if grep -q "$PARLEY_SERVE_API_KEY" "$log"; then echo "the API key appeared in the server log" >&2; exit 1; fi
exit $status
