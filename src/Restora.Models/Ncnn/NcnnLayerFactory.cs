using Restora.Core;

namespace Restora.Models.Ncnn;

/// <summary>
/// Makes a runnable layer from a <c>.param</c> line, reading its weights from the <c>.bin</c> in file order.
/// Parameters are checked as they are read (positive kernels and strides, weight counts that factor into the
/// declared shape); a key the layer does not act on is refused unless it holds its default 0.
/// </summary>
internal static class NcnnLayerFactory
{
    /// <summary>Sanity bounds on geometry from a stranger's file.</summary>
    const int MaxKernel = 1024, MaxStep = 1024, MaxPad = 1 << 16, MaxOutputs = 1 << 20;

    public static NcnnLayer Create(NcnnLayerSpec spec, int[] inputs, int[] outputs, NcnnWeightReader weights)
    {
        var p = spec.Params;
        switch (spec.Type)
        {
            case "Input":
                Arity(spec, 0, 0, 1);
                p.OnlyKeys(0, 1, 2);
                return new NcnnInput { Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs, Channels = Math.Max(0, p.Int(2, 0)) };
            case "Split":
                if (spec.Inputs.Length != 1 || spec.Outputs.Length < 1) throw p.Bad($"Split needs 1 input and at least 1 output, has {spec.Inputs.Length} and {spec.Outputs.Length}");
                return new NcnnSplit { Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs };
            case "Convolution":
                Arity(spec, 1, 1, 1);
                return Convolution(spec, inputs, outputs, weights);
            case "Deconvolution":
                Arity(spec, 1, 1, 1);
                return Deconvolution(spec, inputs, outputs, weights);
            case "InnerProduct":
            {
                Arity(spec, 1, 1, 1);
                p.OnlyKeys(0, 1, 2, 9, 10);
                int outCount = Bounded(p, 0, 0, 1, MaxOutputs, "num_output");
                int count = p.Int(2, 0);
                if (count <= 0 || count % outCount != 0) throw p.Bad($"weight_data_size (key 2) {count} is not a positive multiple of {outCount} outputs");
                var activation = NcnnActivation.Parse(p);
                var w = ReadWeights(weights, p, count, spec);
                float[]? bias = p.Int(1, 0) != 0 ? weights.ReadRaw(outCount, $"layer '{spec.Name}' bias") : null;
                return new NcnnInnerProduct
                {
                    Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs,
                    Weight = w, Bias = bias, OutCount = outCount, Activation = activation,
                };
            }
            case "Pooling":
            {
                Arity(spec, 1, 1, 1);
                if (p.Int(4, 0) != 1) throw p.Bad("only global pooling (key 4 = 1) is supported");
                // With global pooling the kernel, stride and padding keys have no effect.
                p.OnlyKeys(0, 1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16);
                int type = p.Int(0, 0);
                if (type is not (0 or 1)) throw p.Bad($"pooling type {type} is not supported (0 max, 1 average)");
                return new NcnnGlobalPooling { Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs, Average = type == 1 };
            }
            case "BinaryOp":
            {
                p.OnlyKeys(0, 1, 2);
                int op = p.Int(0, 0);
                if (op is < 0 or > 3) throw p.Bad($"operation {op} is not supported (0 add, 1 sub, 2 mul, 3 div)");
                bool scalar = p.Int(1, 0) != 0;
                Arity(spec, scalar ? 1 : 2, scalar ? 1 : 2, 1);
                return new NcnnBinaryOp
                {
                    Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs,
                    Op = (NcnnArithmetic)op, Scalar = scalar ? p.Float(2, 0) : null,
                };
            }
            case "Eltwise":
            {
                Arity(spec, 2, int.MaxValue, 1);
                p.OnlyKeys(0, 1);
                int op = p.Int(0, 0);
                if (op is < 0 or > 2) throw p.Bad($"operation {op} is not supported (0 product, 1 sum, 2 max)");
                var coefficients = p.Floats(1);
                if (coefficients.Length != 0 && (op != 1 || coefficients.Length != spec.Inputs.Length))
                    throw p.Bad($"{coefficients.Length} coefficients for {spec.Inputs.Length} inputs of operation {op}");
                return new NcnnEltwise { Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs, Op = op, Coefficients = coefficients };
            }
            case "Concat":
            {
                Arity(spec, 1, int.MaxValue, 1);
                p.OnlyKeys(0);
                int axis = p.Int(0, 0);
                if (axis is not (0 or -3)) throw p.Bad($"concatenation on axis {axis} is not supported (only channels, axis 0)");
                return new NcnnConcat { Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs };
            }
            case "Crop":
                return Crop(spec, inputs, outputs);
            case "Interp":
            {
                Arity(spec, 1, 1, 1);
                p.OnlyKeys(0, 1, 2, 3, 4);
                int mode = p.Int(0, 0);
                if (mode is not (1 or 3)) throw p.Bad($"resize type {mode} is not supported (1 nearest, 3 bicubic)");
                float sh = p.Float(1, 1f), sw = p.Float(2, 1f);
                int oh = p.Int(3, 0), ow = p.Int(4, 0);
                if (oh < 0 || ow < 0 || oh > MaxOutputs || ow > MaxOutputs) throw p.Bad($"output size {oh}x{ow} is out of range");
                if ((oh == 0 && !(sh > 0 && sh <= 64)) || (ow == 0 && !(sw > 0 && sw <= 64)))
                    throw p.Bad($"scales {sh} x {sw} must lie in (0, 64]");
                return new NcnnInterp
                {
                    Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs,
                    Mode = mode, ScaleH = sh, ScaleW = sw, OutH = oh, OutW = ow,
                };
            }
            case "PixelShuffle":
            {
                Arity(spec, 1, 1, 1);
                p.OnlyKeys(0);
                int r = Bounded(p, 0, 1, 1, 64, "upscale factor");
                return new NcnnPixelShuffle { Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs, Factor = r };
            }
            case "PReLU":
            {
                Arity(spec, 1, 1, 1);
                p.OnlyKeys(0);
                int n = Bounded(p, 0, 0, 1, MaxOutputs, "num_slope");
                var slopes = weights.ReadRaw(n, $"layer '{spec.Name}' slopes");
                return new NcnnPRelu { Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs, Slopes = slopes };
            }
            case "Scale":
            {
                p.OnlyKeys(0, 1);
                int size = p.Int(0, 0);
                bool bias = p.Int(1, 0) != 0;
                if (size == -233)
                {
                    Arity(spec, 2, 2, 1);
                    if (bias) throw p.Bad("a Scale with a second input and a bias (key 1) is not supported");
                    return new NcnnScale { Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs };
                }
                Arity(spec, 1, 1, 1);
                if (size <= 0 || size > MaxOutputs) throw p.Bad($"scale_data_size (key 0) {size} is neither -233 nor a channel count");
                var data = weights.ReadRaw(size, $"layer '{spec.Name}' scale data");
                var biasData = bias ? weights.ReadRaw(size, $"layer '{spec.Name}' bias") : null;
                return new NcnnScale { Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs, Data = data, BiasData = biasData };
            }
            default:
                throw p.Bad($"layer type '{spec.Type}' is not supported");
        }
    }

    /// <summary>What Convolution and Deconvolution read alike: their keys, geometry, activation, weights and bias.</summary>
    static (ConvGeometry G, NcnnActivation Activation, int InChannels, float[] W, float[]? Bias) ConvolutionParts(NcnnLayerSpec spec, NcnnWeightReader weights)
    {
        var p = spec.Params;
        p.OnlyKeys(0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15, 16);
        var g = Geometry(p);
        var activation = NcnnActivation.Parse(p);
        int inChannels = InChannels(p, g.Out, g.Kh, g.Kw);
        var w = ReadWeights(weights, p, (long)g.Out * inChannels * g.Kh * g.Kw, spec);
        float[]? bias = p.Int(5, 0) != 0 ? weights.ReadRaw(g.Out, $"layer '{spec.Name}' bias") : null;
        return (g, activation, inChannels, w, bias);
    }

    static NcnnLayer Convolution(NcnnLayerSpec spec, int[] inputs, int[] outputs, NcnnWeightReader weights)
    {
        var (g, activation, inChannels, w, bias) = ConvolutionParts(spec, weights);
        return new NcnnConvolution
        {
            Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs,
            Weight = Tensor.PersistentFrom(w, g.Out, inChannels, g.Kh, g.Kw),
            Bias = bias is null ? null : Tensor.PersistentFrom(bias, g.Out),
            Stride = g.Stride, Dilation = g.Dilation, Pad = g.Pad, Activation = activation,
        };
    }

    static NcnnLayer Deconvolution(NcnnLayerSpec spec, int[] inputs, int[] outputs, NcnnWeightReader weights)
    {
        var (g, activation, inChannels, w, bias) = ConvolutionParts(spec, weights);
        // Stored [out][in][kh][kw]; the engine's transposed conv takes PyTorch's [in][out][kh][kw].
        var weight = Tensor.Persistent(inChannels, g.Out, g.Kh, g.Kw);
        var dst = weight.Span;
        int k = g.Kh * g.Kw;
        for (int o = 0; o < g.Out; o++)
            for (int i = 0; i < inChannels; i++)
                w.AsSpan((o * inChannels + i) * k, k).CopyTo(dst.Slice((i * g.Out + o) * k, k));
        return new NcnnDeconvolution
        {
            Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs,
            Weight = weight, Bias = bias is null ? null : Tensor.PersistentFrom(bias, g.Out),
            Stride = g.Stride, Dilation = g.Dilation, Pad = g.Pad, Activation = activation,
        };
    }

    readonly record struct ConvGeometry(int Out, int Kh, int Kw, (int H, int W) Stride, (int H, int W) Dilation, (int Top, int Left, int Bottom, int Right) Pad);

    static ConvGeometry Geometry(NcnnParamDict p)
    {
        int outCount = Bounded(p, 0, 0, 1, MaxOutputs, "num_output");
        int kw = Bounded(p, 1, 0, 1, MaxKernel, "kernel_w");
        int kh = Bounded(p, 11, kw, 1, MaxKernel, "kernel_h");
        int dw = Bounded(p, 2, 1, 1, MaxStep, "dilation_w");
        int dh = Bounded(p, 12, dw, 1, MaxStep, "dilation_h");
        int sw = Bounded(p, 3, 1, 1, MaxStep, "stride_w");
        int sh = Bounded(p, 13, sw, 1, MaxStep, "stride_h");
        int left = Pad(p, 4, 0, "pad_left");
        int right = Pad(p, 15, left, "pad_right");
        int top = Pad(p, 14, left, "pad_top");
        int bottom = Pad(p, 16, top, "pad_bottom");
        return new ConvGeometry(outCount, kh, kw, (sh, sw), (dh, dw), (top, left, bottom, right));
    }

    static int Pad(NcnnParamDict p, int key, int defaultValue, string name)
    {
        int v = p.Int(key, defaultValue);
        if (v < 0) throw p.Bad($"{name} (key {key}) = {v}: automatic padding modes are not supported");
        if (v > MaxPad) throw p.Bad($"{name} (key {key}) = {v} is out of range");
        return v;
    }

    static int InChannels(NcnnParamDict p, int outCount, int kh, int kw)
    {
        int count = p.Int(6, 0);
        long perInput = (long)outCount * kh * kw;
        if (count <= 0 || count % perInput != 0)
            throw p.Bad($"weight_data_size (key 6) {count} is not a positive multiple of {outCount} outputs x {kh}x{kw} kernel");
        return (int)(count / perInput);
    }

    static float[] ReadWeights(NcnnWeightReader weights, NcnnParamDict p, long count, NcnnLayerSpec spec)
    {
        var w = weights.ReadTagged(count, $"layer '{spec.Name}' weights", out var kind);
        if (kind == NcnnWeightKind.Int8) throw p.Bad("int8-quantized weights are not supported");
        return w;
    }

    static NcnnLayer Crop(NcnnLayerSpec spec, int[] inputs, int[] outputs)
    {
        var p = spec.Params;
        Arity(spec, 1, 2, 1);
        if (spec.Inputs.Length == 2)
        {
            p.OnlyKeys(0, 1, 2);
            int x = p.Int(0, 0), y = p.Int(1, 0), c = p.Int(2, 0);
            if (x < 0 || y < 0 || c < 0) throw p.Bad($"negative offsets {x}, {y}, {c}");
            return new NcnnCrop { Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs, Offset = (c, y, x) };
        }
        p.OnlyKeys(9, 10, 11);
        int[] starts = p.Ints(9), ends = p.Ints(10), axes = p.Ints(11);
        if (starts.Length == 0 || starts.Length != ends.Length || starts.Length != axes.Length)
            throw p.Bad($"a one-input Crop needs starts, ends and axes (keys 9, 10, 11) of one length, has {starts.Length}, {ends.Length}, {axes.Length}");
        var seen = new HashSet<int>();
        foreach (int a in axes)
            if (a is < -3 or > 2 || !seen.Add(a < 0 ? a + 3 : a)) throw p.Bad($"axes {string.Join(",", axes)} must be distinct, within -3..2");
        return new NcnnCrop { Type = spec.Type, Name = spec.Name, Line = spec.Line, Inputs = inputs, Outputs = outputs, Starts = starts, Ends = ends, Axes = axes };
    }

    static int Bounded(NcnnParamDict p, int key, int defaultValue, int min, int max, string name)
    {
        int v = p.Int(key, defaultValue);
        if (v < min || v > max) throw p.Bad($"{name} (key {key}) = {v} is outside {min}..{max}");
        return v;
    }

    static void Arity(NcnnLayerSpec spec, int minIn, int maxIn, int outCount)
    {
        if (spec.Inputs.Length < minIn || spec.Inputs.Length > maxIn || spec.Outputs.Length != outCount)
        {
            string ins = minIn == maxIn ? $"{minIn}" : maxIn == int.MaxValue ? $"at least {minIn}" : $"{minIn} to {maxIn}";
            throw spec.Params.Bad($"{spec.Type} takes {ins} input(s) and {outCount} output(s), the line has {spec.Inputs.Length} and {spec.Outputs.Length}");
        }
    }
}
