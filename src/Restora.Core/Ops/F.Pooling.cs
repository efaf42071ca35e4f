namespace Restora.Core;

public static partial class F
{
    /// <summary>
    /// 2-D max pooling over NCHW (torch.nn.functional.max_pool2d, no dilation, floor mode); padding counts as -inf.
    /// The backward pass sends each output's gradient to the first maximum of its window, as PyTorch does.
    /// </summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int stride = 0, int padding = 0)
    {
        if (stride <= 0) stride = kernel;
        var (n, c, h, w, oh, ow) = PoolShape(x, kernel, stride, padding, "max_pool2d");
        var y = Tensor.Empty(n, c, oh, ow);
        var argmax = new int[n * c * oh * ow];
        var xs = x.ReadOnlySpan;
        var ys = y.Span;
        for (int p = 0; p < n * c; p++)
        {
            var plane = xs.Slice(p * h * w, h * w);
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                float best = float.NegativeInfinity;
                int at = -1;
                var (y0, y1) = Window(oy, kernel, stride, padding, h);
                var (x0, x1) = Window(ox, kernel, stride, padding, w);
                for (int iy = y0; iy < y1; iy++)
                {
                    for (int ix = x0; ix < x1; ix++)
                    {
                        float v = plane[iy * w + ix];
                        // NaN propagates as in PyTorch: it wins the window.
                        if (v > best || float.IsNaN(v) || at < 0) { best = v; at = iy * w + ix; if (float.IsNaN(v)) goto found; }
                    }
                }
            found:
                int o = (p * oh + oy) * ow + ox;
                ys[o] = best;
                argmax[o] = at;
            }
        }
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "max_pool2d", [x], g =>
        {
            var gx = Tensor.Zeros(x.ShapeArray);
            var gs = g.ReadOnlySpan;
            var gxs = gx.Span;
            int per = oh * ow;
            for (int o = 0; o < gs.Length; o++) gxs[o / per * h * w + argmax[o]] += gs[o];
            Autograd.Accumulate(x, gx);
        });
    }

    /// <summary>
    /// 2-D average pooling over NCHW (torch.nn.functional.avg_pool2d, floor mode). With
    /// <paramref name="countIncludePad"/> false (pix2pixHD's downsampler) windows divide by the pixels inside the image.
    /// </summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int stride = 0, int padding = 0, bool countIncludePad = true)
    {
        if (stride <= 0) stride = kernel;
        var (n, c, h, w, oh, ow) = PoolShape(x, kernel, stride, padding, "avg_pool2d");
        var y = Tensor.Empty(n, c, oh, ow);
        // The divisor of every output position (the same for every plane).
        var divisor = new float[oh * ow];
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            int y0 = oy * stride - padding, x0 = ox * stride - padding;
            int y1 = Math.Min(y0 + kernel, h + padding), x1 = Math.Min(x0 + kernel, w + padding);
            int count = countIncludePad ? (y1 - y0) * (x1 - x0)
                : (Math.Min(y1, h) - Math.Max(y0, 0)) * (Math.Min(x1, w) - Math.Max(x0, 0));
            divisor[oy * ow + ox] = 1f / count;
        }
        var xs = x.ReadOnlySpan;
        var ys = y.Span;
        for (int p = 0; p < n * c; p++)
        {
            var plane = xs.Slice(p * h * w, h * w);
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                var (y0, y1) = Window(oy, kernel, stride, padding, h);
                var (x0, x1) = Window(ox, kernel, stride, padding, w);
                float sum = 0;
                for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) sum += plane[iy * w + ix];
                ys[(p * oh + oy) * ow + ox] = sum * divisor[oy * ow + ox];
            }
        }
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "avg_pool2d", [x], g =>
        {
            var gx = Tensor.Zeros(x.ShapeArray);
            var gs = g.ReadOnlySpan;
            var gxs = gx.Span;
            for (int p = 0; p < n * c; p++)
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                float share = gs[(p * oh + oy) * ow + ox] * divisor[oy * ow + ox];
                var (y0, y1) = Window(oy, kernel, stride, padding, h);
                var (x0, x1) = Window(ox, kernel, stride, padding, w);
                for (int iy = y0; iy < y1; iy++)
                for (int ix = x0; ix < x1; ix++) gxs[p * h * w + iy * w + ix] += share;
            }
            Autograd.Accumulate(x, gx);
        });
    }

    /// <summary>The input rows (or columns) [start, end) output position <paramref name="o"/> reads, clipped to the image.</summary>
    static (int Start, int End) Window(int o, int kernel, int stride, int padding, int size) =>
        (Math.Max(o * stride - padding, 0), Math.Min(o * stride - padding + kernel, size));

    static (int N, int C, int H, int W, int OutH, int OutW) PoolShape(Tensor x, int kernel, int stride, int padding, string op)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op}: input {x.ShapeString} must be NCHW");
        if (kernel < 1 || padding < 0 || padding > kernel / 2)
            throw new ArgumentException($"{op}: kernel {kernel} with padding {padding} (at most half the kernel)");
        int h = x.Dim(2), w = x.Dim(3);
        int oh = (h + 2 * padding - kernel) / stride + 1, ow = (w + 2 * padding - kernel) / stride + 1;
        if (oh < 1 || ow < 1) throw new ArgumentException($"{op}: input {x.ShapeString} is smaller than the {kernel}x{kernel} window");
        return (x.Dim(0), x.Dim(1), h, w, oh, ow);
    }

    /// <summary>
    /// Gram matrices of NCHW features, [N, C, C] = F·Fᵀ / (C·H·W) with F the [C, H·W] feature map (the style loss of
    /// Gatys et al. and EnhanceNet's texture loss, normalised as BasicSR's PerceptualLoss does).
    /// </summary>
    public static Tensor Gram(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"gram: input {x.ShapeString} must be NCHW");
        int n = x.Dim(0), c = x.Dim(1), hw = x.Dim(2) * x.Dim(3);
        float norm = 1f / ((float)c * hw);
        var y = Tensor.Empty(n, c, c);
        var xs = x.ReadOnlySpan;
        var ys = y.Span;
        for (int b = 0; b < n; b++)
            for (int i = 0; i < c; i++)
            {
                var fi = xs.Slice((b * c + i) * hw, hw);
                for (int j = i; j < c; j++)
                {
                    float v = System.Numerics.Tensors.TensorPrimitives.Dot(fi, xs.Slice((b * c + j) * hw, hw)) * norm;
                    ys[(b * c + i) * c + j] = v;
                    ys[(b * c + j) * c + i] = v;
                }
            }
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "gram", [x], g =>
        {
            // dL/dF_i = Σ_j (G'_ij + G'_ji) F_j · norm
            var gx = Tensor.Zeros(x.ShapeArray);
            var gs = g.ReadOnlySpan;
            var xs = x.ReadOnlySpan;
            var gxs = gx.Span;
            for (int b = 0; b < n; b++)
                for (int i = 0; i < c; i++)
                {
                    var to = gxs.Slice((b * c + i) * hw, hw);
                    for (int j = 0; j < c; j++)
                    {
                        float k = (gs[(b * c + i) * c + j] + gs[(b * c + j) * c + i]) * norm;
                        if (k != 0) System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(xs.Slice((b * c + j) * hw, hw), k, to, to);
                    }
                }
            Autograd.Accumulate(x, gx);
        });
    }
}
