using Restora.Imaging;

namespace Restora.Metrics.Tests;

/// <summary>Cases whose answer follows from the definitions, plus the argument checks.</summary>
public class KnownAnswerTests
{
    [Fact]
    public void Identical_images_score_infinity_and_one()
    {
        var (r, _) = TestImages.Pair(170, 165, 3, 10);
        var copy = r.Clone();
        Assert.Equal(double.PositiveInfinity, FullReference.Psnr(r, copy));
        // x == y makes numerator and denominator the same floating-point expressions, so exactly 1.
        Assert.Equal(1.0, FullReference.Ssim(r, copy));
        Assert.Equal(1.0, FullReference.Ssim(r, copy, new MetricOptions { OnY = true, Shave = 4 }));
        Assert.Equal(1.0, FullReference.MsSsim(r, copy));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(20)]
    public void Constant_offset_gives_20_log10_of_255_over_d(int d)
    {
        var r = TestImages.FromCodes(40, 30, 3, (x, y, c) => TestImages.BasePattern(x, y, c) % (256 - d));
        var t = TestImages.FromCodes(40, 30, 3, (x, y, c) => TestImages.BasePattern(x, y, c) % (256 - d) + d);
        // v/255 is rounded to float32, so the offset is d/255 only to ~1e-7 relative: ~1e-6 dB.
        Assert.Equal(20 * Math.Log10(255.0 / d), FullReference.Psnr(r, t), 1e-5);
    }

    [Fact]
    public void Constant_offset_with_exactly_representable_samples_is_exact()
    {
        // 0.25 and 0.375 are exact in float32: d = 0.125 on 0..1, i.e. 31.875 on 0..255, PSNR = 20 log10(8).
        var r = new Image(33, 21, PixelLayout.Rgb);
        var t = new Image(33, 21, PixelLayout.Rgb);
        Array.Fill(r.Data, 0.25f);
        Array.Fill(t.Data, 0.375f);
        Assert.Equal(20 * Math.Log10(8), FullReference.Psnr(r, t), 12);
    }

    [Fact]
    public void Shave_removes_the_border()
    {
        var (r, _) = TestImages.Pair(60, 50, 3, 10);
        var t = r.Clone();
        for (int c = 0; c < 3; c++)
        {
            var plane = t.Plane(c);
            for (int y = 0; y < 50; y++)
                for (int x = 0; x < 60; x++)
                    if (x < 3 || y < 3 || x >= 57 || y >= 47) plane[y * 60 + x] = 1 - plane[y * 60 + x];
        }
        Assert.True(double.IsFinite(FullReference.Psnr(r, t, new MetricOptions { Shave = 2 })));
        Assert.Equal(double.PositiveInfinity, FullReference.Psnr(r, t, new MetricOptions { Shave = 3 }));
        Assert.Equal(double.PositiveInfinity, FullReference.Psnr(r, t, new MetricOptions { Shave = 3, OnY = true }));
        Assert.Equal(1.0, FullReference.Ssim(r, t, new MetricOptions { Shave = 3 }));
        Assert.True(FullReference.Ssim(r, t, new MetricOptions { Shave = 2 }) < 1);
    }

    [Fact]
    public void Shave_equals_cropping_by_hand()
    {
        var (r, t) = TestImages.Pair(61, 47, 3, 25);
        Image Crop(Image im, int s)
        {
            var result = new Image(im.Width - 2 * s, im.Height - 2 * s, im.Layout);
            for (int c = 0; c < im.Channels; c++)
                for (int y = 0; y < result.Height; y++)
                    im.Plane(c).Slice((y + s) * im.Width + s, result.Width).CopyTo(result.Plane(c).Slice(y * result.Width));
            return result;
        }
        var o = new MetricOptions { Shave = 5, OnY = true };
        var plain = new MetricOptions { OnY = true };
        Assert.Equal(FullReference.Ssim(Crop(r, 5), Crop(t, 5), plain), FullReference.Ssim(r, t, o));
        Assert.Equal(FullReference.Psnr(Crop(r, 5), Crop(t, 5), plain), FullReference.Psnr(r, t, o));
        Assert.Equal(FullReference.PsnrB(Crop(r, 5), Crop(t, 5), plain), FullReference.PsnrB(r, t, o));
    }

    [Theory]
    [InlineData(29, 23)]
    [InlineData(2 * SsimCore.StripColumns + 10 + 37, 19)] // two full column strips and a partial one
    public void Ssim_matches_a_direct_two_dimensional_window_sum(int width, int height)
    {
        var (r, t) = TestImages.Pair(width, height, 1, 40);
        Assert.Equal(DirectSsim(r, t), FullReference.Ssim(r, t), 1e-12);
    }

    /// <summary>An independent, obviously-correct O(121) per pixel evaluation of ssim_index.m, on 0..255 with L = 255.</summary>
    static double DirectSsim(Image r, Image t)
    {
        int width = r.Width, height = r.Height;
        double[] w1 = new double[11];
        double s = 0;
        for (int k = 0; k < 11; k++) { w1[k] = Math.Exp(-((k - 5) * (k - 5)) / (2 * 1.5 * 1.5)); s += w1[k]; }
        double c1 = Math.Pow(0.01 * 255, 2), c2 = Math.Pow(0.03 * 255, 2), total = 0;
        int ow = width - 10, oh = height - 10;
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
                for (int j = 0; j < 11; j++)
                    for (int i = 0; i < 11; i++)
                    {
                        double wgt = w1[j] / s * (w1[i] / s);
                        double a = 255.0 * r.Data[(oy + j) * width + ox + i], b = 255.0 * t.Data[(oy + j) * width + ox + i];
                        mx += wgt * a; my += wgt * b; xx += wgt * a * a; yy += wgt * b * b; xy += wgt * a * b;
                    }
                total += (2 * mx * my + c1) * (2 * (xy - mx * my) + c2) / ((mx * mx + my * my + c1) * (xx - mx * mx + yy - my * my + c2));
            }
        return total / (ow * oh);
    }

    [Fact]
    public void MsSsim_decreases_as_noise_grows()
    {
        double previous = 1.0;
        foreach (int amplitude in new[] { 2, 5, 10, 20, 40, 80 })
        {
            var (r, t) = TestImages.Pair(180, 170, 3, amplitude);
            double score = FullReference.MsSsim(r, t);
            Assert.True(score < previous, $"MS-SSIM at noise ±{amplitude} is {score}, not below {previous}");
            Assert.InRange(score, 0.0, 1.0);
            previous = score;
        }
    }

    [Fact]
    public void MsSsim_needs_161_pixels_on_the_smaller_side()
    {
        var (r, t) = TestImages.Pair(200, 160, 1, 10);
        var error = Assert.Throws<ArgumentException>(() => FullReference.MsSsim(r, t));
        Assert.Contains("200x160", error.Message);
        var (r2, t2) = TestImages.Pair(161, 161, 1, 10);
        Assert.InRange(FullReference.MsSsim(r2, t2), 0.0, 1.0);
        // Shaving counts: 170 - 2*5 = 160 is too small.
        var (r3, t3) = TestImages.Pair(170, 170, 1, 10);
        Assert.Throws<ArgumentException>(() => FullReference.MsSsim(r3, t3, new MetricOptions { Shave = 5 }));
    }

    [Fact]
    public void Ssim_needs_one_full_window()
    {
        var (r, t) = TestImages.Pair(10, 30, 3, 10);
        Assert.Throws<ArgumentException>(() => FullReference.Ssim(r, t));
        var (r2, t2) = TestImages.Pair(11, 11, 3, 10);
        Assert.InRange(FullReference.Ssim(r2, t2), -1.0, 1.0);
    }

    // ---- PSNR-B -----------------------------------------------------------------------------------------

    [Fact]
    public void PsnrB_blocking_factor_of_a_hand_computed_image()
    {
        // 16x16 gray, left block column 0.25, right 0.75. Only the 16 horizontal pairs straddling x = 7|8 differ:
        // D_B = 16·0.25 / (16 + 16) = 0.125, D_B̄ = 0, η = log2 8 / log2 16 = 0.75, BEF = 0.09375.
        var image = new Image(16, 16, PixelLayout.Gray);
        for (int y = 0; y < 16; y++)
            for (int x = 0; x < 16; x++) image.Data[y * 16 + x] = x < 8 ? 0.25f : 0.75f;
        // The factor belongs to the test image alone, so even identical images score a finite PSNR-B.
        Assert.Equal(10 * Math.Log10(1 / 0.09375), FullReference.PsnrB(image, image.Clone()), 12);
        Assert.Equal(double.PositiveInfinity, FullReference.Psnr(image, image.Clone()));
    }

    [Fact]
    public void PsnrB_equals_psnr_when_the_test_image_is_no_blockier_across_boundaries()
    {
        // Test image: a ramp that is flat across every block boundary (D_B = 0 < D_B̄), so BEF = 0.
        var test = TestImages.FromCodes(64, 56, 1, (x, y, _) => 2 * (x - x / 8) + 3 * (y - y / 8));
        var reference = TestImages.FromCodes(64, 56, 1, (x, y, c) => 2 * (x - x / 8) + 3 * (y - y / 8) + TestImages.Noise(x, y, c, 6));
        Assert.Equal(FullReference.Psnr(reference, test), FullReference.PsnrB(reference, test));
    }

    [Fact]
    public void PsnrB_penalizes_a_blocky_test_image_even_when_the_error_has_no_block_structure()
    {
        // The brief's guess "PSNR-B = PSNR when the error has no block-boundary structure" does not follow from the
        // definition: BEF is measured on the test image. Here the reference itself is blocky and the error is
        // position-independent hash noise, yet PSNR-B < PSNR.
        var (_, blockyBase) = TestImages.Blocky(64, 64, 1);
        var reference = blockyBase;
        var test = TestImages.FromCodes(64, 64, 1, (x, y, c) => (int)Math.Round(reference.Data[y * 64 + x] * 255) + TestImages.Noise(x, y, c, 3));
        double psnr = FullReference.Psnr(reference, test), psnrB = FullReference.PsnrB(reference, test);
        Assert.True(psnrB < psnr - 1, $"PSNR-B {psnrB} should be well below PSNR {psnr}");
    }

    [Fact]
    public void PsnrB_never_exceeds_psnr_on_one_plane()
    {
        foreach (var (r, t) in new[] { TestImages.Pair(67, 53, 1, 20), TestImages.Blocky(64, 48, 1), TestImages.Pair(40, 41, 1, 3) })
            Assert.True(FullReference.PsnrB(r, t) <= FullReference.Psnr(r, t));
        var (rgb, rgbTest) = TestImages.Blocky(64, 48, 3);
        var y = new MetricOptions { OnY = true };
        Assert.True(FullReference.PsnrB(rgb, rgbTest, y) <= FullReference.Psnr(rgb, rgbTest, y));
    }

    [Fact]
    public void PsnrB_on_rgb_is_the_mean_of_per_channel_values()
    {
        var (r, t) = TestImages.Pair(48, 40, 3, 15);
        double sum = 0;
        for (int c = 0; c < 3; c++) sum += FullReference.PsnrB(SingleChannel(r, c), SingleChannel(t, c));
        Assert.Equal(sum / 3, FullReference.PsnrB(r, t), 12);
    }

    // ---- argument checks ---------------------------------------------------------------------------------

    [Fact]
    public void Different_sizes_are_refused_with_both_sizes_in_the_message()
    {
        var a = new Image(67, 53, PixelLayout.Rgb);
        var b = new Image(66, 53, PixelLayout.Rgb);
        foreach (var metric in new Func<Image, Image, MetricOptions?, double>[] { FullReference.Psnr, FullReference.Ssim, FullReference.MsSsim, FullReference.PsnrB })
        {
            var error = Assert.Throws<ArgumentException>(() => metric(a, b, null));
            Assert.Contains("67x53", error.Message);
            Assert.Contains("66x53", error.Message);
        }
    }

    [Fact]
    public void Gray_against_rgb_is_refused()
    {
        var gray = new Image(20, 20, PixelLayout.Gray);
        var rgb = new Image(20, 20, PixelLayout.Rgb);
        Assert.Throws<ArgumentException>(() => FullReference.Psnr(gray, rgb));
        Assert.Throws<ArgumentException>(() => FullReference.Ssim(rgb, gray));
        Assert.Throws<ArgumentException>(() => FullReference.Compute(gray, rgb, ["psnr"]));
    }

    [Fact]
    public void Alpha_is_ignored()
    {
        var (r, t) = TestImages.Pair(48, 44, 3, 12);
        var ra = TestImages.WithAlpha(r, 0.37f);
        var ta = TestImages.WithAlpha(t, 0.91f);
        Assert.Equal(FullReference.Psnr(r, t), FullReference.Psnr(ra, ta));
        Assert.Equal(FullReference.Ssim(r, t), FullReference.Ssim(ra, t));
        Assert.Equal(FullReference.PsnrB(r, t), FullReference.PsnrB(r, ta));
        var (g, gt) = TestImages.Pair(30, 30, 1, 12);
        Assert.Equal(FullReference.Ssim(g, gt), FullReference.Ssim(TestImages.WithAlpha(g, 0.5f), gt));
    }

    [Fact]
    public void Shave_that_leaves_nothing_is_refused()
    {
        var (r, t) = TestImages.Pair(20, 30, 3, 12);
        Assert.Throws<ArgumentException>(() => FullReference.Psnr(r, t, new MetricOptions { Shave = 10 }));
        Assert.ThrowsAny<ArgumentException>(() => FullReference.Psnr(r, t, new MetricOptions { Shave = -1 }));
    }

    [Fact]
    public void Compute_accepts_names_and_aliases_case_insensitively()
    {
        var (r, t) = TestImages.Pair(170, 165, 3, 10);
        var scores = FullReference.Compute(r, t, ["PSNR", "ssim", "msssim", "ms-ssim", "psnrb"]);
        Assert.Equal(["psnr", "ssim", "ms-ssim", "psnr-b"], scores.Keys.ToArray());
        Assert.Equal(FullReference.Psnr(r, t), scores["psnr"]);
        Assert.Equal(FullReference.Ssim(r, t), scores["ssim"]);
        Assert.Equal(FullReference.MsSsim(r, t), scores["ms-ssim"]);
        Assert.Equal(FullReference.PsnrB(r, t), scores["psnr-b"]);
    }

    [Fact]
    public void Compute_refuses_an_unknown_name_and_lists_the_known_ones()
    {
        var (r, t) = TestImages.Pair(20, 20, 3, 12);
        var error = Assert.Throws<ArgumentException>(() => FullReference.Compute(r, t, ["psnr", "lpips"]));
        Assert.Contains("lpips", error.Message);
        foreach (var known in MetricRegistry.Metrics.Names) Assert.Contains(known, error.Message);
    }

    static Image SingleChannel(Image image, int channel)
    {
        var result = new Image(image.Width, image.Height, PixelLayout.Gray);
        image.Plane(channel).CopyTo(result.Data);
        return result;
    }
}
