#!/bin/bash
# The figures of the README's "Shipped networks" table, measured through the command line:
#   scripts/measure-shipped.sh            (needs ../shared/datasets; about 3 minutes on 2 idle cores)
set -euo pipefail
cd "$(dirname "$0")/.."
D=../shared/datasets
ev() { ./restora eval --json "$@" 2>/dev/null | python3 -c 'import json,sys; r=json.load(sys.stdin); print(f"{r[\"psnr\"]:.4f} / {r[\"ssim\"]:.4f} (input {r[\"input_psnr\"]:.4f})")'; }
for s in 15 25 50; do
  echo "restora-denoise CBSD68 sigma $s: $(ev --data $D/CBSD68 --task denoise --sigma $s --method restora-denoise)"
  echo "restora-denoise CBSD68 sigma $s, blind: $(ev --data $D/CBSD68 --task denoise --sigma $s --method restora-denoise --blind)"
done
for q in 10 20 40; do echo "restora-deblock CBSD68 q$q: $(ev --data $D/CBSD68 --task deblock --quality $q --method restora-deblock)"; done
for b in 1 2 3; do echo "restora-deblur CBSD68 blur $b: $(ev --data $D/CBSD68 --task deblur --blur $b --method restora-deblur)"; done
for set in CSet5 CSet14; do
  echo "restora-sr-x2 $set x2: $(ev --data $D/$set --task sr --scale 2 --method restora-sr-x2)"
  echo "restora-sr-x4 $set x4: $(ev --data $D/$set --task sr --scale 4 --method restora-sr-x4)"
done
