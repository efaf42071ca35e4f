#!/usr/bin/python3
# Set5 bicubic baseline under REFERENCE.md's SR protocol, scored by skimage; dumps the HR / bicubic pairs as raw
# planar uint8 so Restora.Metrics can score the same pixels. imresize here is a numpy MATLAB imresize stand-in
# (antialiased cubic a=-0.5, symmetric border, rows then columns, rounded to uint8), not Restora.Imaging's.
# Result (both skimage and Restora.Metrics): x2 33.6818 / 0.9305, x3 30.4047 / 0.8690, x4 28.4314 / 0.8113,
# equal to REFERENCE.md's "measured here" column. Usage: /usr/bin/python3 set5_bicubic_protocol.py OUT_DIR
import os, sys
import numpy as np
from PIL import Image
def cubic(x):
    a = np.abs(x); a2 = a * a; a3 = a2 * a
    return (1.5 * a3 - 2.5 * a2 + 1) * (a <= 1) + (-0.5 * a3 + 2.5 * a2 - 4 * a + 2) * ((a > 1) & (a <= 2))
def contributions(in_len, out_len, scale):
    kw = 4.0
    aa = scale < 1
    if aa: kw = kw / scale
    x = np.arange(1, out_len + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - kw / 2)
    p = int(np.ceil(kw)) + 2
    idx = left[:, None] + np.arange(p)[None, :]
    d = u[:, None] - idx
    w = scale * cubic(d * scale) if aa else cubic(d)
    w = w / w.sum(1, keepdims=True)
    aux = np.concatenate([np.arange(1, in_len + 1), np.arange(in_len, 0, -1)])
    idx = aux[np.mod(idx.astype(np.int64) - 1, len(aux))] - 1
    keep = np.any(w != 0, axis=0)
    return w[:, keep], idx[:, keep]
def resize_dim(img, scale, axis):
    in_len = img.shape[axis]; out_len = int(np.ceil(in_len * scale))
    w, idx = contributions(in_len, out_len, scale)
    img = np.moveaxis(img, axis, 0)
    out = np.einsum('ok,ok...->o...', w, img[idx])
    return np.moveaxis(out, 0, axis)
def imresize(u8, scale):   # (H, W, C) uint8 -> uint8; dim 0 first (MATLAB order for equal scales)
    x = u8.astype(np.float64)
    x = resize_dim(x, scale, 0)
    x = resize_dim(x, scale, 1)
    return np.clip(np.round(x), 0, 255).astype(np.uint8)   # np.round is half-even; exact .5 is rare here
def luma(rgb):
    r, g, b = [rgb[..., i].astype(np.float64) for i in range(3)]
    return 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
out = sys.argv[1]; os.makedirs(out, exist_ok=True)
folder = "/work/shared/datasets/CSet5"
from skimage.metrics import structural_similarity
for s in (2, 3, 4):
    ps, ss = [], []
    for f in sorted(os.listdir(folder)):
        hr = np.asarray(Image.open(os.path.join(folder, f)).convert("RGB"))
        h, w = hr.shape[0] - hr.shape[0] % s, hr.shape[1] - hr.shape[1] % s
        hr = hr[:h, :w]
        lr = imresize(hr, 1 / s)
        sr = imresize(lr, s)
        assert sr.shape == hr.shape, (sr.shape, hr.shape)
        stem = os.path.splitext(f)[0]
        hr.transpose(2, 0, 1).tofile(f"{out}/x{s}_{stem}_{w}x{h}_ref.u8")
        sr.transpose(2, 0, 1).tofile(f"{out}/x{s}_{stem}_{w}x{h}_test.u8")
        yh, ys = luma(hr)[s:-s, s:-s], luma(sr)[s:-s, s:-s]
        ps.append(10 * np.log10(255 ** 2 / np.mean((yh - ys) ** 2)))
        ss.append(structural_similarity(yh, ys, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255))
    print(f"Set5 x{s}: skimage PSNR {np.mean(ps):.4f} SSIM {np.mean(ss):.4f}")
