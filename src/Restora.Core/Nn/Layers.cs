namespace Restora.Core.Nn;

/// <summary>Children run in order; they are named "0", "1", … as in <c>torch.nn.Sequential</c>.</summary>
public sealed class Sequential : Module
{
    readonly List<Module> layers = [];

    public Sequential(params Module[] modules)
    {
        foreach (var m in modules) Add(m);
    }

    public Sequential Add(Module m)
    {
        RegisterModule(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), m);
        layers.Add(m);
        return this;
    }

    public int Count => layers.Count;
    public Module this[int i] => layers[i];

    /// <summary>In inference each intermediate goes back to the pool once the next layer has read it, and a layer
    /// that can (<see cref="IConsumesInput"/>) writes its output over it.</summary>
    public override Tensor Forward(Tensor input)
    {
        var x = input;
        foreach (var m in layers)
        {
            bool intermediate = x != input;
            var y = intermediate && Inference.Active && m is IConsumesInput c ? c.Forward(x, consumeInput: true) : m.Forward(x);
            if (intermediate && y != x) Inference.Release(x);
            x = y;
        }
        return x;
    }
}

public sealed class Conv2d : Module
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public (int H, int W) Stride { get; }
    public (int H, int W) Padding { get; }
    public (int H, int W) Dilation { get; }
    public int Groups { get; }

    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, Random? rng = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, rng) { }

    public Conv2d(int inChannels, int outChannels, (int H, int W) kernelSize, (int H, int W) stride, (int H, int W) padding,
        (int H, int W) dilation, int groups = 1, bool bias = true, Random? rng = null)
    {
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: {inChannels} in and {outChannels} out channels are not divisible by {groups} groups");
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        Weight = RegisterParameter("weight", Tensor.Persistent(outChannels, inChannels / groups, kernelSize.H, kernelSize.W));
        Bias = bias ? RegisterParameter("bias", Tensor.Persistent(outChannels)) : null;
        Init.DefaultConv(Weight, Bias, rng);
    }

    public override Tensor Forward(Tensor input) => F.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <summary><c>act(conv(input)) + residual</c>, fused when no gradient is recorded (see <see cref="F.Conv2d(Tensor, Tensor, Tensor?, (int H, int W), (int H, int W), (int H, int W), int, ConvEpilogue, Tensor?)"/>).</summary>
    public Tensor Forward(Tensor input, ConvEpilogue epilogue, Tensor? residual = null, bool overwriteResidual = false) =>
        F.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups, epilogue, residual, overwriteResidual);
}

public sealed class ConvTranspose2d : Module
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }
    public (int H, int W) Stride { get; }
    public (int H, int W) Padding { get; }
    public (int H, int W) OutputPadding { get; }
    public (int H, int W) Dilation { get; }
    public int Groups { get; }

    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1, Random? rng = null)
    {
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"ConvTranspose2d: {inChannels} in and {outChannels} out channels are not divisible by {groups} groups");
        Stride = (stride, stride);
        Padding = (padding, padding);
        OutputPadding = (outputPadding, outputPadding);
        Dilation = (dilation, dilation);
        Groups = groups;
        Weight = RegisterParameter("weight", Tensor.Persistent(inChannels, outChannels / groups, kernelSize, kernelSize));
        Bias = bias ? RegisterParameter("bias", Tensor.Persistent(outChannels)) : null;
        Init.DefaultConv(Weight, Bias, rng);
    }

    public override Tensor Forward(Tensor input) =>
        F.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);
}

public sealed class ReLU : Module
{
    public override Tensor Forward(Tensor input) => F.Relu(input);
}

public sealed class LeakyReLU(float negativeSlope = 0.01f) : Module
{
    public float NegativeSlope { get; } = negativeSlope;
    public override Tensor Forward(Tensor input) => F.LeakyRelu(input, NegativeSlope);
}

public sealed class PReLU : Module
{
    public Tensor Weight { get; }

    public PReLU(int numParameters = 1, float init = 0.25f)
    {
        Weight = RegisterParameter("weight", Tensor.Persistent(numParameters));
        Weight.Span.Fill(init);
    }

    public override Tensor Forward(Tensor input) => F.Prelu(input, Weight);
}

public sealed class GELU(string approximate = "none") : Module
{
    public override Tensor Forward(Tensor input) => F.Gelu(input, approximate);
}

public sealed class Sigmoid : Module
{
    public override Tensor Forward(Tensor input) => F.Sigmoid(input);
}

public sealed class Tanh : Module
{
    public override Tensor Forward(Tensor input) => F.Tanh(input);
}

public sealed class PixelShuffle(int upscaleFactor, PixelShuffleOrder order = PixelShuffleOrder.PyTorch) : Module
{
    public override Tensor Forward(Tensor input) => F.PixelShuffle(input, upscaleFactor, order);
}

public sealed class PixelUnshuffle(int downscaleFactor, PixelShuffleOrder order = PixelShuffleOrder.PyTorch) : Module
{
    public override Tensor Forward(Tensor input) => F.PixelUnshuffle(input, downscaleFactor, order);
}

/// <summary>Integer-factor resize, mode "nearest" or "bilinear".</summary>
public sealed class Upsample : Module
{
    readonly int scale;
    readonly bool bilinear;
    readonly bool alignCorners;

    public Upsample(int scaleFactor, string mode = "nearest", bool alignCorners = false)
    {
        scale = scaleFactor > 0 ? scaleFactor : throw new ArgumentException($"Upsample: scale {scaleFactor} must be positive");
        bilinear = mode switch
        {
            "nearest" => false,
            "bilinear" => true,
            _ => throw new ArgumentException($"Upsample: mode must be 'nearest' or 'bilinear', got '{mode}'"),
        };
        this.alignCorners = alignCorners;
    }

    public override Tensor Forward(Tensor input) =>
        bilinear ? F.UpsampleBilinear(input, scale, alignCorners) : F.UpsampleNearest(input, scale);
}

/// <summary>Mean of every plane, [N, C, H, W] → [N, C, 1, 1]; PyTorch's AdaptiveAvgPool2d(1).</summary>
public sealed class GlobalAvgPool2d : Module
{
    public override Tensor Forward(Tensor input) => F.GlobalAvgPool2d(input);
}

public sealed class BatchNorm2d : Module
{
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }
    public Tensor? RunningMean { get; }
    public Tensor? RunningVar { get; }
    public Tensor? NumBatchesTracked { get; }
    public float Eps { get; }
    public float Momentum { get; }

    public BatchNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true, bool trackRunningStats = true)
    {
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Persistent(numFeatures));
            Weight.Span.Fill(1f);
            Bias = RegisterParameter("bias", Tensor.Persistent(numFeatures));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Persistent(numFeatures));
            RunningVar = RegisterBuffer("running_var", Tensor.Persistent(numFeatures));
            RunningVar.Span.Fill(1f);
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Persistent([]), integer: true);
        }
    }

    public override Tensor Forward(Tensor input)
    {
        bool useBatchStats = Training || RunningMean is null;
        if (Training && NumBatchesTracked is not null) NumBatchesTracked.Span[0] += 1;
        return F.BatchNorm2d(input, RunningMean, RunningVar, Weight, Bias, useBatchStats, Momentum, Eps);
    }
}

/// <summary>Instance norm without running statistics (PyTorch's default track_running_stats=False).</summary>
public sealed class InstanceNorm2d : Module
{
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }
    public float Eps { get; }

    public InstanceNorm2d(int numFeatures, float eps = 1e-5f, bool affine = false)
    {
        Eps = eps;
        if (!affine) return;
        Weight = RegisterParameter("weight", Tensor.Persistent(numFeatures));
        Weight.Span.Fill(1f);
        Bias = RegisterParameter("bias", Tensor.Persistent(numFeatures));
    }

    public override Tensor Forward(Tensor input) => F.InstanceNorm2d(input, Weight, Bias, Eps);
}

/// <summary>
/// Dropout (inverted: kept values are scaled by 1/(1-p), so inference is the identity). The mask is drawn from
/// <see cref="Seed"/> and a counter that advances with each call, so a run that sets the seed per training step
/// (the trainer does, from the run's seed and the iteration) draws the same masks when resumed. Off in eval mode.
/// </summary>
public sealed class Dropout(float p = 0.5f) : Module
{
    ulong calls;
    ulong seed;

    /// <summary>The probability of zeroing a value.</summary>
    public float P { get; } = p is >= 0 and < 1 ? p : throw new ArgumentException($"dropout probability must be in [0, 1), got {p}");

    /// <summary>Seeds the masks from here on (and restarts the call counter).</summary>
    public ulong Seed { get => seed; set { seed = value; calls = 0; } }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!Training || P == 0) return input;
        var mask = Tensor.Empty(input.ShapeArray);
        var m = mask.Span;
        // SplitMix64 over (seed, call, index): independent of threads and of the order tensors are made in.
        ulong state = seed ^ (0x9E3779B97F4A7C15UL * ++calls);
        float keep = 1f / (1 - P);
        for (int i = 0; i < m.Length; i++)
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            m[i] = (z >> 40) * (1.0 / (1UL << 24)) < P ? 0f : keep;
        }
        return F.Mul(input, mask);
    }
}

/// <summary>A fully connected layer, y = x·Wᵀ + b over [N, in] (torch.nn.Linear; weight [out, in]), run as a 1x1 convolution.</summary>
public sealed class Linear : Module
{
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Linear(int inFeatures, int outFeatures, bool bias = true, Random? rng = null)
    {
        Weight = RegisterParameter("weight", Tensor.Persistent(outFeatures, inFeatures));
        Bias = bias ? RegisterParameter("bias", Tensor.Persistent(outFeatures)) : null;
        // The same bound as a convolution with fan-in = inFeatures (PyTorch's kaiming_uniform(a=√5) for both).
        var asConv = Tensor.Persistent(outFeatures, inFeatures, 1, 1);
        Init.DefaultConv(asConv, Bias, rng);
        asConv.ReadOnlySpan.CopyTo(Weight.Span);
    }

    /// <summary>[N, in] (or anything with in values per sample, flattened) → [N, out].</summary>
    public override Tensor Forward(Tensor input)
    {
        int n = input.Dim(0), inFeatures = Weight.Dim(1), outFeatures = Weight.Dim(0);
        if (input.Length != n * inFeatures) throw new ArgumentException($"linear: input {input.ShapeString} does not hold {inFeatures} values per sample");
        var y = F.Conv2d(F.Reshape(input, n, inFeatures, 1, 1), F.Reshape(Weight, outFeatures, inFeatures, 1, 1), Bias);
        return F.Reshape(y, n, outFeatures);
    }
}
