namespace Restora.Imaging.Tests.Codecs;

public class WebPCodecTests
{
    [Theory]
    [InlineData(PixelLayout.Rgb)]
    [InlineData(PixelLayout.Rgba)]
    public void Lossless_RoundTripIsExact(PixelLayout layout)
    {
        var image = TestImages.RandomCodes(33, 17, layout, 8);
        if (layout == PixelLayout.Rgba)
            image.Plane(3)[..40].Fill(0); // fully transparent pixels keep their color too (WebPConfig.exact)

        var webp = ImageFile.Encode(image, ImageFormat.WebP, new EncodeOptions { Lossless = true });

        Assert.Equal(ImageFormat.WebP, ImageFile.Sniff(webp));
        TestImages.AssertSameCodes(image, ImageFile.Decode(webp));
    }

    [Fact]
    public void Lossy_RoundTripIsCloseAndSmallerThanLossless()
    {
        var image = TestImages.Smooth(64, 64, PixelLayout.Rgb);

        var lossy = ImageFile.Encode(image, ImageFormat.WebP, new EncodeOptions { Quality = 90 });
        var lossless = ImageFile.Encode(image, ImageFormat.WebP, new EncodeOptions { Lossless = true });
        var decoded = ImageFile.Decode(lossy);

        Assert.Equal(PixelLayout.Rgb, decoded.Layout);
        Assert.True(lossy.Length < lossless.Length, $"lossy {lossy.Length} bytes, lossless {lossless.Length}");
        double error = TestImages.MeanAbsCodeDifference(image, decoded, 3);
        Assert.True(error is > 0 and < 3, $"mean error {error} codes");
    }

    [Fact]
    public void LossyWithAlpha_KeepsTheAlphaChannel()
    {
        var image = TestImages.Smooth(48, 32, PixelLayout.Rgba);
        for (int i = 0; i < image.PixelCount; i++) image.Plane(3)[i] = i % 48 < 24 ? 1f : 64 / 255f;

        var decoded = ImageFile.Decode(ImageFile.Encode(image, ImageFormat.WebP, new EncodeOptions { Quality = 90 }));

        Assert.Equal(PixelLayout.Rgba, decoded.Layout);
        Assert.Equal(0, TestImages.MaxCodeDifference(image.WithAlphaOnly(), decoded.WithAlphaOnly(), 1));
        Assert.True(TestImages.MeanAbsCodeDifference(image, decoded, 3) < 4);
    }

    [Fact]
    public void QualityChangesLossyOutput()
    {
        var image = TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8);

        var low = ImageFile.Encode(image, ImageFormat.WebP, new EncodeOptions { Quality = 5 });
        var high = ImageFile.Encode(image, ImageFormat.WebP, new EncodeOptions { Quality = 95 });

        Assert.True(low.Length < high.Length / 2, $"q5 {low.Length} bytes, q95 {high.Length} bytes");
    }

    [Theory]
    [InlineData(PixelLayout.Gray, PixelLayout.Rgb)]
    [InlineData(PixelLayout.GrayAlpha, PixelLayout.Rgba)]
    public void Gray_IsExpandedToRgb(PixelLayout layout, PixelLayout expected)
    {
        var image = TestImages.RandomCodes(20, 10, layout, 8);

        var decoded = ImageFile.Decode(ImageFile.Encode(image, ImageFormat.WebP, new EncodeOptions { Lossless = true }));

        Assert.Equal(expected, decoded.Layout);
        TestImages.AssertSameCodes(image.ToRgb(), decoded);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_IsRefusedAsTruncated(bool lossless)
    {
        var webp = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), ImageFormat.WebP,
            new EncodeOptions { Lossless = lossless });

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(webp.AsSpan(0, webp.Length / 2)));

        Assert.StartsWith("truncated WebP: ", e.Message);
    }

    [Fact]
    public void HugeHeader_IsRefusedBeforeAllocatingPixels()
    {
        var webp = ImageFile.Encode(new Image(2, 2, PixelLayout.Rgb), ImageFormat.WebP, new EncodeOptions { Lossless = true });
        Assert.Equal("VP8L"u8.ToArray(), webp[12..16]);
        // VP8L header after the 0x2f signature byte at 20: 14 bits width-1, 14 bits height-1, then flags.
        uint bits = BitConverter.ToUInt32(webp, 21);
        bits = (bits & 0xF000_0000) | 15999u | 15999u << 14;
        BitConverter.GetBytes(bits).CopyTo(webp, 21);
        Assert.Throws<ImageFormatException>(() => ImageFile.Decode(webp)); // warm-up

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(webp));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("WebP image is 16000x16000 = 256 megapixels, over the limit of 100 megapixels (--max-pixels)", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void WiderThanWebPAllows_FailsWithLibwebpsReason()
    {
        var e = Assert.Throws<ImageFormatException>(() =>
            ImageFile.Encode(new Image(16384, 1, PixelLayout.Rgb), ImageFormat.WebP));

        Assert.Contains("VP8_ENC_ERROR_BAD_DIMENSION", e.Message);
    }
}

internal static class AlphaExtensions
{
    public static Image WithAlphaOnly(this Image image)
    {
        var alpha = new Image(image.Width, image.Height, PixelLayout.Gray, image.BitDepth);
        image.Plane(image.Channels - 1).CopyTo(alpha.Data);
        return alpha;
    }
}
