"""Writes the PyTorch reference data that Restora.Core.Tests compares against.

Rerun (from the repository root, PyTorch 1.13 CPU; takes a few seconds):

    /usr/bin/python3 tests/Restora.Core.Tests/Reference/make_reference.py

Outputs, next to this script:
  tiny_init.safetensors   initial weights of the tiny net (a plain PyTorch state dict)
  tiny_curve.safetensors  its full-batch training data, the loss before every Adam step, the final weights
  ops.safetensors         inputs, outputs and input gradients of single ops (forward semantics checks)
  optim.safetensors       parameter trajectories of SGD, Adam and AdamW variants on a fixed smooth loss
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_min as st  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 200

torch.set_num_threads(1)
torch.manual_seed(0)


def tiny_net():
    return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 12, 3, padding=1), nn.PixelShuffle(2))


def training_curve():
    net = tiny_net()
    st.save(os.path.join(HERE, "tiny_init.safetensors"), net.state_dict(), {"net": "conv3-16 relu conv16-12 pixelshuffle2"})
    g = torch.Generator().manual_seed(1)
    x = torch.rand(8, 3, 12, 12, generator=g)
    # A target the net can partly learn: a smooth 2x upscale of the input plus a fixed sub-pixel pattern.
    up = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    yy, xx = torch.meshgrid(torch.arange(24.0), torch.arange(24.0), indexing="ij")
    target = 0.8 * up + 0.1 * torch.sin(0.7 * xx + 0.3 * yy)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = F.mse_loss(net(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out = {"input": x, "target": target, "loss": torch.tensor(losses, dtype=torch.float32)}
    for k, v in net.state_dict().items():
        out["final." + k] = v
    st.save(os.path.join(HERE, "tiny_curve.safetensors"), out, {"optimizer": "Adam lr=1e-3", "steps": str(STEPS)})
    print(f"loss {losses[0]:.6f} -> {losses[-1]:.6f}")


def depth_to_space_tf(x, r):
    """TensorFlow's depth_to_space on NHWC, applied to an NCHW tensor (an independent statement of the order)."""
    n, c, h, w = x.shape
    nhwc = x.permute(0, 2, 3, 1).reshape(n, h, w, r, r, c // (r * r))
    return nhwc.permute(0, 1, 3, 2, 4, 5).reshape(n, h * r, w * r, c // (r * r)).permute(0, 3, 1, 2)


def space_to_depth_tf(x, r):
    n, c, h, w = x.shape
    nhwc = x.permute(0, 2, 3, 1).reshape(n, h // r, r, w // r, r, c)
    return nhwc.permute(0, 1, 3, 2, 4, 5).reshape(n, h // r, w // r, r * r * c).permute(0, 3, 1, 2)


def op_cases():
    g = torch.Generator().manual_seed(2)

    def r(*shape):
        return torch.rand(tuple(shape), generator=g) * 2 - 1

    cases = {
        "conv2d_groups_dilation": (lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=2, dilation=2, groups=2),
                                   [r(2, 4, 9, 8), r(6, 2, 3, 3), r(6)]),
        "conv_transpose2d": (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
                             [r(2, 4, 5, 4), r(4, 3, 3, 3), r(6)]),
        "pixel_shuffle": (lambda x: F.pixel_shuffle(x, 2), [r(2, 8, 3, 4)]),
        "pixel_unshuffle": (lambda x: F.pixel_unshuffle(x, 2), [r(2, 2, 6, 4)]),
        "depth_to_space": (lambda x: depth_to_space_tf(x, 2), [r(2, 8, 3, 4)]),
        "space_to_depth": (lambda x: space_to_depth_tf(x, 2), [r(2, 2, 6, 4)]),
        "nearest_7x3": (lambda x: F.interpolate(x, size=(7, 3), mode="nearest"), [r(2, 2, 5, 4)]),
        "nearest_x2": (lambda x: F.interpolate(x, scale_factor=2, mode="nearest"), [r(1, 2, 3, 4)]),
        "bilinear_x2": (lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False), [r(2, 2, 5, 4)]),
        "bilinear_7x5": (lambda x: F.interpolate(x, size=(7, 5), mode="bilinear", align_corners=False), [r(1, 2, 3, 4)]),
        "bilinear_align_7x5": (lambda x: F.interpolate(x, size=(7, 5), mode="bilinear", align_corners=True), [r(1, 2, 3, 4)]),
        "bilinear_down_3x2": (lambda x: F.interpolate(x, size=(3, 2), mode="bilinear", align_corners=False), [r(1, 2, 7, 5)]),
        "gelu": (lambda x: F.gelu(3 * x), [r(2, 3, 4, 4)]),
        "gelu_tanh": (lambda x: F.gelu(3 * x, approximate="tanh"), [r(2, 3, 4, 4)]),
        "sigmoid": (lambda x: torch.sigmoid(4 * x), [r(2, 3, 4, 4)]),
        "tanh": (lambda x: torch.tanh(2 * x), [r(2, 3, 4, 4)]),
        "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), [r(2, 3, 4, 4)]),
        "prelu": (lambda x, w: F.prelu(x, w), [r(2, 3, 4, 4), r(3)]),
        "global_avg_pool": (lambda x: F.adaptive_avg_pool2d(x, 1), [r(2, 3, 4, 5)]),
        "batch_norm_train": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), [r(3, 2, 4, 5), r(2), r(2)]),
        "instance_norm": (lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [r(2, 3, 4, 5), r(3), r(3)]),
        "mul_per_channel": (lambda x, w: x * w, [r(2, 3, 4, 5), r(1, 3, 1, 1)]),
        "mse_loss": (lambda x, t: F.mse_loss(x, t), [r(2, 3, 4, 5), r(2, 3, 4, 5)]),
    }
    out = {}
    for name, (fn, inputs) in cases.items():
        inputs = [t.clone().requires_grad_(True) for t in inputs]
        y = fn(*inputs)
        gout = r(*y.shape)
        y.backward(gout)
        for i, t in enumerate(inputs):
            out[f"{name}.in{i}"] = t.detach()
            out[f"{name}.gin{i}"] = t.grad
        out[f"{name}.out"] = y.detach()
        out[f"{name}.gout"] = gout
    # Batch norm's running statistics after one training step (unbiased variance, momentum 0.1).
    x = r(3, 2, 4, 5)
    rm, rv = r(2), r(2).abs() + 0.5
    out["bn_running.in"], out["bn_running.mean0"], out["bn_running.var0"] = x, rm.clone(), rv.clone()
    F.batch_norm(x, rm, rv, None, None, training=True, momentum=0.1)
    out["bn_running.mean1"], out["bn_running.var1"] = rm, rv
    st.save(os.path.join(HERE, "ops.safetensors"), out)


OPTIMIZERS = {
    "sgd_momentum_wd": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd_nesterov_dampening0": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
    "sgd_dampening": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3),
    "adam": lambda p: torch.optim.Adam(p, lr=0.05),
    "adam_l2": lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1),
}


def optimizer_trajectories(steps=30):
    """Loss sum(tanh(p * c) * d): smooth, non-quadratic, gradients of mixed sign and size."""
    g = torch.Generator().manual_seed(3)
    p0 = torch.rand(12, generator=g) * 4 - 2
    c = torch.rand(12, generator=g) * 2 + 0.5
    d = torch.rand(12, generator=g) * 2 - 1
    out = {"p0": p0, "c": c, "d": d}
    for name, make in OPTIMIZERS.items():
        p = p0.clone().requires_grad_(True)
        opt = make([p])
        traj = []
        for _ in range(steps):
            opt.zero_grad()
            (torch.tanh(p * c) * d).sum().backward()
            opt.step()
            traj.append(p.detach().clone())
        out[name] = torch.stack(traj)
    st.save(os.path.join(HERE, "optim.safetensors"), out)


if __name__ == "__main__":
    training_curve()
    op_cases()
    optimizer_trajectories()
