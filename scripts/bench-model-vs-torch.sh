#!/usr/bin/env bash
# A pretrained model's forward pass in Restora and in PyTorch (../shared/tools/keras-torch-ref.py), back to back
# so both see the same machine load. Usage: scripts/bench-model-vs-torch.sh [MODEL] [SIZE] [ROUNDS]
# Needs python3-torch, python3-pil and python3-numpy (Debian). Prints each round, then medians.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model=${1:-esrgan-thick-x4}; size=${2:-128}; rounds=${3:-3}
./restora models pull "$model" >/dev/null
dir=$(./restora models info "$model" --json | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['folder'])")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -c "
import numpy as np; from PIL import Image
Image.fromarray(np.random.default_rng(3).integers(0, 256, ($size, $size, 3), dtype=np.uint8)).save('$work/in.png')"
ours=(); torch=()
for ((r = 1; r <= rounds; r++)); do
  a=$(./restora bench model "$model" --size "$size" --repeat 3 --json | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])")
  b=$(/usr/bin/python3 ../shared/tools/keras-torch-ref.py "$dir" "$work/in.png" "$work/out.png" --threads 2 --time 3 | awk '{print $2}')
  echo "round $r  $model ${size}x${size}  restora ${a} s  torch ${b} s"
  ours+=("$a"); torch+=("$b")
done
/usr/bin/python3 -c "
import statistics as s; a=s.median([${ours[*]/%/,}]); b=s.median([${torch[*]/%/,}])
print(f'median: restora {a:.3f} s, torch {b:.3f} s, restora is {b / a:.2f}x as fast')"
