# pix2pix's UnetGenerator and NLayerDiscriminator as junyanz/pytorch-CycleGAN-and-pix2pix builds them (batch norm,
# eval mode), with known weights: prints state-dict keys, shapes and outputs for Pix2PixReferenceTests.cs.
import math, torch, torch.nn as nn

def fill(shape, offset, scale):
    n = 1
    for s in shape: n *= s
    return torch.tensor([math.sin(0.37 * i + offset) * scale for i in range(n)], dtype=torch.float32).reshape(shape)

class Block(nn.Module):
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
        b = Block(ngf * 8, ngf * 8, innermost=True)
        for _ in range(num_downs - 5): b = Block(ngf * 8, ngf * 8, submodule=b, use_dropout=True)
        b = Block(ngf * 4, ngf * 8, submodule=b); b = Block(ngf * 2, ngf * 4, submodule=b); b = Block(ngf, ngf * 2, submodule=b)
        self.model = Block(output_nc, ngf, input_nc=input_nc, submodule=b, outermost=True)
    def forward(self, x): return self.model(x)

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
