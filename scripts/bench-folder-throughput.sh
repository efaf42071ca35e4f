#!/usr/bin/env bash
# Images per second for a folder of 100 Set14-size images (CSet14's 14 photos, copied under 100 names), whole
# commands: `upscale --model esrgan-slim-x4` (codec-bound) and `denoise` (network-bound). Give a second restora.dll
# to compare (e.g. one built from an older commit); stop background work first.
# Usage: scripts/bench-folder-throughput.sh [OTHER_RESTORA_DLL]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./restora models pull esrgan-slim-x4 >/dev/null 2>&1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
files=(../shared/datasets/CSet14/*.png)
for ((i = 0; i < 100; i++)); do cp "${files[i % ${#files[@]}]}" "$work/in/$(printf %03d $i).png"; done
run() { # DLL COMMAND ARGS...
  local dll=$1; shift; rm -rf "$work/out"
  local s e; s=$(date +%s.%N); dotnet "$dll" "$@" "$work/in" -o "$work/out" --json >/dev/null 2>&1; e=$(date +%s.%N)
  /usr/bin/python3 -c "print(f'{100 / ($e - $s):.2f}')"
}
for dll in .build/cli/restora.dll ${1:-}; do
  echo "$dll: upscale esrgan-slim-x4 $(run "$dll" upscale --model esrgan-slim-x4) images/s, denoise (restora-denoise, sigma 25) $(run "$dll" denoise --sigma 25) images/s"
done
