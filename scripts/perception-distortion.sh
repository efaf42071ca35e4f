#!/usr/bin/env bash
# The perception-distortion table of the README: PSNR and SSIM (Y, shaved) and NIQE (whole image) on CSet14 x4 for
# bicubic and every x4 model given (default: the shipped, UpscalerJS and Real-ESRGAN ones); one line per method.
# Usage: scripts/perception-distortion.sh [METHOD...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
methods=("$@")
[ ${#methods[@]} -gt 0 ] || methods=(bicubic restora-sr-x4 restora-sr-x4-gan esrgan-slim-x4 esrgan-medium-x4 esrgan-thick-x4 realesr-general-x4v3 realesrgan-x4plus)
for m in "${methods[@]}"; do
  if json=$("$root/restora" eval --task sr --scale 4 --data "$root/../shared/datasets/CSet14" --method "$m" --metrics psnr,ssim,niqe --json 2>/dev/null); then
    echo "$json" | python3 -c 'import json, sys; j = json.load(sys.stdin); m = j["metrics"]
print("%s: PSNR %.2f dB, SSIM %.4f, NIQE %.2f" % (j["method"], m["psnr"], m["ssim"], m["niqe"]))'
  else
    echo "$m: not available (restora models pull $m)"
  fi
done
