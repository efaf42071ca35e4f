namespace Restora.Imaging.Tests.Codecs;

public class ImageFileTests
{
    [Fact]
    public void Sniff_RecognizesEachFormatByItsMagicBytes()
    {
        var image = new Image(4, 4, PixelLayout.Rgb);

        Assert.Equal(ImageFormat.Png, ImageFile.Sniff(ImageFile.Encode(image, ImageFormat.Png)));
        Assert.Equal(ImageFormat.Jpeg, ImageFile.Sniff(ImageFile.Encode(image, ImageFormat.Jpeg)));
        Assert.Equal(ImageFormat.WebP, ImageFile.Sniff(ImageFile.Encode(image, ImageFormat.WebP)));
        Assert.Equal(ImageFormat.Tiff, ImageFile.Sniff(ImageFile.Encode(image, ImageFormat.Tiff)));
        Assert.Equal(ImageFormat.Bmp, ImageFile.Sniff(ImageFile.Encode(image, ImageFormat.Bmp)));
        Assert.Equal(ImageFormat.Heic, ImageFile.Sniff(ImageFile.Encode(image, ImageFormat.Heic)));
        Assert.Equal(ImageFormat.Avif, ImageFile.Sniff(ImageFile.Encode(image, ImageFormat.Avif)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello, world")]
    [InlineData("RIFF\0\0\0\0WAVEfmt ")]   // RIFF, but audio
    [InlineData("\u0089PNG")]               // a PNG signature cut short
    [InlineData("BM, and then some text")] // "BM" without a header size BMP knows
    [InlineData("\0\0\0\u0014ftypisom\0\0\0\0mp41")] // an MP4 video
    public void Sniff_ReturnsNullForAnythingElse(string text)
    {
        Assert.Null(ImageFile.Sniff(text.Select(c => (byte)c).ToArray()));
    }

    [Theory]
    [InlineData("a.png", ImageFormat.Png)]
    [InlineData("dir.x/A.PNG", ImageFormat.Png)]
    [InlineData("a.jpg", ImageFormat.Jpeg)]
    [InlineData("a.JPEG", ImageFormat.Jpeg)]
    [InlineData("a.WebP", ImageFormat.WebP)]
    [InlineData("a.tif", ImageFormat.Tiff)]
    [InlineData("a.TIFF", ImageFormat.Tiff)]
    [InlineData("a.bmp", ImageFormat.Bmp)]
    [InlineData("a.heic", ImageFormat.Heic)]
    [InlineData("a.HEIF", ImageFormat.Heic)]
    [InlineData("a.avif", ImageFormat.Avif)]
    [InlineData("a.GIF", ImageFormat.Gif)]
    public void FormatFromExtension_IgnoresCase(string path, ImageFormat expected)
    {
        Assert.Equal(expected, ImageFile.FormatFromExtension(path));
        Assert.True(ImageFile.HasImageExtension(path));
    }

    [Fact]
    public void FormatFromExtension_NamesTheUnsupportedExtension()
    {
        var e = Assert.Throws<ImageFileException>(() => ImageFile.FormatFromExtension("out/x.jxl"));

        Assert.Equal("out/x.jxl: unsupported extension '.jxl' (use .png, .jpg, .jpeg, .webp, .gif, .tif, .tiff, .bmp, .heic, .heif or .avif)", e.Message);
        Assert.Equal("out/x.jxl", e.Path);
        Assert.False(ImageFile.HasImageExtension("out/x.jxl"));
        Assert.False(ImageFile.HasImageExtension("png"));
    }

    [Fact]
    public void Load_DecodesByContentNotExtension()
    {
        using var folder = new TempFolder();
        var image = TestImages.RandomCodes(9, 7, PixelLayout.Rgb, 16);
        string path = folder.File("really-a-png.jpg");
        File.WriteAllBytes(path, ImageFile.Encode(image, ImageFormat.Png));

        // A JPEG decoder could not produce 16-bit samples: exactness proves PNG decoding.
        TestImages.AssertSameCodes(image, ImageFile.Load(path));
    }

    [Theory]
    [InlineData(ImageFormat.Png, "PNG")]
    [InlineData(ImageFormat.Jpeg, "JPEG")]
    [InlineData(ImageFormat.WebP, "WebP")]
    [InlineData(ImageFormat.Tiff, "TIFF")]
    [InlineData(ImageFormat.Bmp, "BMP")]
    [InlineData(ImageFormat.Heic, "HEIC")]
    [InlineData(ImageFormat.Avif, "AVIF")]
    public void CheckComplete_PassesWholeFilesAndRefusesCutOnes(ImageFormat format, string name)
    {
        var image = TestImages.RandomCodes(40, 30, PixelLayout.Rgb, 8);
        image.Metadata = new ImageMetadata { Xmp = "<x:xmpmeta/>"u8.ToArray() }; // WebP then has a VP8X header too
        var bytes = ImageFile.Encode(image, format);
        ImageFile.CheckComplete(bytes);
        foreach (int length in new[] { bytes.Length - 1, bytes.Length / 2, 20 })
        {
            var e = Assert.Throws<ImageFormatException>(() => ImageFile.CheckComplete(bytes.AsSpan(0, length)));
            Assert.Contains(name, e.Message);
        }
        Assert.Throws<ImageFormatException>(() => ImageFile.CheckComplete("GIF89a, not one of ours"u8));
    }

    [Fact]
    public void CheckComplete_OfAFile_NamesThePath_ForTheNewFormatsToo()
    {
        using var folder = new TempFolder();
        var image = TestImages.RandomCodes(20, 10, PixelLayout.Rgb, 8);
        foreach (var name in new[] { "a.tif", "a.bmp", "a.heic", "a.avif" })
        {
            ImageFile.Save(image, folder.File(name));
            ImageFile.CheckComplete(folder.File(name));
            var bytes = File.ReadAllBytes(folder.File(name));
            File.WriteAllBytes(folder.File("cut-" + name), bytes[..(bytes.Length * 2 / 3)]);
            var e = Assert.Throws<ImageFileException>(() => ImageFile.CheckComplete(folder.File("cut-" + name)));
            Assert.StartsWith(folder.File("cut-" + name) + ": truncated ", e.Message);
        }
    }

    [Fact]
    public void CheckComplete_AcceptsZeroPaddingAfterJpegEnd_AndNamesThePathOfAFile()
    {
        var jpeg = ImageFile.Encode(TestImages.RandomCodes(8, 8, PixelLayout.Rgb, 8), ImageFormat.Jpeg);
        ImageFile.CheckComplete([.. jpeg, 0, 0, 0]);

        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("cut.jpg"), jpeg[..^2]);
        var e = Assert.Throws<ImageFileException>(() => ImageFile.CheckComplete(folder.File("cut.jpg")));
        Assert.StartsWith(folder.File("cut.jpg") + ": truncated JPEG", e.Message);
    }

    [Fact]
    public void Save_RemovesTempFilesOfKilledWritersOnly()
    {
        using var folder = new TempFolder();
        // Process ids stop well below int.MaxValue on Linux, so that writer is certainly gone.
        string dead = folder.File($".a.png.{int.MaxValue}.{Guid.NewGuid():N}.tmp");
        string alive = folder.File($".a.png.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        string otherOutput = folder.File($".b.png.{int.MaxValue}.{Guid.NewGuid():N}.tmp");
        foreach (var temp in new[] { dead, alive, otherOutput }) File.WriteAllBytes(temp, [1, 2, 3]);

        ImageFile.Save(TestImages.RandomCodes(4, 4, PixelLayout.Rgb, 8), folder.File("a.png"));

        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(alive));       // a running writer may be about to rename it
        Assert.True(File.Exists(otherOutput)); // b.png's writer cleans up after itself
        Assert.Equal(4, ImageFile.Load(folder.File("a.png")).Width);
    }

    [Fact]
    public void SaveThenLoad_RoundTripsThroughTheFormatOfTheExtension()
    {
        using var folder = new TempFolder();
        var image = TestImages.RandomCodes(9, 7, PixelLayout.Rgba, 8);

        ImageFile.Save(image, folder.File("a.png"));
        ImageFile.Save(image, folder.File("a.webp"), new EncodeOptions { Lossless = true });
        ImageFile.Save(image, folder.File("a.jpeg"));
        ImageFile.Save(image, folder.File("a.tiff"));
        ImageFile.Save(image, folder.File("a.bmp"));
        ImageFile.Save(image, folder.File("a.heif"));
        ImageFile.Save(image, folder.File("a.avif"));

        TestImages.AssertSameCodes(image, ImageFile.Load(folder.File("a.png")));
        TestImages.AssertSameCodes(image, ImageFile.Load(folder.File("a.webp")));
        TestImages.AssertSameCodes(image, ImageFile.Load(folder.File("a.tiff")));
        TestImages.AssertSameCodes(image, ImageFile.Load(folder.File("a.bmp")));
        Assert.Equal(ImageFormat.Jpeg, ImageFile.Sniff(File.ReadAllBytes(folder.File("a.jpeg"))));
        Assert.Equal(ImageFormat.Heic, ImageFile.Sniff(File.ReadAllBytes(folder.File("a.heif"))));
        Assert.Equal(ImageFormat.Avif, ImageFile.Sniff(File.ReadAllBytes(folder.File("a.avif"))));
        Assert.Equal(["a.avif", "a.bmp", "a.heif", "a.jpeg", "a.png", "a.tiff", "a.webp"], folder.Names());
    }

    public static TheoryData<string, byte[], string> BadFiles()
    {
        var png = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), ImageFormat.Png);
        var jpeg = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), ImageFormat.Jpeg);
        var webp = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), ImageFormat.WebP);
        var tiff = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), ImageFormat.Tiff);
        var bmp = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), ImageFormat.Bmp);
        var avif = ImageFile.Encode(TestImages.RandomCodes(64, 64, PixelLayout.Rgb, 8), ImageFormat.Avif);
        var random = new byte[1000];
        new Random(7).NextBytes(random);
        return new()
        {
            { "empty.png", [], "empty file" },
            { "notes.png", "just some text\n"u8.ToArray(), "not an image" },
            { "noise.jpg", random, "not an image" },
            { "cut.png", png[..(png.Length / 2)], "truncated PNG" },
            { "cut.jpg", jpeg[..(jpeg.Length / 2)], "truncated JPEG" },
            { "cut.webp", webp[..(webp.Length / 2)], "truncated WebP" },
            { "cut.tif", tiff[..(tiff.Length / 2)], "truncated TIFF" },
            { "cut.bmp", bmp[..(bmp.Length / 2)], "truncated BMP" },
            { "cut.avif", avif[..(avif.Length / 2)], "truncated AVIF" },
        };
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Load_BadContent_IsOneLineNamingPathAndProblem(string name, byte[] content, string problem)
    {
        using var folder = new TempFolder();
        string path = folder.File(name);
        File.WriteAllBytes(path, content);

        var e = Assert.Throws<ImageFileException>(() => ImageFile.Load(path));

        AssertOneLine(e, path, problem);
    }

    [Fact]
    public void Load_MissingFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("nope/missing.png");

        AssertOneLine(Assert.Throws<ImageFileException>(() => ImageFile.Load(path)), path, "no such file");
    }

    [Fact]
    public void Load_Directory()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("d.png"));

        AssertOneLine(Assert.Throws<ImageFileException>(() => ImageFile.Load(folder.File("d.png"))), folder.File("d.png"), "is a directory");
    }

    // chmod 000 cannot make a file unreadable for root, who runs these tests, so the read failure is produced
    // differently: /proc/self/mem exists but reading it from offset 0 fails with EIO.
    [Fact]
    public void Load_UnreadableFile()
    {
        const string path = "/proc/self/mem";

        var e = Assert.Throws<ImageFileException>(() => ImageFile.Load(path));

        AssertOneLine(e, path, "cannot read");
        Assert.Equal(1, e.Message.Split(path).Length - 1); // the path is named once
    }

    [Fact]
    public void Load_TooManyPixels_IsRefusedWithTheLimitInTheMessage()
    {
        using var folder = new TempFolder();
        string path = folder.File("big.png");
        File.WriteAllBytes(path, ImageFile.Encode(new Image(300, 200, PixelLayout.Rgb), ImageFormat.Png));

        var e = Assert.Throws<ImageFileException>(() => ImageFile.Load(path, new DecodeOptions { MaxPixels = 50_000 }));

        Assert.Equal($"{path}: PNG image is 300x200 = 0.06 megapixels, over the limit of 0.05 megapixels (--max-pixels)", e.Message);
    }

    [Fact]
    public void Save_RefusesAnExistingFileAndLeavesItAlone()
    {
        using var folder = new TempFolder();
        string path = folder.File("out.png");
        File.WriteAllText(path, "precious");

        var e = Assert.Throws<ImageFileException>(() => ImageFile.Save(new Image(4, 4, PixelLayout.Rgb), path));

        Assert.Equal($"{path}: exists (use --overwrite)", e.Message);
        Assert.Equal("precious", File.ReadAllText(path));
        Assert.Equal(["out.png"], folder.Names());
    }

    [Fact]
    public void Save_WithOverwrite_ReplacesTheFileAndLeavesNoTempFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("out.png");
        File.WriteAllText(path, "old");
        var image = TestImages.RandomCodes(5, 5, PixelLayout.Gray, 8);

        ImageFile.Save(image, path, overwrite: true);

        TestImages.AssertSameCodes(image, ImageFile.Load(path));
        Assert.Equal(["out.png"], folder.Names());
    }

    [Fact]
    public void Save_FailedEncode_LeavesNoFileBehind()
    {
        using var folder = new TempFolder();
        string path = folder.File("wide.webp");

        var e = Assert.Throws<ImageFileException>(() => ImageFile.Save(new Image(16384, 1, PixelLayout.Rgb), path));

        Assert.StartsWith($"{path}: WebP encoding failed", e.Message);
        Assert.Empty(folder.Names());
    }

    [Fact]
    public void Save_IntoMissingFolder_NamesThePath()
    {
        using var folder = new TempFolder();
        string path = folder.File("missing/out.png");

        var e = Assert.Throws<ImageFileException>(() => ImageFile.Save(new Image(4, 4, PixelLayout.Rgb), path));

        AssertOneLine(e, path, "does not exist");
        Assert.Empty(folder.Names());
    }

    [Fact]
    public void Save_OntoADirectory_IsRefusedEvenWithOverwrite()
    {
        using var folder = new TempFolder();
        string path = folder.File("taken.png");
        Directory.CreateDirectory(path);

        var e = Assert.Throws<ImageFileException>(() => ImageFile.Save(new Image(4, 4, PixelLayout.Rgb), path, overwrite: true));

        AssertOneLine(e, path, "is a directory");
        Assert.Equal(["taken.png"], folder.Names());
    }

    [Fact]
    public void Save_UnsupportedExtension_WritesNothing()
    {
        using var folder = new TempFolder();

        Assert.Throws<ImageFileException>(() => ImageFile.Save(new Image(4, 4, PixelLayout.Rgb), folder.File("a.jxl")));

        Assert.Empty(folder.Names());
    }

    private static void AssertOneLine(ImageFileException e, string path, string problem)
    {
        Assert.Equal(path, e.Path);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(problem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.DoesNotContain('\r', e.Message);
    }
}
