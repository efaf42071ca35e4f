using Restora.Imaging;
using Restora.Models;

namespace Restora.Training.Tests;

public class PatchSamplerTests
{
    static Image Crop(Image image, int x0, int y0, int size)
    {
        var r = new Image(size, size, image.Layout, image.BitDepth);
        for (int c = 0; c < image.Channels; c++)
            for (int y = 0; y < size; y++)
                image.Plane(c).Slice((y0 + y) * image.Width + x0, size).CopyTo(r.Plane(c).Slice(y * size, size));
        return r;
    }

    static void AssertClose(Image expected, Image actual, float tolerance)
    {
        Assert.Equal(expected.Width, actual.Width);
        Assert.Equal(expected.Height, actual.Height);
        float worst = 0;
        for (int i = 0; i < expected.Data.Length; i++) worst = Math.Max(worst, Math.Abs(expected.Data[i] - actual.Data[i]));
        Assert.True(worst <= tolerance, $"largest difference {worst}");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void SrPatchAwayFromTheBorderEqualsDownscalingTheWholeImageThenCropping(int scale)
    {
        var photo = TestData.Photo(96, 96, 1);
        var images = CleanImages.FromImages([("a.png", photo)], 3);
        var sampler = new PatchSampler(images, DegradationSpec.For(RestorationTask.SuperResolution, ("scale", scale.ToString())), 8 * scale, upsampleInput: false);
        int x = 4 * scale, y = 5 * scale;
        var pair = sampler.Make(images.Images[0], x, y, symmetry: 0, new SeededRandom(1));
        var wholeLr = Resize.ByFactor(photo, 1.0 / scale);
        AssertClose(Crop(wholeLr, x / scale, y / scale, 8), pair.Input, 0);
        AssertClose(Crop(photo, x, y, 8 * scale), pair.Target, 0);
    }

    [Fact]
    public void SrForSameSizeNetworksFeedsTheBicubicUpscaledPatch()
    {
        var photo = TestData.Photo(96, 96, 2);
        var images = CleanImages.FromImages([("a.png", photo)], 3);
        var sampler = new PatchSampler(images, DegradationSpec.For(RestorationTask.SuperResolution, ("scale", 2.ToString())), 24, upsampleInput: true);
        Assert.Equal(24, sampler.InputSize);
        var pair = sampler.Make(images.Images[0], 30, 30, 0, new SeededRandom(1));
        var expected = Crop(Resize.ByFactor(Resize.ByFactor(photo, 0.5), 2), 30, 30, 24);
        AssertClose(expected, pair.Input, 0);
    }

    [Fact]
    public void DeblurPatchAwayFromTheBorderEqualsBlurringTheWholeImage()
    {
        var photo = TestData.Photo(80, 80, 3);
        var images = CleanImages.FromImages([("a.png", photo)], 3);
        var spec = DegradationSpec.For(RestorationTask.Deblur, ("blur", "1.5"), ("deblur-noise", "0"));
        var pair = new PatchSampler(images, spec, 16, false).Make(images.Images[0], 30, 28, 0, new SeededRandom(1));
        AssertClose(Crop(Degrade.GaussianBlur(photo, 1.5), 30, 28, 16), pair.Input, 1e-6f);
    }

    [Fact]
    public void DenoiseAddsUnclippedNoiseOfTheDrawnSigmaAndReportsIt()
    {
        var images = TestData.Images(2, 64);
        var spec = DegradationSpec.For(RestorationTask.Denoise, ("sigma", "10,50"));
        var sampler = new PatchSampler(images, spec, 48, false);
        var pair = sampler.Sample(new SeededRandom(5));
        double sigma = pair.NoiseLevel * 255;
        Assert.InRange(sigma, 10, 50);
        double sq = 0;
        for (int i = 0; i < pair.Input.Data.Length; i++) sq += Math.Pow(pair.Input.Data[i] - pair.Target.Data[i], 2);
        double measured = Math.Sqrt(sq / pair.Input.Data.Length) * 255;
        Assert.InRange(measured, sigma * 0.9, sigma * 1.1);
        Assert.Contains(pair.Input.Data, v => v < 0 || v > 1);
    }

    [Fact]
    public void DeblockInputIsARealJpegOfTheTarget()
    {
        var images = TestData.Images(1, 64);
        var spec = DegradationSpec.For(RestorationTask.Deblock, ("quality", "10"));
        var pair = new PatchSampler(images, spec, 32, false).Make(images.Images[0], 0, 0, 0, new SeededRandom(1));
        var expected = Degrade.Jpeg(pair.Target, 10);
        AssertClose(expected, pair.Input, 0);
        Assert.NotEqual(pair.Target.Data, pair.Input.Data);
    }

    [Fact]
    public void TheEightSymmetriesAreDistinctRearrangementsOfOnePatch()
    {
        var images = TestData.Images(1, 64);
        var sampler = new PatchSampler(images, DegradationSpec.For(RestorationTask.Deblock), 16, false);
        var patches = Enumerable.Range(0, 8).Select(k => sampler.Make(images.Images[0], 20, 20, k, new SeededRandom(1)).Target.Data).ToList();
        var reference = patches[0].Order().ToArray();
        Assert.All(patches, p => Assert.Equal(reference, p.Order().ToArray()));
        Assert.Equal(8, patches.Select(p => string.Join(",", p)).Distinct().Count());
    }

    [Fact]
    public void SameSeedSamePairOtherSeedOtherPair()
    {
        var images = TestData.Images(3, 64);
        var sampler = new PatchSampler(images, DegradationSpec.For(RestorationTask.Denoise, ("sigma", "5,50")), 32, false);
        var a = sampler.Sample(new SeededRandom(9));
        var b = sampler.Sample(new SeededRandom(9));
        var c = sampler.Sample(new SeededRandom(10));
        Assert.Equal(a.Input.Data, b.Input.Data);
        Assert.Equal(a.Target.Data, b.Target.Data);
        Assert.NotEqual(a.Input.Data, c.Input.Data);
    }

    [Fact]
    public void SrPatchThatIsNotAMultipleOfTheScaleIsRejected()
    {
        var images = TestData.Images(1, 64);
        var e = Assert.Throws<ArgumentException>(() =>
            new PatchSampler(images, DegradationSpec.For(RestorationTask.SuperResolution, ("scale", 3.ToString())), 32, false));
        Assert.Contains("multiple of the scale", e.Message);
    }

    [Fact]
    public void OneChannelNetworksTrainOnMatlabY()
    {
        var photo = TestData.Photo(40, 40, 4);
        var images = CleanImages.FromImages([("a.png", photo)], 1);
        var y = Color.Luma(photo);
        Assert.Equal((byte)Image.ToCode((float)y[7 * 40 + 3], 255), images.Images[0].Codes[7 * 40 + 3]);
    }

    [Fact]
    public void BlindNoiseRangeMayStartAtZeroButAFixedSigmaMustBePositive()
    {
        DegradationSpec.For(RestorationTask.Denoise, ("sigma", "0,55"));
        Assert.Throws<ArgumentException>(() => DegradationSpec.For(RestorationTask.Denoise, ("sigma", "0")));
    }
}
