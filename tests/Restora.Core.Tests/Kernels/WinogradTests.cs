using Restora.Core.Kernels;
using static Restora.Core.Tests.Kernels.Conv2dTests;

namespace Restora.Core.Tests.Kernels;

public class WinogradTests
{
    /// <summary>Shapes that reach the edges of the tiling: sizes that are not multiples of 4, rows of several chunks,
    /// of one short chunk and several short rows packed in one unit, padding 0 and 2, channel counts that leave a partial block of 8.</summary>
    public static readonly TheoryData<string, Conv2dShape> Shapes = new()
    {
        { "same padding, odd size", new(1, 8, 17, 23, 8, 3, 3, PadH: 1, PadW: 1) },
        { "batch 2, 12 outputs (a partial channel block)", new(2, 16, 9, 13, 12, 3, 3, PadH: 1, PadW: 1) },
        { "rows of several chunks", new(1, 8, 6, 410, 16, 3, 3, PadH: 1, PadW: 1) },
        { "no padding", new(1, 9, 14, 30, 8, 3, 3) },
        { "padding 2", new(1, 8, 10, 12, 9, 3, 3, PadH: 2, PadW: 2) },
        { "64 channels, 64-wide", new(1, 64, 12, 64, 64, 3, 3, PadH: 1, PadW: 1) },
        { "more outputs than inputs, tall", new(1, 8, 70, 9, 40, 3, 3, PadH: 1, PadW: 1) },
        { "batch 3 of 50x50 patches (two tile rows per unit)", new(3, 8, 50, 50, 8, 3, 3, PadH: 1, PadW: 1) },
    };

    public static IEnumerable<object[]> ShapesOnEveryPath() => OnEveryPath(Shapes);

    [Theory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void Forward_matches_the_direct_reference(ConvPathName path, string name, Conv2dShape s)
    {
        Assert.True(Winograd.Supports(s));
        var (input, weight, bias) = Data(s, seed: 4);
        var expected = new float[s.OutputLength];
        Conv2dReference.Forward(s, input, weight, bias, expected);
        var actual = Filled(s.OutputLength);
        Winograd.Forward(Map(path), s, input, weight, bias, actual, ConvEpilogue.None, default);
        AssertNear(expected, actual, $"{name}");

        Conv2dReference.Forward(s, input, weight, ReadOnlySpan<float>.Empty, expected);
        Winograd.Forward(Map(path), s, input, weight, ReadOnlySpan<float>.Empty, actual, ConvEpilogue.None, default);
        AssertNear(expected, actual, $"{name} without bias");
    }

    [Theory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void Epilogue_applies_the_activation_then_adds_the_residual(ConvPathName path, string name, Conv2dShape s)
    {
        var (input, weight, bias) = Data(s, seed: 5);
        var residual = Uniform(s.OutputLength, seed: 6);
        var plain = new float[s.OutputLength];
        Conv2dReference.Forward(s, input, weight, bias, plain);
        foreach (var (epilogue, slope) in new[] { (ConvEpilogue.Relu, 0f), (ConvEpilogue.LeakyRelu(0.2f), 0.2f) })
        {
            var expected = plain.Select((v, i) => (v >= 0 ? v : v * slope) + residual[i]).ToArray();
            var actual = Filled(s.OutputLength);
            Winograd.Forward(Map(path), s, input, weight, bias, actual, epilogue, residual);
            AssertNear(expected, actual, $"{name} slope {slope}");
        }
    }

    [Theory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void The_residual_may_be_the_output_itself(ConvPathName path, string name, Conv2dShape s)
    {
        var (input, weight, bias) = Data(s, seed: 8);
        var residual = Uniform(s.OutputLength, seed: 9);
        var separate = Filled(s.OutputLength);
        Winograd.Forward(Map(path), s, input, weight, bias, separate, ConvEpilogue.Relu, residual);
        var inPlace = (float[])residual.Clone();
        Winograd.Forward(Map(path), s, input, weight, bias, inPlace, ConvEpilogue.Relu, inPlace);
        Assert.True(separate.SequenceEqual(inPlace), name);
    }

    [Fact]
    public void Output_bits_do_not_depend_on_the_thread_count()
    {
        CheckThreads(new Conv2dShape(1, 16, 37, 150, 24, 3, 3, PadH: 1, PadW: 1));   // one tile row per unit
        CheckThreads(new Conv2dShape(3, 16, 22, 18, 24, 3, 3, PadH: 1, PadW: 1));    // several tile rows per unit
    }

    static void CheckThreads(Conv2dShape s)
    {
        var (input, weight, bias) = Data(s, seed: 7);
        AssertSameOnEveryThreadCount(() =>
        {
            var y = new float[s.OutputLength];
            Winograd.Forward(s, input, weight, bias, y);
            return y;
        });
    }

    static void AssertSameOnEveryThreadCount(Func<float[]> run)
    {
        float[] On(int threads)
        {
            int before = Compute.Threads;
            Compute.Threads = threads;
            try { return run(); }
            finally { Compute.Threads = before; }
        }
        var one = On(1);
        Assert.Equal(one, On(2));
        Assert.Equal(one, On(3));
        Assert.Equal(one, On(5));
    }

    /// <summary>Training records Winograd's forward and takes the input gradient as Winograd's forward of the adjoint
    /// conv (weights swapped and turned, padding 2 − pad): both equal the reference sums to float rounding, on the
    /// edges of the tiling (odd sizes, several images, a partial channel block) and at every padding it takes.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Training_forward_and_input_gradient_match_the_reference(int pad)
    {
        var s = new Conv2dShape(3, 12, 20, 22, 20, 3, 3, PadH: pad, PadW: pad);
        Assert.True(Winograd.Pays(s));
        var (input, weight, bias) = Data(s, seed: 11);
        var gradOutput = Uniform(s.OutputLength, seed: 12);
        var expected = new float[s.OutputLength];
        Conv2dReference.Forward(s, input, weight, bias, expected);
        var actual = Filled(s.OutputLength);
        ConvBackend.Forward(s, input, weight, bias, actual);
        AssertNear(expected, actual, $"forward, pad {pad}");

        var expectedGrad = new float[s.InputLength];
        Conv2dReference.BackwardInput(s, gradOutput, weight, expectedGrad);
        var actualGrad = Filled(s.InputLength);
        ConvBackend.BackwardInput(s, gradOutput, weight, actualGrad);
        AssertNear(expectedGrad, actualGrad, $"input gradient, pad {pad}");
    }

    /// <summary>Weight-gradient shapes: padding 0, 1 and 2, channel counts off the 16-lane and 8-channel blocks, and
    /// enough tiles for several groups and a partial block of tiles in each.</summary>
    public static readonly TheoryData<string, Conv2dShape> GradientShapes = new()
    {
        { "same padding, 64 channels, 50x50 patches", new(3, 64, 50, 50, 64, 3, 3, PadH: 1, PadW: 1) },
        { "no padding, 12 in, 20 out, odd sizes", new(2, 12, 35, 41, 20, 3, 3) },
        { "padding 2, 40 in, 9 out", new(1, 40, 33, 37, 9, 3, 3, PadH: 2, PadW: 2) },
        { "one row of tiles", new(8, 16, 6, 70, 24, 3, 3, PadH: 1, PadW: 1) },
    };

    [Theory]
    [MemberData(nameof(GradientShapes))]
    public void Weight_gradient_matches_the_reference(string name, Conv2dShape s)
    {
        Assert.True(WinogradWeightGradient.Supports(s));
        var (input, _, _) = Data(s, seed: 21);
        var gradOutput = Uniform(s.OutputLength, seed: 22);
        var expected = new float[s.WeightLength];
        var expectedBias = new float[s.OutChannels];
        Conv2dReference.BackwardWeight(s, input, gradOutput, expected, expectedBias);
        var actual = Filled(s.WeightLength);
        var actualBias = Filled(s.OutChannels);
        WinogradWeightGradient.Compute(s, input, gradOutput, actual, actualBias);
        AssertNear(expected, actual, $"{name}: weight gradient");
        AssertNear(expectedBias, actualBias, $"{name}: bias gradient");
    }

    /// <summary>Training's backend takes the Winograd weight gradient for wide layers only, and gets the reference's values.</summary>
    [Fact]
    public void Wide_layers_take_the_Winograd_weight_gradient_in_training()
    {
        var wide = new Conv2dShape(2, 96, 12, 48, 96, 3, 3, PadH: 1, PadW: 1);
        Assert.True(WinogradWeightGradient.Pays(wide));
        Assert.False(WinogradWeightGradient.Pays(new Conv2dShape(16, 64, 50, 50, 64, 3, 3, PadH: 1, PadW: 1)));
        Assert.False(WinogradWeightGradient.Pays(new Conv2dShape(16, 128, 24, 24, 128, 3, 3, PadH: 1, PadW: 1)));
        var (input, _, _) = Data(wide, seed: 25);
        var gradOutput = Uniform(wide.OutputLength, seed: 26);
        var expected = new float[wide.WeightLength];
        var expectedBias = new float[wide.OutChannels];
        Conv2dReference.BackwardWeight(wide, input, gradOutput, expected, expectedBias);
        var actual = Filled(wide.WeightLength);
        var actualBias = Filled(wide.OutChannels);
        ConvBackend.BackwardWeight(wide, input, gradOutput, actual, actualBias);
        AssertNear(expected, actual, "weight gradient");
        AssertNear(expectedBias, actualBias, "bias gradient");
    }

    [Fact]
    public void Weight_gradient_bits_do_not_depend_on_the_thread_count()
    {
        var s = new Conv2dShape(4, 24, 30, 26, 16, 3, 3, PadH: 1, PadW: 1);
        var (input, _, _) = Data(s, seed: 23);
        var gradOutput = Uniform(s.OutputLength, seed: 24);
        AssertSameOnEveryThreadCount(() =>
        {
            var gw = new float[s.WeightLength];
            WinogradWeightGradient.Compute(s, input, gradOutput, gw, new float[s.OutChannels]);
            return gw;
        });
    }

    /// <summary>The same through autograd: conv2d's and transposed conv2d's gradients (the transposed conv's forward is
    /// the input gradient, its input gradient a forward) equal the reference sums.</summary>
    [Fact]
    public void Autograd_through_Winograd_gives_the_reference_gradients()
    {
        var s = new Conv2dShape(2, 8, 24, 30, 16, 3, 3, PadH: 1, PadW: 1);
        Assert.True(Winograd.Pays(s));
        var (input, weight, bias) = Data(s, seed: 13);
        var gradOutput = Uniform(s.OutputLength, seed: 14);

        var x = Tensor.FromArray(input, 2, 8, 24, 30); x.RequiresGrad = true;
        var w = Tensor.FromArray(weight, 16, 8, 3, 3); w.RequiresGrad = true;
        var y = F.Conv2d(x, w, padding: 1);
        y.Backward(Tensor.FromArray(gradOutput, y.ShapeArray));
        var expectedX = new float[s.InputLength];
        Conv2dReference.BackwardInput(s, gradOutput, weight, expectedX);
        AssertNear(expectedX, x.Grad!.ToArray(), "conv2d input gradient");
        var expectedW = new float[s.WeightLength];
        Conv2dReference.BackwardWeight(s, input, gradOutput, expectedW, new float[s.OutChannels]);
        AssertNear(expectedW, w.Grad!.ToArray(), "conv2d weight gradient");

        // The transposed conv maps the conv's output shape back to its input shape.
        var t = Tensor.FromArray(gradOutput, 2, 16, 24, 30); t.RequiresGrad = true;
        var tw = Tensor.FromArray(weight, 16, 8, 3, 3);
        var z = F.ConvTranspose2d(t, tw, padding: 1);
        var expectedZ = new float[s.InputLength];
        Conv2dReference.BackwardInput(s, gradOutput, weight, expectedZ);
        AssertNear(expectedZ, z.ToArray(), "transposed conv2d forward");
        z.Backward(Tensor.FromArray(input, z.ShapeArray));
        var expectedT = new float[s.OutputLength];
        Conv2dReference.Forward(s, input, weight, ReadOnlySpan<float>.Empty, expectedT);
        AssertNear(expectedT, t.Grad!.ToArray(), "transposed conv2d input gradient");
    }

    [Fact]
    public void Shapes_it_does_not_take_are_refused()
    {
        Assert.False(Winograd.Supports(new Conv2dShape(1, 8, 16, 16, 8, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1)));
        Assert.False(Winograd.Supports(new Conv2dShape(1, 8, 16, 16, 8, 5, 5, PadH: 2, PadW: 2)));
        Assert.False(Winograd.Supports(new Conv2dShape(1, 3, 16, 16, 8, 3, 3, PadH: 1, PadW: 1)));
        Assert.False(Winograd.Supports(new Conv2dShape(1, 8, 16, 16, 3, 3, 3, PadH: 1, PadW: 1)));
        Assert.False(Winograd.Supports(new Conv2dShape(1, 8, 16, 16, 8, 3, 3, PadH: 1, PadW: 1, Groups: 2)));
        var s = new Conv2dShape(1, 8, 16, 16, 8, 5, 5, PadH: 2, PadW: 2);
        Assert.Throws<ArgumentException>(() => Winograd.Forward(s, new float[s.InputLength], new float[s.WeightLength], default, new float[s.OutputLength]));
    }

    static (float[] Input, float[] Weight, float[] Bias) Data(Conv2dShape s, int seed) =>
        (Uniform(s.InputLength, seed), Uniform(s.WeightLength, seed + 100), Uniform(s.OutChannels, seed + 200));

    static float[] Uniform(long n, int seed)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    static float[] Filled(long n)
    {
        var a = new float[n];
        Array.Fill(a, float.NaN);
        return a;
    }

    /// <summary>Winograd's transforms round differently from the direct sum: within 1e-5 of the largest output,
    /// a hundred times tighter than a wrong tap or a misplaced tile would miss by.</summary>
    static void AssertNear(float[] expected, float[] actual, string what)
    {
        double scale = expected.Max(v => Math.Abs(v));
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale))
                Assert.Fail($"{what}: element {i} is {actual[i]}, expected {expected[i]} (scale {scale})");
    }
}
