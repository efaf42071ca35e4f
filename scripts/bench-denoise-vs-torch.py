"""restora-denoise's U-Net in PyTorch on a photo-sized input: the bar for `restora denoise` on the same machine.

Builds KAIR's UNetRes (tests/Restora.Models.Tests/Reference/architectures.py) with the shipped model's weights and
times forward passes on a 1x4xHxW input (the RGB image plus the noise-level channel) under torch.no_grad(), the
first one (which pays for fresh memory, as a `restora denoise` process does) and the median of the rest.
Usage: /usr/bin/python3 scripts/bench-denoise-vs-torch.py [WIDTH] [HEIGHT] [THREADS] [RUNS]   (needs python3-torch)
"""
import os
import statistics
import sys
import time

import torch

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(root, "tests", "Restora.Models.Tests", "Reference"))
import architectures  # noqa: E402
import safetensors_min as st  # noqa: E402

width, height = (int(a) for a in (sys.argv[1:3] or ["2048", "1368"]))
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
torch.set_num_threads(threads)
weights, meta = st.load(os.path.join(root, "models", "restora-denoise.safetensors"))
net = architectures.unet(3, 32, 2, True).eval()
net.load_state_dict(weights)
x = torch.rand(1, 3, height, width)
sigma = torch.full((1, 1, 1, 1), 25 / 255)
times = []
with torch.no_grad():
    for _ in range(runs):
        start = time.perf_counter()
        y = x + net(x, sigma)   # Restora's residual=true: the network predicts the correction
        times.append(time.perf_counter() - start)
print(f"torch {torch.__version__} UNetRes 32/64/128/256 x2 on {width}x{height}, {threads} threads: "
      f"first {times[0]:.2f} s, then median {statistics.median(times[1:] or times):.2f} s")
