# Reference values for AdversarialTests.cs, computed with PyTorch (python3-torch 1.13 from Debian).
# Deterministic inputs: value i of a tensor is sin(0.37 * i + offset) * scale.
import math, torch, torch.nn as nn, torch.nn.functional as F
torch.set_default_dtype(torch.float64)

def fill(shape, offset, scale=1.0):
    n = 1
    for s in shape: n *= s
    return torch.tensor([math.sin(0.37 * i + offset) * scale for i in range(n)]).reshape(shape)

real = fill([2, 1, 3, 3], 0.1, 2.0); fake = fill([2, 1, 3, 3], 1.3, 2.0)
bce = lambda x, t: F.binary_cross_entropy_with_logits(x, torch.full_like(x, t))
print("vanilla D", (bce(real, 1) + bce(fake, 0)).item(), "G", bce(fake, 1).item())
print("lsgan D", (F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake))).item(), "G", F.mse_loss(fake, torch.ones_like(fake)).item())
print("hinge D", (F.relu(1 - real).mean() + F.relu(1 + fake).mean()).item(), "G", (-fake.mean()).item())
print("ragan D", ((bce(real - fake.mean(), 1) + bce(fake - real.mean(), 0)) / 2).item(),
      "G", ((bce(real - fake.mean(), 0) + bce(fake - real.mean(), 1)) / 2).item())

# Spectral norm: one training forward from known u, v.
torch.set_default_dtype(torch.float32)
conv = nn.utils.spectral_norm(nn.Conv2d(3, 4, 3, 1, 1, bias=False))
with torch.no_grad():
    conv.weight_orig.copy_(fill([4, 3, 3, 3], 0.2, 0.5).float())
    u = fill([4], 0.7).float(); conv.weight_u.copy_(u / u.norm())
    v = fill([27], 1.1).float(); conv.weight_v.copy_(v / v.norm())
conv.train()
x = fill([1, 3, 5, 5], 0.4).float()
y = conv(x)
y.sum().backward()
print("sn sigma", (conv.weight_orig / conv.weight).flatten()[0].item())
print("sn y", [round(t, 6) for t in y.flatten()[:6].tolist()])
print("sn grad", [round(t, 6) for t in conv.weight_orig.grad.flatten()[:6].tolist()])
print("sn u", [round(t, 6) for t in conv.weight_u.tolist()])

# Pooling and Gram.
x = fill([1, 2, 5, 6], 0.3).float().requires_grad_()
mp = F.max_pool2d(x, 2); ap = F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)
(mp.sum() * 1.0 + (ap * fill(list(ap.shape), 0.9).float()).sum()).backward()
print("maxpool", [round(t, 6) for t in mp.flatten().tolist()])
print("avgpool", [round(t, 6) for t in ap.flatten().tolist()])
print("pool grad", [round(t, 6) for t in x.grad.flatten()[:12].tolist()])
f = fill([1, 3, 4, 4], 0.5).float().requires_grad_()
b, c, h, w = f.shape
g = f.view(b, c, h * w).bmm(f.view(b, c, h * w).transpose(1, 2)) / (c * h * w)
(g * fill([1, 3, 3], 0.8).float()).sum().backward()
print("gram", [round(t, 6) for t in g.flatten().tolist()])
print("gram grad", [round(t, 6) for t in f.grad.flatten()[:8].tolist()])

# Perceptual and style loss on a VGG-19 with widths / 16 and known weights, through conv3_4 (pre-ReLU) and relu2_2.
cfg = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M']
layers, cin = [], 3
for v in cfg:
    if v == 'M': layers.append(nn.MaxPool2d(2, 2))
    else: layers += [nn.Conv2d(cin, v // 16, 3, padding=1), nn.ReLU(inplace=False)]; cin = v // 16
features = nn.Sequential(*layers)
with torch.no_grad():
    for i, m in enumerate(features):
        if isinstance(m, nn.Conv2d):
            m.weight.copy_(fill(list(m.weight.shape), i * 0.1, 0.3).float()); m.bias.copy_(fill(list(m.bias.shape), i * 0.2, 0.05).float())
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1); std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
def feats(img):
    x = (img - mean) / std; out = {}
    for i, m in enumerate(features):
        x = m(x)
        if i == 8: out['relu2_2'] = x
        if i == 16: out['conv3_4'] = x
        if i == 16: break
    return out
out = (fill([1, 3, 16, 16], 0.6) * 0.5 + 0.5).float(); tgt = (fill([1, 3, 16, 16], 2.1) * 0.5 + 0.5).float()
fo, ft = feats(out), feats(tgt)
def gram(t):
    b, c, h, w = t.shape; f = t.view(b, c, h * w); return f.bmm(f.transpose(1, 2)) / (c * h * w)
weights = {'relu2_2': 0.5, 'conv3_4': 1.0}
print("perceptual", sum(w * F.l1_loss(fo[k], ft[k]) for k, w in weights.items()).item())
print("style", sum(w * F.l1_loss(gram(fo[k]), gram(ft[k])) for k, w in weights.items()).item())
