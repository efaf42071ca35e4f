"""RRDBNet (ESRGAN / Real-ESRGAN x4plus: 64 features, 23 blocks, growth 32, x4) forward time in PyTorch, the
counterpart of `restora bench model realesrgan-x4plus`. Weights are random: the arithmetic is the same as with the
real ones. Usage: /usr/bin/python3 scripts/torch-rrdbnet-bench.py [SIZE] [REPEAT] [THREADS] [BLOCKS]
Prints "seconds S" (the median)."""
import ctypes, statistics, sys, time

# glibc would map and unmap PyTorch's large activation buffers on every call (../shared/tools/README.md).
libc = ctypes.CDLL("libc.so.6")
libc.mallopt(-3, 2**31 - 1)  # M_MMAP_THRESHOLD
libc.mallopt(-1, 2**31 - 1)  # M_TRIM_THRESHOLD

import torch
from torch import nn
import torch.nn.functional as F

size = int(sys.argv[1]) if len(sys.argv) > 1 else 128
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 3
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
blocks = int(sys.argv[4]) if len(sys.argv) > 4 else 23


class DenseBlock(nn.Module):
    def __init__(self, f=64, g=32):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(f + i * g, g if i < 4 else f, 3, 1, 1) for i in range(5))

    def forward(self, x):
        feats = [x]
        for i, conv in enumerate(self.convs):
            y = conv(torch.cat(feats, 1))
            if i < 4:
                feats.append(F.leaky_relu(y, 0.2))
        return y * 0.2 + x


class Rrdb(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(DenseBlock(), DenseBlock(), DenseBlock())

    def forward(self, x):
        return self.blocks(x) * 0.2 + x


class RrdbNet(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.first = nn.Conv2d(3, 64, 3, 1, 1)
        self.body = nn.Sequential(*[Rrdb() for _ in range(n)])
        self.body_conv = nn.Conv2d(64, 64, 3, 1, 1)
        self.up1 = nn.Conv2d(64, 64, 3, 1, 1)
        self.up2 = nn.Conv2d(64, 64, 3, 1, 1)
        self.hr = nn.Conv2d(64, 64, 3, 1, 1)
        self.last = nn.Conv2d(64, 3, 3, 1, 1)

    def forward(self, x):
        f = self.first(x)
        f = f + self.body_conv(self.body(f))
        f = F.leaky_relu(self.up1(F.interpolate(f, scale_factor=2, mode="nearest")), 0.2)
        f = F.leaky_relu(self.up2(F.interpolate(f, scale_factor=2, mode="nearest")), 0.2)
        return self.last(F.leaky_relu(self.hr(f), 0.2))


net = RrdbNet(blocks).eval()
x = torch.rand(1, 3, size, size)
times = []
with torch.no_grad():
    net(x)  # warm-up
    for _ in range(repeat):
        t = time.perf_counter()
        net(x)
        times.append(time.perf_counter() - t)
print(f"seconds {statistics.median(times):.4f}")
