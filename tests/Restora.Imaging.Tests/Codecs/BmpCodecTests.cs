using System.Buffers.Binary;
using Restora.Imaging.Tests.Metadata;

namespace Restora.Imaging.Tests.Codecs;

public class BmpCodecTests
{
    [Theory]
    [InlineData(PixelLayout.Gray, PixelLayout.Gray, 8)]
    [InlineData(PixelLayout.Rgb, PixelLayout.Rgb, 24)]
    [InlineData(PixelLayout.Rgba, PixelLayout.Rgba, 32)]
    [InlineData(PixelLayout.GrayAlpha, PixelLayout.Rgba, 32)]
    public void RoundTrip_IsExact(PixelLayout layout, PixelLayout decodedLayout, int bits)
    {
        // Odd widths exercise the row padding to 4 bytes.
        var image = TestImages.RandomCodes(37, 19, layout, 8);
        if (image.HasAlpha) image.Plane(image.Channels - 1)[..30].Fill(0); // transparent pixels keep their color

        var bmp = ImageFile.Encode(image, ImageFormat.Bmp);
        var decoded = ImageFile.Decode(bmp);

        Assert.Equal(ImageFormat.Bmp, ImageFile.Sniff(bmp));
        Assert.Equal(bits, BinaryPrimitives.ReadUInt16LittleEndian(bmp.AsSpan(28)));
        Assert.Equal(bmp.Length, BinaryPrimitives.ReadInt32LittleEndian(bmp.AsSpan(2)));
        Assert.Equal(decodedLayout, decoded.Layout);
        TestImages.AssertSameCodes(layout == PixelLayout.GrayAlpha ? image.ToRgb() : image, decoded);
        ImageFile.CheckComplete(bmp);
    }

    [Fact]
    public void SixteenBit_IsWrittenAsEightBit()
    {
        var image = TestImages.RandomCodes(9, 5, PixelLayout.Rgb, 16);

        var decoded = ImageFile.Decode(ImageFile.Encode(image, ImageFormat.Bmp));

        TestImages.AssertSameCodes(image.Clone().Quantize(8).WithBitDepth(8), decoded);
    }

    [Fact]
    public void IccProfile_IsEmbeddedInAV5Header()
    {
        var image = TestImages.RandomCodes(5, 3, PixelLayout.Rgb, 8);
        var icc = SampleMetadata.Icc("RGB ", 700);
        image.Metadata = new ImageMetadata { Icc = icc, Xmp = "<x/>"u8.ToArray() };

        var bmp = ImageFile.Encode(image, ImageFormat.Bmp);
        var decoded = ImageFile.Decode(bmp);

        Assert.Equal(124, BinaryPrimitives.ReadInt32LittleEndian(bmp.AsSpan(14)));
        Assert.Equal(icc, decoded.Metadata!.Icc);
        Assert.Null(decoded.Metadata.Xmp); // BMP has no place for it
        TestImages.AssertSameCodes(image, decoded);
    }

    // ---- files other writers make --------------------------------------------------------------------------

    [Fact]
    public void OneBitPalette_BottomUp()
    {
        // 3x2, palette black/white; bottom row first in the file.
        var bmp = BmpBytes.Build(3, 2, 1, palette: [0x000000, 0xFFFFFF], rows: [[0b0110_0000, 0, 0, 0], [0b1000_0000, 0, 0, 0]]);

        var image = ImageFile.Decode(bmp);

        Assert.Equal(PixelLayout.Gray, image.Layout); // a palette of grays
        Assert.Equal(new[] { 255, 0, 0, /* bottom */ 0, 255, 255 }, Codes(image));
    }

    [Fact]
    public void FourBitColorPalette_TopDown()
    {
        var bmp = BmpBytes.Build(3, -1, 4, palette: [0x000000, 0xFF0000, 0x00FF00, 0x0000FF], rows: [[0x12, 0x30, 0, 0]]);

        var image = ImageFile.Decode(bmp);

        Assert.Equal(PixelLayout.Rgb, image.Layout);
        Assert.Equal(new[] { 255, 0, 0, /* G */ 0, 255, 0, /* B */ 0, 0, 255 }, Codes(image));
    }

    [Fact]
    public void EightBitPalette_ShortPaletteReadsBlackPastItsEnd()
    {
        var bmp = BmpBytes.Build(2, 1, 8, palette: [0x102030], rows: [[0, 7, 0, 0]]);

        var image = ImageFile.Decode(bmp);

        Assert.Equal(new[] { 0x10, 0, /* G */ 0x20, 0, /* B */ 0x30, 0 }, Codes(image));
    }

    [Fact]
    public void SixteenBit555_AndBitfields565()
    {
        // 5-5-5: 0x7FFF is white, 0x001F is blue. 5-6-5 BI_BITFIELDS: 0xF800 red, 0x07E0 green.
        var rgb555 = BmpBytes.Build(2, 1, 16, rows: [[0xFF, 0x7F, 0x1F, 0x00]]);
        var rgb565 = BmpBytes.Build(2, 1, 16, masks: [0xF800, 0x07E0, 0x001F], rows: [[0x00, 0xF8, 0xE0, 0x07]]);

        Assert.Equal(new[] { 255, 0, 255, 0, 255, 255 }, Codes(ImageFile.Decode(rgb555)));
        Assert.Equal(new[] { 255, 0, 0, 255, 0, 0 }, Codes(ImageFile.Decode(rgb565)));
    }

    [Fact]
    public void ThirtyTwoBitBiRgb_IgnoresTheFourthByte()
    {
        var bmp = BmpBytes.Build(1, 1, 32, rows: [[3, 2, 1, 77]]);

        var image = ImageFile.Decode(bmp);

        Assert.Equal(PixelLayout.Rgb, image.Layout);
        Assert.Equal(new[] { 1, 2, 3 }, Codes(image));
    }

    [Fact]
    public void AlphaBitfields_InAnInfoHeader()
    {
        var bmp = BmpBytes.Build(1, 1, 32, masks: [0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000], alphaBitfields: true, rows: [[3, 2, 1, 77]]);

        var image = ImageFile.Decode(bmp);

        Assert.Equal(PixelLayout.Rgba, image.Layout);
        Assert.Equal(new[] { 1, 2, 3, 77 }, Codes(image));
    }

    [Fact]
    public void TenBitChannels_GiveASixteenBitImage()
    {
        // 2-10-10-10: R in bits 20..29 = 1023, G = 512, B = 0.
        uint pixel = 1023u << 20 | 512u << 10;
        var bmp = BmpBytes.Build(1, 1, 32, masks: [0x3FF00000, 0x000FFC00, 0x000003FF], rows: [BitConverter.GetBytes(pixel)]);

        var image = ImageFile.Decode(bmp);

        Assert.Equal(16, image.BitDepth);
        Assert.Equal(1.0, image.Data[0], 1e-6);
        Assert.Equal(512.0 / 1023.0, image.Data[1], 1e-6);
        Assert.Equal(0.0, image.Data[2]);
    }

    [Fact]
    public void CoreHeader_WithThreeBytePalette()
    {
        var bmp = BmpBytes.Build(2, 1, 8, palette: [0x0000FF, 0xFF8000], rows: [[1, 0, 0, 0]], core: true);

        var image = ImageFile.Decode(bmp);

        Assert.Equal(new[] { 255, 0, /* G */ 128, 0, /* B */ 0, 255 }, Codes(image));
    }

    [Fact]
    public void Rle8_RunsLiteralsJumpsAndEndOfLine()
    {
        // 4x2. Bottom line: run of 3 x index 1, then end of line. Top line: literal [2, 1, 2] (padded), end of bitmap.
        byte[] codes = [3, 1, 0, 0, /* line 2 */ 0, 3, 2, 1, 2, 0, 0, 1];
        var bmp = BmpBytes.Build(4, 2, 8, palette: [0x000000, 0xFFFFFF, 0x808080], compression: 1, data: codes);

        var image = ImageFile.Decode(bmp);

        Assert.Equal(PixelLayout.Gray, image.Layout);
        Assert.Equal(new[] { 128, 255, 128, 0, /* bottom */ 255, 255, 255, 0 }, Codes(image));
        ImageFile.CheckComplete(bmp);
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.CheckComplete(bmp.AsSpan(0, bmp.Length - 2)));
        Assert.StartsWith("truncated BMP", e.Message);
    }

    [Fact]
    public void Rle4_RunsAlternateTwoIndices()
    {
        byte[] codes = [5, 0x12, 0, 1];
        var bmp = BmpBytes.Build(5, 1, 4, palette: [0x000000, 0xFFFFFF, 0x808080], compression: 2, data: codes);

        Assert.Equal(new[] { 255, 128, 255, 128, 255 }, Codes(ImageFile.Decode(bmp)));
    }

    // ---- damage and bounds -------------------------------------------------------------------------------

    [Fact]
    public void CutFile_IsTruncated()
    {
        var bmp = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), ImageFormat.Bmp);

        foreach (int length in new[] { 20, 40, 60, bmp.Length / 2, bmp.Length - 1 })
        {
            var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(bmp.AsSpan(0, length)));
            Assert.StartsWith("truncated BMP: ", e.Message);
            Assert.Throws<ImageFormatException>(() => ImageFile.CheckComplete(bmp.AsSpan(0, length)));
        }
    }

    [Fact]
    public void HugeHeader_IsRefusedBeforeAllocatingPixels()
    {
        var bmp = BmpBytes.Build(1, 1, 24, rows: [[1, 2, 3, 0]]);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), 16000);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), -16000);
        Assert.Throws<ImageFormatException>(() => ImageFile.Decode(bmp)); // warm-up

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(bmp));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("BMP image is 16000x16000 = 256 megapixels, over the limit of 100 megapixels (--max-pixels)", e.Message);
        Assert.True(allocated < 1 << 16, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void DimensionsThatFitTheLimitButNotTheFile_AreTruncatedWithoutAllocating()
    {
        var bmp = BmpBytes.Build(1, 1, 24, rows: [[1, 2, 3, 0]]);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), 5000);
        BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), 5000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(bmp));

        Assert.StartsWith("truncated BMP: 5000x5000 pixels need 75000000 bytes", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 16);
    }

    [Fact]
    public void LyingPaletteCount_IsBoundedByTheBitDepth()
    {
        var bmp = BmpBytes.Build(2, 1, 1, palette: [0x000000, 0xFFFFFF], rows: [[0b0100_0000, 0, 0, 0]]);
        BinaryPrimitives.WriteUInt32LittleEndian(bmp.AsSpan(46), 2_000_000_000); // biClrUsed

        Assert.Equal(new[] { 0, 255 }, Codes(ImageFile.Decode(bmp)));
    }

    [Theory]
    [InlineData(0x00000FC0u, "corrupt BMP: color mask")]       // overlaps green
    [InlineData(0x00000000u, "corrupt BMP: color mask")]       // empty
    [InlineData(0x0000A000u, "corrupt BMP: color mask")]       // not contiguous
    public void BadMasks_AreRefused(uint red, string problem)
    {
        var bmp = BmpBytes.Build(1, 1, 16, masks: [red, 0x07E0, 0x001F], rows: [[0, 0, 0, 0]]);

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(bmp));

        Assert.StartsWith(problem, e.Message);
    }

    [Fact]
    public void MaxPixels_IsHonored()
    {
        var bmp = ImageFile.Encode(new Image(300, 200, PixelLayout.Rgb), ImageFormat.Bmp);

        var e = Assert.Throws<ImageFormatException>(() => ImageFile.Decode(bmp, new DecodeOptions { MaxPixels = 50_000 }));

        Assert.Equal("BMP image is 300x200 = 0.06 megapixels, over the limit of 0.05 megapixels (--max-pixels)", e.Message);
    }

    static int[] Codes(Image image) => image.Data.Select(v => Image.ToCode(v, 255)).ToArray();
}

/// <summary>BMPs built byte by byte: an INFO (or OS/2 core) header, optional masks and palette, then the pixel bytes.</summary>
internal static class BmpBytes
{
    public static byte[] Build(int width, int height, int bits, uint[]? palette = null, byte[][]? rows = null,
        uint[]? masks = null, bool alphaBitfields = false, bool core = false, int compression = 0, byte[]? data = null)
    {
        var header = new List<byte>();
        void U16(int v) => header.AddRange(BitConverter.GetBytes((ushort)v));
        void U32(long v) => header.AddRange(BitConverter.GetBytes((uint)v));
        if (core)
        {
            U32(12); U16(width); U16(height); U16(1); U16(bits);
        }
        else
        {
            U32(40); U32(width); U32(height); U16(1); U16(bits);
            U32(masks is null ? compression : alphaBitfields ? 6 : 3);
            U32(0); U32(2835); U32(2835); U32(palette?.Length ?? 0); U32(0);
            foreach (uint mask in masks ?? []) U32(mask);
        }
        foreach (uint color in palette ?? [])
        {
            header.AddRange([(byte)color, (byte)(color >> 8), (byte)(color >> 16)]);
            if (!core) header.Add(0);
        }
        byte[] pixels = data ?? rows!.SelectMany(r => r).ToArray();
        int offset = 14 + header.Count;
        var file = new List<byte> { (byte)'B', (byte)'M' };
        file.AddRange(BitConverter.GetBytes((uint)(offset + pixels.Length)));
        file.AddRange(new byte[4]);
        file.AddRange(BitConverter.GetBytes((uint)offset));
        file.AddRange(header);
        file.AddRange(pixels);
        return [.. file];
    }
}
