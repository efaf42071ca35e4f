namespace Restora.Metrics.Tests;

/// <summary>
/// The vector paths must give the scalar path's bits, and the thread count must not matter. Widths 203 and 187
/// leave tails after both 4- and 8-wide vectors, so the scalar tail code is exercised next to the vector body.
/// The Vector512 path is run even where the hardware lacks it (the JIT then emulates it), so it is always checked.
/// </summary>
public class DeterminismTests
{
    static readonly SimdLevel[] Levels = [SimdLevel.Scalar, SimdLevel.Vector256, SimdLevel.Vector512];

    [Fact]
    public void Ssim_vector_paths_match_the_scalar_path_bit_for_bit()
    {
        var (r, t) = TestImages.Pair(203, 187, 3, 25);
        foreach (var options in new MetricOptions?[] { null, new() { OnY = true, Shave = 3 } })
        {
            double scalar = FullReference.Ssim(r, t, options, SimdLevel.Scalar, 1);
            foreach (var level in Levels)
                Assert.Equal(BitConverter.DoubleToInt64Bits(scalar), BitConverter.DoubleToInt64Bits(FullReference.Ssim(r, t, options, level, 1)));
        }
    }

    [Fact]
    public void Ssim_over_several_column_strips_is_the_same_at_every_width_and_thread_count()
    {
        var (r, t) = TestImages.Pair(2 * SsimCore.StripColumns + 10 + 45, 61, 3, 25);
        long expected = BitConverter.DoubleToInt64Bits(FullReference.Ssim(r, t, null, SimdLevel.Scalar, 1));
        foreach (var level in Levels)
            foreach (int threads in new[] { 1, 2, 5 })
                Assert.Equal(expected, BitConverter.DoubleToInt64Bits(FullReference.Ssim(r, t, null, level, threads)));
    }

    [Fact]
    public void MsSsim_vector_paths_match_the_scalar_path_bit_for_bit()
    {
        var (r, t) = TestImages.Pair(203, 187, 3, 25);
        double scalar = FullReference.MsSsim(r, t, null, SimdLevel.Scalar, 1);
        foreach (var level in Levels)
            Assert.Equal(BitConverter.DoubleToInt64Bits(scalar), BitConverter.DoubleToInt64Bits(FullReference.MsSsim(r, t, null, level, 1)));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(8)]
    public void Results_do_not_depend_on_the_thread_count(int threads)
    {
        var (r, t) = TestImages.Pair(203, 187, 3, 25);
        Assert.Equal(BitConverter.DoubleToInt64Bits(FullReference.Ssim(r, t, null, Simd.Best, 1)),
                     BitConverter.DoubleToInt64Bits(FullReference.Ssim(r, t, null, Simd.Best, threads)));
        Assert.Equal(BitConverter.DoubleToInt64Bits(FullReference.MsSsim(r, t, null, Simd.Best, 1)),
                     BitConverter.DoubleToInt64Bits(FullReference.MsSsim(r, t, null, Simd.Best, threads)));
        var planes = FullReference.Prepare(r, t, null, "test");
        Assert.Equal(BitConverter.DoubleToInt64Bits(Pixelwise.SumSquaredDifference(planes[0].Reference, planes[0].Test, Simd.Best, 1)),
                     BitConverter.DoubleToInt64Bits(Pixelwise.SumSquaredDifference(planes[0].Reference, planes[0].Test, Simd.Best, threads)));
    }

    [Fact]
    public void Fixed_order_sum_is_the_same_at_every_width()
    {
        var random = new Random(7);
        for (int length = 0; length <= 41; length++)
        {
            var values = new double[length];
            for (int i = 0; i < length; i++) values[i] = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 9));
            long scalar = BitConverter.DoubleToInt64Bits(Simd.SumFixedOrder(values, SimdLevel.Scalar));
            Assert.Equal(scalar, BitConverter.DoubleToInt64Bits(Simd.SumFixedOrder(values, SimdLevel.Vector256)));
            Assert.Equal(scalar, BitConverter.DoubleToInt64Bits(Simd.SumFixedOrder(values, SimdLevel.Vector512)));
        }
    }

    [Fact]
    public void Widening_matches_a_plain_conversion()
    {
        var source = new float[37];
        for (int i = 0; i < source.Length; i++) source[i] = i / 255f;
        var widened = new double[37];
        Simd.Widen(source, widened);
        for (int i = 0; i < source.Length; i++) Assert.Equal((double)source[i], widened[i]);
    }
}
