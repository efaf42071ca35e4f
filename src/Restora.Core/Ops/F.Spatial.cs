namespace Restora.Core;

/// <summary>How sub-pixel channels are laid out in <see cref="F.PixelShuffle"/>.</summary>
public enum PixelShuffleOrder
{
    /// <summary>torch.nn.PixelShuffle: input channel c·r² + i·r + j goes to output channel c at offset (i, j).</summary>
    PyTorch,

    /// <summary>TensorFlow's depth_to_space (NHWC depth (i·r + j)·C + c), seen in NCHW: channel (i·r + j)·C + c.</summary>
    DepthToSpace,
}

public static partial class F
{
    /// <summary>[N, C·r², H, W] → [N, C, H·r, W·r].</summary>
    public static Tensor PixelShuffle(Tensor x, int upscale, PixelShuffleOrder order = PixelShuffleOrder.PyTorch)
    {
        if (x.Rank != 4 || upscale <= 0 || x.Dim(1) % (upscale * upscale) != 0)
            throw new ArgumentException($"pixel_shuffle: input {x.ShapeString} channels must be a multiple of {upscale}²");
        int n = x.Dim(0), c = x.Dim(1) / (upscale * upscale), h = x.Dim(2), w = x.Dim(3);
        var y = Tensor.Empty(n, c, h * upscale, w * upscale);
        Shuffle(x.Data, y.Data, n, c, h, w, upscale, order, toSpace: true);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "pixel_shuffle", [x], g =>
        {
            var gx = Tensor.Empty(x.ShapeArray);
            Shuffle(g.Data, gx.Data, n, c, h, w, upscale, order, toSpace: false);
            Autograd.Accumulate(x, gx);
        });
    }

    /// <summary>[N, C, H·r, W·r] → [N, C·r², H, W]; the inverse of <see cref="PixelShuffle"/> in the same order.</summary>
    public static Tensor PixelUnshuffle(Tensor x, int downscale, PixelShuffleOrder order = PixelShuffleOrder.PyTorch)
    {
        if (x.Rank != 4 || downscale <= 0 || x.Dim(2) % downscale != 0 || x.Dim(3) % downscale != 0)
            throw new ArgumentException($"pixel_unshuffle: input {x.ShapeString} height and width must be multiples of {downscale}");
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2) / downscale, w = x.Dim(3) / downscale;
        var y = Tensor.Empty(n, c * downscale * downscale, h, w);
        Shuffle(x.Data, y.Data, n, c, h, w, downscale, order, toSpace: false);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "pixel_unshuffle", [x], g =>
        {
            var gx = Tensor.Empty(x.ShapeArray);
            Shuffle(g.Data, gx.Data, n, c, h, w, downscale, order, toSpace: true);
            Autograd.Accumulate(x, gx);
        });
    }

    /// <summary>
    /// Moves between depth [N, C·r², H, W] and space [N, C, H·r, W·r]; a permutation, so one loop serves both ways.
    /// Each (sample, output channel) pair touches its own r² depth planes and one space plane, so pairs run in parallel.
    /// </summary>
    static void Shuffle(float[] src, float[] dst, int n, int c, int h, int w, int r, PixelShuffleOrder order, bool toSpace)
    {
        int depthC = c * r * r, sh = h * r, sw = w * r;
        Kernels.Elementwise.Planes(n * c, sh * sw, pair =>
        {
            int b = pair / c, ch = pair % c;
            for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++)
            {
                int dc = order == PixelShuffleOrder.PyTorch ? ch * r * r + i * r + j : (i * r + j) * c + ch;
                int depthBase = (b * depthC + dc) * h * w;
                int spaceBase = (b * c + ch) * sh * sw;
                for (int y = 0; y < h; y++)
                {
                    int drow = depthBase + y * w;
                    int srow = spaceBase + (y * r + i) * sw + j;
                    if (toSpace)
                        for (int x = 0; x < w; x++) dst[srow + x * r] = src[drow + x];
                    else
                        for (int x = 0; x < w; x++) dst[drow + x] = src[srow + x * r];
                }
            }
        });
    }

    /// <summary>
    /// Nearest-neighbour resize to [outH, outW], PyTorch's 'nearest' (source index floor(dst · in/out)).
    /// </summary>
    public static Tensor UpsampleNearest(Tensor x, int outH, int outW)
    {
        CheckResize(x, outH, outW, "upsample_nearest");
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        var iy = NearestIndex(h, outH);
        var ix = NearestIndex(w, outW);
        var y = Tensor.Empty(n, c, outH, outW);
        float[] xs = x.Data, ys = y.Data;
        Kernels.Elementwise.Planes(n * c, outH * outW, p =>
        {
            for (int oy = 0; oy < outH; oy++)
            {
                var srow = xs.AsSpan((p * h + iy[oy]) * w, w);
                var drow = ys.AsSpan((p * outH + oy) * outW, outW);
                for (int ox = 0; ox < outW; ox++) drow[ox] = srow[ix[ox]];
            }
        });
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "upsample_nearest", [x], g =>
        {
            var gx = Tensor.Zeros(x.ShapeArray);
            float[] gs = g.Data, gxs = gx.Data;
            Kernels.Elementwise.Planes(n * c, outH * outW, p =>
            {
                for (int oy = 0; oy < outH; oy++)
                {
                    var grow = gs.AsSpan((p * outH + oy) * outW, outW);
                    var xrow = gxs.AsSpan((p * h + iy[oy]) * w, w);
                    for (int ox = 0; ox < outW; ox++) xrow[ix[ox]] += grow[ox];
                }
            });
            Autograd.Accumulate(x, gx);
        });
    }

    public static Tensor UpsampleNearest(Tensor x, int scale) => UpsampleNearest(x, x.Dim(2) * scale, x.Dim(3) * scale);

    /// <summary>Bilinear resize to [outH, outW] with PyTorch's align_corners semantics (false by default).</summary>
    public static Tensor UpsampleBilinear(Tensor x, int outH, int outW, bool alignCorners = false)
    {
        CheckResize(x, outH, outW, "upsample_bilinear");
        int n = x.Dim(0), c = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        var (y0, y1, fy) = LinearTaps(h, outH, alignCorners);
        var (x0, x1, fx) = LinearTaps(w, outW, alignCorners);
        var y = Tensor.Empty(n, c, outH, outW);
        float[] xs = x.Data, ys = y.Data;
        Kernels.Elementwise.Planes(n * c, outH * outW, p =>
        {
            var plane = xs.AsSpan(p * h * w, h * w);
            for (int oy = 0; oy < outH; oy++)
            {
                var r0 = plane.Slice(y0[oy] * w, w);
                var r1 = plane.Slice(y1[oy] * w, w);
                float ly = fy[oy];
                var drow = ys.AsSpan((p * outH + oy) * outW, outW);
                for (int ox = 0; ox < outW; ox++)
                {
                    float lx = fx[ox];
                    float top = (1 - lx) * r0[x0[ox]] + lx * r0[x1[ox]];
                    float bottom = (1 - lx) * r1[x0[ox]] + lx * r1[x1[ox]];
                    drow[ox] = (1 - ly) * top + ly * bottom;
                }
            }
        });
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "upsample_bilinear", [x], g =>
        {
            var gx = Tensor.Zeros(x.ShapeArray);
            float[] gs = g.Data, gxs = gx.Data;
            Kernels.Elementwise.Planes(n * c, outH * outW, p =>
            {
                var plane = gxs.AsSpan(p * h * w, h * w);
                for (int oy = 0; oy < outH; oy++)
                {
                    var r0 = plane.Slice(y0[oy] * w, w);
                    var r1 = plane.Slice(y1[oy] * w, w);
                    float ly = fy[oy];
                    var grow = gs.AsSpan((p * outH + oy) * outW, outW);
                    for (int ox = 0; ox < outW; ox++)
                    {
                        float lx = fx[ox], v = grow[ox];
                        r0[x0[ox]] += (1 - ly) * (1 - lx) * v;
                        r0[x1[ox]] += (1 - ly) * lx * v;
                        r1[x0[ox]] += ly * (1 - lx) * v;
                        r1[x1[ox]] += ly * lx * v;
                    }
                }
            });
            Autograd.Accumulate(x, gx);
        });
    }

    public static Tensor UpsampleBilinear(Tensor x, int scale, bool alignCorners = false) =>
        UpsampleBilinear(x, x.Dim(2) * scale, x.Dim(3) * scale, alignCorners);

    static void CheckResize(Tensor x, int outH, int outW, string op)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op}: input {x.ShapeString} must be NCHW");
        if (outH <= 0 || outW <= 0) throw new ArgumentException($"{op}: output size {outH}x{outW} of input {x.ShapeString} must be positive");
    }

    static int[] NearestIndex(int inSize, int outSize)
    {
        // PyTorch computes the scale in float and floors; doing the same keeps non-integer ratios identical.
        float scale = (float)inSize / outSize;
        var idx = new int[outSize];
        for (int o = 0; o < outSize; o++) idx[o] = Math.Min((int)MathF.Floor(o * scale), inSize - 1);
        return idx;
    }

    static (int[] i0, int[] i1, float[] frac) LinearTaps(int inSize, int outSize, bool alignCorners)
    {
        var i0 = new int[outSize];
        var i1 = new int[outSize];
        var f = new float[outSize];
        float scale = alignCorners
            ? (outSize > 1 ? (float)(inSize - 1) / (outSize - 1) : 0f)
            : (float)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            float src = alignCorners ? o * scale : Math.Max(scale * (o + 0.5f) - 0.5f, 0f);
            int lo = Math.Min((int)src, inSize - 1);
            i0[o] = lo;
            i1[o] = Math.Min(lo + 1, inSize - 1);
            f[o] = src - lo;
        }
        return (i0, i1, f);
    }

    /// <summary>Concatenation along <paramref name="dim"/> (channels by default); other axes must agree.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> xs, int dim = 1)
    {
        if (xs.Count == 0) throw new ArgumentException("cat: no tensors");
        var first = xs[0];
        int d = dim < 0 ? dim + first.Rank : dim;
        if ((uint)d >= (uint)first.Rank) throw new ArgumentException($"cat: axis {dim} out of range for {first.ShapeString}");
        int total = 0;
        foreach (var t in xs)
        {
            bool ok = t.Rank == first.Rank;
            for (int i = 0; ok && i < t.Rank; i++) ok = i == d || t.Dim(i) == first.Dim(i);
            if (!ok) throw new ArgumentException($"cat: {t.ShapeString} does not match {first.ShapeString} except on axis {d}");
            total += t.Dim(d);
        }
        var shape = first.ShapeArray.ToArray();
        shape[d] = total;
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        var y = Tensor.Empty(shape);
        var ys = y.Span;
        int offset = 0;
        foreach (var t in xs)
        {
            int block = t.Dim(d) * inner;
            var ts = t.ReadOnlySpan;
            for (int o = 0; o < outer; o++) ts.Slice(o * block, block).CopyTo(ys.Slice(o * total * inner + offset, block));
            offset += block;
        }
        var inputs = xs.ToArray();
        if (!Autograd.Needs(inputs)) return y;
        return Autograd.Record(y, "cat", inputs, g =>
        {
            int off = 0;
            foreach (var t in inputs)
            {
                int block = t.Dim(d) * inner;
                if (t.RequiresGrad)
                {
                    var gt = Tensor.Empty(t.ShapeArray);
                    var gs = g.ReadOnlySpan;
                    for (int o = 0; o < outer; o++) gs.Slice(o * total * inner + off, block).CopyTo(gt.Span.Slice(o * block, block));
                    Autograd.Accumulate(t, gt);
                }
                off += block;
            }
        });
    }

    /// <summary>Elements [start, start+length) along <paramref name="dim"/> (channels by default), as a copy.</summary>
    public static Tensor Narrow(Tensor x, int start, int length, int dim = 1)
    {
        int d = dim < 0 ? dim + x.Rank : dim;
        if ((uint)d >= (uint)x.Rank) throw new ArgumentException($"narrow: axis {dim} out of range for {x.ShapeString}");
        if (start < 0 || length < 0 || start + length > x.Dim(d))
            throw new ArgumentException($"narrow: [{start}, {start + length}) is outside axis {d} of {x.ShapeString}");
        var shape = x.ShapeArray.ToArray();
        shape[d] = length;
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < shape.Length; i++) inner *= shape[i];
        int full = x.Dim(d) * inner, block = length * inner;
        var y = Tensor.Empty(shape);
        var xs = x.ReadOnlySpan;
        for (int o = 0; o < outer; o++) xs.Slice(o * full + start * inner, block).CopyTo(y.Span.Slice(o * block, block));
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "narrow", [x], g =>
        {
            var gx = Tensor.Zeros(x.ShapeArray);
            var gs = g.ReadOnlySpan;
            for (int o = 0; o < outer; o++) gs.Slice(o * block, block).CopyTo(gx.Span.Slice(o * full + start * inner, block));
            Autograd.Accumulate(x, gx);
        });
    }

    /// <summary>[N, C, H, W] → [N, C, 1, 1], the mean of every plane (AdaptiveAvgPool2d(1)).</summary>
    public static Tensor GlobalAvgPool2d(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"global_avg_pool2d: input {x.ShapeString} must be NCHW");
        int planes = x.Dim(0) * x.Dim(1), plane = x.Dim(2) * x.Dim(3);
        var y = Tensor.Empty(x.Dim(0), x.Dim(1), 1, 1);
        float[] xs = x.Data, ys = y.Data;
        Kernels.Elementwise.Planes(planes, plane, p =>
        {
            double s = 0;
            foreach (var v in xs.AsSpan(p * plane, plane)) s += v;
            ys[p] = (float)(s / plane);
        });
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "global_avg_pool2d", [x], g =>
        {
            var gx = Tensor.Empty(x.ShapeArray);
            var gs = g.ReadOnlySpan;
            for (int p = 0; p < planes; p++) gx.Span.Slice(p * plane, plane).Fill(gs[p] / plane);
            Autograd.Accumulate(x, gx);
        });
    }
}
