"""Seconds per training iteration in PyTorch 1.13 on this machine, for comparison with `restora train --benchmark`.

DnCNN (KAIR layout, no batch norm, residual output), Adam, MSE, 2 threads, random data of the given patch size;
or the networks Restora ships, from tests/Restora.Models.Tests/Reference/architectures.py with L1 as they train:
KAIR's UNetRes with a noise-level map and a residual output (unet,FEATURES,BLOCKS,PATCH) and BasicSR's EDSR
(edsr,FEATURES,BLOCKS,SCALE,PATCH; the patch is the high-resolution side). Prints one JSON line per configuration
with the median over the timed iterations (after warm-up):

    /usr/bin/python3 tests/Restora.Training.Tests/Reference/time_pytorch.py [ITERS [DEPTH,FEATURES,PATCH | unet,... | edsr,...]]

Run it with MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=4294967296 (../shared/tools/README.md): with
glibc's defaults every large activation PyTorch allocates is mapped and unmapped again, which is not PyTorch's best.

tests/Restora.Training.Tests/Reference/side_by_side.sh alternates this with `restora train --benchmark`.
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(2)
torch.manual_seed(0)


def dncnn(depth, features, channels=3):
    layers = [nn.Conv2d(channels, features, 3, 1, 1), nn.ReLU(inplace=True)]
    for _ in range(depth - 2):
        layers += [nn.Conv2d(features, features, 3, 1, 1), nn.ReLU(inplace=True)]
    layers.append(nn.Conv2d(features, channels, 3, 1, 1))
    return nn.Sequential(*layers)


def measure(depth, features, patch, batch=16, iters=10, warmup=3):
    net = dncnn(depth, features)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    x = torch.rand(batch, 3, patch, patch)
    y = torch.rand(batch, 3, patch, patch)
    times = []
    for i in range(warmup + iters):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = nn.functional.mse_loss(x - net(x), y)
        loss.backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure_network(net, make_input, target_shape, batch=16, iters=10, warmup=3):
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    inputs = make_input(batch)
    y = torch.rand(batch, *target_shape)
    times = []
    for i in range(warmup + iters):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = nn.functional.l1_loss(net(*inputs), y)
        loss.backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


class ResidualUNet(nn.Module):
    """Restora's unet with noise_map=true,residual=true: KAIR's UNetRes on the image and its noise level, plus the input."""

    def __init__(self, features, blocks):
        super().__init__()
        self.net = architectures().unet(3, features, blocks, True)

    def forward(self, x, sigma):
        return x + self.net(x, sigma)


def architectures():
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, os.path.join(here, "..", "..", "Restora.Models.Tests", "Reference"))
    import architectures as a  # noqa: E402
    return a


def run(spec, iters):
    parts = spec.split(",")
    if parts[0] == "unet":
        features, blocks, patch = (int(v) for v in parts[1:])
        s = measure_network(ResidualUNet(features, blocks),
                            lambda b: (torch.rand(b, 3, patch, patch), torch.rand(b, 1, 1, 1)), (3, patch, patch), iters=iters)
        return {"arch": f"unet {features}x{blocks}", "patch": patch}, s
    if parts[0] == "edsr":
        features, blocks, scale, patch = (int(v) for v in parts[1:])
        net = architectures().EDSR(3, features, blocks, scale)
        s = measure_network(net, lambda b: (torch.rand(b, 3, patch // scale, patch // scale),), (3, patch, patch), iters=iters)
        return {"arch": f"edsr {features}x{blocks} x{scale}", "patch": patch}, s
    depth, features, patch = (int(v) for v in parts)
    return {"arch": f"dncnn {depth}x{features}", "patch": patch}, measure(depth, features, patch, iters=iters)


if __name__ == "__main__":
    iters = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    specs = [sys.argv[2]] if len(sys.argv) > 2 else ["17,64,50", "10,48,64"]
    for spec in specs:
        info, s = run(spec, iters)
        print(json.dumps({**info, "batch": 16, "seconds_per_iteration": round(s, 4)}))
