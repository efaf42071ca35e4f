#!/usr/bin/env bash
# Trains RL-Restore's toolbox (issue 12): twelve small experts, one per distortion (blur, noise, JPEG) and severity
# band (the paper's four per distortion), on the training images (CUrban100 + CSun_Hays80, 63x63 patches as the
# paper), each with a slight extra distortion for robustness. The two mild bands use the 3-layer net, the two severe
# ones the 8-layer net. Resumable: a tool whose checkpoint exists continues; a finished tool is skipped.
# Usage: scripts/train-toolbox.sh [JOBS] [ITERS]   (default 2 parallel jobs of 1 thread, 3000 iterations each)
# Writes runs/toolbox/restora-tool-NAME.safetensors (+ checkpoint and log). RESTORA="dotnet COPY/restora.dll" runs a
# private copy of the CLI, so that editing the sources while it trains does not rebuild it under the running jobs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jobs="${1:-2}"; iters="${2:-3000}"
out="$root/runs/toolbox"; mkdir -p "$out"
data="$root/../shared/datasets/CUrban100:$root/../shared/datasets/CSun_Hays80"
restora="${RESTORA:-$root/restora}"
$restora --help >/dev/null   # builds the CLI once, before the parallel jobs start
# name | layers | strengths (the tool's band, then the slight extras)
tools="blur1|3|--blur-range 0,1.25 --sigma-range 0,2 --quality-range 90,100
blur2|3|--blur-range 1.25,2.5 --sigma-range 0,2 --quality-range 90,100
blur3|8|--blur-range 2.5,3.75 --sigma-range 0,2 --quality-range 90,100
blur4|8|--blur-range 3.75,5 --sigma-range 0,2 --quality-range 90,100
noise1|3|--sigma-range 0,12.5 --quality-range 90,100
noise2|3|--sigma-range 12.5,25 --quality-range 90,100
noise3|8|--sigma-range 25,37.5 --quality-range 90,100
noise4|8|--sigma-range 37.5,50 --quality-range 90,100
jpeg1|3|--quality-range 60,100 --sigma-range 0,2
jpeg2|3|--quality-range 35,60 --sigma-range 0,2
jpeg3|8|--quality-range 20,35 --sigma-range 0,2
jpeg4|8|--quality-range 10,20 --sigma-range 0,2"
train_one() {
  IFS='|' read -r name layers strengths <<<"$1"
  local model="$out/restora-tool-$name.safetensors"
  if [[ -f "$model.ckpt.json" ]]; then
    $restora train --resume "$model" --iters "$iters" --threads 1 >"$out/$name.out" 2>"$out/$name.err"
  else
    # shellcheck disable=SC2086
    $restora train --task mixed --level custom $strengths --arch rl-tool --arch-options "layers=$layers" \
      --data "$data" --holdout 8 --patch 63 --batch 16 --lr 1e-3 --iters "$iters" --val-every 1000 --checkpoint-every 1000 \
      --seed 12 -o "$model" --threads 1 >"$out/$name.out" 2>"$out/$name.err"
  fi
  echo "restora-tool-$name: $(tail -c 300 "$out/$name.err" | tr '\r' '\n' | grep -v '^$' | tail -1)"
}
export -f train_one; export root out data iters restora
printf '%s\n' "$tools" | xargs -P "$jobs" -I{} bash -c 'train_one "$@"' _ {}
