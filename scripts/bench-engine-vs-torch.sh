#!/usr/bin/env bash
# The engine against PyTorch 1.13, every pass that matters, side by side in one run: run it before any change to
# src/Restora.Core lands and put its last lines in the README. Stop background work first (a training run:
# kill -STOP PID, then kill -CONT PID). Needs python3-torch (Debian).
#   1. conv2d forward, forward+backward and inference (scripts/bench-conv-vs-torch.sh), GFLOP/s;
#   2. a training step, batch 16, 2 threads, Adam: DnCNN 17x64 on 50x50 and 10x48 on 64x64 (MSE), and the networks
#      restora-denoise (U-Net) and restora-sr-x4 (EDSR) are trained as (L1), s/iteration;
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
# PyTorch gets its best: glibc's mmap threshold raised (../shared/tools/README.md), or every activation it allocates
# is mapped and unmapped again.
export MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296
# name | restora train --benchmark arguments | time_pytorch.py configuration
configs=(
  "dncnn 17x64, 50 px|--arch dncnn --arch-options depth=17,features=64 --patch 50|17,64,50"
  "dncnn 10x48, 64 px|--arch dncnn --arch-options depth=10,features=48 --patch 64|10,48,64"
  "restora-denoise's unet 32x2, 64 px, L1|--arch unet --arch-options features=32,blocks=2,noise_map=true,residual=true --patch 64 --loss l1|unet,32,2,64"
  "restora-sr-x4's edsr 48x8 x4, 96 px, L1|--arch edsr --arch-options features=48,blocks=8 --scale 4 --patch 96 --loss l1|edsr,48,8,4,96"
)
for entry in "${configs[@]}"; do
  IFS='|' read -r name ours_args torch_config <<<"$entry"
  ours=(); theirs=()
  for ((r = 1; r <= rounds; r++)); do
    # shellcheck disable=SC2086
    a=$(dotnet "$cli" train --benchmark 6 $ours_args --batch 16 --threads 2 --json \
        | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds_per_iteration"])')
    b=$(/usr/bin/python3 tests/Restora.Training.Tests/Reference/time_pytorch.py 6 "$torch_config" \
        | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds_per_iteration"])')
    echo "round $r $name: restora $a s, pytorch $b s"
    ours+=("$a"); theirs+=("$b")
  done
  /usr/bin/python3 -c "
import statistics as s, sys
a = s.median(map(float, sys.argv[1].split())); b = s.median(map(float, sys.argv[2].split()))
print(f'ratio: training step {sys.argv[3]}: restora {a:.3f} s, pytorch {b:.3f} s, restora takes {a / b:.2f}x PyTorch\'s time')" \
    "${ours[*]}" "${theirs[*]}" "$name"
done
unset MALLOC_MMAP_THRESHOLD_ MALLOC_TRIM_THRESHOLD_

echo "== inference (s, lower is better)"
SKIP_2K=1 scripts/bench-ncnn-vs-peers.sh "$rounds" | grep -E "^realesrgan-x4plus 128"
