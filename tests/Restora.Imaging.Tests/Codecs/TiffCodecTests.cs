using System.Buffers.Binary;
using Restora.Imaging.Codecs;
using Restora.Imaging.Tests.Metadata;

namespace Restora.Imaging.Tests.Codecs;

public unsafe class TiffCodecTests
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

        var tiff = ImageFile.Encode(image, ImageFormat.Tiff);

        Assert.Equal(ImageFormat.Tiff, ImageFile.Sniff(tiff));
        Assert.Equal(TiffNative.CompressionAdobeDeflate, (int)Entry(tiff, 259)); // Deflate unless told otherwise
        TestImages.AssertSameCodes(image, ImageFile.Decode(tiff));
    }

    [Theory]
    [InlineData(TiffCompression.Deflate, TiffNative.CompressionAdobeDeflate)]
    [InlineData(TiffCompression.Lzw, TiffNative.CompressionLzw)]
    [InlineData(TiffCompression.PackBits, TiffNative.CompressionPackBits)]
    [InlineData(TiffCompression.None, TiffNative.CompressionNone)]
    public void EveryCompression_RoundTripsExactly_InManyStrips(TiffCompression compression, int code)
    {
        // 300 rows of 1200 bytes: several 256 KiB strips for 16-bit RGBA.
        var image = TestImages.RandomCodes(150, 300, PixelLayout.Rgba, 16);

        var tiff = ImageFile.Encode(image, ImageFormat.Tiff, new EncodeOptions { TiffCompression = compression });

        Assert.Equal(code, (int)Entry(tiff, 259));
        Assert.True(Entry(tiff, 278) < 300, "rows per strip");
        TestImages.AssertSameCodes(image, ImageFile.Decode(tiff));
    }

    [Fact]
    public void Deflate_CompressesSmoothImages()
    {
        var image = TestImages.Smooth(128, 128, PixelLayout.Rgb);

        var deflate = ImageFile.Encode(image, ImageFormat.Tiff);
        var none = ImageFile.Encode(image, ImageFormat.Tiff, new EncodeOptions { TiffCompression = TiffCompression.None });

        Assert.True(deflate.Length < none.Length / 2, $"deflate {deflate.Length} bytes, none {none.Length}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SixteenBitWithIccProfile_ComesBackSixteenBitWithTheSameProfile(bool bigEndian)
    {
        var image = TestImages.RandomCodes(40, 30, PixelLayout.Rgb, 16);
        var metadata = SampleMetadata.Full(1, 40, 30, bigEndian);
        image.Metadata = metadata;

        var tiff = ImageFile.Encode(image, ImageFormat.Tiff);
        var decoded = ImageFile.Decode(tiff);

        Assert.Equal(bigEndian ? "MM"u8.ToArray() : "II"u8.ToArray(), tiff[..2]); // the EXIF block's byte order
        TestImages.AssertSameCodes(image, decoded);
        Assert.Equal(16, decoded.BitDepth);
        Assert.Equal(metadata.Icc, decoded.Metadata!.Icc);
        Assert.Equal(metadata.Xmp, decoded.Metadata.Xmp);
        Assert.Equal(metadata.Iptc, decoded.Metadata.Iptc);
        var exif = decoded.Metadata.Exif!;
        Assert.Equal(SampleMetadata.Make, Exif.ReadAscii(exif, ExifDirectory.Image, SampleMetadata.MakeTag));
        Assert.Equal(SampleMetadata.DateTaken, Exif.ReadAscii(exif, ExifDirectory.Exif, SampleMetadata.DateTimeOriginalTag));
        Assert.Equal("N", Exif.ReadAscii(exif, ExifDirectory.Gps, SampleMetadata.GpsLatitudeRefTag));
        Assert.Equal(40u, Exif.ReadNumber(exif, ExifDirectory.Exif, Exif.PixelXDimensionTag));
        Assert.Equal(30u, Exif.ReadNumber(exif, ExifDirectory.Exif, Exif.PixelYDimensionTag));
        Assert.Equal(1, Exif.ReadOrientation(exif));
        // The values are in the file itself, where other TIFF readers look for them.
        Assert.True(SampleMetadata.Find(tiff, SampleMetadata.Make) > 0);
        Assert.True(SampleMetadata.Find(tiff, SampleMetadata.Keyword) > 0);
    }

    [Fact]
    public void ExifBlock_SurvivesTiffAndBackToJpegWithTheSameValues()
    {
        var image = TestImages.Smooth(24, 16, PixelLayout.Rgb);
        image.Metadata = SampleMetadata.Full(1, 24, 16);

        var fromTiff = ImageFile.Decode(ImageFile.Encode(image, ImageFormat.Tiff));
        var viaJpeg = ImageFile.Decode(ImageFile.Encode(fromTiff, ImageFormat.Jpeg)).Metadata!.Exif!;

        // The camera tags and the GPS rationals come through byte for byte, in another layout.
        Assert.Equal(SampleMetadata.Make, Exif.ReadAscii(viaJpeg, ExifDirectory.Image, SampleMetadata.MakeTag));
        Assert.Equal(SampleMetadata.DateTaken, Exif.ReadAscii(viaJpeg, ExifDirectory.Exif, SampleMetadata.DateTimeOriginalTag));
        var original = SampleMetadata.Exif(1, 24, 16);
        Assert.True(SampleMetadata.Find(viaJpeg, "N\0") > 0);
        int gps = original.AsSpan().IndexOf((ReadOnlySpan<byte>)[48, 0, 0, 0, 1, 0, 0, 0, 51, 0, 0, 0]);
        Assert.True(gps > 0 && viaJpeg.AsSpan().IndexOf(original.AsSpan(gps, 24)) > 0);
    }

    [Fact]
    public void Orientation_InTheTiffDirectory_IsApplied()
    {
        var image = TestImages.RandomCodes(6, 4, PixelLayout.Gray, 8);
        image.Metadata = new ImageMetadata { Exif = SampleMetadata.Exif(6, 6, 4) };

        var tiff = ImageFile.Encode(image, ImageFormat.Tiff);
        var upright = ImageFile.Decode(tiff);

        Assert.Equal(6u, Entry(tiff, 274)); // IFD0's own Orientation tag, as TIFF viewers read it
        Assert.Equal((4, 6), (upright.Width, upright.Height));
        Assert.Equal(6, upright.Metadata!.AppliedOrientation);
        Assert.Equal(6, ImageFile.ReadMetadata(tiff)!.Orientation);
    }

    [Fact]
    public void PlainTiff_HasNoMetadata()
    {
        Assert.Null(ImageFile.Decode(ImageFile.Encode(TestImages.RandomCodes(4, 4, PixelLayout.Rgb, 8), ImageFormat.Tiff)).Metadata);
    }

    // ---- files other writers make: built here byte by byte --------------------------------------------

    [Fact]
    public void MinIsWhite_IsInverted()
    {
        var tiff = TiffBytes.Build(3, 1, [(258, 3, [8]), (262, 3, [0]), (277, 3, [1])], [0, 100, 255]);

        var image = ImageFile.Decode(tiff);

        Assert.Equal(PixelLayout.Gray, image.Layout);
        Assert.Equal(new[] { 255, 155, 0 }, Codes(image, 255));
    }

    [Fact]
    public void PlanarSeparate_Rgb16_IsInterleavedBack()
    {
        // Big-endian 16-bit samples, one plane after the other, one strip per plane.
        byte[] planes = [0x00, 0x01, 0xFF, 0xFF, /* R */ 0x12, 0x34, 0x00, 0x00, /* G */ 0xAB, 0xCD, 0x80, 0x00 /* B */];
        var tiff = TiffBytes.Build(2, 1, [(258, 3, [16, 16, 16]), (262, 3, [2]), (277, 3, [3]), (284, 3, [2])], planes,
            bigEndian: true, strips: 3);

        var image = ImageFile.Decode(tiff);

        Assert.Equal(16, image.BitDepth);
        Assert.Equal(new[] { 0x0001, 0xFFFF, 0x1234, 0, 0xABCD, 0x8000 }, Codes(image, 65535));
    }

    [Fact]
    public void Tiled_IsAssembledAndEdgeTilesClipped()
    {
        // 20x18 gray in 16x16 tiles: four tiles, three of them partly outside the image.
        var expected = TestImages.RandomCodes(20, 18, PixelLayout.Gray, 8);
        var data = new List<byte>();
        for (int ty = 0; ty < 2; ty++)
        for (int tx = 0; tx < 2; tx++)
        for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++)
        {
            int gx = tx * 16 + x, gy = ty * 16 + y;
            data.Add(gx < 20 && gy < 18 ? (byte)Image.ToCode(expected.Data[gy * 20 + gx], 255) : (byte)0xEE);
        }
        var tiff = TiffBytes.Build(20, 18, [(258, 3, [8]), (262, 3, [1]), (277, 3, [1])], [.. data], tiles: (16, 16));

        TestImages.AssertSameCodes(expected, ImageFile.Decode(tiff));
    }

    [Fact]
    public void AssociatedAlpha_IsUnpremultiplied()
    {
        // RGBA premultiplied: (100, 50, 0) at alpha 128 is (~199, ~100, 0) straight.
        var tiff = TiffBytes.Build(1, 1, [(258, 3, [8, 8, 8, 8]), (262, 3, [2]), (277, 3, [4]), (338, 3, [1])], [100, 50, 0, 128]);

        var image = ImageFile.Decode(tiff);

        Assert.Equal(PixelLayout.Rgba, image.Layout);
        Assert.Equal(new[] { 199, 100, 0, 128 }, Codes(image, 255));
    }

    [Fact]
    public void Palette_DecodesThroughLibtiffsRgbaPath()
    {
        // 16-bit colormap entries: 0xFFFF is full intensity; entries 0 and 1 used, 4-bit indices.
        var map = new uint[3 * 16];
        map[0] = 0xFFFF; map[16] = 0x0000; map[32] = 0x0000; // index 0: red
        map[1] = 0x0000; map[17] = 0x8080; map[33] = 0xFFFF; // index 1: (0, 128, 255)
        var tiff = TiffBytes.Build(3, 1, [(258, 3, [4]), (262, 3, [3]), (277, 3, [1]), (320, 3, map)], [0x01, 0x10]);

        var image = ImageFile.Decode(tiff);

        Assert.Equal(PixelLayout.Rgb, image.Layout);
        Assert.Equal(new[] { 255, 0, 0, /* G */ 0, 128, 128, /* B */ 0, 255, 255 }, Codes(image, 255));
    }

    [Fact]
    public void Bilevel_DecodesToEightBitGray()
    {
        var tiff = TiffBytes.Build(10, 1, [(258, 3, [1]), (262, 3, [1]), (277, 3, [1])], [0b1010_0000, 0b0100_0000]);

        var image = ImageFile.Decode(tiff);

        Assert.Equal(PixelLayout.Gray, image.Layout);
        Assert.Equal(new[] { 255, 0, 255, 0, 0, 0, 0, 0, 0, 255 }, Codes(image, 255));
    }

    [Fact]
    public void JpegInTiff_IsDecodedToRgb()
    {
        var image = TestImages.Smooth(48, 32, PixelLayout.Rgb);
        var tiff = JpegTiff(image);
        Assert.Equal(TiffNative.CompressionJpeg, (int)Entry(tiff, 259));
        Assert.Equal(TiffNative.PhotometricYCbCr, (int)Entry(tiff, 262));

        var decoded = ImageFile.Decode(tiff);

        Assert.Equal(PixelLayout.Rgb, decoded.Layout);
        Assert.True(TestImages.MeanAbsCodeDifference(image, decoded, 3) < 3);
    }

    [Fact]
    public void FloatingPointSamples_AreRefusedByName()
    {
        var tiff = TiffBytes.Build(1, 1, [(258, 3, [32]), (262, 3, [1]), (277, 3, [1]), (339, 3, [3])], [0, 0, 0x80, 0x3F]);

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(tiff));

        Assert.Equal("TIFF with floating-point samples is not supported", e.Message);
    }

    // ---- damage and bounds --------------------------------------------------------------------------------

    [Fact]
    public void CutFile_IsTruncated_WhereverItIsCut()
    {
        var tiff = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), ImageFormat.Tiff);

        foreach (int length in new[] { 4, 10, tiff.Length / 2, tiff.Length - 1 })
        {
            var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(tiff.AsSpan(0, length)));
            Assert.StartsWith("truncated TIFF: ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Throws<ImageFormatException>(() => ImageFile.CheckComplete(tiff.AsSpan(0, length)));
        }
        ImageFile.CheckComplete(tiff);
    }

    [Fact]
    public void StripPastTheEnd_IsTruncatedBeforeReading()
    {
        // Directory first, then the pixels: cutting the pixels keeps a readable directory.
        var tiff = TiffBytes.Build(100, 100, [(258, 3, [8]), (262, 3, [1]), (277, 3, [1])], new byte[10_000]);

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(tiff.AsSpan(0, tiff.Length - 500)));

        Assert.Matches(@"^truncated TIFF: strip \d+ ends at byte \d+, past the end of the file \(\d+ bytes\)$", e.Message); // libtiff reads an uncompressed strip in pieces
        Assert.Throws<ImageFormatException>(() => ImageFile.CheckComplete(tiff.AsSpan(0, tiff.Length - 500)));
    }

    [Fact]
    public void HugeHeader_IsRefusedBeforeAllocatingPixels()
    {
        var tiff = TiffBytes.Build(1, 1, [(258, 3, [8]), (262, 3, [1]), (277, 3, [1])], [7]);
        SetEntry(tiff, 256, 16000);
        SetEntry(tiff, 257, 16000);
        SetEntry(tiff, 278, 16000); // one strip, as the lie would need
        Assert.Throws<ImageFormatException>(() => ImageFile.Decode(tiff)); // warm-up

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(tiff));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("TIFF image is 16000x16000 = 256 megapixels, over the limit of 100 megapixels (--max-pixels)", e.Message);
        Assert.True(allocated < 1 << 20, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void BigTiffValueOffsetThatWrapsAround_IsPassedOver()
    {
        // A BigTIFF directory whose XMP value claims to start 8 bytes before 2^64: offset + length wraps to 8,
        // which a single sum check would take for "inside the file".
        var file = new byte[64];
        "II"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(2), 43);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(4), 8);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(8), 16);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(16), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(24), TiffMetadata.XmpTag);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(26), 1); // BYTE
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(28), 16);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(36), ulong.MaxValue - 7);

        Assert.Null(TiffMetadata.Read(file));
    }

    [Fact]
    public void MaxPixels_IsHonored()
    {
        var tiff = ImageFile.Encode(new Image(300, 200, PixelLayout.Rgb), ImageFormat.Tiff);

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(tiff, new DecodeOptions { MaxPixels = 50_000 }));

        Assert.Equal("TIFF image is 300x200 = 0.06 megapixels, over the limit of 0.05 megapixels (--max-pixels)", e.Message);
    }

    [Fact]
    public void GarbageAfterTheHeader_IsOneLineError()
    {
        var bytes = new byte[200];
        new Random(3).NextBytes(bytes);
        "II*\0"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 8);

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(bytes));

        Assert.Contains("TIFF", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    static int[] Codes(Image image, int max) => image.Data.Select(v => Image.ToCode(v, max)).ToArray();

    /// <summary>The single numeric value of a tag in IFD0.</summary>
    static uint Entry(byte[] tiff, ushort tag)
    {
        TiffStructure.TryOpen(tiff, out var t);
        var entry = t.ReadDirectory(tiff, t.FirstDirectory, out _)!.Single(e => e.Tag == tag);
        return (uint)t.Number(tiff, entry)!.Value;
    }

    /// <summary>Overwrites the inline LONG value of a tag in IFD0 (little-endian files from <see cref="TiffBytes"/>).</summary>
    static void SetEntry(byte[] tiff, ushort tag, uint value)
    {
        TiffStructure.TryOpen(tiff, out var t);
        var entry = t.ReadDirectory(tiff, t.FirstDirectory, out _)!.Single(e => e.Tag == tag);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan((int)entry.FieldOffset), value);
    }

    /// <summary>A JPEG-compressed YCbCr TIFF written by libtiff, the way scanners and GDAL write them.</summary>
    static byte[] JpegTiff(Image image)
    {
        var rgb = new byte[image.PixelCount * 3];
        PixelPacking.FromPlanar(image, [0, 1, 2], rgb);
        using var memory = TiffMemory.ForWriting(1 << 16);
        using (var tif = memory.Open("wl", 0))
        {
            Assert.False(tif.IsInvalid);
            void Set(uint tag, uint value) => Assert.Equal(1, TiffNative.TIFFSetFieldInt(tif, tag, value));
            Set(TiffNative.TagImageWidth, (uint)image.Width);
            Set(TiffNative.TagImageLength, (uint)image.Height);
            Set(TiffNative.TagBitsPerSample, 8);
            Set(TiffNative.TagSamplesPerPixel, 3);
            Set(TiffNative.TagCompression, TiffNative.CompressionJpeg);
            Set(TiffNative.TagPhotometric, TiffNative.PhotometricYCbCr);
            Set(TiffNative.TagJpegColorMode, TiffNative.JpegColorModeRgb);
            Set(TiffNative.TagRowsPerStrip, 16);
            Set(TiffNative.TagPlanarConfig, 1);
            fixed (byte* p = rgb)
                for (int strip = 0; strip * 16 < image.Height; strip++)
                    Assert.True(TiffNative.TIFFWriteEncodedStrip(tif, (uint)strip, p + strip * 16 * image.Width * 3,
                        Math.Min(16, image.Height - strip * 16) * image.Width * 3) > 0, memory.Error);
            Assert.Equal(1, TiffNative.TIFFWriteDirectory(tif));
        }
        return memory.Written.ToArray();
    }
}

/// <summary>
/// Minimal uncompressed TIFFs built byte by byte: the directory right after the header, then the pixel data,
/// so tests can make the layouts other writers produce (tiles, planes, palettes, inverted gray).
/// </summary>
internal static class TiffBytes
{
    public static byte[] Build(int width, int height, (ushort Tag, ushort Type, uint[] Values)[] tags, byte[] data,
        bool bigEndian = false, int strips = 1, (int Width, int Height)? tiles = null)
    {
        int blocks = strips;
        if (tiles is not null) blocks = ((width + tiles.Value.Width - 1) / tiles.Value.Width) * ((height + tiles.Value.Height - 1) / tiles.Value.Height);
        var all = new List<(ushort Tag, ushort Type, uint[] Values)>(tags)
        {
            (256, 4, [(uint)width]),
            (257, 4, [(uint)height]),
        };
        int blockSize = data.Length / blocks;
        var offsets = Enumerable.Range(0, blocks).Select(_ => 0u).ToArray();
        var counts = Enumerable.Range(0, blocks).Select(_ => (uint)blockSize).ToArray();
        if (tiles is { } t)
        {
            all.Add((322, 4, [(uint)t.Width]));
            all.Add((323, 4, [(uint)t.Height]));
            all.Add((324, 4, offsets));
            all.Add((325, 4, counts));
        }
        else
        {
            all.Add((273, 4, offsets));
            all.Add((279, 4, counts));
            all.Add((278, 4, [(uint)height]));
        }
        all.Sort((a, b) => a.Tag.CompareTo(b.Tag));

        // Layout: header, IFD, out-of-line values, pixel data.
        int ifdSize = 2 + 12 * all.Count + 4;
        int valuesSize = all.Sum(e => Size(e) > 4 ? (Size(e) + 1) & ~1 : 0);
        int dataStart = 8 + ifdSize + valuesSize;
        for (int i = 0; i < blocks; i++) offsets[i] = (uint)(dataStart + i * blockSize);

        var file = new byte[dataStart + data.Length];
        (bigEndian ? "MM\0*"u8 : "II*\0"u8).CopyTo(file);
        U32(file, 4, 8, bigEndian);
        U16(file, 8, (ushort)all.Count, bigEndian);
        int valueAt = 8 + ifdSize;
        for (int i = 0; i < all.Count; i++)
        {
            var (tag, type, values) = all[i];
            int e = 10 + 12 * i;
            U16(file, e, tag, bigEndian);
            U16(file, e + 2, type, bigEndian);
            U32(file, e + 4, (uint)values.Length, bigEndian);
            int at = Size(all[i]) > 4 ? valueAt : e + 8;
            if (Size(all[i]) > 4)
            {
                U32(file, e + 8, (uint)valueAt, bigEndian);
                valueAt += (Size(all[i]) + 1) & ~1;
            }
            foreach (uint v in values)
            {
                if (type == 3) { U16(file, at, (ushort)v, bigEndian); at += 2; }
                else { U32(file, at, v, bigEndian); at += 4; }
            }
        }
        data.CopyTo(file, dataStart);
        return file;
    }

    static int Size((ushort Tag, ushort Type, uint[] Values) e) => e.Values.Length * (e.Type == 3 ? 2 : 4);

    static void U16(byte[] b, int at, ushort v, bool bigEndian)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), v); else BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), v);
    }

    static void U32(byte[] b, int at, uint v, bool bigEndian)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v); else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
    }
}
