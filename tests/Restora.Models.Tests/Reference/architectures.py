"""PyTorch reference state dicts (key, shape) and parameter counts for Restora's architectures.

Each network is rebuilt here with the module names of the implementation Restora mirrors (BasicSR's MSRResNet,
EDSR, RCAN, RRDBNet; Real-ESRGAN's SRVGGNetCompact; KAIR's DnCNN, FFDNet, UNetRes; yjn870's SRCNN/FSRCNN/ESPCN;
twtygqyy's VDSR), trimmed to what defines the state dict. Rerun from the repository root (PyTorch 1.13, a few seconds):

    /usr/bin/python3 tests/Restora.Models.Tests/Reference/architectures.py

and it rewrites architectures.json next to it (for each configuration the architecture name, the options passed
to Restora's ArchitectureRegistry, the parameter count and every state-dict key with its shape) and
forward.safetensors (tiny configurations with random weights, an input and PyTorch's output: Restora loads the
weights and must give the same output).
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Restora.Core.Tests", "Reference"))
import safetensors_min as st  # noqa: E402


# ---- yjn870 / twtygqyy ----
class SRCNN(nn.Module):
    def __init__(self, c=3):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 64, 9, padding=4)
        self.conv2 = nn.Conv2d(64, 32, 5, padding=2)
        self.conv3 = nn.Conv2d(32, c, 5, padding=2)

    def forward(self, x):
        return self.conv3(F.relu(self.conv2(F.relu(self.conv1(x)))))


class FSRCNN(nn.Module):
    def __init__(self, scale, c=3, d=56, s=12, m=4):
        super().__init__()
        self.first_part = nn.Sequential(nn.Conv2d(c, d, 5, padding=2), nn.PReLU(d))
        mid = [nn.Conv2d(d, s, 1), nn.PReLU(s)]
        for _ in range(m):
            mid.extend([nn.Conv2d(s, s, 3, padding=1), nn.PReLU(s)])
        mid.extend([nn.Conv2d(s, d, 1), nn.PReLU(d)])
        self.mid_part = nn.Sequential(*mid)
        self.last_part = nn.ConvTranspose2d(d, c, 9, stride=scale, padding=4, output_padding=scale - 1)

    def forward(self, x):
        return self.last_part(self.mid_part(self.first_part(x)))


class ESPCN(nn.Module):
    def __init__(self, scale, c=3):
        super().__init__()
        self.first_part = nn.Sequential(nn.Conv2d(c, 64, 5, padding=2), nn.Tanh(), nn.Conv2d(64, 32, 3, padding=1), nn.Tanh())
        self.last_part = nn.Sequential(nn.Conv2d(32, c * scale ** 2, 3, padding=1), nn.PixelShuffle(scale))

    def forward(self, x):
        return self.last_part(self.first_part(x))


class ConvReLUBlock(nn.Module):
    def __init__(self, nf):
        super().__init__()
        self.conv = nn.Conv2d(nf, nf, 3, padding=1, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.conv(x))


class VDSR(nn.Module):
    def __init__(self, c=3, nf=64, depth=20):
        super().__init__()
        self.residual_layer = nn.Sequential(*[ConvReLUBlock(nf) for _ in range(depth - 2)])
        self.input = nn.Conv2d(c, nf, 3, padding=1, bias=False)
        self.output = nn.Conv2d(nf, c, 3, padding=1, bias=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.output(self.residual_layer(self.relu(self.input(x)))) + x


# ---- BasicSR ----
def mean_of(c):
    # BasicSR's DIV2K mean for RGB; Restora uses 0.5 for other channel counts (BasicSR would fail to broadcast).
    return torch.tensor([0.4488, 0.4371, 0.4040]).view(1, 3, 1, 1) if c == 3 else torch.full((1, c, 1, 1), 0.5)


class ResidualBlockNoBN(nn.Module):
    def __init__(self, nf=64):
        super().__init__()
        self.conv1 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv2 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return x + self.conv2(self.relu(self.conv1(x)))


class Upsample(nn.Sequential):
    def __init__(self, scale, nf):
        m = []
        if (scale & (scale - 1)) == 0:
            for _ in range(int(math.log(scale, 2))):
                m.append(nn.Conv2d(nf, 4 * nf, 3, 1, 1))
                m.append(nn.PixelShuffle(2))
        elif scale == 3:
            m.append(nn.Conv2d(nf, 9 * nf, 3, 1, 1))
            m.append(nn.PixelShuffle(3))
        super().__init__(*m)


class MSRResNet(nn.Module):
    def __init__(self, c=3, nf=64, nb=16, upscale=4):
        super().__init__()
        self.conv_first = nn.Conv2d(c, nf, 3, 1, 1)
        self.body = nn.Sequential(*[ResidualBlockNoBN(nf) for _ in range(nb)])
        if upscale in [2, 3]:
            self.upconv1 = nn.Conv2d(nf, nf * upscale * upscale, 3, 1, 1)
            self.pixel_shuffle = nn.PixelShuffle(upscale)
        elif upscale == 4:
            self.upconv1 = nn.Conv2d(nf, nf * 4, 3, 1, 1)
            self.upconv2 = nn.Conv2d(nf, nf * 4, 3, 1, 1)
            self.pixel_shuffle = nn.PixelShuffle(2)
        self.conv_hr = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, c, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.1, inplace=True)
        self.upscale = upscale

    def forward(self, x):
        feat = self.lrelu(self.conv_first(x))
        out = self.body(feat)
        if self.upscale == 4:
            out = self.lrelu(self.pixel_shuffle(self.upconv1(out)))
            out = self.lrelu(self.pixel_shuffle(self.upconv2(out)))
        else:
            out = self.lrelu(self.pixel_shuffle(self.upconv1(out)))
        out = self.conv_last(self.lrelu(self.conv_hr(out)))
        return out + F.interpolate(x, scale_factor=self.upscale, mode="bilinear", align_corners=False)


class EDSR(nn.Module):
    def __init__(self, c=3, nf=64, nb=16, upscale=4):
        super().__init__()
        self.conv_first = nn.Conv2d(c, nf, 3, 1, 1)
        self.body = nn.Sequential(*[ResidualBlockNoBN(nf) for _ in range(nb)])
        self.conv_after_body = nn.Conv2d(nf, nf, 3, 1, 1)
        self.upsample = Upsample(upscale, nf)
        self.conv_last = nn.Conv2d(nf, c, 3, 1, 1)
        self.mean = mean_of(c)

    def forward(self, x):
        x = (x - self.mean) * 255.0
        x = self.conv_first(x)
        res = self.conv_after_body(self.body(x)) + x
        return self.conv_last(self.upsample(res)) / 255.0 + self.mean


class ChannelAttention(nn.Module):
    def __init__(self, nf, sq=16):
        super().__init__()
        self.attention = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(nf, nf // sq, 1, padding=0), nn.ReLU(inplace=True),
                                       nn.Conv2d(nf // sq, nf, 1, padding=0), nn.Sigmoid())

    def forward(self, x):
        return x * self.attention(x)


class RCAB(nn.Module):
    def __init__(self, nf, sq):
        super().__init__()
        self.rcab = nn.Sequential(nn.Conv2d(nf, nf, 3, 1, 1), nn.ReLU(True), nn.Conv2d(nf, nf, 3, 1, 1), ChannelAttention(nf, sq))

    def forward(self, x):
        return self.rcab(x) + x


class ResidualGroup(nn.Module):
    def __init__(self, nf, sq, nb):
        super().__init__()
        self.residual_group = nn.Sequential(*[RCAB(nf, sq) for _ in range(nb)])
        self.conv = nn.Conv2d(nf, nf, 3, 1, 1)

    def forward(self, x):
        return self.conv(self.residual_group(x)) + x


class RCAN(nn.Module):
    def __init__(self, c=3, nf=64, ng=10, nb=16, sq=16, upscale=4):
        super().__init__()
        self.conv_first = nn.Conv2d(c, nf, 3, 1, 1)
        self.body = nn.Sequential(*[ResidualGroup(nf, sq, nb) for _ in range(ng)])
        self.conv_after_body = nn.Conv2d(nf, nf, 3, 1, 1)
        self.upsample = Upsample(upscale, nf)
        self.conv_last = nn.Conv2d(nf, c, 3, 1, 1)
        self.mean = mean_of(c)

    def forward(self, x):
        x = (x - self.mean) * 255.0
        x = self.conv_first(x)
        res = self.conv_after_body(self.body(x)) + x
        return self.conv_last(self.upsample(res)) / 255.0 + self.mean


class ResidualDenseBlock(nn.Module):
    def __init__(self, nf=64, gc=32):
        super().__init__()
        self.conv1 = nn.Conv2d(nf, gc, 3, 1, 1)
        self.conv2 = nn.Conv2d(nf + gc, gc, 3, 1, 1)
        self.conv3 = nn.Conv2d(nf + 2 * gc, gc, 3, 1, 1)
        self.conv4 = nn.Conv2d(nf + 3 * gc, gc, 3, 1, 1)
        self.conv5 = nn.Conv2d(nf + 4 * gc, nf, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)

    def forward(self, x):
        x1 = self.lrelu(self.conv1(x))
        x2 = self.lrelu(self.conv2(torch.cat((x, x1), 1)))
        x3 = self.lrelu(self.conv3(torch.cat((x, x1, x2), 1)))
        x4 = self.lrelu(self.conv4(torch.cat((x, x1, x2, x3), 1)))
        x5 = self.conv5(torch.cat((x, x1, x2, x3, x4), 1))
        return x5 * 0.2 + x


class RRDB(nn.Module):
    def __init__(self, nf, gc=32):
        super().__init__()
        self.rdb1 = ResidualDenseBlock(nf, gc)
        self.rdb2 = ResidualDenseBlock(nf, gc)
        self.rdb3 = ResidualDenseBlock(nf, gc)

    def forward(self, x):
        return self.rdb3(self.rdb2(self.rdb1(x))) * 0.2 + x


class RRDBNet(nn.Module):
    def __init__(self, c=3, scale=4, nf=64, nb=23, gc=32):
        super().__init__()
        cin = c * 4 if scale == 2 else c * 16 if scale == 1 else c
        self.conv_first = nn.Conv2d(cin, nf, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(nf, gc) for _ in range(nb)])
        self.conv_body = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_hr = nn.Conv2d(nf, nf, 3, 1, 1)
        self.conv_last = nn.Conv2d(nf, c, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(negative_slope=0.2, inplace=True)
        self.scale = scale

    def forward(self, x):
        feat = F.pixel_unshuffle(x, 2) if self.scale == 2 else F.pixel_unshuffle(x, 4) if self.scale == 1 else x
        feat = self.conv_first(feat)
        feat = feat + self.conv_body(self.body(feat))
        feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")))
        feat = self.lrelu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.lrelu(self.conv_hr(feat)))


# ---- Real-ESRGAN ----
class SRVGGNetCompact(nn.Module):
    def __init__(self, c=3, nf=64, nconv=16, upscale=4):
        super().__init__()
        self.upscale = upscale
        layers = [nn.Conv2d(c, nf, 3, 1, 1), nn.PReLU(nf)]
        for _ in range(nconv):
            layers += [nn.Conv2d(nf, nf, 3, 1, 1), nn.PReLU(nf)]
        layers.append(nn.Conv2d(nf, c * upscale * upscale, 3, 1, 1))
        self.body = nn.ModuleList(layers)

    def forward(self, x):
        out = x
        for m in self.body:
            out = m(out)
        return F.pixel_shuffle(out, self.upscale) + F.interpolate(x, scale_factor=self.upscale, mode="nearest")


# ---- KAIR ----
class DnCNN(nn.Module):
    def __init__(self, c=3, nc=64, nb=17, bn=False):
        super().__init__()
        layers = [nn.Conv2d(c, nc, 3, 1, 1), nn.ReLU(inplace=True)]
        for _ in range(nb - 2):
            layers.append(nn.Conv2d(nc, nc, 3, 1, 1))
            if bn:
                layers.append(nn.BatchNorm2d(nc, momentum=0.9, eps=1e-04, affine=True))
            layers.append(nn.ReLU(inplace=True))
        layers.append(nn.Conv2d(nc, c, 3, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return x - self.model(x)


class FFDNet(nn.Module):
    def __init__(self, c=3, nc=96, nb=12):
        super().__init__()
        layers = [nn.Conv2d(c * 4 + 1, nc, 3, 1, 1), nn.ReLU(inplace=True)]
        for _ in range(nb - 2):
            layers += [nn.Conv2d(nc, nc, 3, 1, 1), nn.ReLU(inplace=True)]
        layers.append(nn.Conv2d(nc, c * 4, 3, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, x, sigma):
        x = F.pixel_unshuffle(x, 2)
        m = sigma.repeat(1, 1, x.size()[-2], x.size()[-1])
        return F.pixel_shuffle(self.model(torch.cat((x, m), 1)), 2)


class ResBlock(nn.Module):
    def __init__(self, nc):
        super().__init__()
        self.res = nn.Sequential(nn.Conv2d(nc, nc, 3, 1, 1, bias=False), nn.ReLU(inplace=True), nn.Conv2d(nc, nc, 3, 1, 1, bias=False))

    def forward(self, x):
        return x + self.res(x)


class UNetRes(nn.Module):
    def __init__(self, in_nc=3, out_nc=3, nc=(64, 128, 256, 512), nb=4):
        super().__init__()
        self.m_head = nn.Conv2d(in_nc, nc[0], 3, 1, 1, bias=False)
        self.m_down1 = nn.Sequential(*[ResBlock(nc[0]) for _ in range(nb)], nn.Conv2d(nc[0], nc[1], 2, 2, 0, bias=False))
        self.m_down2 = nn.Sequential(*[ResBlock(nc[1]) for _ in range(nb)], nn.Conv2d(nc[1], nc[2], 2, 2, 0, bias=False))
        self.m_down3 = nn.Sequential(*[ResBlock(nc[2]) for _ in range(nb)], nn.Conv2d(nc[2], nc[3], 2, 2, 0, bias=False))
        self.m_body = nn.Sequential(*[ResBlock(nc[3]) for _ in range(nb)])
        self.m_up3 = nn.Sequential(nn.ConvTranspose2d(nc[3], nc[2], 2, 2, 0, bias=False), *[ResBlock(nc[2]) for _ in range(nb)])
        self.m_up2 = nn.Sequential(nn.ConvTranspose2d(nc[2], nc[1], 2, 2, 0, bias=False), *[ResBlock(nc[1]) for _ in range(nb)])
        self.m_up1 = nn.Sequential(nn.ConvTranspose2d(nc[1], nc[0], 2, 2, 0, bias=False), *[ResBlock(nc[0]) for _ in range(nb)])
        self.m_tail = nn.Conv2d(nc[0], out_nc, 3, 1, 1, bias=False)
        self.noise_map = in_nc != out_nc

    def forward(self, x0, sigma=None):
        if self.noise_map:
            x0 = torch.cat((x0, sigma.repeat(1, 1, x0.size()[-2], x0.size()[-1])), 1)
        x1 = self.m_head(x0)
        x2 = self.m_down1(x1)
        x3 = self.m_down2(x2)
        x4 = self.m_down3(x3)
        x = self.m_body(x4)
        x = self.m_up3(x + x4)
        x = self.m_up2(x + x3)
        x = self.m_up1(x + x2)
        return self.m_tail(x + x1)


# ---- junyanz pytorch-CYCLEGAN-and-pix2pix (batch norm) ----
class UnetSkipConnectionBlock(nn.Module):
    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False, innermost=False, use_dropout=False):
        super().__init__()
        self.outermost = outermost
        use_bias = False  # batch norm
        if input_nc is None: input_nc = outer_nc
        downconv = nn.Conv2d(input_nc, inner_nc, 4, 2, 1, bias=use_bias)
        downrelu = nn.LeakyReLU(0.2, True); downnorm = nn.BatchNorm2d(inner_nc)
        uprelu = nn.ReLU(True); upnorm = nn.BatchNorm2d(outer_nc)
        if outermost:
            model = [downconv, submodule, uprelu, nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1), nn.Tanh()]
        elif innermost:
            model = [downrelu, downconv, uprelu, nn.ConvTranspose2d(inner_nc, outer_nc, 4, 2, 1, bias=use_bias), upnorm]
        else:
            model = [downrelu, downconv, downnorm, submodule, uprelu, nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1, bias=use_bias), upnorm]
            if use_dropout: model += [nn.Dropout(0.5)]
        self.model = nn.Sequential(*model)
    def forward(self, x):
        return self.model(x) if self.outermost else torch.cat([x, self.model(x)], 1)

class UnetGenerator(nn.Module):
    def __init__(self, input_nc, output_nc, num_downs, ngf):
        super().__init__()
        b = UnetSkipConnectionBlock(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5): b = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=b, use_dropout=True)
        b = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=b); b = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=b); b = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=b)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=b, outermost=True)
    def forward(self, x): return self.model(x)


class RLTool(nn.Module):
    """RL-Restore's toolbox expert as Restora builds it: 9x9 -> 32, 5x5 -> 16, (layers - 3) 5x5 16 -> 16, 5x5 -> c,
    ReLU between, the input added (the released code ships TensorFlow graphs only; the layer list is the paper's)."""
    def __init__(self, c=3, layers=3):
        super().__init__()
        convs = [nn.Conv2d(c, 32, 9, padding=4), nn.Conv2d(32, 16, 5, padding=2)]
        convs += [nn.Conv2d(16, 16, 5, padding=2) for _ in range(layers - 3)]
        convs.append(nn.Conv2d(16, c, 5, padding=2))
        for i, conv in enumerate(convs):
            setattr(self, f"conv{i + 1}", conv)
        self.n = len(convs)

    def forward(self, x):
        y = x
        for i in range(1, self.n):
            y = F.relu(getattr(self, f"conv{i}")(y))
        return getattr(self, f"conv{self.n}")(y) + x


def unet(c, f, nb, noise_map):
    return UNetRes(c + (1 if noise_map else 0), c, (f, 2 * f, 4 * f, 8 * f), nb)


# (arch, Restora options, PyTorch network)
CONFIGS = [
    ("srcnn", {}, SRCNN()),
    ("srcnn", {"channels": "1"}, SRCNN(1)),
    ("fsrcnn", {"scale": "4"}, FSRCNN(4)),
    ("fsrcnn", {"scale": "2", "channels": "1"}, FSRCNN(2, 1)),
    ("espcn", {"scale": "3"}, ESPCN(3)),
    ("espcn", {"scale": "4"}, ESPCN(4)),
    ("vdsr", {}, VDSR()),
    ("vdsr", {"channels": "1"}, VDSR(1)),
    ("srresnet", {"scale": "4"}, MSRResNet()),
    ("srresnet", {"scale": "2", "blocks": "4", "features": "32"}, MSRResNet(3, 32, 4, 2)),
    ("srresnet", {"scale": "3", "blocks": "2"}, MSRResNet(3, 64, 2, 3)),
    ("edsr", {"scale": "4"}, EDSR()),
    ("edsr", {"scale": "2"}, EDSR(upscale=2)),
    ("edsr", {"scale": "3"}, EDSR(upscale=3)),
    ("rcan", {"scale": "4"}, RCAN()),
    ("rcan", {"scale": "2", "groups": "2", "blocks": "3", "features": "32", "squeeze": "8"}, RCAN(3, 32, 2, 3, 8, 2)),
    ("rrdbnet", {"scale": "4"}, RRDBNet()),
    ("rrdbnet", {"scale": "2", "blocks": "2", "features": "32", "growth": "16"}, RRDBNet(3, 2, 32, 2, 16)),
    ("rrdbnet", {"scale": "1", "blocks": "1"}, RRDBNet(3, 1, 64, 1, 32)),
    ("srvgg", {"scale": "4"}, SRVGGNetCompact()),
    ("srvgg", {"scale": "2", "convs": "4", "features": "16", "channels": "1"}, SRVGGNetCompact(1, 16, 4, 2)),
    ("dncnn", {}, DnCNN()),
    ("dncnn", {"channels": "1", "batch_norm": "true"}, DnCNN(1, 64, 17, True)),
    ("dncnn", {"depth": "10", "features": "48"}, DnCNN(3, 48, 10)),
    ("ffdnet", {}, FFDNet()),
    ("ffdnet", {"channels": "1"}, FFDNet(1, 64, 15)),
    ("unet", {}, unet(3, 32, 2, False)),
    ("unet", {"features": "64", "blocks": "4", "noise_map": "true"}, unet(3, 64, 4, True)),
    ("pix2pix-unet", {"features": "8", "depth": "5"}, UnetGenerator(3, 3, 5, 8)),
    ("pix2pix-unet", {}, UnetGenerator(3, 3, 8, 64)),
    ("rl-tool", {}, RLTool(3, 3)),
    ("rl-tool", {"layers": "8"}, RLTool(3, 8)),
]


# Tiny configurations whose outputs Restora must reproduce from the same weights: (name, arch, options, net, scale).
FORWARD = [
    ("srcnn", "srcnn", {}, lambda: SRCNN(), 1),
    ("fsrcnn", "fsrcnn", {"scale": "3", "d": "8", "s": "4", "m": "1"}, lambda: FSRCNN(3, 3, 8, 4, 1), 3),
    ("espcn", "espcn", {"scale": "3"}, lambda: ESPCN(3), 3),
    ("vdsr", "vdsr", {"depth": "5", "features": "8"}, lambda: VDSR(3, 8, 5), 1),
    ("srresnet4", "srresnet", {"scale": "4", "features": "8", "blocks": "2"}, lambda: MSRResNet(3, 8, 2, 4), 4),
    ("srresnet3", "srresnet", {"scale": "3", "features": "8", "blocks": "1"}, lambda: MSRResNet(3, 8, 1, 3), 3),
    ("edsr", "edsr", {"scale": "2", "features": "8", "blocks": "2"}, lambda: EDSR(3, 8, 2, 2), 2),
    ("rcan", "rcan", {"scale": "4", "features": "16", "groups": "2", "blocks": "2", "squeeze": "4"}, lambda: RCAN(3, 16, 2, 2, 4, 4), 4),
    ("rrdbnet4", "rrdbnet", {"scale": "4", "features": "8", "blocks": "1", "growth": "4"}, lambda: RRDBNet(3, 4, 8, 1, 4), 4),
    ("rrdbnet2", "rrdbnet", {"scale": "2", "features": "8", "blocks": "1", "growth": "4"}, lambda: RRDBNet(3, 2, 8, 1, 4), 2),
    ("dncnn", "dncnn", {"depth": "4", "features": "8"}, lambda: DnCNN(3, 8, 4), 1),
    ("ffdnet", "ffdnet", {"depth": "3", "features": "8"}, lambda: FFDNet(3, 8, 3), 1),
    ("unet", "unet", {"features": "4", "blocks": "1", "noise_map": "true"}, lambda: unet(3, 4, 1, True), 1),
    ("srvgg", "srvgg", {"scale": "3", "features": "8", "convs": "2"}, lambda: SRVGGNetCompact(3, 8, 2, 3), 3),
    # pix2pix's generator takes -1..1; Restora's takes 0..1 and maps it, so the reference is wrapped the same way.
    ("pix2pix", "pix2pix-unet", {"features": "4", "depth": "6"}, lambda: Pix2PixZeroOne(UnetGenerator(3, 3, 6, 4)), 1),
    # Appended last, so the random draws of the entries above (and their stored references) stay as they were.
    ("rl-tool", "rl-tool", {"layers": "8"}, lambda: RLTool(3, 8), 1),
]


class Pix2PixZeroOne(nn.Module):
    """The reference generator on 0..1 images, as Restora runs it (keys under model.)."""
    def __init__(self, g):
        super().__init__()
        self.model = g.model
    def forward(self, x):
        return (self.model(x * 2 - 1) + 1) / 2


def write_forward_references(path):
    torch.manual_seed(0)
    tensors, meta = {}, {}
    for name, arch, options, make, scale in FORWARD:
        net = make().eval()
        with torch.no_grad():
            for p in net.parameters():  # away from PyTorch's init so every weight matters
                p.uniform_(-0.3, 0.3)
            h, w = (64, 128) if arch == "pix2pix-unet" else (8, 16)  # pix2pix: sides multiples of 2^depth
            x = torch.rand(2, 3, h, w)
            sigma = torch.tensor([10.0, 40.0]).view(2, 1, 1, 1) / 255
            y = net(x, sigma) if arch in ("ffdnet", "unet") else net(x)
        assert y.shape == (2, 3, h * scale, w * scale), (name, y.shape)
        for k, v in net.state_dict().items():
            tensors[f"{name}.w.{k}"] = v
        tensors[f"{name}.input"] = x
        tensors[f"{name}.sigma"] = sigma
        tensors[f"{name}.output"] = y
        meta[name] = json.dumps({"arch": arch, "options": options})
    st.save(path, tensors, meta)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    write_forward_references(os.path.join(here, "forward.safetensors"))
    out = []
    for arch, options, net in CONFIGS:
        sd = net.state_dict()
        out.append({
            "arch": arch,
            "options": options,
            "parameters": sum(p.numel() for p in net.parameters()),
            "state_dict": [[k, list(v.shape)] for k, v in sd.items()],
        })
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "architectures.json")
    with open(path, "w") as f:  # one configuration per line: readable diffs, small file
        f.write("[\n" + ",\n".join(json.dumps(o, separators=(",", ":")) for o in out) + "\n]\n")
    for o in out:
        print(f"{o['arch']:10s} {json.dumps(o['options']):70s} {o['parameters']:>10,d}")


if __name__ == "__main__":
    main()
