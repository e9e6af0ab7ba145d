#!/usr/bin/env bash
# Soak: 1000 turns (or $1) across 8 NPCs with the voice on, tool calls, cancellations,
# barge-ins and a remote that fails in seven ways (bench/faulty_remote.py). Fails when
# resident memory grows more than 10% after warm-up or threads / descriptors grow.
# Prints one JSON line; figures in BENCHMARKS.md. Uses dist/ (scripts/build-lib).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
export PARLEY_MODELS=${PARLEY_MODELS:-$repo/models}
echo "CPU level: ${PARLEY_CPU_LEVEL:-native}" >&2
exec luajit "$repo/bench/soak.lua" "$repo/dist/lib" "${1:-1000}"
