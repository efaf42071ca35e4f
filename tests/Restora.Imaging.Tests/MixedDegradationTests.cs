namespace Restora.Imaging.Tests;

/// <summary>RL-Restore's mixed damage: the level sets, the bands, the fixed 21x21 replicated blur, the order.</summary>
public class MixedDegradationTests
{
    // Ordered triples of levels 1..10 with a given sum s = b+n+j: C(s-1,2) - 3·C(s-11,2) + 3·C(s-21,2) (stars and
    // bars with the cap of 10). The paper's severity ranges of b+n+j-2: mild 9..11, moderate 12..17, severe 18..20.
    [Theory]
    [InlineData(MixedSeverity.Mild, 45 + 55 + 63)]
    [InlineData(MixedSeverity.Moderate, 69 + 73 + 75 + 75 + 73 + 69)]
    [InlineData(MixedSeverity.Severe, 63 + 55 + 45)]
    public void EachSeverityHoldsEveryOrderedTripleOfItsLevelSum(MixedSeverity severity, int count)
    {
        var all = MixedDegradation.Combinations(severity);
        Assert.Equal(count, all.Count);
        Assert.Equal(count, all.Distinct().Count());
        var (min, max) = MixedDegradation.SumRange(severity);
        Assert.All(all, l => Assert.InRange(l.Sum, min, max));
    }

    [Fact]
    public void BandsFollowThePapersSteps()
    {
        Assert.Equal((0.0, 0.5), MixedDegradation.BlurBand(1));
        Assert.Equal((4.5, 5.0), MixedDegradation.BlurBand(10));
        Assert.Equal((45.0, 50.0), MixedDegradation.NoiseBand(10));
        Assert.Equal((100.0, 80.0), MixedDegradation.QualityBand(1));
        Assert.Equal((60.0, 50.0), MixedDegradation.QualityBand(3));
        Assert.Equal((15.0, 10.0), MixedDegradation.QualityBand(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => MixedDegradation.BlurBand(11));
    }

    [Theory]
    [InlineData(MixedSeverity.Mild)]
    [InlineData(MixedSeverity.Severe)]
    public void DrawnStrengthsComeFromATripleOfTheSeverity(MixedSeverity severity)
    {
        double[] quality = [100, 80, 60, 50, 40, 35, 30, 25, 20, 15, 10];
        var (min, max) = MixedDegradation.SumRange(severity);
        var rng = new SeededRandom(4);
        for (int i = 0; i < 300; i++)
        {
            var d = MixedDegradation.Draw(severity, rng);
            // Back from strengths to levels (a rounded quality on a band edge may belong to either band).
            int b = Math.Clamp((int)Math.Ceiling(d.BlurSigma / 0.5), 1, 10), n = Math.Clamp((int)Math.Ceiling(d.NoiseSigma / 5), 1, 10);
            var js = Enumerable.Range(1, 10).Where(j => d.JpegQuality <= quality[j - 1] + 0.5 && d.JpegQuality >= quality[j] - 0.5).ToList();
            Assert.True(js.Any(j => b + n + j - 2 >= min && b + n + j - 2 <= max), $"{d}: levels {b}, {n}, {string.Join("/", js)}");
        }
    }

    [Fact]
    public void TheBlurUsesAFixed21x21KernelWithTheEdgeReplicated()
    {
        // One bright column at the left edge: replicated, the ten pixels outside are bright too, so the edge pixel
        // keeps the left half of the kernel and its centre; mirrored, only one outside pixel would be bright.
        var image = new Image(40, 5, PixelLayout.Gray);
        for (int y = 0; y < 5; y++) image.Plane(0)[y * 40] = 1;
        double sigma = 3;
        var blurred = MixedDegradation.Blur(image, sigma);
        double sum = 0, half = 0;
        for (int k = -10; k <= 10; k++) sum += Math.Exp(-k * k / (2 * sigma * sigma));
        for (int k = -10; k <= 0; k++) half += Math.Exp(-k * k / (2 * sigma * sigma));
        Assert.Equal(half / sum, blurred.Plane(0)[0], 5);
        // Radius 10 whatever the sigma: pixel 11 gets nothing from the column (3 sigma would reach 9 for sigma 3; it is 10 here).
        Assert.True(blurred.Plane(0)[10] > 0);
        Assert.Equal(0, blurred.Plane(0)[11], 6);
    }

    [Fact]
    public void SevereImagesAreWorseThanMildOnesAndEveryResultIsAJpeg()
    {
        var clean = TestImages.Pattern(96, 80);
        double Mean(MixedSeverity s)
        {
            var rng = new SeededRandom(9);
            double total = 0;
            for (int i = 0; i < 12; i++)
            {
                var d = MixedDegradation.Draw(s, rng);
                var damaged = MixedDegradation.Apply(clean, d, rng.NextUInt64());
                // A real JPEG round trip ends every chain: the values are 8-bit codes.
                Assert.All(damaged.Data, v => Assert.Equal(Math.Round(v * 255), v * 255, 3));
                double se = 0;
                for (int k = 0; k < clean.Data.Length; k++) se += (clean.Data[k] - damaged.Data[k]) * (double)(clean.Data[k] - damaged.Data[k]);
                total += 10 * Math.Log10(clean.Data.Length / se);
            }
            return total / 12;
        }
        double mild = Mean(MixedSeverity.Mild), moderate = Mean(MixedSeverity.Moderate), severe = Mean(MixedSeverity.Severe);
        Assert.True(mild > moderate && moderate > severe, $"mild {mild:0.00}, moderate {moderate:0.00}, severe {severe:0.00} dB");
    }
}
