using Restora.Imaging;

namespace Restora.Imaging.Tests;

public class ColorTests
{
    [Theory]
    // R, G, B (0..255) -> Y, Cb, Cr (0..255) from MATLAB's documented matrix.
    [InlineData(255, 0, 0, 81.481, 90.203, 240.0)]
    [InlineData(0, 255, 0, 144.553, 53.797, 34.214)]
    [InlineData(0, 0, 255, 40.966, 240.0, 109.786)]
    [InlineData(255, 255, 255, 235.0, 128.0, 128.0)]
    [InlineData(0, 0, 0, 16.0, 128.0, 128.0)]
    public void Rgb2ycbcr_matches_matlab_for_primaries(int r, int g, int b, double y, double cb, double cr)
    {
        var image = TestImages.FromCodes(1, 1, PixelLayout.Rgb, r, g, b);
        var ycc = Color.RgbToYCbCr(image);
        Assert.Equal(y, ycc.Data[0] * 255.0, 3);
        Assert.Equal(cb, ycc.Data[1] * 255.0, 3);
        Assert.Equal(cr, ycc.Data[2] * 255.0, 3);
        Assert.Equal(y, Color.Luma(image)[0] * 255.0, 4);
    }

    [Fact]
    public void Ycbcr2rgb_inverts_rgb2ycbcr()
    {
        var image = TestImages.Pattern(17, 9, PixelLayout.Rgba);
        var back = Color.YCbCrToRgb(Color.RgbToYCbCr(image));
        for (int i = 0; i < image.Data.Length; i++) Assert.Equal(image.Data[i], back.Data[i], 5);
    }

    [Fact]
    public void Luma_of_a_gray_image_is_that_of_equal_rgb()
    {
        var gray = TestImages.FromCodes(2, 1, PixelLayout.Gray, 0, 200);
        Assert.Equal(new[] { 16 / 255.0, (16 + 219 * 200 / 255.0) / 255 }, Color.Luma(gray), new ToleranceComparer(1e-7));
    }

    sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double d) => 0;
    }
}
