#!/usr/bin/env bash
# The toolchain table (issue 12): CBSD68 with RL-Restore's mixed damage at each level, restored by doing nothing,
# by every tool alone, by the full restorers alone, by restora-mixed (one network trained on the same data) and by the
# agent (auto): PSNR, SSIM,
# mean tools per image and mean GFLOPs per image, as a Markdown table on stdout (JSON per run under OUT).
# Usage: scripts/toolchain-table.sh [MODELS_DIR] [OUT]   (default: the shipped models; OUT runs/toolchain-table)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
models="${1:-}"; out="${2:-$root/runs/toolchain-table}"; mkdir -p "$out"
restora="${RESTORA:-$root/restora}"
data="$root/../shared/datasets/CBSD68"
name() { if [[ -n "$models" && "$1" != identity ]]; then echo "$models/$1.safetensors"; else echo "$1"; fi; }
methods=(identity restora-agent
  restora-tool-blur1 restora-tool-blur2 restora-tool-blur3 restora-tool-blur4
  restora-tool-noise1 restora-tool-noise2 restora-tool-noise3 restora-tool-noise4
  restora-tool-jpeg1 restora-tool-jpeg2 restora-tool-jpeg3 restora-tool-jpeg4
  restora-denoise restora-deblock restora-deblur restora-mixed)
echo "| method | mild PSNR / SSIM | moderate PSNR / SSIM | severe PSNR / SSIM | tools per image (mild / moderate / severe) | GFLOPs per image (mild / moderate / severe) |"
echo "|---|---|---|---|---|---|"
for m in "${methods[@]}"; do
  row="| ${m/restora-agent/auto (restora-agent)} |"; steps=""; flops=""
  for level in mild moderate severe; do
    json="$out/$m-$level.json"
    [[ -s "$json" ]] || $restora eval --data "$data" --task mixed --level "$level" --method "$(name "$m")" --json > "$json"
    row+=" $(python3 -c "import json,sys; j=json.load(open('$json')); print(f\"{j['psnr']:.2f} / {j['ssim']:.4f}\")") |"
    steps+="$(python3 -c "import json; j=json.load(open('$json')); print(f\"{j.get('mean_steps', float('nan')):.2f}\")") / "
    flops+="$(python3 -c "import json; j=json.load(open('$json')); print(f\"{j.get('mean_gflops', float('nan')):.1f}\")") / "
  done
  echo "$row ${steps% / } | ${flops% / } |"
done
