#!/usr/bin/env bash
# Restora's conv2d against PyTorch on the same shapes, run back to back so both see the same machine load.
# Usage: scripts/bench-conv-vs-torch.sh [ROUNDS] [THREADS]   (needs python3-torch; prints one line per run, then medians)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${1:-5}; threads=${2:-2}
dotnet build bench/Restora.Benchmarks -c Release --nologo -v q >/dev/null
ours="dotnet bench/Restora.Benchmarks/bin/Release/net10.0/Restora.Benchmarks.dll conv"
torch="/usr/bin/python3 ../shared/tools/torch-conv-bench.py"
gf() { sed -E 's/.*"gflops": ([0-9.]+).*/\1/'; }
results=$(mktemp)
for ((r = 1; r <= rounds; r++)); do
  # The last shape is the thick ESRGAN's dense-block conv (cout 32 at 128 px).
  for shape in "64 64 256" "32 32 256" "64 32 128"; do
    read -r cin cout size <<<"$shape"
    # --inference: Restora's inference forward (Winograd) against the same torch forward.
    for mode in "" "--backward" "--inference"; do
      a=$($ours $cin $cout $size 3 $mode --threads "$threads" | gf)
      b=$($torch $cin $cout $size 3 ${mode/--inference/} --threads "$threads" | gf)
      echo "round $r  ${cin}->${cout}@${size} ${mode:-forward}  restora $a  torch $b" | tee -a "$results"
    done
  done
done
echo "medians over $rounds rounds (GFLOP/s, threads $threads):"
/usr/bin/python3 - "$results" <<'PY'
import sys, statistics, collections
runs = collections.defaultdict(lambda: ([], []))
for line in open(sys.argv[1]):
    f = line.split()
    runs[(f[2], f[3])][0].append(float(f[5])); runs[(f[2], f[3])][1].append(float(f[7]))
# Each round ran both back to back, so the per-round ratio is the comparison least disturbed by other load.
for (shape, mode), (ours, torch) in runs.items():
    a, b = statistics.median(ours), statistics.median(torch)
    paired = statistics.median(x / y for x, y in zip(ours, torch))
    print(f"  {shape:7} {mode:10}  restora {a:6.1f}  torch {b:6.1f}  ratio of medians {a / b:.2f}"
          f"  median per-round ratio {paired:.2f}  best restora {max(ours):6.1f}  best torch {max(torch):6.1f}")
PY
rm -f "$results"
