namespace Restora.Imaging.Tests.Metadata;

public class OrientationTests
{
    // The stored 3x2 picture "abc/def" as a viewer shows it for each EXIF orientation.
    [Theory]
    [InlineData(1, 3, "abc|def")]
    [InlineData(2, 3, "cba|fed")]
    [InlineData(3, 3, "fed|cba")]
    [InlineData(4, 3, "def|abc")]
    [InlineData(5, 2, "ad|be|cf")]
    [InlineData(6, 2, "da|eb|fc")]
    [InlineData(7, 2, "fc|eb|da")]
    [InlineData(8, 2, "cf|be|ad")]
    public void Each_orientation_turns_the_pixels_as_a_viewer_would(int orientation, int width, string expected)
    {
        var stored = Letters("abc|def", channels: 2);
        var upright = Orientation.Apply(stored, orientation);
        Assert.Equal(width, upright.Width);
        Assert.Equal(expected, Text(upright, 0));
        Assert.Equal(expected.ToUpperInvariant(), Text(upright, 1)); // every plane moves the same way
    }

    [Fact]
    public void Loading_applies_the_tag_and_saving_then_writes_orientation_1()
    {
        var stored = TestImage(40, 30);
        stored.Metadata = SampleMetadata.Full(6, 40, 30);
        var png = ImageFile.Encode(stored, ImageFormat.Png);
        Assert.Equal(6, ImageFile.ReadMetadata(png)!.Orientation);

        var loaded = ImageFile.Decode(png);
        Assert.Equal((30, 40), (loaded.Width, loaded.Height));
        Assert.Equal(Codes(Orientation.Apply(stored, 6)), Codes(loaded));
        Assert.Equal(1, loaded.Metadata!.Orientation);
        Assert.Equal(6, loaded.Metadata.AppliedOrientation);

        var saved = ImageFile.ReadMetadata(ImageFile.Encode(loaded, ImageFormat.Png))!;
        Assert.Equal(1, saved.Orientation);
        Assert.Equal(30u, Exif.ReadNumber(saved.Exif!, ExifDirectory.Exif, Exif.PixelXDimensionTag));
        Assert.Contains("tiff:Orientation=\"1\"", saved.XmpText);

        var raw = ImageFile.Decode(png, new DecodeOptions { ApplyOrientation = false });
        Assert.Equal(Codes(stored), Codes(raw));
        Assert.Equal(6, raw.Metadata!.Orientation);
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(6, false)]
    [InlineData(3, false)]
    public void The_exif_thumbnail_is_unlinked_only_when_the_pixels_were_turned(int orientation, bool kept)
    {
        var stored = TestImage(16, 8);
        stored.Metadata = new ImageMetadata { Exif = SampleMetadata.Exif(orientation, 16, 8, thumbnail: true) };
        var loaded = ImageFile.Decode(ImageFile.Encode(stored, ImageFormat.Jpeg));
        Assert.Equal(kept, Exif.HasThumbnail(loaded.Metadata!.Exif!));
        Assert.Equal(1, loaded.Metadata.Orientation);
    }

    [Fact]
    public void A_jpeg_round_trip_in_degrade_does_not_turn_an_image_whose_tag_was_not_applied()
    {
        var stored = TestImage(24, 16);
        stored.Metadata = SampleMetadata.Full(8, 24, 16);
        var degraded = Degrade.Jpeg(stored, 90);
        Assert.Equal((24, 16), (degraded.Width, degraded.Height));
    }

    static int[] Codes(Image image) => image.Data.Select(v => Image.ToCode(v, 255)).ToArray();

    static Image TestImage(int width, int height)
    {
        var image = new Image(width, height, PixelLayout.Rgb);
        for (int i = 0; i < image.Data.Length; i++) image.Data[i] = i % 251 / 255f;
        return image;
    }

    static Image Letters(string rows, int channels)
    {
        var lines = rows.Split('|');
        var image = new Image(lines[0].Length, lines.Length, (PixelLayout)channels);
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < lines.Length; y++)
                for (int x = 0; x < lines[0].Length; x++)
                    image.Plane(c)[y * image.Width + x] = (lines[y][x] - 'a' + 1 + 100 * c) / 1000f;
        return image;
    }

    static string Text(Image image, int channel)
    {
        var rows = new List<string>();
        for (int y = 0; y < image.Height; y++)
        {
            var row = new char[image.Width];
            for (int x = 0; x < image.Width; x++)
            {
                int code = (int)MathF.Round(image.Plane(channel)[y * image.Width + x] * 1000) - 100 * channel;
                row[x] = (char)((channel == 0 ? 'a' : 'A') + code - 1);
            }
            rows.Add(new string(row));
        }
        return string.Join('|', rows);
    }
}
