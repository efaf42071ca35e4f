using System.Buffers.Binary;
using Restora.Imaging.Tests.Metadata;

namespace Restora.Imaging.Tests.Codecs;

public class HeifCodecTests
{
    [Theory]
    [InlineData(ImageFormat.Avif, PixelLayout.Rgb)]
    [InlineData(ImageFormat.Avif, PixelLayout.Rgba)]
    [InlineData(ImageFormat.Heic, PixelLayout.Rgb)]
    [InlineData(ImageFormat.Heic, PixelLayout.Rgba)]
    public void Lossy_RoundTripIsClose_AlphaIncluded(ImageFormat format, PixelLayout layout)
    {
        var image = TestImages.Smooth(64, 48, layout);
        if (layout == PixelLayout.Rgba)
            for (int i = 0; i < image.PixelCount; i++) image.Plane(3)[i] = i % 64 < 32 ? 1f : 64 / 255f;

        var bytes = ImageFile.Encode(image, format, new EncodeOptions { Quality = 90 });
        var decoded = ImageFile.Decode(bytes);

        Assert.Equal(format, ImageFile.Sniff(bytes));
        Assert.Equal(layout, decoded.Layout);
        Assert.Equal(8, decoded.BitDepth);
        Assert.Equal((64, 48), (decoded.Width, decoded.Height));
        double error = TestImages.MeanAbsCodeDifference(image, decoded, 3);
        Assert.True(error < 3, $"mean error {error} codes");
        if (layout == PixelLayout.Rgba)
            Assert.True(TestImages.MaxCodeDifference(image.WithAlphaOnly(), decoded.WithAlphaOnly(), 1) <= 3);
        ImageFile.CheckComplete(bytes);
    }

    // Made as HEIC: the AV1 encoder Debian's libheif uses cannot write 10-bit (see HeifCodec.Encode); decoding
    // is the same code for both.
    [Theory]
    [InlineData(ImageFormat.Heic, PixelLayout.Rgb)]
    [InlineData(ImageFormat.Heic, PixelLayout.Rgba)]
    public void TenBitFiles_DecodeToSixteenBit(ImageFormat format, PixelLayout layout)
    {
        var image = TestImages.Smooth(32, 32, layout).WithBitDepth(16);
        var tenBit = Restora.Imaging.Codecs.HeifCodec.Encode(image, format,
            new EncodeOptions { Quality = 95, Subsampling = ChromaSubsampling.Yuv420 }, null, depth: 10);

        var decoded = ImageFile.Decode(tenBit);

        Assert.Equal(16, decoded.BitDepth);
        Assert.Equal(layout, decoded.Layout);
        double error = TestImages.MeanAbsCodeDifference(image, decoded, 3);
        Assert.True(error < 3, $"mean error {error} codes (8-bit scale)");
    }

    [Fact]
    public void SixteenBitImages_AreWrittenEightBit()
    {
        var image = TestImages.Smooth(16, 16, PixelLayout.Rgb).WithBitDepth(16);

        Assert.Equal(8, ImageFile.Decode(ImageFile.Encode(image, ImageFormat.Avif)).BitDepth);
    }

    [Fact]
    public void Gray_IsWrittenAsRgb()
    {
        var image = TestImages.Smooth(16, 16, PixelLayout.Gray);

        var decoded = ImageFile.Decode(ImageFile.Encode(image, ImageFormat.Avif));

        Assert.Equal(PixelLayout.Rgb, decoded.Layout);
        Assert.True(TestImages.MeanAbsCodeDifference(image.ToRgb(), decoded, 3) < 3);
    }

    [Fact]
    public void QualityChangesTheSize()
    {
        var image = TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8);

        var low = ImageFile.Encode(image, ImageFormat.Avif, new EncodeOptions { Quality = 10 });
        var high = ImageFile.Encode(image, ImageFormat.Avif, new EncodeOptions { Quality = 95 });

        Assert.True(low.Length < high.Length / 2, $"q10 {low.Length} bytes, q95 {high.Length} bytes");
    }

    [Theory]
    [InlineData(ImageFormat.Avif, false)]
    [InlineData(ImageFormat.Avif, true)]
    [InlineData(ImageFormat.Heic, false)]
    public void Metadata_SurvivesByteForByte(ImageFormat format, bool bigEndian)
    {
        var image = TestImages.Smooth(48, 32, PixelLayout.Rgb);
        var metadata = SampleMetadata.Full(1, 48, 32, bigEndian);
        image.Metadata = metadata;

        var bytes = ImageFile.Encode(image, format);
        var read = ImageFile.ReadMetadata(bytes)!;

        Assert.Equal(metadata.Exif, read.Exif);
        Assert.Equal(metadata.Xmp, read.Xmp);
        Assert.Equal(metadata.Icc, read.Icc);
        Assert.Null(read.Iptc);
    }

    [Fact]
    public void ExifOrientation_IsNotAppliedOnTopOfLibheifsTransforms()
    {
        // HEIF orients with its irot/imir boxes (libheif applies them); the EXIF tag only repeats that.
        var image = TestImages.Smooth(40, 20, PixelLayout.Rgb);
        image.Metadata = new ImageMetadata { Exif = SampleMetadata.Exif(6, 40, 20) };
        var avif = ImageFile.Encode(image, ImageFormat.Avif, new EncodeOptions { BitDepth = 8 });

        var decoded = ImageFile.Decode(avif);

        Assert.Equal((40, 20), (decoded.Width, decoded.Height));
        Assert.Equal(1, decoded.Metadata!.Orientation);
    }

    // ---- damage and bounds ---------------------------------------------------------------------------------

    [Theory]
    [InlineData(ImageFormat.Avif, "AVIF")]
    [InlineData(ImageFormat.Heic, "HEIC")]
    public void CutFile_IsTruncated(ImageFormat format, string name)
    {
        var bytes = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), format);

        foreach (int length in new[] { 30, bytes.Length / 2, bytes.Length - 1 })
        {
            var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(bytes.AsSpan(0, length)));
            Assert.StartsWith($"truncated {name}: ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Throws<ImageFormatException>(() => ImageFile.CheckComplete(bytes.AsSpan(0, length)));
        }
    }

    [Fact]
    public void HugeHeader_IsRefusedBeforeDecoding()
    {
        var avif = ImageFile.Encode(TestImages.Smooth(16, 16, PixelLayout.Rgb), ImageFormat.Avif);
        int ispe = avif.AsSpan().IndexOf("ispe"u8);
        Assert.True(ispe > 0);
        BinaryPrimitives.WriteUInt32BigEndian(avif.AsSpan(ispe + 8), 16000);
        BinaryPrimitives.WriteUInt32BigEndian(avif.AsSpan(ispe + 12), 16000);
        Assert.Throws<ImageFormatException>(() => ImageFile.Decode(avif)); // warm-up

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(avif));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("AVIF image is 16000x16000 = 256 megapixels, over the limit of 100 megapixels (--max-pixels)", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void MaxPixels_IsHonored()
    {
        var avif = ImageFile.Encode(new Image(300, 200, PixelLayout.Rgb), ImageFormat.Avif, new EncodeOptions { Quality = 30 });

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(avif, new DecodeOptions { MaxPixels = 50_000 }));

        Assert.Equal("AVIF image is 300x200 = 0.06 megapixels, over the limit of 0.05 megapixels (--max-pixels)", e.Message);
    }

    [Fact]
    public void Sniff_TellsAvifFromHeicByTheBrands()
    {
        byte[] Ftyp(string major, params string[] compatible) =>
        [
            0, 0, 0, (byte)(16 + 4 * compatible.Length), .. "ftyp"u8, .. System.Text.Encoding.ASCII.GetBytes(major), 0, 0, 0, 0,
            .. compatible.SelectMany(System.Text.Encoding.ASCII.GetBytes),
        ];

        Assert.Equal(ImageFormat.Avif, ImageFile.Sniff(Ftyp("avif", "mif1", "miaf")));
        Assert.Equal(ImageFormat.Avif, ImageFile.Sniff(Ftyp("mif1", "avif")));
        Assert.Equal(ImageFormat.Heic, ImageFile.Sniff(Ftyp("heic", "mif1")));
        Assert.Equal(ImageFormat.Heic, ImageFile.Sniff(Ftyp("mif1", "heic")));
        Assert.Null(ImageFile.Sniff(Ftyp("isom", "mp41"))); // an MP4 video
    }
}
