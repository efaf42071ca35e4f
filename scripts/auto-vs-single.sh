#!/usr/bin/env bash
# Issue 12's photo check: photos from outside ../shared/datasets (scikit-image's sample photos, from Debian's
# python3-skimage package: astronaut (NASA, public domain), chelsea and coffee (CC0), motorcycle_left (Middlebury))
# damaged with `degrade --mixed moderate`, then restored by `auto` and by each of the shipped single restorers with
# their default options; prints each one's PSNR gain over the damaged input (dB) per photo and on average.
# Usage: scripts/auto-vs-single.sh [OUT] [SEEDS]   (default runs/auto-vs-single, seeds "1 2")
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/runs/auto-vs-single}"; seeds="${2:-1 2}"
restora="${RESTORA:-$root/restora}"
mkdir -p "$out/photos"
if [[ ! -f "$out/photos/coffee.png" ]]; then
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download python3-skimage >/dev/null && dpkg-deb -x python3-skimage_*.deb x)
  for p in astronaut chelsea coffee motorcycle_left; do cp "$tmp"/x/usr/lib/python3/dist-packages/skimage/data/$p.png "$out/photos/"; done
fi
psnr() { $restora metrics "$1" "$2" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['psnr'])"; }
printf "%-20s %8s %8s %8s %8s %8s\n" photo input auto denoise deblock deblur
declare -A total
n=0
for seed in $seeds; do
  for photo in "$out"/photos/*.png; do
    name="$(basename "$photo" .png)-s$seed"; d="$out/$name"
    mkdir -p "$d"
    [[ -f "$d/damaged.png" ]] || $restora degrade "$photo" -o "$d/damaged.png" --mixed moderate --seed "$seed" >/dev/null
    base=$(psnr "$photo" "$d/damaged.png")
    line=$(printf "%-20s %8.2f" "$name" "$base")
    for m in auto denoise deblock deblur; do
      [[ -f "$d/$m.png" ]] || $restora $m "$d/damaged.png" -o "$d/$m.png" >/dev/null 2>&1
      gain=$(python3 -c "print($(psnr "$photo" "$d/$m.png") - $base)")
      total[$m]=$(python3 -c "print(${total[$m]:-0} + $gain)")
      line+=$(printf " %+8.2f" "$gain")
    done
    echo "$line"; n=$((n+1))
  done
done
printf "%-20s %8s" "mean gain" ""
for m in auto denoise deblock deblur; do printf " %+8.2f" "$(python3 -c "print(${total[$m]} / $n)")"; done; echo
