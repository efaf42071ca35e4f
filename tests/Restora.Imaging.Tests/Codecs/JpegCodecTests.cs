using System.Runtime.InteropServices;
using Restora.Imaging.Codecs;
using static Restora.Imaging.Codecs.TurboJpegNative;

namespace Restora.Imaging.Tests.Codecs;

public unsafe class JpegCodecTests
{
    [Fact]
    public void Quality100Yuv444_RoundTripIsClose()
    {
        var image = TestImages.Smooth(64, 48, PixelLayout.Rgb);

        var jpeg = ImageFile.Encode(image, ImageFormat.Jpeg, new EncodeOptions { Quality = 100 });
        var decoded = ImageFile.Decode(jpeg);

        Assert.Equal(ImageFormat.Jpeg, ImageFile.Sniff(jpeg));
        Assert.Equal(PixelLayout.Rgb, decoded.Layout);
        Assert.Equal(8, decoded.BitDepth);
        Assert.Equal(Samp444, Header(jpeg).Subsampling);
        AssertClose(image, decoded);
    }

    [Fact]
    public void Subsampling420_IsWhatTheFileDeclares()
    {
        var image = TestImages.Smooth(64, 48, PixelLayout.Rgb);

        var jpeg = ImageFile.Encode(image, ImageFormat.Jpeg, new EncodeOptions { Subsampling = ChromaSubsampling.Yuv420 });

        Assert.Equal(Samp420, Header(jpeg).Subsampling);
        Assert.True(TestImages.MeanAbsCodeDifference(image, ImageFile.Decode(jpeg), 3) < 3);
    }

    [Fact]
    public void LowerQuality_GivesSmallerFilesAndLargerError()
    {
        var image = TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8);

        var low = ImageFile.Encode(image, ImageFormat.Jpeg, new EncodeOptions { Quality = 10 });
        var high = ImageFile.Encode(image, ImageFormat.Jpeg, new EncodeOptions { Quality = 90 });

        Assert.True(low.Length < high.Length / 2, $"q10 {low.Length} bytes, q90 {high.Length} bytes");
        Assert.True(TestImages.MeanAbsCodeDifference(image, ImageFile.Decode(low), 3)
                    > TestImages.MeanAbsCodeDifference(image, ImageFile.Decode(high), 3));
    }

    [Fact]
    public void GrayImage_EncodesAsGrayJpegAndDecodesToGray()
    {
        var image = TestImages.Smooth(40, 30, PixelLayout.Gray);

        var jpeg = ImageFile.Encode(image, ImageFormat.Jpeg, new EncodeOptions { Quality = 100 });
        var decoded = ImageFile.Decode(jpeg);

        Assert.Equal(ColorspaceGray, Header(jpeg).Colorspace);
        Assert.Equal(PixelLayout.Gray, decoded.Layout);
        Assert.True(TestImages.MaxCodeDifference(image, decoded, 1) <= 2);
    }

    [Fact]
    public void Alpha_IsDroppedOnEncode()
    {
        var image = TestImages.Smooth(32, 32, PixelLayout.Rgba);
        image.Plane(3).Fill(0); // fully transparent: a codec that premultiplied would come back black

        var decoded = ImageFile.Decode(ImageFile.Encode(image, ImageFormat.Jpeg, new EncodeOptions { Quality = 100 }));

        Assert.Equal(PixelLayout.Rgb, decoded.Layout);
        AssertClose(image, decoded);
    }

    [Fact]
    public void AdobeCmykJpeg_DecodesToTheRgbItDepicts()
    {
        // Adobe CMYK is stored inverted: 255 = no ink. Eight 8x8 blocks of known colors.
        (byte C, byte M, byte Y, byte K, int R, int G, int B)[] blocks =
        [
            (255, 255, 255, 255, 255, 255, 255), // white
            (255, 255, 255, 0, 0, 0, 0),         // black ink
            (255, 0, 0, 255, 255, 0, 0),         // magenta + yellow = red
            (0, 255, 0, 255, 0, 255, 0),         // cyan + yellow = green
            (0, 0, 255, 255, 0, 0, 255),         // cyan + magenta = blue
            (255, 255, 255, 128, 128, 128, 128), // half black
            (128, 255, 255, 255, 128, 255, 255), // half cyan
            (255, 255, 0, 255, 255, 255, 0),     // yellow
        ];
        int width = 8 * blocks.Length, height = 8;
        var cmyk = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            var b = blocks[x / 8];
            int o = (y * width + x) * 4;
            (cmyk[o], cmyk[o + 1], cmyk[o + 2], cmyk[o + 3]) = (b.C, b.M, b.Y, b.K);
        }
        var jpeg = CompressCmyk(cmyk, width, height);
        Assert.True(JpegMarkers.HasAdobeMarker(jpeg));
        Assert.Equal(ColorspaceYcck, Header(jpeg).Colorspace);

        var image = ImageFile.Decode(jpeg);

        Assert.Equal(PixelLayout.Rgb, image.Layout);
        for (int i = 0; i < blocks.Length; i++)
        {
            int center = 4 * width + i * 8 + 4;
            int[] rgb = [.. Enumerable.Range(0, 3).Select(c => Image.ToCode(image.Plane(c)[center], 255))];
            int[] expected = [blocks[i].R, blocks[i].G, blocks[i].B];
            Assert.True(rgb.Zip(expected).All(p => Math.Abs(p.First - p.Second) <= 3),
                $"block {i}: expected {string.Join(",", expected)}, got {string.Join(",", rgb)}");
        }
    }

    [Fact]
    public void CmykWithoutAdobeMarker_IsReadAsInkAmounts()
    {
        var pixel = new byte[] { 255, 0, 0, 0 }; // full cyan ink, no other ink, in the non-inverted convention
        var image = new Image(1, 1, PixelLayout.Rgb);

        PixelPacking.CmykToPlanarRgb(pixel, inverted: false, image);

        Assert.Equal(new[] { 0f, 1f, 1f }, image.Data);
    }

    [Fact]
    public void TruncatedHalfway_IsRefusedAsTruncated()
    {
        var jpeg = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), ImageFormat.Jpeg);

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(jpeg.AsSpan(0, jpeg.Length / 2)));

        Assert.Equal("truncated JPEG: Premature end of JPEG file", e.Message);
    }

    [Fact]
    public void StrayBytesBeforeEndMarker_AreAcceptedAsTurboJpegDecodesThemFine()
    {
        var image = TestImages.Smooth(32, 32, PixelLayout.Rgb);
        var jpeg = ImageFile.Encode(image, ImageFormat.Jpeg, new EncodeOptions { Quality = 100 });
        byte[] padded = [.. jpeg[..^2], 1, 2, 3, 0xFF, 0xD9]; // "Corrupt JPEG data: 3 extraneous bytes before marker 0xd9"

        var decoded = ImageFile.Decode(padded);

        Assert.Equal(0, TestImages.MaxCodeDifference(ImageFile.Decode(jpeg), decoded, 3));
    }

    [Fact]
    public void HugeFrameHeader_IsRefusedBeforeAllocatingPixels()
    {
        var jpeg = ImageFile.Encode(new Image(8, 8, PixelLayout.Rgb), ImageFormat.Jpeg);
        int sof = jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        Assert.True(sof > 0);
        // SOF0: FF C0, length(2), precision(1), height(2), width(2)
        jpeg[sof + 5] = 20000 >> 8; jpeg[sof + 6] = 20000 & 0xFF;
        jpeg[sof + 7] = 20000 >> 8; jpeg[sof + 8] = 20000 & 0xFF;
        Assert.Throws<ImageFormatException>(() => ImageFile.Decode(jpeg)); // warm-up

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(jpeg));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("JPEG image is 20000x20000 = 400 megapixels, over the limit of 100 megapixels (--max-pixels)", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes before refusing");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void QualityOutsideOneToHundred_IsRejected(int quality)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            ImageFile.Encode(new Image(8, 8, PixelLayout.Rgb), ImageFormat.Jpeg, new EncodeOptions { Quality = quality }));
    }

    /// <summary>Quality 100 with full chroma still rounds through 8-bit YCbCr and the DCT: a few codes at worst.</summary>
    private static void AssertClose(Image expected, Image actual)
    {
        int worst = TestImages.MaxCodeDifference(expected, actual, 3);
        double mean = TestImages.MeanAbsCodeDifference(expected, actual, 3);
        Assert.True(worst <= 5 && mean < 1, $"max error {worst} codes, mean {mean}");
    }

    private static (int Width, int Height, int Subsampling, int Colorspace) Header(byte[] jpeg)
    {
        using var tj = TurboJpegHandle.CreateDecompressor();
        int w, h, s, c;
        fixed (byte* p = jpeg)
            Assert.Equal(0, tjDecompressHeader3(tj, p, new CULong((nuint)jpeg.Length), &w, &h, &s, &c));
        return (w, h, s, c);
    }

    private static byte[] CompressCmyk(byte[] cmyk, int width, int height)
    {
        using var tj = TurboJpegHandle.CreateCompressor();
        nint output = 0;
        CULong size = default;
        try
        {
            fixed (byte* p = cmyk)
                Assert.Equal(0, tjCompress2(tj, p, width, 0, height, PixelCmyk, &output, &size, Samp444, 100, 0));
            return new ReadOnlySpan<byte>((void*)output, (int)size.Value).ToArray();
        }
        finally
        {
            new TurboJpegBufferHandle(output).Dispose();
        }
    }
}
