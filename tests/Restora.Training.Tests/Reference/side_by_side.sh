#!/usr/bin/env bash
# Seconds per training iteration, Restora vs PyTorch 1.13, on the same DnCNN (Adam, MSE, batch 16, 2 threads).
# The machine is shared, so the two alternate in short runs, ROUNDS times per configuration; compare the medians
# of each column. Usage (from the repository root, after building the CLI in Release):
#   tests/Restora.Training.Tests/Reference/side_by_side.sh [ROUNDS] [ITERS]
set -euo pipefail
rounds=${1:-5}
iters=${2:-4}
cli=.build/cli/restora.dll   # what ./restora builds
# PyTorch at its best: glibc's mmap threshold raised (../shared/tools/README.md).
export MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296
here=$(dirname "${BASH_SOURCE[0]}")
for config in 17,64,50 10,48,64; do
  IFS=, read -r depth features patch <<<"$config"
  for ((r = 1; r <= rounds; r++)); do
    restora=$(dotnet "$cli" train --benchmark "$iters" --arch dncnn --arch-options "depth=$depth,features=$features" \
      --patch "$patch" --batch 16 --threads 2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds_per_iteration"])')
    torch=$(/usr/bin/python3 "$here/time_pytorch.py" "$iters" "$config" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds_per_iteration"])')
    echo "dncnn ${depth}x${features} patch $patch round $r: restora $restora s  pytorch $torch s  (load $(cut -d' ' -f1 /proc/loadavg))"
  done
done
