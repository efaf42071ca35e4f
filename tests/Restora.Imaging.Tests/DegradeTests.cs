using Restora.Imaging;

namespace Restora.Imaging.Tests;

public class DegradeTests
{
    static Image Gray(int w, int h, float v)
    {
        var image = new Image(w, h, PixelLayout.Rgb);
        Array.Fill(image.Data, v);
        return image;
    }

    [Fact]
    public void Noise_has_the_requested_sigma_and_zero_mean()
    {
        var noisy = Degrade.AddGaussianNoise(Gray(256, 256, 0.5f), 25, seed: 1, clip: false);
        var d = noisy.Data.Select(v => (v - 0.5) * 255).ToArray();
        double mean = d.Average(), std = Math.Sqrt(d.Select(x => (x - mean) * (x - mean)).Average());
        Assert.InRange(mean, -0.2, 0.2);
        Assert.InRange(std, 24.8, 25.2);
    }

    [Fact]
    public void Noise_is_repeatable_by_seed_and_differs_between_seeds()
    {
        var clean = Gray(70, 130, 0.5f);
        Assert.Equal(Degrade.AddGaussianNoise(clean, 10, 7).Data, Degrade.AddGaussianNoise(clean, 10, 7).Data);
        Assert.NotEqual(Degrade.AddGaussianNoise(clean, 10, 7).Data, Degrade.AddGaussianNoise(clean, 10, 8).Data);
    }

    [Fact]
    public void Noise_does_not_depend_on_the_thread_count()
    {
        var clean = Gray(50, 300, 0.5f);
        int saved = Restora.Core.Compute.Threads;
        try
        {
            Restora.Core.Compute.Threads = 1;
            var one = Degrade.AddGaussianNoise(clean, 15, 3).Data;
            Restora.Core.Compute.Threads = 2;
            Assert.Equal(one, Degrade.AddGaussianNoise(clean, 15, 3).Data);
        }
        finally { Restora.Core.Compute.Threads = saved; }
    }

    [Fact]
    public void Clipped_noise_stays_in_range_and_unclipped_does_not()
    {
        var clean = Gray(64, 64, 0.02f);
        Assert.All(Degrade.AddGaussianNoise(clean, 50, 1).Data, v => Assert.InRange(v, 0f, 1f));
        Assert.Contains(Degrade.AddGaussianNoise(clean, 50, 1, clip: false).Data, v => v < 0);
    }

    [Fact]
    public void Blur_keeps_a_constant_image_and_spreads_a_point_as_a_gaussian()
    {
        Assert.All(Degrade.GaussianBlur(Gray(20, 20, 0.3f), 2).Data, v => Assert.Equal(0.3f, v, 5));
        var point = new Image(21, 21, PixelLayout.Gray);
        point.Data[10 * 21 + 10] = 1;
        var blurred = Degrade.GaussianBlur(point, 1.5);
        double sum = blurred.Data.Sum(v => (double)v);
        Assert.Equal(1.0, sum, 4);
        // Separable Gaussian: the value one pixel right of centre over the centre is exp(-1/(2 sigma^2)).
        Assert.Equal(Math.Exp(-1 / (2 * 1.5 * 1.5)), blurred.Data[10 * 21 + 11] / blurred.Data[10 * 21 + 10], 4);
    }

    [Fact]
    public void Alpha_is_not_blurred_or_noised()
    {
        var image = TestImages.Pattern(16, 16, PixelLayout.Rgba);
        var result = Degrade.Apply(image, new Degradation { BlurSigma = 1, NoiseSigma = 10, Seed = 2 });
        Assert.Equal(image.Plane(3).ToArray(), result.Plane(3).ToArray());
        Assert.NotEqual(image.Plane(0).ToArray(), result.Plane(0).ToArray());
    }

    [Fact]
    public void Downscale_divides_the_size()
    {
        var result = Degrade.Apply(TestImages.Pattern(40, 24), new Degradation { Downscale = 4 });
        Assert.Equal((10, 6), (result.Width, result.Height));
    }

    [Fact]
    public void Jpeg_degradation_is_a_real_lossy_round_trip()
    {
        // Smooth content, so that the error is the quantizer's and not 4:2:0 chroma loss of fine color texture.
        var image = new Image(64, 64, PixelLayout.Rgb);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 64 * 64; i++)
                image.Data[c * 4096 + i] = (float)(0.5 + 0.3 * Math.Sin(i % 64 * 0.15 + c) * Math.Cos(i / 64 * 0.1));
        var q10 = Degrade.Jpeg(image, 10);
        var q95 = Degrade.Jpeg(image, 95);
        double Err(Image x) => image.Data.Zip(x.Data, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(Err(q10) > 2 * Err(q95), $"q10 error {Err(q10)}, q95 error {Err(q95)}");
        Assert.True(Err(q95) > 0);
        Assert.Equal(q10.Data, Degrade.Jpeg(image, 10).Data); // deterministic
    }

    [Theory]
    [InlineData(-1, 1, 0, null)]
    [InlineData(0, 0, 0, null)]
    [InlineData(0, 1, -3, null)]
    [InlineData(0, 1, 0, 101)]
    public void Invalid_settings_are_refused(double blur, int downscale, double noise, int? quality) =>
        Assert.Throws<ArgumentException>(() => Degrade.Apply(Gray(8, 8, 0.5f),
            new Degradation { BlurSigma = blur, Downscale = downscale, NoiseSigma = noise, JpegQuality = quality }));
}
