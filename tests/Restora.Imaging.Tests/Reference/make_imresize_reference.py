#!/usr/bin/python3
"""Writes MATLAB-imresize reference outputs for ResizeReferenceTests, from an independent NumPy transcription
of MATLAB's imresize.m (contributions(), cubic/triangle/box/lanczos3 kernels, antialiasing by kernel stretch,
symmetric padding, double arithmetic, one rounding to uint8 at the end) — the same arithmetic that reproduces
the "measured here" bicubic table of ../shared/REFERENCE.md to 1e-4 dB.
Rerun: /usr/bin/python3 tests/Restora.Imaging.Tests/Reference/make_imresize_reference.py ../shared/datasets/CSet5/bird.png
(needs python3-numpy and python3-pil)."""
import sys, os, numpy as np
from PIL import Image

def cubic(x):
    ax = np.abs(x); ax2 = ax * ax; ax3 = ax2 * ax
    return (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1) + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2))
def triangle(x): return (x + 1) * ((-1 <= x) & (x < 0)) + (1 - x) * ((0 <= x) & (x <= 1))
def box(x): return ((-0.5 <= x) & (x < 0.5)).astype(np.float64)
def lanczos3(x):
    with np.errstate(divide='ignore', invalid='ignore'):
        f = (np.sin(np.pi * x) * np.sin(np.pi * x / 3) + np.finfo(float).eps) / ((np.pi ** 2 * x ** 2 / 3) + np.finfo(float).eps)
    return f * (np.abs(x) < 3)
KERNELS = {'bicubic': (cubic, 4.0), 'bilinear': (triangle, 2.0), 'nearest': (box, 1.0), 'lanczos3': (lanczos3, 6.0)}

def contributions(in_len, out_len, scale, method):
    kernel, width = KERNELS[method]
    h = kernel
    if scale < 1 and method != 'nearest':
        h = lambda x: scale * kernel(scale * x); width = width / scale
    x = np.arange(1, out_len + 1)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = np.floor(u - width / 2)
    taps = int(np.ceil(width)) + 2
    ind = left[:, None] + np.arange(taps)[None, :]
    w = h(u[:, None] - ind)
    w = w / w.sum(1, keepdims=True)
    aux = np.concatenate([np.arange(in_len), np.arange(in_len)[::-1]])
    return w, aux[np.mod(ind.astype(int) - 1, len(aux))]

def imresize(img, out_h, out_w, method):
    a = img.astype(np.float64)
    H, W = a.shape[:2]
    wv, iv = contributions(H, out_h, out_h / H, method)
    a = np.einsum('ok,okjc->ojc', wv, a[iv])
    wh, ih = contributions(W, out_w, out_w / W, method)
    a = np.einsum('ok,jokc->joc', wh, a[:, ih])
    return np.clip(np.floor(a + 0.5), 0, 255).astype(np.uint8)

src = np.array(Image.open(sys.argv[1]).convert('RGB'))
here = os.path.dirname(os.path.abspath(__file__))
h, w = src.shape[:2]
Image.fromarray(src).save(os.path.join(here, 'source.png'))
for name, method, oh, ow in [('down3_bicubic', 'bicubic', h // 3, w // 3), ('down3_bilinear', 'bilinear', h // 3, w // 3),
                             ('down3_lanczos3', 'lanczos3', h // 3, w // 3), ('down3_nearest', 'nearest', h // 3, w // 3)]:
    Image.fromarray(imresize(src, oh, ow, method)).save(os.path.join(here, name + '.png'))
lr = imresize(src, h // 3, w // 3, 'bicubic')
Image.fromarray(imresize(lr, 3 * (h // 3), 3 * (w // 3), 'bicubic')).save(os.path.join(here, 'up3_bicubic.png'))
Image.fromarray(imresize(lr, 2 * (h // 3) + 5, int(2.5 * (w // 3)), 'bicubic')).save(os.path.join(here, 'odd_bicubic.png'))
