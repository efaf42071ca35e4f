using System.Buffers.Binary;

namespace Restora.Imaging.Tests.Metadata;

using TestImages = Restora.Imaging.Tests.Codecs.TestImages;

public class MetadataRoundTripTests
{
    [Theory]
    [InlineData(ImageFormat.Png, false)]
    [InlineData(ImageFormat.Jpeg, false)]
    [InlineData(ImageFormat.WebP, false)]
    [InlineData(ImageFormat.Png, true)]
    [InlineData(ImageFormat.Jpeg, true)]
    [InlineData(ImageFormat.WebP, true)]
    public void Every_block_survives_a_round_trip_byte_for_byte(ImageFormat format, bool bigEndian)
    {
        var image = TestImages.Smooth(48, 32, PixelLayout.Rgb);
        var metadata = SampleMetadata.Full(1, 48, 32, bigEndian);
        image.Metadata = metadata;
        var bytes = ImageFile.Encode(image, format);
        var read = ImageFile.ReadMetadata(bytes)!;
        Assert.Equal(metadata.Exif, read.Exif);
        Assert.Equal(metadata.Xmp, read.Xmp);
        Assert.Equal(metadata.Icc, read.Icc);
        Assert.Equal((48, 32), (ImageFile.Decode(bytes).Width, ImageFile.Decode(bytes).Height));
        // Independently of our reader: the values are in the file's bytes.
        Assert.True(SampleMetadata.Find(bytes, SampleMetadata.Make) > 0);
        Assert.True(SampleMetadata.Find(bytes, SampleMetadata.DateTaken) > 0);
        Assert.True(SampleMetadata.Find(bytes, SampleMetadata.Keyword) > 0);
    }

    [Fact]
    public void Saving_records_the_new_pixel_size()
    {
        var image = TestImages.Smooth(20, 10, PixelLayout.Rgb);
        image.Metadata = SampleMetadata.Full(1, 640, 320);
        var read = ImageFile.ReadMetadata(ImageFile.Encode(image, ImageFormat.Jpeg))!;
        Assert.Equal(SampleMetadata.Exif(1, 20, 10), read.Exif);
        Assert.Equal(SampleMetadata.Xmp(1, 20, 10), read.Xmp);
    }

    [Fact]
    public void A_large_icc_profile_is_split_over_numbered_jpeg_segments_and_joined_again()
    {
        var image = TestImages.Smooth(16, 16, PixelLayout.Rgb);
        var icc = SampleMetadata.Icc("RGB ", 150_000);
        image.Metadata = new ImageMetadata { Icc = icc };
        var jpeg = ImageFile.Encode(image, ImageFormat.Jpeg);
        Assert.Equal(3, SampleMetadata.Count(jpeg, "ICC_PROFILE\0"));
        int first = SampleMetadata.Find(jpeg, "ICC_PROFILE\0");
        Assert.Equal([0xFF, 0xE2], jpeg[(first - 4)..(first - 2)]);
        Assert.Equal(65535, BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(first - 2))); // a full segment
        Assert.Equal([1, 3], jpeg[(first + 12)..(first + 14)]);
        Assert.Equal(icc, ImageFile.ReadMetadata(jpeg)!.Icc);

        // A profile with a segment missing is a different profile: dropped, the pixels still decode.
        int second = first + 65533 + 4; // the next segment's identifier, after its marker and length
        Assert.Equal("ICC_PROFILE\0"u8.ToArray(), jpeg[second..(second + 12)]);
        var damaged = (byte[])jpeg.Clone();
        damaged[second] = (byte)'X';
        Assert.Null(ImageFile.ReadMetadata(damaged));
        Assert.Equal(16, ImageFile.Decode(damaged).Width);
    }

    [Fact]
    public void Jpeg_blocks_follow_the_jfif_header_in_the_standard_order()
    {
        var image = TestImages.Smooth(16, 16, PixelLayout.Rgb);
        image.Metadata = SampleMetadata.Full(1, 16, 16);
        var jpeg = ImageFile.Encode(image, ImageFormat.Jpeg);
        Assert.Equal([0xFF, 0xD8, 0xFF, 0xE0], jpeg[..4]);
        Assert.Equal("JFIF\0"u8.ToArray(), jpeg[6..11]);
        int afterJfif = 4 + BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(4));
        Assert.Equal([0xFF, 0xE1], jpeg[afterJfif..(afterJfif + 2)]);
        Assert.Equal("Exif\0\0"u8.ToArray(), jpeg[(afterJfif + 4)..(afterJfif + 10)]);
        Assert.True(SampleMetadata.Find(jpeg, "http://ns.adobe.com/xap/1.0/\0") < SampleMetadata.Find(jpeg, "ICC_PROFILE"));
    }

    [Theory]
    [InlineData(false, PixelLayout.Rgb)]
    [InlineData(true, PixelLayout.Rgb)]
    [InlineData(false, PixelLayout.Rgba)]
    [InlineData(true, PixelLayout.Rgba)]
    public void WebP_gets_an_extended_header_announcing_its_chunks(bool lossless, PixelLayout layout)
    {
        var image = TestImages.Smooth(33, 17, layout);
        image.Metadata = SampleMetadata.Full(1, 33, 17, iccSize: 1001); // odd: the chunk needs padding
        var webp = ImageFile.Encode(image, ImageFormat.WebP, new EncodeOptions { Lossless = lossless });
        Assert.Equal("VP8X"u8.ToArray(), webp[12..16]);
        byte flags = webp[20];
        Assert.Equal(0x20 | 0x08 | 0x04 | (image.HasAlpha ? 0x10 : 0), flags);
        Assert.Equal(32, webp[24] | webp[25] << 8 | webp[26] << 16); // canvas width - 1
        Assert.Equal(16, webp[27] | webp[28] << 8 | webp[29] << 16);
        Assert.Equal("ICCP"u8.ToArray(), webp[30..34]);
        Assert.Equal(webp.Length - 8, BinaryPrimitives.ReadInt32LittleEndian(webp.AsSpan(4)));
        Assert.True(SampleMetadata.Find(webp, "EXIF") < SampleMetadata.Find(webp, "XMP "));

        var decoded = ImageFile.Decode(webp);
        Assert.Equal(layout, decoded.Layout);
        var bare = image.Clone();
        bare.Metadata = null;
        var plain = ImageFile.Decode(ImageFile.Encode(bare, ImageFormat.WebP, new EncodeOptions { Lossless = lossless }));
        Assert.Equal(plain.Data, decoded.Data); // the pixels are the encoder's, untouched by the rewrap
    }

    [Fact]
    public void Webp_exif_with_a_jpeg_style_prefix_is_read()
    {
        var image = TestImages.Smooth(8, 8, PixelLayout.Rgb);
        var exif = SampleMetadata.Exif(3, 8, 8);
        image.Metadata = new ImageMetadata { Exif = [.. "Exif\0\0"u8, .. exif] };
        var webp = ImageFile.Encode(image, ImageFormat.WebP);
        Assert.Equal(exif, ImageFile.ReadMetadata(webp)!.Exif);
    }

    [Fact]
    public void Png_xmp_placed_after_the_image_data_is_read()
    {
        var image = TestImages.Smooth(8, 8, PixelLayout.Rgb);
        var xmp = SampleMetadata.Xmp(1, 8, 8);
        image.Metadata = new ImageMetadata { Xmp = xmp };
        var png = ImageFile.Encode(image, ImageFormat.Png);
        var moved = MoveChunkBeforeIend(png, "iTXt");
        Assert.True(SampleMetadata.Find(moved, "iTXt") > SampleMetadata.Find(moved, "IDAT"));
        Assert.Equal(xmp, ImageFile.ReadMetadata(moved)!.Xmp);
    }

    [Fact]
    public void Png_xmp_in_a_compressed_itxt_chunk_is_read_inflated()
    {
        var png = ImageFile.Encode(TestImages.Smooth(8, 8, PixelLayout.Rgb), ImageFormat.Png);
        var xmp = SampleMetadata.Xmp(1, 8, 8);
        using var deflated = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(deflated, System.IO.Compression.CompressionLevel.Optimal))
            z.Write(xmp);
        // keyword NUL, compression flag 1, method 0, empty language tag NUL, empty translated keyword NUL, text
        byte[] data = [.. "XML:com.adobe.xmp"u8, 0, 1, 0, 0, 0, .. deflated.ToArray()];
        int idat = TestImages.FindChunk(png, "IDAT");
        byte[] withXmp = [.. png[..idat], .. TestImages.PngChunk("iTXt", data), .. png[idat..]];
        Assert.Equal(-1, SampleMetadata.Find(withXmp, SampleMetadata.Title)); // only compressed in the file
        Assert.Equal(xmp, ImageFile.ReadMetadata(withXmp)!.Xmp);
    }

    [Fact]
    public void An_icc_profile_for_other_channels_is_not_written()
    {
        var gray = TestImages.Smooth(8, 8, PixelLayout.Gray);
        gray.Metadata = new ImageMetadata { Icc = SampleMetadata.Icc("RGB ", 500) };
        Assert.Null(ImageFile.ReadMetadata(ImageFile.Encode(gray, ImageFormat.Png)));
        Assert.Null(ImageFile.ReadMetadata(ImageFile.Encode(gray, ImageFormat.Jpeg)));
        Assert.NotNull(ImageFile.ReadMetadata(ImageFile.Encode(gray, ImageFormat.WebP))!.Icc); // WebP stores gray as RGB

        gray.Metadata = new ImageMetadata { Icc = SampleMetadata.Icc("GRAY", 500) };
        Assert.Equal(gray.Metadata.Icc, ImageFile.ReadMetadata(ImageFile.Encode(gray, ImageFormat.Png))!.Icc);
        Assert.Equal(gray.Metadata.Icc, ImageFile.ReadMetadata(ImageFile.Encode(gray, ImageFormat.Jpeg))!.Icc);
    }

    [Fact]
    public void Files_without_metadata_read_as_none_and_images_without_it_write_none()
    {
        var image = TestImages.Smooth(8, 8, PixelLayout.Rgb);
        foreach (var format in new[] { ImageFormat.Png, ImageFormat.Jpeg, ImageFormat.WebP })
        {
            var bytes = ImageFile.Encode(image, format);
            Assert.Null(ImageFile.ReadMetadata(bytes));
            Assert.Equal(-1, SampleMetadata.Find(bytes, "Exif"));
            Assert.Equal(-1, SampleMetadata.Find(bytes, "VP8X"));
        }
    }

    /// <summary>PNG chunks carry their own CRC, so one can be moved whole.</summary>
    static byte[] MoveChunkBeforeIend(byte[] png, string type)
    {
        int at = SampleMetadata.Find(png, type) - 4;
        int length = 12 + BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
        var chunk = png[at..(at + length)];
        var rest = png[..at].Concat(png[(at + length)..]).ToArray();
        int iend = SampleMetadata.Find(rest, "IEND") - 4;
        return [.. rest[..iend], .. chunk, .. rest[iend..]];
    }
}
