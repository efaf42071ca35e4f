using System.Runtime.Intrinsics;
using Restora.Core.Kernels;

namespace Restora.Core.Tests.Kernels;

public class Conv2dTests
{
    /// <summary>Geometries the fast kernels must agree with the reference on, each chosen to reach a different code path.</summary>
    public static readonly TheoryData<string, Conv2dShape> Shapes = new()
    {
        { "3x3 same, odd size", new(1, 3, 17, 23, 8, 3, 3, PadH: 1, PadW: 1) },
        { "batch 2, stride 2", new(2, 5, 11, 13, 6, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1) },
        { "dilation 2", new(1, 4, 20, 20, 4, 3, 3, PadH: 2, PadW: 2, DilationH: 2, DilationW: 2) },
        { "3 groups", new(1, 6, 9, 9, 6, 3, 3, PadH: 1, PadW: 1, Groups: 3) },
        { "depthwise", new(1, 8, 12, 12, 8, 3, 3, PadH: 1, PadW: 1, Groups: 8) },
        { "depthwise, rows long enough for the single-channel block", new(2, 3, 5, 140, 3, 5, 5, PadH: 2, PadW: 2, Groups: 3) },
        { "depthwise, multiplier 2", new(1, 4, 10, 10, 8, 3, 3, PadH: 1, PadW: 1, Groups: 4) },
        { "1 channel 5x5, wide odd row", new(1, 1, 40, 70, 1, 5, 5, PadH: 2, PadW: 2) },
        { "1x1", new(1, 16, 33, 37, 16, 1, 1) },
        { "9x9 first layer", new(1, 3, 30, 30, 16, 9, 9, PadH: 4, PadW: 4) },
        { "last layer to 3 channels", new(1, 16, 19, 21, 3, 3, 3, PadH: 1, PadW: 1) },
        { "last layer to 1 channel, rows long enough for the narrow block", new(1, 5, 6, 100, 1, 3, 3, PadH: 1, PadW: 1) },
        { "asymmetric kernel and stride", new(1, 2, 7, 7, 3, 2, 3, StrideH: 2, StrideW: 1, PadH: 0, PadW: 1) },
        { "stride 3 no padding", new(2, 4, 8, 9, 5, 3, 3, StrideH: 3, StrideW: 3) },
        { "1x1 stride 2 (phases nobody reads)", new(1, 3, 5, 5, 2, 1, 1, StrideH: 2, StrideW: 2) },
        { "several bands of rows", new(1, 64, 24, 70, 8, 3, 3, PadH: 1, PadW: 1) },
        { "padding wider than the kernel", new(1, 2, 6, 6, 2, 3, 3, PadH: 3, PadW: 3) },
        { "1x1 pixel", new(1, 1, 1, 1, 1, 1, 1) },
        { "kernel larger than input", new(1, 2, 3, 3, 2, 5, 5, PadH: 2, PadW: 2) },
        { "stride 2 with dilation 2", new(2, 3, 5, 4, 2, 3, 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 2, DilationH: 2, DilationW: 2) },
        { "64 wide exactly, 5 channel blocks", new(1, 7, 6, 64, 18, 3, 3, PadH: 1, PadW: 1) },
        { "no padding, input read in place", new(2, 5, 7, 66, 6, 3, 3) },
        { "1x1 read in place", new(1, 8, 5, 32, 12, 1, 1) },
        { "1x1 with groups, gradient read in place", new(2, 12, 4, 48, 6, 1, 1, Groups: 3) },
        { "a task holding only the bias column", new(1, 2, 9, 9, 3, 3, 3, PadH: 1, PadW: 1) },
        { "128-wide rows ending in an 8 x 2 block", new(1, 3, 4, 128, 16, 3, 3, PadH: 1, PadW: 1) },
        { "128-wide rows ending in an 8 x 2 block of 6 real channels", new(1, 4, 5, 128, 6, 3, 3, PadH: 1, PadW: 1) },
    };

    public static IEnumerable<object[]> Paths()
    {
        if (Vector512.IsHardwareAccelerated) yield return new object[] { ConvPathName.Vector512 };
        if (Vector256.IsHardwareAccelerated) yield return new object[] { ConvPathName.Vector256 };
        if (Vector256.IsHardwareAccelerated) yield return new object[] { ConvPathName.Vector256SixteenRegisters };
        yield return new object[] { ConvPathName.Scalar };
    }

    public static IEnumerable<object[]> ShapesOnEveryPath() => OnEveryPath(Shapes);

    /// <summary>Every (path, name, shape) row for a set of shapes.</summary>
    public static IEnumerable<object[]> OnEveryPath(TheoryData<string, Conv2dShape> shapes)
    {
        foreach (var path in Paths())
            foreach (var row in shapes)
                yield return new[] { path[0], row[0], row[1] };
    }

    [Theory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void Forward_matches_reference(ConvPathName path, string name, Conv2dShape s)
    {
        var (input, weight, bias, _) = RandomData(s, seed: 1);
        var expected = new float[s.OutputLength];
        Conv2dReference.Forward(s, input, weight, bias, expected);
        var actual = Filled(s.OutputLength);
        Conv2d.Forward(Map(path), s, input, weight, bias, actual);
        AssertClose(expected, actual, $"{name} forward");

        // Without bias too: the packed bias must be zeros, not leftovers from a pooled buffer.
        Conv2dReference.Forward(s, input, weight, ReadOnlySpan<float>.Empty, expected);
        Conv2d.Forward(Map(path), s, input, weight, ReadOnlySpan<float>.Empty, actual);
        AssertClose(expected, actual, $"{name} forward without bias");
    }

    [Theory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void BackwardInput_matches_reference(ConvPathName path, string name, Conv2dShape s)
    {
        var (_, weight, _, gradOutput) = RandomData(s, seed: 2);
        var expected = new float[s.InputLength];
        Conv2dReference.BackwardInput(s, gradOutput, weight, expected);
        var actual = Filled(s.InputLength);
        Conv2d.BackwardInput(Map(path), s, gradOutput, weight, actual);
        AssertClose(expected, actual, $"{name} input gradient");
    }

    [Theory]
    [MemberData(nameof(ShapesOnEveryPath))]
    public void BackwardWeight_matches_reference(ConvPathName path, string name, Conv2dShape s)
    {
        var (input, _, _, gradOutput) = RandomData(s, seed: 3);
        var expectedW = new float[s.WeightLength];
        var expectedB = new float[s.OutChannels];
        Conv2dReference.BackwardWeight(s, input, gradOutput, expectedW, expectedB);
        var actualW = Filled(s.WeightLength);
        var actualB = Filled(s.OutChannels);
        Conv2d.BackwardWeight(Map(path), s, input, gradOutput, actualW, actualB);
        AssertClose(expectedW, actualW, $"{name} weight gradient");
        AssertClose(expectedB, actualB, $"{name} bias gradient");

        var withoutBias = Filled(s.WeightLength);
        Conv2d.BackwardWeight(Map(path), s, input, gradOutput, withoutBias, Span<float>.Empty);
        Assert.Equal(actualW, withoutBias);
    }

    [Fact]
    public void Public_scalar_entry_points_match_reference()
    {
        var s = new Conv2dShape(2, 3, 9, 11, 5, 3, 3, StrideH: 2, PadH: 1, PadW: 1);
        var (input, weight, bias, gradOutput) = RandomData(s, seed: 4);
        var expected = new float[s.OutputLength];
        var actual = new float[s.OutputLength];
        Conv2dReference.Forward(s, input, weight, bias, expected);
        Conv2d.ForwardScalar(s, input, weight, bias, actual);
        AssertClose(expected, actual, "ForwardScalar");

        var expectedIn = new float[s.InputLength];
        var actualIn = new float[s.InputLength];
        Conv2dReference.BackwardInput(s, gradOutput, weight, expectedIn);
        Conv2d.BackwardInputScalar(s, gradOutput, weight, actualIn);
        AssertClose(expectedIn, actualIn, "BackwardInputScalar");

        var expectedW = new float[s.WeightLength];
        var actualW = new float[s.WeightLength];
        var expectedB = new float[s.OutChannels];
        var actualB = new float[s.OutChannels];
        Conv2dReference.BackwardWeight(s, input, gradOutput, expectedW, expectedB);
        Conv2d.BackwardWeightScalar(s, input, gradOutput, actualW, actualB);
        AssertClose(expectedW, actualW, "BackwardWeightScalar");
        AssertClose(expectedB, actualB, "BackwardWeightScalar bias");
    }

    [Fact]
    public void Public_entry_points_use_a_fast_path_that_matches_reference()
    {
        var s = new Conv2dShape(1, 16, 40, 48, 16, 3, 3, PadH: 1, PadW: 1);
        var (input, weight, bias, gradOutput) = RandomData(s, seed: 5);
        var expected = new float[s.OutputLength];
        var actual = new float[s.OutputLength];
        Conv2dReference.Forward(s, input, weight, bias, expected);
        Conv2d.Forward(s, input, weight, bias, actual);
        AssertClose(expected, actual, "Forward");
        var expectedIn = new float[s.InputLength];
        var actualIn = new float[s.InputLength];
        Conv2dReference.BackwardInput(s, gradOutput, weight, expectedIn);
        Conv2d.BackwardInput(s, gradOutput, weight, actualIn);
        AssertClose(expectedIn, actualIn, "BackwardInput");
        var expectedW = new float[s.WeightLength];
        var actualW = new float[s.WeightLength];
        var expectedB = new float[s.OutChannels];
        var actualB = new float[s.OutChannels];
        Conv2dReference.BackwardWeight(s, input, gradOutput, expectedW, expectedB);
        Conv2d.BackwardWeight(s, input, gradOutput, actualW, actualB);
        AssertClose(expectedW, actualW, "BackwardWeight");
        AssertClose(expectedB, actualB, "BackwardWeight bias");
    }

    [Theory]
    [InlineData(1, 64, 70, 66, 48, 3, 1)]   // many bands and channel blocks, ragged row
    [InlineData(2, 16, 37, 41, 24, 5, 2)]   // batch 2, stride 2
    [InlineData(1, 3, 90, 100, 16, 9, 1)]   // first layer: few columns, many bands
    [InlineData(16, 24, 50, 50, 24, 3, 1)]  // training batch of 50x50 patches: flat bands
    [InlineData(1, 512, 100, 17, 8, 3, 1)]  // many channels, 17-wide rows: flat bands whose height must not follow the split
    public void Results_are_bit_identical_for_any_thread_count(int batch, int cin, int h, int w, int cout, int k, int stride)
    {
        var s = new Conv2dShape(batch, cin, h, w, cout, k, k, stride, stride, k / 2, k / 2);
        var (input, weight, bias, gradOutput) = RandomData(s, seed: 6);
        int saved = Compute.Threads;
        var runs = new List<(float[] Out, float[] In, float[] W, float[] B)>();
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                Compute.Threads = threads;
                var run = (new float[s.OutputLength], new float[s.InputLength], new float[s.WeightLength], new float[s.OutChannels]);
                Conv2d.Forward(s, input, weight, bias, run.Item1);
                Conv2d.BackwardInput(s, gradOutput, weight, run.Item2);
                Conv2d.BackwardWeight(s, input, gradOutput, run.Item3, run.Item4);
                runs.Add(run);
            }
        }
        finally { Compute.Threads = saved; }
        for (int i = 1; i < runs.Count; i++)
        {
            Assert.Equal(runs[0].Out, runs[i].Out);
            Assert.Equal(runs[0].In, runs[i].In);
            Assert.Equal(runs[0].W, runs[i].W);
            Assert.Equal(runs[0].B, runs[i].B);
        }
    }

    [Fact]
    public void Wrong_buffer_length_is_rejected()
    {
        var s = new Conv2dShape(1, 2, 5, 5, 3, 3, 3, PadH: 1, PadW: 1);
        Assert.Throws<ArgumentException>(() =>
            Conv2d.Forward(s, new float[s.InputLength], new float[s.WeightLength], new float[3], new float[s.OutputLength - 1]));
        Assert.Throws<ArgumentException>(() =>
            Conv2d.BackwardWeight(s, new float[s.InputLength], new float[s.OutputLength], new float[s.WeightLength], new float[2]));
    }

    [Fact]
    public void Benchmark_reports_flops_of_the_measured_time()
    {
        var (gflops, seconds) = ConvBenchmark.Run(cin: 4, cout: 4, size: 24, kernel: 3, backward: true, threads: 1);
        Assert.True(seconds > 0);
        double flops = 2.0 * 4 * 4 * 9 * 24 * 24 * 3;
        Assert.Equal(flops / seconds / 1e9, gflops, 6);
    }

    /// <summary>xunit needs a public type to show in test names; mirrors the internal <see cref="ConvPath"/>.</summary>
    public enum ConvPathName { Vector512, Vector256, Vector256SixteenRegisters, Scalar }

    internal static ConvPath Map(ConvPathName p) => p switch
    {
        ConvPathName.Vector512 => ConvPath.Vector512,
        ConvPathName.Vector256 => ConvPath.Vector256,
        ConvPathName.Vector256SixteenRegisters => ConvPath.Vector256SixteenRegisters,
        _ => ConvPath.Scalar,
    };

    static (float[] Input, float[] Weight, float[] Bias, float[] GradOutput) RandomData(Conv2dShape s, int seed)
    {
        var rng = new Random(seed);
        float[] Make(long n) { var a = new float[n]; for (long i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1); return a; }
        return (Make(s.InputLength), Make(s.WeightLength), Make(s.OutChannels), Make(s.OutputLength));
    }

    /// <summary>NaN-filled, so an element the kernel forgets to write fails the comparison.</summary>
    static float[] Filled(long n)
    {
        var a = new float[n];
        Array.Fill(a, float.NaN);
        return a;
    }

    /// <summary>Relative 1e-4 of the largest reference value: float accumulation of a few thousand terms stays far inside it.</summary>
    static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 0;
        foreach (var v in expected) scale = Math.Max(scale, Math.Abs(v));
        double tolerance = 1e-4 * Math.Max(scale, 1e-3);
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)expected[i] - actual[i]);
            if (!(diff <= tolerance))
                Assert.Fail($"{what}: element {i} is {actual[i]}, reference {expected[i]} (tolerance {tolerance:G3})");
        }
    }
}
