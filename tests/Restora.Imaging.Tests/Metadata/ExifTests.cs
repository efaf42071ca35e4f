namespace Restora.Imaging.Tests.Metadata;

public class ExifTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_every_directory_in_either_byte_order(bool bigEndian)
    {
        var exif = SampleMetadata.Exif(6, 640, 480, bigEndian);
        Assert.Equal(bigEndian ? (byte)'M' : (byte)'I', exif[0]);
        Assert.Equal(6, Exif.ReadOrientation(exif));
        Assert.Equal(SampleMetadata.Make, Exif.ReadAscii(exif, ExifDirectory.Image, SampleMetadata.MakeTag));
        Assert.Equal(SampleMetadata.DateTaken, Exif.ReadAscii(exif, ExifDirectory.Exif, SampleMetadata.DateTimeOriginalTag));
        Assert.Equal(640u, Exif.ReadNumber(exif, ExifDirectory.Exif, Exif.PixelXDimensionTag));
        Assert.Equal(480u, Exif.ReadNumber(exif, ExifDirectory.Exif, Exif.PixelYDimensionTag));
        Assert.Equal("N", Exif.ReadAscii(exif, ExifDirectory.Gps, SampleMetadata.GpsLatitudeRefTag));
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    public void Edits_change_exactly_the_value_bytes_and_nothing_else(bool bigEndian, bool longDimensions)
    {
        var exif = SampleMetadata.Exif(8, 640, 480, bigEndian, longDimensions);
        var edited = Exif.WithPixelDimensions(Exif.WithOrientation(exif, 1), 1280, 960);
        Assert.Equal(1, Exif.ReadOrientation(edited));
        Assert.Equal(1280u, Exif.ReadNumber(edited, ExifDirectory.Exif, Exif.PixelXDimensionTag));
        Assert.Equal(960u, Exif.ReadNumber(edited, ExifDirectory.Exif, Exif.PixelYDimensionTag));
        // The same block built with the new values from scratch is the same bytes: nothing moved.
        Assert.Equal(SampleMetadata.Exif(1, 1280, 960, bigEndian, longDimensions), edited);
        Assert.Equal(8, Exif.ReadOrientation(exif)); // the input is not modified
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Unlinking_the_thumbnail_clears_only_the_next_directory_offset(bool bigEndian)
    {
        var exif = SampleMetadata.Exif(6, 64, 48, bigEndian, thumbnail: true);
        Assert.True(Exif.HasThumbnail(exif));
        var unlinked = Exif.WithoutThumbnail(exif);
        Assert.False(Exif.HasThumbnail(unlinked));
        // IFD0 sits at 8 with four entries, so its next-directory offset is the 4 bytes at 8 + 2 + 4 * 12.
        const int nextField = 58;
        Assert.NotEqual(0, exif.AsSpan(nextField, 4).ToArray().Max());
        var expected = (byte[])exif.Clone();
        expected.AsSpan(nextField, 4).Clear();
        Assert.Equal(expected, unlinked);
        Assert.False(Exif.HasThumbnail(SampleMetadata.Exif(6, 64, 48, bigEndian)));
    }

    [Fact]
    public void A_short_dimension_too_narrow_for_the_new_size_is_left_alone()
    {
        var exif = SampleMetadata.Exif(1, 640, 480, longDimensions: false);
        var edited = Exif.WithPixelDimensions(exif, 70000, 500);
        Assert.Equal(640u, Exif.ReadNumber(edited, ExifDirectory.Exif, Exif.PixelXDimensionTag));
        Assert.Equal(500u, Exif.ReadNumber(edited, ExifDirectory.Exif, Exif.PixelYDimensionTag));
    }

    [Fact]
    public void A_block_that_does_not_parse_is_returned_unchanged()
    {
        byte[] notTiff = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        Assert.Equal(notTiff, Exif.WithOrientation(notTiff, 1));
        Assert.Null(Exif.ReadOrientation(notTiff));

        // An IFD offset pointing past the end, and a block cut inside its directory.
        var exif = SampleMetadata.Exif(6, 10, 10);
        var wild = (byte[])exif.Clone();
        wild[4] = 0xF0;
        Assert.Equal(wild, Exif.WithPixelDimensions(Exif.WithOrientation(wild, 1), 5, 5));
        var cut = exif[..20];
        Assert.Equal(cut, Exif.WithPixelDimensions(Exif.WithOrientation(cut, 1), 5, 5));
        Assert.Null(Exif.ReadAscii(cut, ExifDirectory.Gps, SampleMetadata.GpsLatitudeRefTag));
    }

    [Fact]
    public void Xmp_pixel_properties_are_rewritten_and_the_rest_kept()
    {
        var metadata = new ImageMetadata { Xmp = SampleMetadata.Xmp(6, 640, 480) };
        var after = metadata.AfterApplying(6).ForSize(960, 1280);
        Assert.Equal(SampleMetadata.Xmp(1, 960, 1280), after.Xmp);
        Assert.Contains(SampleMetadata.Keyword, after.XmpText);

        byte[] unrelated = [.. "<x:xmpmeta>"u8, 0xFF, .. "no pixel properties</x:xmpmeta>"u8]; // not even valid UTF-8
        Assert.Same(unrelated, new ImageMetadata { Xmp = unrelated }.ForSize(1, 1).Xmp);
    }
}
