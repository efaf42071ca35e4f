using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Restora.Core;

namespace Restora.Models.Ncnn;

/// <summary>The tensor work of the ncnn layers that the engine's F ops do not cover in ncnn's exact terms.</summary>
internal static class NcnnOps
{
    /// <summary>Planes of at least this many floats in all are split over <see cref="Compute"/>'s threads.</summary>
    const int ParallelFloats = 1 << 16;

    static void Planes(int count, long floats, Action<int> body)
    {
        if (floats < ParallelFloats) { for (int i = 0; i < count; i++) body(i); }
        else Compute.For(count, body);
    }

    /// <summary>[1, C, H, W] with zeros added on each side.</summary>
    public static Tensor ZeroPad(Tensor x, int top, int left, int bottom, int right)
    {
        int c = x.Dim(1), h = x.Dim(2), w = x.Dim(3), oh = h + top + bottom, ow = w + left + right;
        var y = Tensor.Zeros(1, c, oh, ow);
        var src = x.ReadOnlySpan;
        var dst = y.Span;
        for (int ch = 0; ch < c; ch++)
            for (int r = 0; r < h; r++)
                src.Slice((ch * h + r) * w, w).CopyTo(dst.Slice((ch * oh + r + top) * ow + left, w));
        return y;
    }

    /// <summary>Rows [y0, y0 + height) and columns [x0, x0 + width) of every channel.</summary>
    public static Tensor CropHW(Tensor x, int y0, int x0, int height, int width)
    {
        int c = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        var y = Tensor.Empty(1, c, height, width);
        var src = x.ReadOnlySpan;
        var dst = y.Span;
        for (int ch = 0; ch < c; ch++)
            for (int r = 0; r < height; r++)
                src.Slice((ch * h + y0 + r) * w + x0, width).CopyTo(dst.Slice((ch * height + r) * width, width));
        return y;
    }

    public static void Apply(NcnnArithmetic op, ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dst)
    {
        switch (op)
        {
            case NcnnArithmetic.Add: TensorPrimitives.Add(a, b, dst); break;
            case NcnnArithmetic.Sub: TensorPrimitives.Subtract(a, b, dst); break;
            case NcnnArithmetic.Mul: TensorPrimitives.Multiply(a, b, dst); break;
            default: TensorPrimitives.Divide(a, b, dst); break;
        }
    }

    public static void Apply(NcnnArithmetic op, ReadOnlySpan<float> a, float b, Span<float> dst)
    {
        switch (op)
        {
            case NcnnArithmetic.Add: TensorPrimitives.Add(a, b, dst); break;
            case NcnnArithmetic.Sub: TensorPrimitives.Subtract(a, b, dst); break;
            case NcnnArithmetic.Mul: TensorPrimitives.Multiply(a, b, dst); break;
            default: TensorPrimitives.Divide(a, b, dst); break;
        }
    }

    public static void Apply(NcnnArithmetic op, float a, ReadOnlySpan<float> b, Span<float> dst)
    {
        switch (op)
        {
            case NcnnArithmetic.Add: TensorPrimitives.Add(b, a, dst); break;
            case NcnnArithmetic.Sub: TensorPrimitives.Subtract(a, b, dst); break;
            case NcnnArithmetic.Mul: TensorPrimitives.Multiply(b, a, dst); break;
            default: TensorPrimitives.Divide(a, b, dst); break;
        }
    }

    /// <summary>
    /// a op b for BinaryOp: equal shapes element by element; a C-vector [1, C, 1, 1] (or a single value) against a
    /// [1, C, H, W] blob, one value per channel plane. The result goes over an owned input of the output's shape.
    /// </summary>
    public static Tensor Broadcast(NcnnArithmetic op, Tensor a, Tensor b, bool ownA, bool ownB, NcnnBinaryOp layer)
    {
        if (a.SameShape(b))
        {
            var y = ownA ? a : ownB ? b : Tensor.Empty([.. a.Shape]);
            Apply(op, a.ReadOnlySpan, b.ReadOnlySpan, y.Span);
            return y;
        }
        bool aSmall = PerChannel(a, b), bSmall = !aSmall && PerChannel(b, a);
        if (!aSmall && !bSmall) throw layer.ShapeError(a, b);
        var big = aSmall ? b : a;
        var small = aSmall ? a : b;
        var dst = (aSmall ? ownB : ownA) ? big : Tensor.Empty([.. big.Shape]);
        int c = big.Dim(1), plane = big.Dim(2) * big.Dim(3);
        bool one = small.Length == 1;
        var bigs = big.ReadOnlySpan;
        var smalls = small.ReadOnlySpan;
        var ds = dst.Span;
        for (int ch = 0; ch < c; ch++)
        {
            float v = smalls[one ? 0 : ch];
            var src = bigs.Slice(ch * plane, plane);
            var d = ds.Slice(ch * plane, plane);
            if (aSmall) Apply(op, v, src, d);
            else Apply(op, src, v, d);
        }
        return dst;
    }

    /// <summary>Whether <paramref name="small"/> gives one value per channel of <paramref name="big"/>, or one for all.</summary>
    static bool PerChannel(Tensor small, Tensor big) =>
        small.Length == 1 || small.Dim(2) == 1 && small.Dim(3) == 1 && small.Dim(1) == big.Dim(1);

    /// <summary>Nearest neighbour: output pixel d reads source (int)(d / scale), at most the last pixel.</summary>
    public static void Nearest(Tensor x, Tensor y, float scaleH, float scaleW)
    {
        int c = x.Dim(1), h = x.Dim(2), w = x.Dim(3), oh = y.Dim(2), ow = y.Dim(3);
        var iy = new int[oh];
        var ix = new int[ow];
        for (int i = 0; i < oh; i++) iy[i] = Math.Min((int)(i / scaleH), h - 1);
        for (int i = 0; i < ow; i++) ix[i] = Math.Min((int)(i / scaleW), w - 1);
        Planes(c, (long)c * oh * ow, ch =>
        {
            var src = x.ReadOnlySpan;
            var dst = y.Span;
            for (int r = 0; r < oh; r++)
            {
                var s = src.Slice((ch * h + iy[r]) * w, w);
                var d = dst.Slice((ch * oh + r) * ow, ow);
                for (int q = 0; q < ow; q++) d[q] = s[ix[q]];
            }
        });
    }

    /// <summary>
    /// Bicubic with A = −0.75: source coordinate (d + 0.5)·in/out − 0.5, four taps around its floor, each tap
    /// clamped to the image (an edge pixel stands in for those outside). Rows are resized first, then combined.
    /// </summary>
    public static void Bicubic(Tensor x, Tensor y)
    {
        int c = x.Dim(1), h = x.Dim(2), w = x.Dim(3), oh = y.Dim(2), ow = y.Dim(3);
        var (tapY, wy) = CubicTaps(h, oh);
        var (tapX, wx) = CubicTaps(w, ow);
        Planes(c, (long)c * oh * ow, ch =>
        {
            var src = x.ReadOnlySpan;
            var dst = y.Span;
            // Every source row resized to the output width, then four of them combined per output row.
            var rows = System.Buffers.ArrayPool<float>.Shared.Rent(h * ow);
            for (int r = 0; r < h; r++)
            {
                var s = src.Slice((ch * h + r) * w, w);
                var d = rows.AsSpan(r * ow, ow);
                for (int q = 0; q < ow; q++)
                {
                    int t = 4 * q;
                    d[q] = s[tapX[t]] * wx[t] + s[tapX[t + 1]] * wx[t + 1] + s[tapX[t + 2]] * wx[t + 2] + s[tapX[t + 3]] * wx[t + 3];
                }
            }
            for (int r = 0; r < oh; r++)
            {
                int t = 4 * r;
                var d = dst.Slice((ch * oh + r) * ow, ow);
                var r0 = rows.AsSpan(tapY[t] * ow, ow);
                var r1 = rows.AsSpan(tapY[t + 1] * ow, ow);
                var r2 = rows.AsSpan(tapY[t + 2] * ow, ow);
                var r3 = rows.AsSpan(tapY[t + 3] * ow, ow);
                float b0 = wy[t], b1 = wy[t + 1], b2 = wy[t + 2], b3 = wy[t + 3];
                for (int q = 0; q < ow; q++) d[q] = r0[q] * b0 + r1[q] * b1 + r2[q] * b2 + r3[q] * b3;
            }
            System.Buffers.ArrayPool<float>.Shared.Return(rows);
        });
    }

    /// <summary>The four clamped source indices and weights of every output position along one axis.</summary>
    internal static (int[] Taps, float[] Weights) CubicTaps(int inSize, int outSize)
    {
        const float A = -0.75f;
        float scale = (float)inSize / outSize;
        var taps = new int[4 * outSize];
        var weights = new float[4 * outSize];
        for (int o = 0; o < outSize; o++)
        {
            float f = (o + 0.5f) * scale - 0.5f;
            int s = (int)MathF.Floor(f);
            float t = f - s;
            float w0 = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
            float w1 = ((A + 2) * t - (A + 3)) * t * t + 1;
            float w2 = ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1;
            float w3 = 1 - w0 - w1 - w2;
            for (int k = 0; k < 4; k++) taps[4 * o + k] = Math.Clamp(s - 1 + k, 0, inSize - 1);
            weights[4 * o] = w0;
            weights[4 * o + 1] = w1;
            weights[4 * o + 2] = w2;
            weights[4 * o + 3] = w3;
        }
        return (taps, weights);
    }
}
