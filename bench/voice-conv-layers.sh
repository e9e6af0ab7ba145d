#!/usr/bin/env bash
# The int16 voice's convolution layers alone: the direct (or paired-output) kernel against
# Winograd's F(4, 4), each with its input's quantization, one thread, random weights. The
# level comes from PARLEY_CPU_LEVEL (e.g. avx2); the table in BENCHMARKS.md, sixteenth session.
# Built with clang, as the library is (SwiftPM compiles its C with clang).
#
#   PARLEY_CPU_LEVEL=avx2 bench/voice-conv-layers.sh [REPS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
reps=${1:-20}
bin=$(mktemp -d)/voice-conv-layers
trap 'rm -rf "$(dirname "$bin")"' EXIT
"${CC:-clang}" -O3 -I "$root/Sources/VoiceKernels/include" -I "$root/Sources/Kernels/include" -o "$bin" \
    "$root/bench/voice-conv-layers.c" "$root"/Sources/VoiceKernels/*.c "$root/Sources/Kernels/cpu.c" -lm
echo "CPU level ${PARLEY_CPU_LEVEL:-native}"
# (cout cin k dilation columns): the decoder's residual layers at 128, 64 and 32 channels, the flows' WaveNet
for shape in "128 128 7 3 8192" "128 128 7 12 1024" "128 128 3 1 8192" "64 64 7 3 8192" "64 64 7 12 8192" \
             "64 64 3 1 8192" "64 64 3 2 8192" "64 64 5 2 8192" "64 64 5 6 8192" "32 32 7 3 32768" "32 32 7 12 32768" \
             "32 32 3 1 32768" "384 192 5 1 8192" "384 192 5 1 276"; do
    # shellcheck disable=SC2086
    "$bin" $shape "$reps"
done
