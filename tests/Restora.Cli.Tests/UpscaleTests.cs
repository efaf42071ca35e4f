using Restora.Imaging;

namespace Restora.Cli.Tests;

/// <summary>`upscale`, `models` and `bench model` through the real command, with the small slim model.</summary>
public class UpscaleTests
{
    [Fact]
    public void Models_list_names_every_catalog_model_with_its_source()
    {
        var r = CliRunner.Run("models", "list", "--json");
        Assert.Equal(0, r.ExitCode);
        var names = r.Json.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        foreach (var s in new[] { 2, 3, 4, 8 })
            foreach (var size in new[] { "slim", "medium", "thick" })
                Assert.Contains($"esrgan-{size}-x{s}", names);
        Assert.Contains("default-x2", names);
        var thick = r.Json.GetProperty("models").EnumerateArray().First(m => m.GetProperty("name").GetString() == "esrgan-thick-x4");
        Assert.Equal("@upscalerjs/esrgan-thick", thick.GetProperty("package").GetString());
        Assert.Equal("MIT", thick.GetProperty("license").GetString());
        Assert.Equal(1, thick.GetProperty("input_range").GetDouble());
    }

    [Fact]
    public void Unknown_models_are_user_errors()
    {
        Assert.Equal(1, CliRunner.Run("models", "info", "esrgan-huge-x4").ExitCode);
        var r = CliRunner.Run("upscale", "x.png", "-o", "y.png", "--model", "esrgan-huge-x4");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("esrgan-huge-x4", r.Stderr);
        var mismatch = CliRunner.Run("upscale", "x.png", "-o", "y.png", "--model", "esrgan-slim-x4", "--scale", "2");
        Assert.Equal(1, mismatch.ExitCode);
        Assert.Contains("x4", mismatch.Stderr);
    }

    [Theory]
    [InlineData(PixelLayout.Rgb, 8, ".png")]
    [InlineData(PixelLayout.Rgba, 8, ".png")]
    [InlineData(PixelLayout.Gray, 8, ".png")]
    [InlineData(PixelLayout.Rgb, 16, ".png")]
    [InlineData(PixelLayout.Rgb, 8, ".jpg")]
    [InlineData(PixelLayout.Rgba, 8, ".webp")]
    public void Upscale_keeps_layout_and_depth_and_enlarges_by_the_model_scale(PixelLayout layout, int depth, string ext)
    {
        using var dir = new TempDir();
        var image = TestFiles.Pattern(20, 14, layout);
        image.BitDepth = depth;
        ImageFile.Save(image, dir["in" + ext]);
        var r = CliRunner.Run("upscale", dir["in" + ext], "-o", dir["out" + ext], "--model", "esrgan-slim-x4", "--tile", "8", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var output = ImageFile.Load(dir["out" + ext]);
        Assert.Equal((80, 56), (output.Width, output.Height));
        if (ext == ".png") Assert.Equal((layout, depth), (output.Layout, output.BitDepth));
        Assert.Equal("done", r.Json.GetProperty("files")[0].GetProperty("status").GetString());
        Assert.Equal("esrgan-slim-x4", r.Json.GetProperty("model").GetString());
        Assert.Equal(4, r.Json.GetProperty("scale").GetInt32());
        Assert.True(r.Json.GetProperty("peak_memory_mb").GetInt64() > 0);
        Assert.True(r.Json.GetProperty("files")[0].GetProperty("seconds").GetDouble() > 0);
    }

    [Fact]
    public void Bench_model_reports_time_flops_and_rate()
    {
        var r = CliRunner.Run("bench", "model", "esrgan-slim-x4", "--size", "32", "--repeat", "1", "--json");
        Assert.True(r.ExitCode == 0, r.Stderr);
        double seconds = r.Json.GetProperty("seconds").GetDouble(), gflop = r.Json.GetProperty("gflop").GetDouble();
        Assert.True(seconds > 0);
        Assert.Equal(8.27 / 16, gflop, 1); // slim x4 is 8.27 GFLOP on 128x128; FLOPs scale with the area
        double rate = r.Json.GetProperty("gflops").GetDouble();
        Assert.InRange(rate, 0.95 * gflop / seconds, 1.05 * gflop / seconds); // the printed figures are rounded
    }
}
