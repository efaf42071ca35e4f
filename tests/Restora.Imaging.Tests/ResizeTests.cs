using Restora.Imaging;

namespace Restora.Imaging.Tests;

public class ResizeTests
{
    // MATLAB's cubic (a = -0.5) sampled at the offsets x2 upscaling uses: 1.75, 0.75, 0.25, 1.25 (worked by hand).
    static readonly double[] UpX2Weights = [-0.0234375, 0.2265625, 0.8671875, -0.0703125];

    // MATLAB's symmetric padding, 1-based as in imresize: ... 2 1 | 1 2 3 ... n | n n-1 ...
    static int Mirror1(int i, int n) => i < 1 ? 1 - i : i > n ? 2 * n + 1 - i : i;

    [Fact]
    public void Bicubic_x2_upscale_uses_matlab_weights_and_symmetric_border()
    {
        int[] row = [10, 50, 200, 30, 90];
        var image = TestImages.FromCodes(5, 1, PixelLayout.Gray, row);
        var up = Resize.ByFactor(image, 2);
        Assert.Equal((10, 2), (up.Width, up.Height));
        for (int x = 1; x <= 10; x++)
        {
            // Output x (1-based) sits at u = x/2 + 1/4 in input coordinates; taps at floor(u - 2) + 1 .. +4.
            double u = x / 2.0 + 0.25;
            int first = (int)Math.Floor(u - 2) + 1;
            // Which of the two hand-worked phases this output uses.
            double[] w = (x % 2 == 1) ? UpX2Weights : [.. UpX2Weights.Reverse()];
            double expected = 0;
            for (int k = 0; k < 4; k++) expected += w[k] * row[Mirror1(first + k, 5) - 1];
            int code = (int)Math.Floor(Math.Clamp(expected, 0, 255) + 0.5);
            Assert.Equal(code, TestImages.Code(up.Data[x - 1]));
            Assert.Equal(code, TestImages.Code(up.Data[10 + x - 1])); // both output rows: a 1-row input is constant vertically
        }
    }

    [Fact]
    public void Bicubic_halving_is_antialiased_with_the_kernel_stretched_by_two()
    {
        int[] row = [0, 255, 0, 255, 0, 255, 100, 30];
        var image = TestImages.FromCodes(8, 1, PixelLayout.Gray, row);
        var down = Resize.ToSize(image, 4, 1);
        // Shrinking by 2 stretches the cubic to 8 taps: cubic(d/2)/2 at d = ±0.5, ±1.5, ±2.5, ±3.5.
        double[] w = [-0.0234375, -0.0703125, 0.2265625, 0.8671875, 0.8671875, 0.2265625, -0.0703125, -0.0234375];
        for (int x = 1; x <= 4; x++)
        {
            int first = 2 * x - 4; // u = 2x - 1/2, taps at u - 3.5 .. u + 3.5
            double expected = 0;
            for (int k = 0; k < 8; k++) expected += w[k] / 2 * row[Mirror1(first + k, 8) - 1];
            Assert.Equal((int)Math.Floor(Math.Clamp(expected, 0, 255) + 0.5), TestImages.Code(down.Data[x - 1]));
        }
        // An alternating pattern at Nyquist must be smoothed away, not aliased: the first three outputs sit near mid-gray.
        Assert.InRange(TestImages.Code(down.Data[1]), 100, 155);
    }

    [Theory]
    [InlineData(ResizeMethod.Bicubic)]
    [InlineData(ResizeMethod.Bilinear)]
    [InlineData(ResizeMethod.Nearest)]
    [InlineData(ResizeMethod.Lanczos3)]
    public void A_constant_image_stays_constant_at_any_size(ResizeMethod method)
    {
        var image = new Image(13, 7, PixelLayout.Rgb);
        Array.Fill(image.Data, 77 / 255f);
        foreach (var (w, h) in new[] { (26, 14), (5, 3), (40, 9), (13, 7) })
        {
            var r = Resize.ToSize(image, w, h, method);
            Assert.All(r.Data, v => Assert.Equal(77, TestImages.Code(v)));
        }
    }

    [Fact]
    public void Nearest_x2_repeats_every_pixel()
    {
        var image = TestImages.FromCodes(3, 1, PixelLayout.Gray, 10, 20, 30);
        var up = Resize.ByFactor(image, 2, ResizeMethod.Nearest);
        Assert.Equal(new[] { 10, 10, 20, 20, 30, 30 }, up.Data.Take(6).Select(v => TestImages.Code(v)));
    }

    [Fact]
    public void Bilinear_x2_interpolates_with_quarter_weights()
    {
        var image = TestImages.FromCodes(2, 1, PixelLayout.Gray, 0, 200);
        var up = Resize.ByFactor(image, 2, ResizeMethod.Bilinear);
        // u = 0.75, 1.25, 1.75, 2.25 → 0, 50, 150, 200 (the edge repeats symmetrically).
        Assert.Equal(new[] { 0, 50, 150, 200 }, up.Data.Take(4).Select(v => TestImages.Code(v)));
    }

    [Theory]
    [InlineData(5, 1.0 / 3, 2)]
    [InlineData(3, 1.0 / 3, 1)]
    [InlineData(256, 0.25, 64)]
    [InlineData(10, 1.5, 15)]
    [InlineData(7, 0.5, 4)]
    public void Output_size_is_the_ceiling_of_scale_times_size(int size, double scale, int expected) =>
        Assert.Equal(expected, Resize.OutputLength(size, scale));

    [Fact]
    public void Sixteen_bit_images_are_rounded_at_sixteen_bits()
    {
        var image = TestImages.Pattern(9, 6, PixelLayout.Gray, 16);
        var up = Resize.ByFactor(image, 3);
        Assert.Equal(16, up.BitDepth);
        Assert.Contains(up.Data, v => TestImages.Code(v, 65535) % 257 != 0); // not merely 8-bit codes
        Assert.All(up.Data, v => Assert.Equal(v * 65535.0, Math.Round(v * 65535.0), 2));
    }

    [Fact]
    public void Shrink_then_enlarge_keeps_a_smooth_image_close()
    {
        var image = TestImages.Pattern(64, 48);
        var back = Resize.ToSize(Resize.ByFactor(image, 0.5), 64, 48);
        double mse = image.Data.Zip(back.Data, (a, b) => (a - b) * (a - b)).Average();
        Assert.True(10 * Math.Log10(1 / mse) > 20, $"PSNR {10 * Math.Log10(1 / mse):0.0} dB");
    }

    [Fact]
    public void Every_channel_including_alpha_is_resized()
    {
        var image = TestImages.Pattern(8, 8, PixelLayout.Rgba);
        var up = Resize.ByFactor(image, 2);
        Assert.Equal(PixelLayout.Rgba, up.Layout);
        for (int c = 0; c < 4; c++)
        {
            var single = new Image(8, 8, PixelLayout.Gray, 8, image.Plane(c).ToArray());
            Assert.Equal(Resize.ByFactor(single, 2).Data, up.Plane(c).ToArray());
        }
    }
}
