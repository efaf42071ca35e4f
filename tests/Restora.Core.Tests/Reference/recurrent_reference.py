# Reference values for RecurrentReferenceTests.cs, computed with PyTorch (python3-torch from Debian), float32.
# Deterministic tensors: value i of a tensor is sin(0.37 * i + offset) * scale (tests/Shared/SineFill.cs).
# Run: /usr/bin/python3 tests/Restora.Core.Tests/Reference/recurrent_reference.py
import math, torch, torch.nn as nn, torch.nn.functional as F

def fill(shape, offset, scale=1.0):
    n = 1
    for s in shape: n *= s
    return torch.tensor([math.sin(0.37 * i + offset) * scale for i in range(n)], dtype=torch.float64).reshape(shape).float()

def show(name, t):
    print(name, "[" + ", ".join("%.7gf" % v for v in t.detach().flatten().tolist()) + "]")

# LSTMCell, batch 2, input 3, hidden 4, over 3 steps from a non-zero state.
N, IN, H = 2, 3, 4
cell = nn.LSTMCell(IN, H)
print("parameter order", [n for n, _ in cell.named_parameters()])
with torch.no_grad():
    cell.weight_ih.copy_(fill([4 * H, IN], 0.1, 0.5))
    cell.weight_hh.copy_(fill([4 * H, H], 0.2, 0.5))
    cell.bias_ih.copy_(fill([4 * H], 0.3, 0.2))
    cell.bias_hh.copy_(fill([4 * H], 0.4, 0.2))
xs = [fill([N, IN], 0.5 + t, 1.0).requires_grad_() for t in range(3)]
h0 = fill([N, H], 1.7, 0.5).requires_grad_()
c0 = fill([N, H], 1.9, 0.5).requires_grad_()
h, c = h0, c0
loss = 0
for t in range(3):
    h, c = cell(xs[t], (h, c))
    show("h%d" % (t + 1), h)
    show("c%d" % (t + 1), c)
    # Every step's h enters the loss, and the last c too, so gradients flow along both paths through time.
    loss = loss + (h * fill([N, H], 2.3 + t)).sum()
loss = loss + (c * fill([N, H], 3.1)).sum()
loss.backward()
print("loss %.7g" % loss.item())
show("grad weight_ih", cell.weight_ih.grad)
show("grad weight_hh", cell.weight_hh.grad)
show("grad bias_ih", cell.bias_ih.grad)
show("grad bias_hh", cell.bias_hh.grad)
for t in range(3): show("grad x%d" % t, xs[t].grad)
show("grad h0", h0.grad)
show("grad c0", c0.grad)

# Huber loss (mean), differences on both sides of delta.
inp = fill([2, 5], 0.2, 3.0).requires_grad_()
tgt = fill([2, 5], 4.0, 1.0).requires_grad_()
print("huber diffs", ["%.4f" % v for v in (inp - tgt).flatten().tolist()])
for delta in (1.0, 1.5):
    inp.grad = None; tgt.grad = None
    l = F.huber_loss(inp, tgt, delta=delta)
    l.backward()
    print("huber delta %g: %.7gf" % (delta, l.item()))
    show("huber delta %g grad input" % delta, inp.grad)
    show("huber delta %g grad target" % delta, tgt.grad)
