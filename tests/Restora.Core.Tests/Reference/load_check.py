"""Restora → PyTorch: loads a Restora-written safetensors checkpoint into the same architecture in PyTorch
(load_state_dict strict) and compares PyTorch's eval-mode output with the one Restora stored.

Usage: load_check.py WEIGHTS.safetensors IO.safetensors   (IO holds "input" and "output"; exit 0 when they agree)
Run by InteropTests; it needs only PyTorch.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_min as st  # noqa: E402


def interop_net():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.PReLU(8),
                         nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1), nn.LeakyReLU(0.2), nn.PixelUnshuffle(2))


def main(weights, io):
    state, meta = st.load(weights)
    net = interop_net()
    net.load_state_dict(state, strict=True)
    net.eval()
    tensors, _ = st.load(io)
    with torch.no_grad():
        y = net(tensors["input"])
    err = (y - tensors["output"]).abs().max().item()
    print(f"metadata {meta}; max |pytorch - restora| = {err:.3g}; num_batches_tracked dtype {state['1.num_batches_tracked'].dtype}")
    ok = err < 1e-4 and state["1.num_batches_tracked"].dtype == torch.int64
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
