#!/usr/bin/env bash
# The engine against PyTorch 1.13, every pass that matters, side by side in one run: run it before any change to
# src/Restora.Core lands and put its last lines in the README. Stop background work first (a training run:
# kill -STOP PID, then kill -CONT PID). Needs python3-torch (Debian).
#   1. conv2d forward, forward+backward and inference (scripts/bench-conv-vs-torch.sh), GFLOP/s;
#   2. a training step of DnCNN 17x64 on 50x50 and 10x48 on 64x64, batch 16, 2 threads (Adam, MSE), s/iteration;
#   3. a model's inference: realesrgan-x4plus on 128x128 against PyTorch's RRDBNet.
# Usage: scripts/bench-engine-vs-torch.sh [ROUNDS]. Prints every run, then one ratio line per measurement.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-3}
./restora --help >/dev/null 2>&1   # builds the CLI when sources changed
cli=".build/cli/restora.dll"
out=$(mktemp); trap 'rm -f "$out"' EXIT

echo "== conv2d (GFLOP/s, higher is better)"
scripts/bench-conv-vs-torch.sh "$rounds" 2 | tee -a "$out" | tail -12

echo "== training step (s/iteration, lower is better)"
for config in 17,64,50 10,48,64; do
  IFS=, read -r depth features patch <<<"$config"
  ours=(); theirs=()
  for ((r = 1; r <= rounds; r++)); do
    a=$(dotnet "$cli" train --benchmark 4 --arch dncnn --arch-options "depth=$depth,features=$features" --patch "$patch" \
        --batch 16 --threads 2 --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds_per_iteration"])')
    b=$(/usr/bin/python3 tests/Restora.Training.Tests/Reference/time_pytorch.py 4 "$config" \
        | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds_per_iteration"])')
    echo "round $r dncnn ${depth}x${features} patch $patch: restora $a s, pytorch $b s"
    ours+=("$a"); theirs+=("$b")
  done
  /usr/bin/python3 -c "
import statistics as s, sys
a = s.median(map(float, sys.argv[1].split())); b = s.median(map(float, sys.argv[2].split()))
print(f'ratio: training step dncnn ${depth}x${features} patch ${patch}: restora {a:.3f} s, pytorch {b:.3f} s, restora takes {a / b:.2f}x PyTorch\'s time')" \
    "${ours[*]}" "${theirs[*]}"
done

echo "== inference (s, lower is better)"
SKIP_2K=1 scripts/bench-ncnn-vs-peers.sh "$rounds" | grep -E "^realesrgan-x4plus 128"
