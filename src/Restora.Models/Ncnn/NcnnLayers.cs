using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Restora.Core;

namespace Restora.Models.Ncnn;

/// <summary>
/// One layer of an ncnn graph, run on Restora tensors. Every blob is an NCHW tensor of batch 1: an image blob
/// C×H×W is [1, C, H, W], a vector of C values (a global pool's or an InnerProduct's output) is [1, C, 1, 1].
/// </summary>
internal abstract class NcnnLayer
{
    public required string Type { get; init; }
    public required string Name { get; init; }
    public required int Line { get; init; }
    /// <summary>Blob indices read, in order.</summary>
    public required int[] Inputs { get; set; }
    /// <summary>Blob indices written (one for every layer but Split).</summary>
    public required int[] Outputs { get; set; }

    /// <summary>
    /// Computes the output. <paramref name="owned"/>[i] says input i is read for the last time and is an
    /// intermediate: the layer may write its output over it and return it.
    /// </summary>
    public abstract Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned);

    public string Where => $"layer '{Name}' ({Type}, line {Line})";

    /// <summary>
    /// The most values the output can hold for these inputs, known before anything is computed: the inputs' together
    /// for every layer that only combines, crops, pools or rearranges them; the layers whose parameters set the output
    /// size (convolutions' padding, deconvolutions' stride, resizing, fully connected) say their own.
    /// </summary>
    public virtual long OutputBound(ReadOnlySpan<Tensor> x)
    {
        long n = 0;
        foreach (var t in x) n += t.Length;
        return n;
    }

    protected ArgumentException Mismatch(string problem) => new($"ncnn {Where}: {problem}");

    protected static (int C, int H, int W) Dims(Tensor t) => (t.Dim(1), t.Dim(2), t.Dim(3));

    /// <summary>Input <paramref name="i"/> itself when it may be overwritten, else a fresh tensor of its shape.</summary>
    protected static Tensor Target(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned, int i) =>
        owned[i] ? x[i] : Tensor.Empty(x[i].ShapeArrayCopy());
}

internal static class TensorShapeExtensions
{
    public static int[] ShapeArrayCopy(this Tensor t) => [.. t.Shape];
}

/// <summary>Names the network input; produces it unchanged.</summary>
internal sealed class NcnnInput : NcnnLayer
{
    /// <summary>The channel count key 2 declares, 0 when it is not given.</summary>
    public int Channels { get; init; }
    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned) => throw new InvalidOperationException("the Input layer is not run");
}

/// <summary>Split: every output blob is the input blob (the network shares the tensor, nothing is copied).</summary>
internal sealed class NcnnSplit : NcnnLayer
{
    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned) => throw new InvalidOperationException("Split is resolved by the network");
}

/// <summary>Convolution: weights [out][in][kh][kw], optional bias, fused activation.</summary>
internal sealed class NcnnConvolution : NcnnLayer
{
    public required Tensor Weight { get; init; }
    public required Tensor? Bias { get; init; }
    public int KernelH => Weight.Dim(2);
    public int KernelW => Weight.Dim(3);
    public int InChannels => Weight.Dim(1);
    public int OutChannels => Weight.Dim(0);
    public required (int H, int W) Stride { get; init; }
    public required (int H, int W) Dilation { get; init; }
    public required (int Top, int Left, int Bottom, int Right) Pad { get; init; }
    public required NcnnActivation Activation { get; init; }

    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned) => Run(x[0], null, false);

    public override long OutputBound(ReadOnlySpan<Tensor> x) => OutputSize(x[0]) is var (h, w) ? (long)OutChannels * Math.Max(h, 1) * Math.Max(w, 1) : 0;

    /// <summary>The output's height and width for input <paramref name="x"/> (not positive when the kernel does not fit).</summary>
    public (long H, long W) OutputSize(Tensor x)
    {
        var (top, left, bottom, right) = Pad;
        long h = ((long)x.Dim(2) + top + bottom - (long)Dilation.H * (KernelH - 1) - 1) / Stride.H + 1;
        long w = ((long)x.Dim(3) + left + right - (long)Dilation.W * (KernelW - 1) - 1) / Stride.W + 1;
        return (h, w);
    }

    /// <summary><c>act(conv(x) + bias) + residual</c>, the residual fused into the conv's pass where it can be.</summary>
    public Tensor Run(Tensor x, Tensor? residual, bool overwriteResidual)
    {
        if (x.Dim(1) != InChannels) throw Mismatch($"input {x.ShapeString} has {x.Dim(1)} channels, the weights expect {InChannels}");
        var input = x;
        var (top, left, bottom, right) = Pad;
        bool symmetric = top == bottom && left == right;
        if (!symmetric) input = NcnnOps.ZeroPad(x, top, left, bottom, right);
        int ph = symmetric ? top : 0, pw = symmetric ? left : 0;
        int ih = input.Dim(2), iw = input.Dim(3);
        if (ih + 2 * ph < Dilation.H * (KernelH - 1) + 1 || iw + 2 * pw < Dilation.W * (KernelW - 1) + 1)
            throw Mismatch($"a {KernelH}x{KernelW} kernel (dilation {Dilation.H}x{Dilation.W}) does not fit input {x.ShapeString} with padding");
        Tensor y;
        if (Activation.Fuses)
            y = F.Conv2d(input, Weight, Bias, Stride, (ph, pw), Dilation, 1, Activation.Epilogue, residual, overwriteResidual);
        else
        {
            y = F.Conv2d(input, Weight, Bias, Stride, (ph, pw), Dilation, 1, ConvEpilogue.None, null);
            Activation.Apply(y);
            if (residual is not null) TensorPrimitives.Add(y.ReadOnlySpan, residual.ReadOnlySpan, y.Span);
        }
        if (!ReferenceEquals(input, x)) input.Dispose();
        return y;
    }
}

/// <summary>
/// A Convolution whose only reader adds it to another blob (BinaryOp add or a two-input Eltwise sum), folded into
/// one layer so the addition happens in the conv's own pass. A coefficient c &gt; 0 on the conv's side of an
/// Eltwise has been moved into the conv's weights and bias (c·act(z) = act(c·z) for the fused activations).
/// </summary>
internal sealed class NcnnConvolutionAdd : NcnnLayer
{
    public required NcnnConvolution Conv { get; init; }
    /// <summary>Which of the merge layer's two inputs was the conv's output (the sum is written in that order).</summary>
    public required int ConvSide { get; init; }
    /// <summary>The merge layer it replaces, for a residual whose shape only broadcasts.</summary>
    public required NcnnLayer Merge { get; init; }

    // Inputs: [conv input, the other addend].
    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        var residual = x[1];
        if (residual.Shape.SequenceEqual(ExpectedShape(x[0])))
            return Conv.Run(x[0], residual, owned[1]);
        // Shapes that only broadcast: run the two layers one after the other.
        var y = Conv.Run(x[0], null, false);
        Tensor[] pair = ConvSide == 0 ? [y, residual] : [residual, y];
        bool[] own = ConvSide == 0 ? [true, owned[1]] : [owned[1], true];
        var sum = Merge.Forward(pair, own);
        if (!ReferenceEquals(sum, y)) y.Dispose();
        return sum;
    }

    public override long OutputBound(ReadOnlySpan<Tensor> x) => Math.Max(Conv.OutputBound(x[..1]), x[1].Length);

    int[] ExpectedShape(Tensor x)
    {
        var (top, left, bottom, right) = Conv.Pad;
        int h = (x.Dim(2) + top + bottom - Conv.Dilation.H * (Conv.KernelH - 1) - 1) / Conv.Stride.H + 1;
        int w = (x.Dim(3) + left + right - Conv.Dilation.W * (Conv.KernelW - 1) - 1) / Conv.Stride.W + 1;
        return [1, Conv.OutChannels, h, w];
    }
}

/// <summary>
/// Deconvolution (transposed convolution): weights stored [out][in][kh][kw], kept here in PyTorch's
/// [in][out][kh][kw]. Each input pixel scatters the kernel at the stride; the full output (n−1)·s + d·(k−1) + 1
/// loses the pads on each side.
/// </summary>
internal sealed class NcnnDeconvolution : NcnnLayer
{
    /// <summary>[in, out, kh, kw].</summary>
    public required Tensor Weight { get; init; }
    public required Tensor? Bias { get; init; }
    public required (int H, int W) Stride { get; init; }
    public required (int H, int W) Dilation { get; init; }
    public required (int Top, int Left, int Bottom, int Right) Pad { get; init; }
    public required NcnnActivation Activation { get; init; }

    public override long OutputBound(ReadOnlySpan<Tensor> x)
    {
        var (top, left, bottom, right) = Pad;
        long h = ((long)x[0].Dim(2) - 1) * Stride.H + (long)Dilation.H * (Weight.Dim(2) - 1) + 1 - top - bottom;
        long w = ((long)x[0].Dim(3) - 1) * Stride.W + (long)Dilation.W * (Weight.Dim(3) - 1) + 1 - left - right;
        return Weight.Dim(1) * Math.Max(h, 1) * Math.Max(w, 1);
    }

    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        var input = x[0];
        if (input.Dim(1) != Weight.Dim(0)) throw Mismatch($"input {input.ShapeString} has {input.Dim(1)} channels, the weights expect {Weight.Dim(0)}");
        var (top, left, bottom, right) = Pad;
        int kh = Weight.Dim(2), kw = Weight.Dim(3);
        int fullH = (input.Dim(2) - 1) * Stride.H + Dilation.H * (kh - 1) + 1;
        int fullW = (input.Dim(3) - 1) * Stride.W + Dilation.W * (kw - 1) + 1;
        if (fullH - top - bottom <= 0 || fullW - left - right <= 0)
            throw Mismatch($"padding {top},{left},{bottom},{right} leaves nothing of the {fullH}x{fullW} output for input {input.ShapeString}");
        Tensor y;
        if (top == bottom && left == right)
            y = F.ConvTranspose2d(input, Weight, Bias, Stride, (top, left), (0, 0), 1, Dilation);
        else
        {
            using var full = F.ConvTranspose2d(input, Weight, Bias, Stride, (0, 0), (0, 0), 1, Dilation);
            y = NcnnOps.CropHW(full, top, left, fullH - top - bottom, fullW - left - right);
        }
        Activation.Apply(y);
        return y;
    }
}

/// <summary>InnerProduct: weights [out][in] on the flattened blob, optional bias and activation; a C-vector out.</summary>
internal sealed class NcnnInnerProduct : NcnnLayer
{
    public required float[] Weight { get; init; }
    public required float[]? Bias { get; init; }
    public required int OutCount { get; init; }
    public required NcnnActivation Activation { get; init; }

    public override long OutputBound(ReadOnlySpan<Tensor> x) => OutCount;

    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        int inCount = Weight.Length / OutCount;
        if (x[0].Length != inCount) throw Mismatch($"input {x[0].ShapeString} has {x[0].Length} values, the weights expect {inCount}");
        var y = Tensor.Empty(1, OutCount, 1, 1);
        var xs = x[0].ReadOnlySpan;
        var ys = y.Span;
        for (int o = 0; o < OutCount; o++)
            ys[o] = TensorPrimitives.Dot(Weight.AsSpan(o * inCount, inCount), xs) + (Bias is null ? 0 : Bias[o]);
        Activation.Apply(ys);
        return y;
    }
}

/// <summary>Pooling: only the global forms (key 4 = 1), average (0 = 1) or max (0 = 0), giving C values.</summary>
internal sealed class NcnnGlobalPooling : NcnnLayer
{
    public required bool Average { get; init; }

    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        var t = x[0];
        if (Average) return F.GlobalAvgPool2d(t);
        int c = t.Dim(1), plane = t.Dim(2) * t.Dim(3);
        var y = Tensor.Empty(1, c, 1, 1);
        for (int i = 0; i < c; i++) y.Span[i] = TensorPrimitives.Max(t.ReadOnlySpan.Slice(i * plane, plane));
        return y;
    }
}

internal enum NcnnArithmetic { Add = 0, Sub = 1, Mul = 2, Div = 3 }

/// <summary>
/// BinaryOp 0 add, 1 sub, 2 mul, 3 div: two blobs of one shape, a C-vector against a C×H×W blob (per channel, on
/// either side), a one-value blob against anything, or (key 1 = 1) the blob against the scalar in key 2.
/// </summary>
internal sealed class NcnnBinaryOp : NcnnLayer
{
    public required NcnnArithmetic Op { get; init; }
    public float? Scalar { get; init; }

    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        if (Scalar is float s)
        {
            var y = Target(x, owned, 0);
            NcnnOps.Apply(Op, x[0].ReadOnlySpan, s, y.Span);
            return y;
        }
        return NcnnOps.Broadcast(Op, x[0], x[1], owned[0], owned[1], this);
    }

    internal ArgumentException ShapeError(Tensor a, Tensor b) =>
        Mismatch($"cannot combine {a.ShapeString} with {b.ShapeString} (same shape, C values against C×H×W, or one value)");
}

/// <summary>Eltwise over two or more blobs of one shape: 0 product, 1 sum (key 1 = per-input coefficients), 2 max.</summary>
internal sealed class NcnnEltwise : NcnnLayer
{
    public required int Op { get; init; }
    public required float[] Coefficients { get; init; }

    public float Coefficient(int i) => Coefficients.Length == 0 ? 1f : Coefficients[i];

    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        for (int i = 1; i < x.Length; i++)
            if (!x[i].SameShape(x[0])) throw Mismatch($"inputs {x[0].ShapeString} and {x[i].ShapeString} differ");
        int into = owned.IndexOf(true);
        var y = into >= 0 ? x[into] : Tensor.Empty(x[0].ShapeArrayCopy());
        int first = into >= 0 ? into : 0;
        var ys = y.Span;
        if (Op == 1)
        {
            float c = Coefficient(first);
            if (c != 1 || into < 0) TensorPrimitives.Multiply(x[first].ReadOnlySpan, c, ys);
        }
        else if (into < 0) x[first].ReadOnlySpan.CopyTo(ys);
        for (int i = 0; i < x.Length; i++)
        {
            if (i == first) continue;
            var xi = x[i].ReadOnlySpan;
            switch (Op)
            {
                case 0: TensorPrimitives.Multiply(ys, xi, ys); break;
                case 1:
                    float c = Coefficient(i);
                    if (c == 1) TensorPrimitives.Add(ys, xi, ys);
                    else TensorPrimitives.MultiplyAdd(xi, c, ys, ys);
                    break;
                default: TensorPrimitives.Max(ys, xi, ys); break;
            }
        }
        return y;
    }
}

/// <summary>Concat along channels (key 0 = 0): blobs of one height and width.</summary>
internal sealed class NcnnConcat : NcnnLayer
{
    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        int channels = 0;
        foreach (var t in x)
        {
            if (t.Dim(2) != x[0].Dim(2) || t.Dim(3) != x[0].Dim(3))
                throw Mismatch($"inputs {x[0].ShapeString} and {t.ShapeString} differ in height or width");
            channels += t.Dim(1);
        }
        var y = Tensor.Empty(1, channels, x[0].Dim(2), x[0].Dim(3));
        int at = 0;
        foreach (var t in x)
        {
            t.ReadOnlySpan.CopyTo(y.Span.Slice(at));
            at += t.Length;
        }
        return y;
    }
}

/// <summary>
/// Crop. One input: starts (key 9), ends (10) and axes (11; 0 or −3 channels, 1 or −2 height, 2 or −1 width);
/// a negative start and an end ≤ 0 count from the end. Two inputs: the second blob's channels, height and
/// width, from offsets 2 (channel), 1 (y) and 0 (x).
/// </summary>
internal sealed class NcnnCrop : NcnnLayer
{
    public int[] Starts { get; init; } = [];
    public int[] Ends { get; init; } = [];
    public int[] Axes { get; init; } = [];
    public (int C, int Y, int X) Offset { get; init; }

    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        var (c, h, w) = Dims(x[0]);
        int c0, h0, w0, oc, oh, ow;
        if (x.Length == 2)
        {
            (c0, h0, w0) = Offset;
            (oc, oh, ow) = Dims(x[1]);
        }
        else
        {
            int[] start = [0, 0, 0], end = [c, h, w];
            for (int i = 0; i < Axes.Length; i++)
            {
                int axis = Axes[i] < 0 ? Axes[i] + 3 : Axes[i];
                int size = end[axis];
                int s = Starts[i] < 0 ? Starts[i] + size : Starts[i];
                int e = Ends[i] <= 0 ? Ends[i] + size : Math.Min(Ends[i], size);
                start[axis] = Math.Clamp(s, 0, size);
                end[axis] = e;
            }
            (c0, h0, w0) = (start[0], start[1], start[2]);
            (oc, oh, ow) = (end[0] - start[0], end[1] - start[1], end[2] - start[2]);
        }
        if (oc <= 0 || oh <= 0 || ow <= 0 || c0 < 0 || h0 < 0 || w0 < 0 || c0 + oc > c || h0 + oh > h || w0 + ow > w)
            throw Mismatch($"crop of {oc}x{oh}x{ow} at ({c0}, {h0}, {w0}) leaves input {x[0].ShapeString}");
        var y = Tensor.Empty(1, oc, oh, ow);
        var src = x[0].ReadOnlySpan;
        var dst = y.Span;
        for (int ch = 0; ch < oc; ch++)
            for (int r = 0; r < oh; r++)
                src.Slice(((c0 + ch) * h + h0 + r) * w + w0, ow).CopyTo(dst.Slice((ch * oh + r) * ow, ow));
        return y;
    }
}

/// <summary>
/// Interp 1 nearest (source (int)(dst / scale)) or 3 bicubic (A = −0.75, source (dst + 0.5)·in/out − 0.5, taps
/// past the edge read the edge pixel). Output size: keys 3/4 when given, else (int)(size·scale) with the scales
/// in keys 1 (height) and 2 (width).
/// </summary>
internal sealed class NcnnInterp : NcnnLayer
{
    public required int Mode { get; init; }
    public required float ScaleH { get; init; }
    public required float ScaleW { get; init; }
    public required int OutH { get; init; }
    public required int OutW { get; init; }

    public override long OutputBound(ReadOnlySpan<Tensor> x)
    {
        var (c, h, w) = Dims(x[0]);
        return (long)c * (OutH > 0 ? OutH : (long)(h * (double)ScaleH)) * (OutW > 0 ? OutW : (long)(w * (double)ScaleW));
    }

    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        var (c, h, w) = Dims(x[0]);
        int oh = OutH > 0 ? OutH : (int)(h * ScaleH);
        int ow = OutW > 0 ? OutW : (int)(w * ScaleW);
        if (oh <= 0 || ow <= 0 || (long)c * oh * ow > Array.MaxLength)
            throw Mismatch($"resizing {x[0].ShapeString} gives an output of {oh}x{ow}");
        var y = Tensor.Empty(1, c, oh, ow);
        if (Mode == 1)
        {
            float sh = OutH > 0 ? (float)oh / h : ScaleH, sw = OutW > 0 ? (float)ow / w : ScaleW;
            NcnnOps.Nearest(x[0], y, sh, sw);
        }
        else NcnnOps.Bicubic(x[0], y);
        return y;
    }
}

/// <summary>PixelShuffle (key 0 = r) in PyTorch's channel order.</summary>
internal sealed class NcnnPixelShuffle : NcnnLayer
{
    public required int Factor { get; init; }

    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        if (x[0].Dim(1) % (Factor * Factor) != 0) throw Mismatch($"{x[0].Dim(1)} channels of {x[0].ShapeString} are not a multiple of {Factor}²");
        return F.PixelShuffle(x[0], Factor, PixelShuffleOrder.PyTorch);
    }
}

/// <summary>PReLU: one slope per channel, or one for all.</summary>
internal sealed class NcnnPRelu : NcnnLayer
{
    public required float[] Slopes { get; init; }

    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        var (c, h, w) = Dims(x[0]);
        if (Slopes.Length != 1 && Slopes.Length != c) throw Mismatch($"{Slopes.Length} slopes for input {x[0].ShapeString}");
        var y = Target(x, owned, 0);
        var xs = x[0].ReadOnlySpan;
        var ys = y.Span;
        int plane = h * w;
        for (int ch = 0; ch < c; ch++)
        {
            float a = Slopes[Slopes.Length == 1 ? 0 : ch];
            var src = xs.Slice(ch * plane, plane);
            var dst = ys.Slice(ch * plane, plane);
            for (int i = 0; i < plane; i++) dst[i] = src[i] < 0 ? src[i] * a : src[i];
        }
        return y;
    }
}

/// <summary>
/// Scale: per-channel multiply, by the C values of a second input (key 0 = −233) or by stored data (key 0 = C,
/// key 1 = 1 adds a stored bias).
/// </summary>
internal sealed class NcnnScale : NcnnLayer
{
    public float[]? Data { get; init; }
    public float[]? BiasData { get; init; }

    public override Tensor Forward(ReadOnlySpan<Tensor> x, ReadOnlySpan<bool> owned)
    {
        var (c, h, w) = Dims(x[0]);
        ReadOnlySpan<float> scale = Data ?? (x.Length > 1 ? x[1].ReadOnlySpan : default);
        if (scale.Length != c) throw Mismatch($"{scale.Length} scale values for input {x[0].ShapeString}");
        var y = Target(x, owned, 0);
        var xs = x[0].ReadOnlySpan;
        var ys = y.Span;
        int plane = h * w;
        for (int ch = 0; ch < c; ch++)
        {
            var dst = ys.Slice(ch * plane, plane);
            TensorPrimitives.Multiply(xs.Slice(ch * plane, plane), scale[ch], dst);
            if (BiasData is not null) TensorPrimitives.Add(dst, BiasData[ch], dst);
        }
        return y;
    }
}
