using Restora.Imaging;

namespace Restora.Cli.Tests;

/// <summary>Restore commands over animated GIF, WebP and PNG: every frame restored, delays and loop count kept.</summary>
public sealed class AnimationCommandTests : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    static byte[] Animated(ImageFormat format, int loops) =>
        Animation.Encode(Enumerable.Range(0, 3).Select(i =>
        {
            var image = TestFiles.Pattern(24, 20, PixelLayout.Rgb);
            for (int k = 0; k < image.Data.Length; k++) image.Data[k] = MathF.Round(image.Data[k] * 5 + i) % 6 / 5f; // few colors, a new frame each time
            return new AnimationFrame(image, 80 + 40 * i);
        }), format, loops, new EncodeOptions { Lossless = true });

    [Theory]
    [InlineData("gif", "webp")]
    [InlineData("webp", "png")]
    [InlineData("png", "gif")]
    public void Upscale_restores_every_frame_and_keeps_the_timing(string from, string to)
    {
        File.WriteAllBytes(dir["in." + from], Animated(ImageFile.FormatFromExtension("x." + from), loops: 4));

        var r = CliRunner.Run("upscale", dir["in." + from], "-o", dir["out." + to], "--model", "restora-sr-x2", "--json");

        Assert.True(r.ExitCode == 0, r.Stderr);
        var (frames, loops) = Animation.Decode(File.ReadAllBytes(dir["out." + to]));
        Assert.Equal(4, loops);
        Assert.Equal([80, 120, 160], frames.Select(f => f.DelayMs));
        Assert.All(frames, f => Assert.Equal((48, 40), (f.Image.Width, f.Image.Height)));
        Assert.Equal(48, r.Json.GetProperty("files")[0].GetProperty("width").GetInt32());
    }

    [Fact]
    public void An_animation_to_a_still_format_is_a_one_line_error()
    {
        File.WriteAllBytes(dir["in.gif"], Animated(ImageFormat.Gif, loops: 0));

        var r = CliRunner.Run("denoise", dir["in.gif"], "-o", dir["out.jpg"], "--sigma", "10");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"restora: {dir["out.jpg"]}: in.gif is animated; write it as .gif, .webp or .png", r.Stderr.Trim());
        Assert.False(File.Exists(dir["out.jpg"]));
    }

    [Fact]
    public void Too_many_frames_is_refused_before_the_work()
    {
        File.WriteAllBytes(dir["in.webp"], Animated(ImageFormat.WebP, loops: 0));

        var r = CliRunner.Run("denoise", dir["in.webp"], "-o", dir["out.webp"], "--sigma", "10", "--max-frames", "2");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("over 2 frames", r.Stderr);
    }
}
