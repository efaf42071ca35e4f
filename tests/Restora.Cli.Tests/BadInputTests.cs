using Restora.Imaging;

namespace Restora.Cli.Tests;

/// <summary>Every bad input ends in exit 1 with one line that names the file, never a stack trace.</summary>
public class BadInputTests
{
    static void AssertOneLineError(CliResult r, string path, string? problem = null)
    {
        Assert.Equal(1, r.ExitCode);
        var lines = r.Stderr.Trim().Split('\n');
        Assert.Single(lines);
        Assert.Contains(path, lines[0]);
        Assert.DoesNotContain("   at ", r.Stderr);
        if (problem is not null) Assert.Contains(problem, lines[0], StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", r.Stdout);
    }

    public static TheoryData<string, byte[]> BadFiles()
    {
        var png = ImageFile.Encode(TestFiles.Pattern(64, 64), ImageFormat.Png);
        var jpg = ImageFile.Encode(TestFiles.Pattern(64, 64), ImageFormat.Jpeg);
        return new()
        {
            { "empty.png", [] },
            { "truncated.png", png[..(png.Length / 2)] },
            { "truncated.jpg", jpg[..(jpg.Length / 2)] },
            { "random.webp", Enumerable.Range(0, 500).Select(i => (byte)(i * 37 % 251)).ToArray() },
            { "text.png", "this is not a picture"u8.ToArray() },
            { "corrupt.png", Corrupt(png) },
        };
    }

    static byte[] Corrupt(byte[] png)
    {
        var copy = (byte[])png.Clone();
        for (int i = 60; i < copy.Length - 20; i += 7) copy[i] ^= 0x5A; // damages compressed data and CRCs
        return copy;
    }

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Damaged_files_are_refused_with_one_line(string name, byte[] bytes)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir[name], bytes);
        var before = File.ReadAllBytes(dir[name]);
        AssertOneLineError(CliRunner.Run("resize", dir[name], "-o", dir["out.png"], "--scale", "2"), dir[name]);
        Assert.False(File.Exists(dir["out.png"]));
        Assert.Equal(before, File.ReadAllBytes(dir[name])); // inputs are never modified
    }

    [Fact]
    public void A_png_named_jpg_is_read_by_its_content()
    {
        using var dir = new TempDir();
        TestFiles.WritePng(dir["real.png"]);
        File.Copy(dir["real.png"], dir["mislabeled.jpg"]);
        var r = CliRunner.Run("metrics", dir["real.png"], dir["mislabeled.jpg"], "--json");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(1.0, r.Json.GetProperty("ssim").GetDouble(), 9);
    }

    [Fact]
    public void A_missing_file_and_a_folder_given_as_a_file_are_named()
    {
        using var dir = new TempDir();
        AssertOneLineError(CliRunner.Run("metrics", dir["nope.png"], dir["nope.png"]), dir["nope.png"], "no such file");
        Directory.CreateDirectory(dir["folder.png"]);
        TestFiles.WritePng(dir["a.png"]);
        AssertOneLineError(CliRunner.Run("metrics", dir["a.png"], dir["folder.png"]), dir["folder.png"]);
    }

    [Fact]
    public void An_image_over_the_pixel_limit_is_refused_before_decoding()
    {
        using var dir = new TempDir();
        TestFiles.WritePng(dir["big.png"], 400, 300);
        var r = CliRunner.Run("resize", dir["big.png"], "-o", dir["out.png"], "--scale", "2", "--max-pixels", "100000");
        AssertOneLineError(r, dir["big.png"], "megapixels");
    }

    [Fact]
    public void An_unknown_output_extension_is_refused_before_any_work()
    {
        using var dir = new TempDir();
        TestFiles.WritePng(dir["a.png"]);
        AssertOneLineError(CliRunner.Run("resize", dir["a.png"], "-o", dir["a.xyz"], "--scale", "2"), dir["a.xyz"], "extension");
    }

    [Fact]
    public void Output_onto_the_input_is_refused()
    {
        using var dir = new TempDir();
        TestFiles.WritePng(dir["a.png"]);
        var before = File.ReadAllBytes(dir["a.png"]);
        AssertOneLineError(CliRunner.Run("resize", dir["a.png"], "-o", dir["a.png"], "--scale", "2", "--overwrite"), dir["a.png"]);
        Assert.Equal(before, File.ReadAllBytes(dir["a.png"]));
    }
}
