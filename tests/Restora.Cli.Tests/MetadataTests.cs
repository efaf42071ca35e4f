using Restora.Imaging;
using Restora.Imaging.Tests.Metadata;

namespace Restora.Cli.Tests;

/// <summary>
/// EXIF (orientation, camera, date, GPS), XMP, ICC and IPTC through commands that write images, on real files built
/// with the codecs: checked with our parser and in the raw bytes of the output.
/// </summary>
public class MetadataTests
{
    // A sideways photo: stored 40x24, shown 24x40 after its orientation tag is applied.
    const int StoredWidth = 40, StoredHeight = 24;

    public static TheoryData<string, string, string, int> Cases()
    {
        var data = new TheoryData<string, string, string, int>();
        foreach (var command in new[] { "upscale", "resize", "degrade" })
            foreach (var (from, to) in new[] { ("png", "png"), ("jpg", "jpg"), ("jpg", "png"), ("webp", "webp") })
                foreach (int orientation in new[] { 6, 8 })
                    data.Add(command, from, to, orientation);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Exif_xmp_and_icc_survive_with_orientation_applied_and_sizes_updated(string command, string from, string to, int orientation)
    {
        using var dir = new TempDir();
        bool bigEndian = orientation == 8; // both byte orders go through
        string input = WriteTagged(dir[$"in.{from}"], orientation, bigEndian);
        var (args, width, height) = Operation(command);
        var r = CliRunner.Run([command, input, "-o", dir[$"out.{to}"], .. args]);
        Assert.True(r.ExitCode == 0, r.Stderr);

        var bytes = File.ReadAllBytes(dir[$"out.{to}"]);
        var upright = ImageFile.Decode(bytes, new DecodeOptions { ApplyOrientation = false });
        Assert.Equal((width, height), (upright.Width, upright.Height)); // turned on load, so portrait
        var metadata = ImageFile.ReadMetadata(bytes)!;
        Assert.Equal(SampleMetadata.Exif(1, width, height, bigEndian), metadata.Exif);
        Assert.Equal(SampleMetadata.Xmp(1, width, height), metadata.Xmp);
        Assert.Equal(SampleMetadata.Icc("RGB ", 3000), metadata.Icc);
        Assert.Equal(from == "jpg" && to == "jpg" ? SampleMetadata.Iptc() : null, metadata.Iptc); // only JPEG holds IPTC
        Assert.Equal("N", Exif.ReadAscii(metadata.Exif!, ExifDirectory.Gps, SampleMetadata.GpsLatitudeRefTag));

        foreach (var text in new[] { SampleMetadata.Make, SampleMetadata.DateTaken, SampleMetadata.Title, SampleMetadata.Keyword })
            Assert.True(SampleMetadata.Find(bytes, text) >= 0, $"'{text}' is not in the output's bytes");
        Assert.True(SampleMetadata.Find(bytes, "tiff:Orientation=\"1\"") >= 0);
    }

    [Theory]
    [InlineData("resize", "png", "png")]
    [InlineData("resize", "jpg", "jpg")]
    [InlineData("resize", "jpg", "png")]
    [InlineData("resize", "webp", "webp")]
    [InlineData("degrade", "jpg", "jpg")]
    [InlineData("upscale", "jpg", "jpg")]
    [InlineData("upscale", "webp", "webp")]
    public void Strip_metadata_removes_all_of_it_and_still_turns_the_photo_upright(string command, string from, string to)
    {
        using var dir = new TempDir();
        string input = WriteTagged(dir[$"in.{from}"], 6, bigEndian: false);
        var (args, width, height) = Operation(command);
        var r = CliRunner.Run([command, input, "-o", dir[$"out.{to}"], "--strip-metadata", .. args]);
        Assert.True(r.ExitCode == 0, r.Stderr);

        var bytes = File.ReadAllBytes(dir[$"out.{to}"]);
        Assert.Null(ImageFile.ReadMetadata(bytes));
        foreach (var text in new[] { SampleMetadata.Make, SampleMetadata.Title, "Exif\0\0", "eXIf", "EXIF", "ICC_PROFILE", "iCCP", "ICCP", "XMP", "xmp", "Photoshop", "8BIM", SampleMetadata.IptcKeyword })
            Assert.True(SampleMetadata.Find(bytes, text) < 0, $"'{text}' is still in the output's bytes");
        var image = ImageFile.Decode(bytes);
        Assert.Equal((width, height), (image.Width, image.Height));
    }

    [Theory]
    [InlineData(6, false)]
    [InlineData(8, true)]
    public void A_rotated_jpeg_comes_out_upright_with_orientation_1(int orientation, bool bigEndian)
    {
        using var dir = new TempDir();
        // Upright the photo is portrait with a bright top-left quadrant; the file stores it turned the other way.
        var upright = new Image(StoredHeight, StoredWidth, PixelLayout.Rgb);
        for (int y = 0; y < upright.Height; y++)
            for (int x = 0; x < upright.Width; x++)
                for (int c = 0; c < 3; c++)
                    upright.Plane(c)[y * upright.Width + x] = x < upright.Width / 2 && y < upright.Height / 2 ? 0.95f : 0.1f;
        var stored = Orientation.Apply(upright, orientation == 6 ? 8 : 6);
        stored.Metadata = SampleMetadata.Full(orientation, StoredWidth, StoredHeight, bigEndian);
        ImageFile.Save(stored, dir["in.jpg"], new EncodeOptions { Quality = 98 });
        Assert.Equal(orientation, ImageFile.ReadMetadata(File.ReadAllBytes(dir["in.jpg"]))!.Orientation);

        var r = CliRunner.Run("resize", dir["in.jpg"], "-o", dir["out.jpg"], "--scale", "1");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var bytes = File.ReadAllBytes(dir["out.jpg"]);
        var raw = ImageFile.Decode(bytes, new DecodeOptions { ApplyOrientation = false });
        Assert.Equal((StoredHeight, StoredWidth), (raw.Width, raw.Height));
        Assert.True(Mean(raw, 0, 0) > 0.85, $"top-left quadrant mean {Mean(raw, 0, 0)}");
        Assert.True(Mean(raw, 1, 0) < 0.2 && Mean(raw, 0, 1) < 0.2 && Mean(raw, 1, 1) < 0.2);
        Assert.Equal(1, ImageFile.ReadMetadata(bytes)!.Orientation);
        // The orientation entry itself, found in the file: tag 0x0112, SHORT, count 1, value 1.
        byte[] entry = bigEndian ? [0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1] : [0x12, 0x01, 3, 0, 1, 0, 0, 0, 1, 0];
        Assert.True(bytes.AsSpan().IndexOf(entry) > 0);
    }

    /// <summary>The command's arguments and the upright output size they give for the sideways test photo.</summary>
    static (string[] Args, int Width, int Height) Operation(string command) => command switch
    {
        "upscale" => (["--model", "esrgan-slim-x4", "--tile", "16"], StoredHeight * 4, StoredWidth * 4),
        "resize" => (["--scale", "2"], StoredHeight * 2, StoredWidth * 2),
        _ => (["--downscale", "2", "--noise", "3", "--seed", "1"], StoredHeight / 2, StoredWidth / 2),
    };

    static string WriteTagged(string path, int orientation, bool bigEndian)
    {
        var image = TestFiles.Pattern(StoredWidth, StoredHeight);
        image.Metadata = SampleMetadata.Full(orientation, StoredWidth, StoredHeight, bigEndian);
        ImageFile.Save(image, path);
        Assert.Equal(orientation, ImageFile.ReadMetadata(File.ReadAllBytes(path))!.Orientation);
        return path;
    }

    /// <summary>Mean of the red plane over one quadrant (qx, qy in 0..1).</summary>
    static double Mean(Image image, int qx, int qy)
    {
        int w = image.Width / 2, h = image.Height / 2;
        double sum = 0;
        for (int y = qy * h; y < (qy + 1) * h; y++)
            for (int x = qx * w; x < (qx + 1) * w; x++)
                sum += image.Plane(0)[y * image.Width + x];
        return sum / (w * h);
    }
}
