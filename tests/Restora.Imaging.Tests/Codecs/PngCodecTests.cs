using Restora.Imaging.Codecs;
using static Restora.Imaging.Codecs.SpngNative;

namespace Restora.Imaging.Tests.Codecs;

public unsafe class PngCodecTests
{
    [Theory]
    [InlineData(PixelLayout.Gray, 8)]
    [InlineData(PixelLayout.GrayAlpha, 8)]
    [InlineData(PixelLayout.Rgb, 8)]
    [InlineData(PixelLayout.Rgba, 8)]
    [InlineData(PixelLayout.Gray, 16)]
    [InlineData(PixelLayout.GrayAlpha, 16)]
    [InlineData(PixelLayout.Rgb, 16)]
    [InlineData(PixelLayout.Rgba, 16)]
    public void RoundTrip_IsExact_ForEveryLayoutAndDepth(PixelLayout layout, int bitDepth)
    {
        var image = TestImages.RandomCodes(37, 19, layout, bitDepth);

        var decoded = ImageFile.Decode(ImageFile.Encode(image, ImageFormat.Png));

        TestImages.AssertSameCodes(image, decoded);
    }

    [Fact]
    public void Encode16Bit_StoresSamplesBigEndianInTheFile()
    {
        var image = new Image(1, 1, PixelLayout.Gray, 16);
        image.Data[0] = 0x0102 / 65535f;

        var scanline = TestImages.InflateIdat(ImageFile.Encode(image, ImageFormat.Png));

        Assert.Equal(new byte[] { 0 /* filter: none */, 0x01, 0x02 }, scanline);
    }

    [Fact]
    public void Encode_WritesTheImagesOwnDepth_UnlessOptionsSayOtherwise()
    {
        var image = TestImages.RandomCodes(8, 8, PixelLayout.Rgb, 16);

        var ownDepth = ImageFile.Decode(ImageFile.Encode(image, ImageFormat.Png));
        var eightBit = ImageFile.Decode(ImageFile.Encode(image, ImageFormat.Png, new EncodeOptions { BitDepth = 8 }));

        Assert.Equal(16, ownDepth.BitDepth);
        Assert.Equal(8, eightBit.BitDepth);
        TestImages.AssertSameCodes(image.Clone().Quantize(8).WithBitDepth(8), eightBit);
    }

    [Fact]
    public void PaletteWithTrns_DecodesToRgba()
    {
        var png = EncodeRaw(new Ihdr { Width = 3, Height = 1, BitDepth = 8, ColorType = ColorIndexed },
            [0, 1, 2], palette: [(255, 0, 0), (0, 128, 0), (10, 20, 30)], alpha: [100, 255]);

        var image = ImageFile.Decode(png);

        Assert.Equal(PixelLayout.Rgba, image.Layout);
        Assert.Equal(8, image.BitDepth);
        Assert.Equal(new[] { 255, 0, 0, 100 }, Pixel(image, 0));
        Assert.Equal(new[] { 0, 128, 0, 255 }, Pixel(image, 1));
        Assert.Equal(new[] { 10, 20, 30, 255 }, Pixel(image, 2)); // beyond the tRNS entries: opaque
    }

    [Fact]
    public void PaletteWithoutTrns_DecodesToRgb()
    {
        var png = EncodeRaw(new Ihdr { Width = 2, Height = 1, BitDepth = 8, ColorType = ColorIndexed },
            [1, 0], palette: [(1, 2, 3), (200, 100, 50)]);

        var image = ImageFile.Decode(png);

        Assert.Equal(PixelLayout.Rgb, image.Layout);
        Assert.Equal(new[] { 200, 100, 50 }, Pixel(image, 0));
        Assert.Equal(new[] { 1, 2, 3 }, Pixel(image, 1));
    }

    [Theory]
    [InlineData(1, new byte[] { 0b1010_0000 }, new[] { 255, 0, 255 })]
    [InlineData(2, new byte[] { 0b0001_1011 }, new[] { 0, 85, 170, 255 })]
    [InlineData(4, new byte[] { 0x0F, 0x50 }, new[] { 0, 255, 85 })]
    public void LowBitGray_ExpandsToFullRange8Bit(byte bitDepth, byte[] packed, int[] expected)
    {
        var png = EncodeRaw(new Ihdr { Width = (uint)expected.Length, Height = 1, BitDepth = bitDepth, ColorType = ColorGray }, packed);

        var image = ImageFile.Decode(png);

        Assert.Equal(PixelLayout.Gray, image.Layout);
        Assert.Equal(8, image.BitDepth);
        Assert.Equal(expected, image.Data.Select(v => Image.ToCode(v, 255)).ToArray());
    }

    [Fact]
    public void RgbWithTrns_TurnsTheKeyColorTransparent()
    {
        var trns = new Trns { Red = 1, Green = 2, Blue = 3 };
        var png = EncodeRaw(new Ihdr { Width = 2, Height = 1, BitDepth = 8, ColorType = ColorRgb },
            [1, 2, 3, 4, 5, 6], trns: trns);

        var image = ImageFile.Decode(png);

        Assert.Equal(PixelLayout.Rgba, image.Layout);
        Assert.Equal(new[] { 1, 2, 3, 0 }, Pixel(image, 0));
        Assert.Equal(new[] { 4, 5, 6, 255 }, Pixel(image, 1));
    }

    [Fact]
    public void Gray16WithTrns_BecomesGrayAlpha16()
    {
        var trns = new Trns { Gray = 0x1234 };
        var png = EncodeRaw(new Ihdr { Width = 2, Height = 1, BitDepth = 16, ColorType = ColorGray },
            [0x12, 0x34, 0xAB, 0xCD], trns: trns, rawBigEndian: true);

        var image = ImageFile.Decode(png);

        Assert.Equal(PixelLayout.GrayAlpha, image.Layout);
        Assert.Equal(16, image.BitDepth);
        Assert.Equal(new[] { 0x1234, 0xABCD, 0, 65535 }, image.Data.Select(v => Image.ToCode(v, 65535)).ToArray());
    }

    [Fact]
    public void Adam7Interlaced_IsDeinterlaced()
    {
        var image = TestImages.RandomCodes(13, 11, PixelLayout.Rgb, 8);
        var samples = new byte[13 * 11 * 3];
        Restora.Imaging.Codecs.PixelPacking.FromPlanar(image, [0, 1, 2], samples);
        var png = EncodeRaw(new Ihdr { Width = 13, Height = 11, BitDepth = 8, ColorType = ColorRgb, InterlaceMethod = 1 }, samples);
        Assert.Equal(1, png[TestImages.FindChunk(png, "IHDR") + 8 + 12]); // really interlaced

        TestImages.AssertSameCodes(image, ImageFile.Decode(png));
    }

    [Fact]
    public void TruncatedMidIdat_IsRefusedAsTruncated()
    {
        var png = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), ImageFormat.Png);
        int idat = TestImages.FindChunk(png, "IDAT");

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(png.AsSpan(0, idat + 100)));

        Assert.StartsWith("truncated PNG: ", e.Message);
    }

    [Fact]
    public void DamagedIdatCrc_IsRefusedAsCorrupt()
    {
        var png = ImageFile.Encode(TestImages.RandomCodes(16, 16, PixelLayout.Rgb, 8), ImageFormat.Png);
        png[TestImages.FindChunk(png, "IDAT") + 20] ^= 0xFF;

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(png));

        Assert.StartsWith("corrupt PNG: ", e.Message);
    }

    [Theory]
    [InlineData("iCCP")]
    [InlineData("zTXt")]
    [InlineData("iTXt")]
    public void CompressedChunkBomb_IsRefusedInsteadOfInflated(string type)
    {
        // 48 MB of zeros deflate to about 50 KB: a small file whose profile or text would inflate a thousandfold.
        var zeros = TestImages.Deflate(new byte[48 << 20]);
        byte[] header = type switch
        {
            "iCCP" => [.. "ICC profile"u8, 0, 0],     // name, compression method 0
            "zTXt" => [.. "Comment"u8, 0, 0],         // keyword, compression method 0
            _ => [.. "XML:com.adobe.xmp"u8, 0, 1, 0, 0, 0], // keyword, compressed, method 0, no language or translation
        };
        var png = TestImages.WithPngChunk(ImageFile.Encode(new Image(2, 2, PixelLayout.Rgb), ImageFormat.Png), type, [.. header, .. zeros]);
        Assert.True(png.Length < 100_000);

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(png));

        Assert.StartsWith("corrupt PNG: ", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void HugeHeader_IsRefusedBeforeAllocatingPixels()
    {
        var png = TestImages.WithPngSize(ImageFile.Encode(new Image(1, 1, PixelLayout.Rgb), ImageFormat.Png), 20000, 20000);
        ImageFile.Sniff(png); // warm up code paths so their one-time allocations don't count
        Assert.Throws<ImageFormatException>(() => ImageFile.Decode(png));

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(png));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("PNG image is 20000x20000 = 400 megapixels, over the limit of 100 megapixels (--max-pixels)", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void ReadMetadata_RefusesAHugeHeaderAsLoadingDoes()
    {
        // Reading only the metadata still decodes the pixels, so it needs the same limit before it allocates.
        var png = TestImages.WithPngSize(ImageFile.Encode(new Image(1, 1, PixelLayout.Rgb), ImageFormat.Png), 30000, 30000);

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.ReadMetadata(png));

        Assert.Contains("over the limit of 100 megapixels", e.Message);
    }

    [Fact]
    public void MaxPixels_IsTheCallersLimit()
    {
        var png = ImageFile.Encode(new Image(100, 50, PixelLayout.Gray), ImageFormat.Png);

        Assert.Equal(100, ImageFile.Decode(png, new DecodeOptions { MaxPixels = 5000 }).Width);
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(png, new DecodeOptions { MaxPixels = 4999 }));
        Assert.Contains("100x50 = 0.005 megapixels, over the limit of 0.005 megapixels", e.Message);
    }

    private static int[] Pixel(Image image, int index) =>
        Enumerable.Range(0, image.Channels).Select(c => Image.ToCode(image.Plane(c)[index], 255)).ToArray();

    /// <summary>Writes raw PNG samples with libspng (SPNG_FMT_PNG, or big-endian SPNG_FMT_RAW) plus optional PLTE/tRNS.</summary>
    private static byte[] EncodeRaw(Ihdr ihdr, byte[] samples, (byte R, byte G, byte B)[]? palette = null,
        byte[]? alpha = null, Trns? trns = null, bool rawBigEndian = false)
    {
        using var ctx = SpngContextHandle.Create(encoder: true);
        Assert.Equal(0, spng_set_option(ctx, OptionEncodeToBuffer, 1));
        Assert.Equal(0, spng_set_ihdr(ctx, &ihdr));
        if (palette is not null)
        {
            var plte = new Plte { Count = (uint)palette.Length };
            for (int i = 0; i < palette.Length; i++)
            {
                plte.Entries[4 * i] = palette[i].R;
                plte.Entries[4 * i + 1] = palette[i].G;
                plte.Entries[4 * i + 2] = palette[i].B;
            }
            Assert.Equal(0, spng_set_plte(ctx, &plte));
        }
        if (alpha is not null)
        {
            var t = new Trns { Type3Count = (uint)alpha.Length };
            for (int i = 0; i < alpha.Length; i++) t.Type3Alpha[i] = alpha[i];
            Assert.Equal(0, spng_set_trns(ctx, &t));
        }
        if (trns is { } given)
            Assert.Equal(0, spng_set_trns(ctx, &given));
        fixed (byte* p = samples)
            Assert.Equal(0, spng_encode_image(ctx, p, (nuint)samples.Length, rawBigEndian ? 512 : FmtPng, EncodeFinalize));
        return PngCodec.TakeBuffer(ctx);
    }
}

internal static class ImageTestExtensions
{
    public static Image WithBitDepth(this Image image, int bitDepth)
    {
        image.BitDepth = bitDepth;
        return image;
    }
}
