#!/usr/bin/env bash
# The ncnn models side by side with their peers, in one run so both see the same machine (stop background work
# first; a training run can be paused with kill -STOP PID and resumed with kill -CONT PID):
#   1. realesrgan-x4plus forward on SIZE x SIZE: Restora's ncnn interpreter against PyTorch's RRDBNet (the same network).
#   2. realcugan-x2-conservative on a 512x512 PNG, whole commands: restora upscale against realcugan-ncnn-vulkan -g -1.
#   3. realesrgan-x4plus on a 2048x2048 PNG (x4 to 8192x8192, --tile 512): time and peak memory (skip with SKIP_2K=1).
# SKIP_X4PLUS=1 skips the first.
# Usage: scripts/bench-ncnn-vs-peers.sh [ROUNDS]. Needs python3-torch, python3-numpy, python3-pil (Debian).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-3}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
./restora models pull realesrgan-x4plus >/dev/null
./restora models pull realcugan-x2-conservative >/dev/null
package=$(./restora models info realcugan-x2-conservative --json | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['folder'])")
cp "$package/../realcugan-ncnn-vulkan" "$work/realcugan" && chmod +x "$work/realcugan"
/usr/bin/python3 -c "
import numpy as np; from PIL import Image
photo = np.asarray(Image.open('../shared/datasets/CSet14/lenna.png').convert('RGB'))
Image.fromarray(photo[:512, :512]).save('$work/in512.png')
big = np.asarray(Image.open('../shared/datasets/CUrban100/' + sorted(__import__('os').listdir('../shared/datasets/CUrban100'))[0]).convert('RGB').resize((2048, 2048)))
Image.fromarray(big).save('$work/in2048.png')"
median() { /usr/bin/python3 -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[1:])):.3f}')" "$@"; }
seconds() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['seconds'])"; }

ours=(); torch=()
x4rounds=$rounds; [ -z "${SKIP_X4PLUS:-}" ] || x4rounds=0
for ((r = 1; r <= x4rounds; r++)); do
  a=$(./restora bench model realesrgan-x4plus --size 128 --repeat 3 --json | seconds)
  b=$(/usr/bin/python3 scripts/torch-rrdbnet-bench.py 128 3 2 | awk '{print $2}')
  echo "round $r  realesrgan-x4plus 128x128 forward  restora ${a} s  torch ${b} s"
  ours+=("$a"); torch+=("$b")
done
[ -n "${SKIP_X4PLUS:-}" ] || { a=$(median "${ours[@]}"); b=$(median "${torch[@]}")
echo "realesrgan-x4plus 128x128: restora $a s, PyTorch $b s: restora takes $(/usr/bin/python3 -c "print(f'{$a / $b:.2f}')")x PyTorch's time"; }

ours=(); peer=()
export MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296
for ((r = 1; r <= rounds; r++)); do
  s=$(date +%s.%N); ./restora upscale "$work/in512.png" -o "$work/ours.png" --model realcugan-x2-conservative --overwrite 2>/dev/null >/dev/null; e=$(date +%s.%N)
  a=$(/usr/bin/python3 -c "print(f'{$e - $s:.3f}')")
  s=$(date +%s.%N); (cd "$work" && ./realcugan -i in512.png -o peer.png -s 2 -n -1 -g -1 -m "$package" >/dev/null 2>&1); e=$(date +%s.%N)
  b=$(/usr/bin/python3 -c "print(f'{$e - $s:.3f}')")
  echo "round $r  realcugan-x2-conservative 512x512 command  restora ${a} s  realcugan-ncnn-vulkan ${b} s"
  ours+=("$a"); peer+=("$b")
done
a=$(median "${ours[@]}"); b=$(median "${peer[@]}")
echo "realcugan-x2-conservative 512x512: restora $a s, realcugan-ncnn-vulkan -g -1 $b s: restora takes $(/usr/bin/python3 -c "print(f'{$a / $b:.2f}')")x its time"

if [ "${SKIP_2K:-0}" != 1 ]; then
  /usr/bin/time -f "%e s wall, %M KB peak (time -v)" ./restora upscale "$work/in2048.png" -o "$work/big.png" --model realesrgan-x4plus --tile 512 --overwrite --json \
    2> "$work/time.txt" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print(f\"realesrgan-x4plus 2048x2048 -> 8192x8192: {d['seconds']} s, peak {d['peak_memory_mb']} MB\")"
  tail -1 "$work/time.txt"
fi
