"""Seconds per training iteration in PyTorch 1.13 on this machine, for comparison with `restora train --benchmark`.

DnCNN (KAIR layout, no batch norm, residual output), Adam, MSE, 2 threads, random data of the given patch size.
Prints one JSON line per configuration with the median over the timed iterations (after warm-up):

    /usr/bin/python3 tests/Restora.Training.Tests/Reference/time_pytorch.py [ITERS [DEPTH,FEATURES,PATCH]]

tests/Restora.Training.Tests/Reference/side_by_side.sh alternates this with `restora train --benchmark`.
"""
import json
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


if __name__ == "__main__":
    iters = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    configs = [tuple(int(v) for v in sys.argv[2].split(","))] if len(sys.argv) > 2 else [(17, 64, 50), (10, 48, 64)]
    for depth, features, patch in configs:
        s = measure(depth, features, patch, iters=iters)
        print(json.dumps({"arch": f"dncnn {depth}x{features}", "patch": patch, "batch": 16, "seconds_per_iteration": round(s, 4)}))
