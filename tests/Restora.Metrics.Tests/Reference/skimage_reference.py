#!/usr/bin/python3
"""Independent reference numbers for Restora.Metrics' tests (Debian python3-skimage 0.19, numpy, scipy).

Run: /usr/bin/python3 skimage_reference.py            -> prints the constants used in ReferenceValueTests.cs
     /usr/bin/python3 skimage_reference.py DUMP_DIR    -> also scores CSet5 pairs and dumps them as raw uint8
                                                          (planar C,H,W) for the C# side to score the same pixels

SSIM: skimage.metrics.structural_similarity with the settings that reproduce Wang et al.'s ssim_index.m
(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255). MS-SSIM and PSNR-B have no
skimage implementation, so they are straight numpy transcriptions of pytorch_msssim.ms_ssim and of
KAIR/SwinIR's calculate_psnrb (paper-exact pair counts; equal to KAIR's when sides are multiples of 8).
"""
import sys, os
import numpy as np
from scipy import signal
from skimage.metrics import structural_similarity, peak_signal_noise_ratio

# ---- deterministic test images: integer formulas, identical in C# (see TestImages.cs) -------------------
def base_pattern(w, h, channels):
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    planes = [(x * 7 + y * 13 + c * 5 + ((x * y) % 17) * 3) % 256 for c in range(channels)]
    return np.stack(planes).astype(np.int64)          # (C, H, W)

def noise(w, h, channels, amplitude):
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    planes = [(((x * 73856093) ^ (y * 19349663) ^ (c * 83492791)) % (2 * amplitude + 1)) - amplitude
              for c in range(channels)]
    return np.stack(planes).astype(np.int64)

def pair(w, h, channels, amplitude):
    ref = base_pattern(w, h, channels)
    test = np.clip(ref + noise(w, h, channels, amplitude), 0, 255)
    return ref.astype(np.uint8), test.astype(np.uint8)

def blocky(w, h, channels):
    """Each 8x8 block replaced by its rounded mean, as a crude JPEG stand-in: (sum + 32) // 64 on full blocks."""
    ref = base_pattern(w, h, channels)
    out = ref.copy()
    for by in range(0, h - h % 8, 8):
        for bx in range(0, w - w % 8, 8):
            blk = ref[:, by:by + 8, bx:bx + 8]
            out[:, by:by + 8, bx:bx + 8] = ((blk.sum(axis=(1, 2)) + 32) // 64)[:, None, None]
    return ref.astype(np.uint8), out.astype(np.uint8)

def as_float32(u8):   # what Restora holds: v / 255f, correctly rounded float32
    return u8.astype(np.float32) / np.float32(255)

# ---- metrics ------------------------------------------------------------------------------------------------
def luma(rgb):        # MATLAB rgb2ycbcr Y on the 0..255 scale, double, unrounded; rgb (3,H,W) in 0..255
    r, g, b = [p.astype(np.float64) for p in rgb]
    return 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255

def ssim_planes(a, b, data_range):
    return np.mean([structural_similarity(a[c], b[c], gaussian_weights=True, sigma=1.5,
                                          use_sample_covariance=False, data_range=data_range)
                    for c in range(a.shape[0])])

def gauss_window():
    k = np.arange(11) - 5
    w = np.exp(-(k ** 2) / (2 * 1.5 ** 2))
    return w / w.sum()

def valid_filter(img, w):
    v = np.lib.stride_tricks.sliding_window_view(img, 11, axis=0) @ w
    return np.lib.stride_tricks.sliding_window_view(v, 11, axis=1) @ w

def ssim_and_cs(x, y, data_range):   # pytorch_msssim._ssim, one plane, float64
    w = gauss_window()
    C1, C2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    mu1, mu2 = valid_filter(x, w), valid_filter(y, w)
    s1 = valid_filter(x * x, w) - mu1 * mu1
    s2 = valid_filter(y * y, w) - mu2 * mu2
    s12 = valid_filter(x * y, w) - mu1 * mu2
    cs_map = (2 * s12 + C2) / (s1 + s2 + C2)
    ssim_map = ((2 * mu1 * mu2 + C1) / (mu1 * mu1 + mu2 * mu2 + C1)) * cs_map
    return ssim_map.mean(), cs_map.mean()

def avg_pool2(x):     # torch avg_pool2d(kernel 2, padding=(H%2, W%2)), count_include_pad=True
    ph, pw = x.shape[0] % 2, x.shape[1] % 2
    p = np.pad(x, ((ph, ph), (pw, pw)))
    hh, ww = (p.shape[0] // 2) * 2, (p.shape[1] // 2) * 2
    p = p[:hh, :ww]
    return (p[0::2, 0::2] + p[0::2, 1::2] + p[1::2, 0::2] + p[1::2, 1::2]) / 4

def ms_ssim(a, b, data_range):
    weights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]
    vals = []
    for c in range(a.shape[0]):
        x, y = a[c].astype(np.float64), b[c].astype(np.float64)
        assert min(x.shape) > 160
        terms = []
        for i in range(5):
            s, cs = ssim_and_cs(x, y, data_range)
            if i < 4:
                terms.append(max(cs, 0.0))
                x, y = avg_pool2(x), avg_pool2(y)
        terms.append(max(s, 0.0))
        vals.append(np.prod([t ** wt for t, wt in zip(terms, weights)]))
    return float(np.mean(vals))

def bef(im):          # Yim & Bovik blocking effect factor, true pair counts, im (H, W)
    h, w = im.shape
    hb = np.arange(7, w - 1, 8); vb = np.arange(7, h - 1, 8)
    hn = np.setdiff1d(np.arange(0, w - 1), hb); vn = np.setdiff1d(np.arange(0, h - 1), vb)
    db = (((im[:, hb] - im[:, hb + 1]) ** 2).sum() + ((im[vb, :] - im[vb + 1, :]) ** 2).sum()) / (h * len(hb) + w * len(vb))
    dn = (((im[:, hn] - im[:, hn + 1]) ** 2).sum() + ((im[vn, :] - im[vn + 1, :]) ** 2).sum()) / (h * len(hn) + w * len(vn))
    if db <= dn:
        return 0.0
    return np.log2(8) / np.log2(min(h, w)) * (db - dn)

def psnr_b(a, b):     # a, b (C,H,W) on 0..1; mean over channels of per-channel PSNR-B (KAIR); BEF of the test image b
    total = 0.0
    for c in range(a.shape[0]):
        mse = np.mean((a[c] - b[c]) ** 2)
        total += 10 * np.log10(1 / (mse + bef(b[c])))
    return total / a.shape[0]

def psnr(a, b):       # joint over channels, peak 1 on 0..1
    return 10 * np.log10(1 / np.mean((a - b) ** 2))

# ---- 1. the claim: skimage's reflect-mode gaussian + crop of 5 == 'valid' filtering --------------------------
def check_valid_claim():
    rng = np.random.default_rng(1)
    x, y = rng.random((40, 53)) * 255, rng.random((40, 53)) * 255
    _, S = structural_similarity(x, y, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
                                 data_range=255, full=True)
    w2 = np.outer(gauss_window(), gauss_window())
    f = lambda im: signal.correlate2d(im, w2, mode='valid')
    mu1, mu2 = f(x), f(y)
    s1, s2, s12 = f(x * x) - mu1 ** 2, f(y * y) - mu2 ** 2, f(x * y) - mu1 * mu2
    C1, C2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    ref = ((2 * mu1 * mu2 + C1) * (2 * s12 + C2)) / ((mu1 ** 2 + mu2 ** 2 + C1) * (s1 + s2 + C2))
    diff = np.abs(S[5:-5, 5:-5] - ref).max()
    print(f"# claim check: max |skimage reflect+crop map - correlate2d 'valid' map| = {diff:.3e} over {ref.shape}")
    # And the window skimage's gaussian uses (scipy truncate 3.5, sigma 1.5) is 11 taps: radius int(3.5*1.5+0.5) = 5.
    print(f"# scipy radius for sigma 1.5, truncate 3.5: {int(3.5 * 1.5 + 0.5)}")

def main():
    np.set_printoptions(precision=17)
    check_valid_claim()
    print("# deterministic pairs (name: value from uint8 via skimage/transcription | value on Restora's float32 inputs)")
    cases = {
        "rgb67x53_a20": pair(67, 53, 3, 20),
        "gray67x53_a20": pair(67, 53, 1, 20),
        "rgb200x181_a30": pair(200, 181, 3, 30),
        "rgb64x48_blocky": blocky(64, 48, 3),
    }
    for name, (r8, t8) in cases.items():
        rf, tf = as_float32(r8).astype(np.float64), as_float32(t8).astype(np.float64)
        out = {}
        out["ssim"] = (ssim_planes(r8, t8, 255), ssim_planes(rf, tf, 1.0))
        if r8.shape[0] == 3:
            out["ssim_y"] = (ssim_planes(luma(r8)[None], luma(t8)[None], 255),
                             ssim_planes(luma(rf * 255)[None] / 255, luma(tf * 255)[None] / 255, 1.0))
        out["psnr"] = (peak_signal_noise_ratio(r8, t8, data_range=255), psnr(rf, tf))
        out["ssim_shave4"] = (ssim_planes(r8[:, 4:-4, 4:-4], t8[:, 4:-4, 4:-4], 255),
                              ssim_planes(rf[:, 4:-4, 4:-4], tf[:, 4:-4, 4:-4], 1.0))
        if min(r8.shape[1:]) > 160:
            out["ms_ssim"] = (ms_ssim(r8.astype(np.float64), t8.astype(np.float64), 255), ms_ssim(rf, tf, 1.0))
        out["psnr_b"] = (psnr_b(r8.astype(np.float64) / 255, t8.astype(np.float64) / 255), psnr_b(rf, tf))
        for k, (a, b) in out.items():
            print(f"{name:18s} {k:12s} {a:.17g} | {b:.17g}")

    if len(sys.argv) > 1:
        from PIL import Image as PILImage
        dump = sys.argv[1]
        os.makedirs(dump, exist_ok=True)
        folder = "/work/shared/datasets/CSet5"
        print("# CSet5: test = PIL bicubic x4 down then up (a stand-in SR output), rounded to uint8")
        for f in sorted(os.listdir(folder)):
            im = PILImage.open(os.path.join(folder, f)).convert("RGB")
            w, h = im.size
            w4, h4 = w - w % 4, h - h % 4
            im = im.crop((0, 0, w4, h4))
            lr = im.resize((w4 // 4, h4 // 4), PILImage.BICUBIC)
            sr = lr.resize((w4, h4), PILImage.BICUBIC)
            r8 = np.asarray(im).transpose(2, 0, 1).copy()
            t8 = np.asarray(sr).transpose(2, 0, 1).copy()
            stem = os.path.splitext(f)[0]
            r8.tofile(os.path.join(dump, f"{stem}_{w4}x{h4}_ref.u8"))
            t8.tofile(os.path.join(dump, f"{stem}_{w4}x{h4}_test.u8"))
            ry, ty = luma(r8)[4:-4, 4:-4], luma(t8)[4:-4, 4:-4]
            ssim_rgb = ssim_planes(r8, t8, 255)
            ssim_y = ssim_planes(ry[None], ty[None], 255)
            psnr_y = 10 * np.log10(255 ** 2 / np.mean((ry - ty) ** 2))
            ms = ms_ssim(r8.astype(np.float64), t8.astype(np.float64), 255)
            pb = psnr_b(r8.astype(np.float64) / 255, t8.astype(np.float64) / 255)
            print(f"{stem:10s} {w4}x{h4} ssim_rgb {ssim_rgb:.15f} ssim_y_shave4 {ssim_y:.15f} psnr_y_shave4 {psnr_y:.12f} "
                  f"ms_ssim_rgb {ms:.15f} psnr_b_rgb {pb:.12f}")
            # The same on exactly the float32 samples Restora holds (v / 255f), to separate storage from arithmetic.
            rf, tf = as_float32(r8).astype(np.float64), as_float32(t8).astype(np.float64)
            ryf, tyf = luma(rf * 255)[4:-4, 4:-4] / 255, luma(tf * 255)[4:-4, 4:-4] / 255
            print(f"{'  float32':10s} {w4}x{h4} ssim_rgb {ssim_planes(rf, tf, 1.0):.15f} "
                  f"ssim_y_shave4 {ssim_planes(ryf[None], tyf[None], 1.0):.15f} "
                  f"psnr_y_shave4 {10 * np.log10(1 / np.mean((ryf - tyf) ** 2)):.12f} "
                  f"ms_ssim_rgb {ms_ssim(rf, tf, 1.0):.15f} psnr_b_rgb {psnr_b(rf, tf):.12f}")

if __name__ == "__main__":
    main()
