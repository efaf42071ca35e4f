# pix2pix's UnetGenerator as junyanz/pytorch-CycleGAN-and-pix2pix builds them (batch norm,
# eval mode), with known weights: prints state-dict keys, shapes and outputs for Pix2PixReferenceTests.cs.
import math, torch, torch.nn as nn

def fill(shape, offset, scale):
    n = 1
    for s in shape: n *= s
    return torch.tensor([math.sin(0.37 * i + offset) * scale for i in range(n)], dtype=torch.float32).reshape(shape)

import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from architectures import UnetGenerator  # noqa: E402  (the reference generator, rebuilt there)

torch.manual_seed(0)
for depth in (5, 7):
    g = UnetGenerator(3, 3, depth, 4).eval()
    k = 0
    with torch.no_grad():
        for name, p in g.named_parameters():
            p.copy_(fill(list(p.shape), k * 0.1, 0.2)); k += 1
    keys = [(n, list(t.shape)) for n, t in g.state_dict().items()]
    import hashlib
    text = "\n".join(f"{n} {s}" for n, s in keys)
    print(f"depth {depth}: {len(keys)} keys, sha1 of 'name [shape]' lines", hashlib.sha1(text.encode()).hexdigest())
    x = fill([1, 3, 2 ** depth, 2 ** depth], 0.3, 0.5) * 0.5 + 0.5  # images 0..1, fed as 2x-1 as Restora does
    y = (g(x * 2 - 1) + 1) / 2
    print(f"depth {depth} output", [round(v, 6) for v in y.flatten()[:6].tolist()], "mean", round(y.mean().item(), 6))
