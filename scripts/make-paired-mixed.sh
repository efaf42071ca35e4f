#!/usr/bin/env bash
# A paired dataset for `restora train --task paired` made from the training images (never a test set): each clean
# PNG photo of CUrban100 blurred (sigma 1.2), noised (sigma 10) and JPEG-compressed (quality 40), and
# the same for CBSD68 as its test pairs. Writes DIR/{train,test}/{inputs,targets}; the targets are the originals.
# Usage: scripts/make-paired-mixed.sh [DIR]   (default runs/paired-mixed/data)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/runs/paired-mixed/data}"
shared="$root/../shared/datasets"
make() {  # make NAME SOURCE_DIRS...
  local name=$1; shift
  mkdir -p "$out/$name/inputs" "$out/$name/targets"
  for src in "$@"; do
    cp -n "$src"/*.png "$out/$name/targets/"
    "$root/restora" degrade "$src" -o "$out/$name/inputs" --blur 1.2 --noise 10 --jpeg 40 --seed 7 >/dev/null
  done
}
make train "$shared/CUrban100"
make test "$shared/CBSD68"
echo "$out: $(ls "$out/train/targets" | wc -l) training pairs, $(ls "$out/test/targets" | wc -l) test pairs"
