using Restora.Core.Kernels;

namespace Restora.Core;

public static partial class F
{
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null,
        int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>2-D convolution, NCHW input, weight [out, in/groups, kh, kw] as in PyTorch.</summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias,
        (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups) =>
        Conv2d(input, weight, bias, stride, padding, dilation, groups, ConvEpilogue.None, null);

    /// <summary>
    /// <c>act(conv2d(input) + bias) + residual</c>: with no gradient to record, one fused pass (Winograd for 3x3
    /// stride-1 convs) that never writes the convolution's own output to memory; otherwise the same ops one by one,
    /// so training records exactly what the unfused calls would.
    /// </summary>
    /// <param name="overwriteResidual">In inference, the result may be written over <paramref name="residual"/>
    /// (each output reads only its own residual element), which the caller then no longer has: one activation less
    /// alive in a residual block. Ignored while training, and where the direct kernel has to run.</param>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias,
        (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, int groups, ConvEpilogue epilogue, Tensor? residual,
        bool overwriteResidual = false)
    {
        bool recording = Autograd.Needs(input, weight, bias) || residual is not null && Autograd.Needs(residual);
        if (recording && (epilogue.HasActivation || residual is not null))
        {
            var y = Conv2d(input, weight, bias, stride, padding, dilation, groups);
            if (epilogue.HasActivation) y = epilogue.NegativeSlope == 0 ? Relu(y) : LeakyRelu(y, epilogue.NegativeSlope);
            return residual is null ? y : Add(y, residual);
        }
        return ConvCore(input, weight, bias, stride, padding, dilation, groups, recording ? null : (epilogue, residual, overwriteResidual));
    }

    static Tensor ConvCore(Tensor input, Tensor weight, Tensor? bias, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups, (ConvEpilogue Epilogue, Tensor? Residual, bool Overwrite)? inference)
    {
        if (input.Rank != 4 || weight.Rank != 4)
            throw new ArgumentException($"conv2d: input {input.ShapeString} and weight {weight.ShapeString} must both be 4-D");
        if (groups <= 0 || input.Dim(1) != weight.Dim(1) * groups || weight.Dim(0) % groups != 0)
            throw new ArgumentException($"conv2d: input {input.ShapeString} does not match weight {weight.ShapeString} with {groups} groups");
        if (bias is not null && (bias.Rank != 1 || bias.Length != weight.Dim(0)))
            throw new ArgumentException($"conv2d: bias {bias.ShapeString} does not match weight {weight.ShapeString}");
        var s = new Conv2dShape(input.Dim(0), input.Dim(1), input.Dim(2), input.Dim(3), weight.Dim(0), weight.Dim(2), weight.Dim(3),
            stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, groups);
        s.Validate();
        MacCounter.Add(s);
        if (inference is var (epilogue, residual, overwrite))
        {
            int[] shape = [s.Batch, s.OutChannels, s.OutHeight, s.OutWidth];
            if (residual is not null && !residual.ShapeArray.AsSpan().SequenceEqual(shape))
                throw new ArgumentException($"conv2d: residual {residual.ShapeString} does not match the output {Tensor.FormatShape(shape)}");
            var y = overwrite && residual is { IsPooled: true } && Winograd.Pays(s) && residual != input ? residual : Tensor.Empty(shape);
            ConvBackend.ForwardInference(s, input.ReadOnlySpan, weight.ReadOnlySpan, bias is null ? default : bias.ReadOnlySpan, y.Span,
                epilogue, residual is null ? default : residual.ReadOnlySpan);
            return y;
        }
        var output = Tensor.Empty(s.Batch, s.OutChannels, s.OutHeight, s.OutWidth);
        ConvBackend.Forward(s, input.ReadOnlySpan, weight.ReadOnlySpan, bias is null ? default : bias.ReadOnlySpan, output.Span);
        return Autograd.Record(output, "conv2d", [input, weight, bias], g =>
        {
            if (input.RequiresGrad)
            {
                var gx = Tensor.Empty(input.ShapeArray);
                ConvBackend.BackwardInput(s, g.ReadOnlySpan, weight.ReadOnlySpan, gx.Span);
                Autograd.Accumulate(input, gx);
            }
            if (weight.RequiresGrad || bias is { RequiresGrad: true })
            {
                var gw = Tensor.Empty(weight.ShapeArray);
                var gb = bias is null ? null : Tensor.Empty(bias.ShapeArray);
                ConvBackend.BackwardWeight(s, input.ReadOnlySpan, g.ReadOnlySpan, gw.Span, gb is null ? default : gb.Span);
                Autograd.Accumulate(weight, gw);
                if (gb is not null) Autograd.Accumulate(bias!, gb);
            }
        });
    }

    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null,
        int stride = 1, int padding = 0, int outputPadding = 0, int groups = 1, int dilation = 1) =>
        ConvTranspose2d(input, weight, bias, (stride, stride), (padding, padding), (outputPadding, outputPadding), groups, (dilation, dilation));

    /// <summary>
    /// Transposed 2-D convolution, weight [in, out/groups, kh, kw] as in PyTorch. It is the adjoint of the conv2d
    /// whose input has this op's output shape, so its forward is that conv's input-gradient and vice versa.
    /// </summary>
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias,
        (int H, int W) stride, (int H, int W) padding, (int H, int W) outputPadding, int groups, (int H, int W) dilation)
    {
        if (input.Rank != 4 || weight.Rank != 4)
            throw new ArgumentException($"conv_transpose2d: input {input.ShapeString} and weight {weight.ShapeString} must both be 4-D");
        if (groups <= 0 || input.Dim(1) != weight.Dim(0) || weight.Dim(0) % groups != 0)
            throw new ArgumentException($"conv_transpose2d: input {input.ShapeString} does not match weight {weight.ShapeString} with {groups} groups");
        int outC = weight.Dim(1) * groups;
        if (bias is not null && (bias.Rank != 1 || bias.Length != outC))
            throw new ArgumentException($"conv_transpose2d: bias {bias.ShapeString} does not match {outC} output channels of weight {weight.ShapeString}");
        if (outputPadding.H < 0 || outputPadding.W < 0 ||
            (outputPadding.H >= stride.H && outputPadding.H >= dilation.H) || (outputPadding.W >= stride.W && outputPadding.W >= dilation.W))
            throw new ArgumentException($"conv_transpose2d: output padding {outputPadding} must be smaller than stride {stride} or dilation {dilation}");
        int kh = weight.Dim(2), kw = weight.Dim(3);
        int oh = (input.Dim(2) - 1) * stride.H - 2 * padding.H + dilation.H * (kh - 1) + outputPadding.H + 1;
        int ow = (input.Dim(3) - 1) * stride.W - 2 * padding.W + dilation.W * (kw - 1) + outputPadding.W + 1;
        if (oh <= 0 || ow <= 0)
            throw new ArgumentException($"conv_transpose2d: input {input.ShapeString} with weight {weight.ShapeString} gives an empty output");
        // The conv that maps [N, outC, oh, ow] to [N, inC, ih, iw]; its weight layout [inC, outC/groups, kh, kw] is ours.
        var s = new Conv2dShape(input.Dim(0), outC, oh, ow, input.Dim(1), kh, kw,
            stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W, groups);
        s.Validate();
        MacCounter.Add(s);
        if (s.OutHeight != input.Dim(2) || s.OutWidth != input.Dim(3))
            throw new ArgumentException($"conv_transpose2d: input {input.ShapeString} is not a conv output of {Tensor.FormatShape([s.Batch, outC, oh, ow])}");
        var y = Tensor.Empty(s.Batch, outC, oh, ow);
        ConvBackend.BackwardInput(s, input.ReadOnlySpan, weight.ReadOnlySpan, y.Span);
        if (bias is not null) AddPerChannel(y, bias.ReadOnlySpan);
        if (!Autograd.Needs(input, weight, bias)) return y;
        return Autograd.Record(y, "conv_transpose2d", [input, weight, bias], g =>
        {
            if (input.RequiresGrad)
            {
                var gx = Tensor.Empty(input.ShapeArray);
                ConvBackend.Forward(s, g.ReadOnlySpan, weight.ReadOnlySpan, default, gx.Span);
                Autograd.Accumulate(input, gx);
            }
            if (weight.RequiresGrad)
            {
                var gw = Tensor.Empty(weight.ShapeArray);
                ConvBackend.BackwardWeight(s, g.ReadOnlySpan, input.ReadOnlySpan, gw.Span, default);
                Autograd.Accumulate(weight, gw);
            }
            if (bias is { RequiresGrad: true }) Autograd.Accumulate(bias, SumPerChannel(g));
        });
    }

    static void AddPerChannel(Tensor y, ReadOnlySpan<float> perChannel)
    {
        int c = y.Dim(1), plane = y.Dim(2) * y.Dim(3);
        var ys = y.Span;
        for (int p = 0; p < y.Length / plane; p++)
            System.Numerics.Tensors.TensorPrimitives.Add(ys.Slice(p * plane, plane), perChannel[p % c], ys.Slice(p * plane, plane));
    }

    /// <summary>Σ over N, H, W of an NCHW tensor, in double so long planes keep their low bits.</summary>
    static Tensor SumPerChannel(Tensor g)
    {
        int c = g.Dim(1), plane = g.Dim(2) * g.Dim(3);
        var acc = new double[c];
        var gs = g.ReadOnlySpan;
        for (int p = 0; p < g.Length / plane; p++)
        {
            double s = 0;
            foreach (var v in gs.Slice(p * plane, plane)) s += v;
            acc[p % c] += s;
        }
        var r = Tensor.Empty(c);
        for (int i = 0; i < c; i++) r.Span[i] = (float)acc[i];
        return r;
    }
}
