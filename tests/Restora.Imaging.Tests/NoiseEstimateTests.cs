using Restora.Imaging;

namespace Restora.Imaging.Tests;

public class NoiseEstimateTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(15)]
    [InlineData(25)]
    [InlineData(50)]
    public void Gaussian_noise_on_a_smooth_image_is_estimated_within_ten_percent(double sigma)
    {
        var clean = new Image(256, 256, PixelLayout.Rgb);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 256 * 256; i++)
                clean.Data[c * 65536 + i] = (float)(0.5 + 0.2 * Math.Sin(i % 256 * 0.02 + c) * Math.Cos(i / 256 * 0.03));
        var noisy = Degrade.AddGaussianNoise(clean, sigma, seed: 3, clip: false);
        Assert.InRange(NoiseEstimate.Sigma(noisy), 0.9 * sigma, 1.1 * sigma);
        Assert.InRange(NoiseEstimate.Sigma(clean), 0, 1);
    }
}
