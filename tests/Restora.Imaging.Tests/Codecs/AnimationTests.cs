using System.Diagnostics;

namespace Restora.Imaging.Tests.Codecs;

public class AnimationTests
{
    static readonly int[] Delays = [100, 40, 250];

    /// <summary>Three RGBA frames of random codes; for GIF a few colors and binary alpha, which GIF holds exactly.</summary>
    static List<AnimationFrame> Frames(bool gifSafe, int width = 23, int height = 17)
    {
        var frames = new List<AnimationFrame>();
        for (int f = 0; f < Delays.Length; f++)
        {
            var image = TestImages.RandomCodes(width, height, PixelLayout.Rgba, 8, seed: f + 1);
            int n = image.PixelCount;
            for (int i = 0; i < n; i++)
            {
                if (gifSafe)
                    for (int c = 0; c < 3; c++) image.Data[c * n + i] = MathF.Round(image.Data[c * n + i] * 4) * 51 / 255f; // 125 colors
                // Opaque but for a transparent corner: transparent RGB is not kept by every format.
                image.Data[3 * n + i] = i % width < 4 && i / width < 3 ? 0 : gifSafe ? 1 : image.Data[3 * n + i] * 0.5f + 0.5f;
                if (image.Data[3 * n + i] == 0)
                    for (int c = 0; c < 3; c++) image.Data[c * n + i] = 0;
            }
            frames.Add(new AnimationFrame(image, Delays[f]));
        }
        return frames;
    }

    [Theory]
    [InlineData(ImageFormat.Gif, 3)]
    [InlineData(ImageFormat.Gif, 0)]
    [InlineData(ImageFormat.Gif, 1)]
    [InlineData(ImageFormat.WebP, 3)]
    [InlineData(ImageFormat.WebP, 0)]
    [InlineData(ImageFormat.Png, 3)]
    [InlineData(ImageFormat.Png, 0)]
    public void RoundTrip_KeepsPixelsDelaysAndLoopCount(ImageFormat format, int loops)
    {
        var frames = Frames(gifSafe: format == ImageFormat.Gif);

        var bytes = Animation.Encode(frames, format, loops, new EncodeOptions { Lossless = true });
        var (decoded, loopCount) = Animation.Decode(bytes);

        Assert.Equal(format, ImageFile.Sniff(bytes));
        Assert.True(Animation.IsAnimated(bytes));
        Assert.Equal(loops, loopCount);
        Assert.Equal(Delays, decoded.Select(f => f.DelayMs));
        for (int f = 0; f < frames.Count; f++)
            TestImages.AssertSameCodes(frames[f].Image, decoded[f].Image);
        ImageFile.CheckComplete(bytes);
    }

    [Fact]
    public void SixteenBitApng_StaysSixteenBit()
    {
        var frames = Enumerable.Range(0, 2).Select(i => new AnimationFrame(TestImages.RandomCodes(9, 7, PixelLayout.Rgba, 16, seed: i + 5), 70)).ToList();
        foreach (var f in frames) f.Image.Plane(3).Fill(1);

        var (decoded, _) = Animation.Decode(Animation.Encode(frames, ImageFormat.Png, 0));

        Assert.All(decoded, f => Assert.Equal(16, f.Image.BitDepth));
        TestImages.AssertSameCodes(frames[1].Image, decoded[1].Image);
    }

    [Theory]
    [InlineData(ImageFormat.Gif)]
    [InlineData(ImageFormat.WebP)]
    [InlineData(ImageFormat.Png)]
    public void StillImages_AreNotAnimations_AndAnAnimationLoadsAsItsFirstFrame(ImageFormat format)
    {
        var frames = Frames(gifSafe: true);
        var still = ImageFile.Encode(frames[0].Image, format, new EncodeOptions { Lossless = true });
        var animated = Animation.Encode(frames, format, 0, new EncodeOptions { Lossless = true });

        Assert.False(Animation.IsAnimated(still));
        TestImages.AssertSameCodes(frames[0].Image, ImageFile.Decode(animated));
        TestImages.AssertSameCodes(frames[0].Image, ImageFile.Decode(still));
    }

    [Theory]
    [InlineData(ImageFormat.Gif)]
    [InlineData(ImageFormat.WebP)]
    [InlineData(ImageFormat.Png)]
    public void FrameAndPixelLimits_RefuseTheFile(ImageFormat format)
    {
        var bytes = Animation.Encode(Frames(gifSafe: true), format, 0, new EncodeOptions { Lossless = true });

        var frames = Assert.Throws<ImageFormatException>(() => Animation.Decode(bytes, new DecodeOptions { MaxFrames = 2 }));
        Assert.Contains("--max-frames", frames.Message);
        var total = Assert.Throws<ImageFormatException>(() => Animation.Decode(bytes, new DecodeOptions { MaxAnimationPixels = 23 * 17 * 2 }));
        Assert.Contains("in all", total.Message);
        var canvas = Assert.Throws<ImageFormatException>(() => Animation.Decode(bytes, new DecodeOptions { MaxPixels = 100 }));
        Assert.Contains("--max-pixels", canvas.Message);
    }

    [Theory]
    [InlineData(ImageFormat.Gif)]
    [InlineData(ImageFormat.WebP)]
    [InlineData(ImageFormat.Png)]
    public void Transform_RestoresEveryFrame_WithTheSameDelaysAndLoops(ImageFormat format)
    {
        var input = Animation.Encode(Frames(gifSafe: true), format, 5, new EncodeOptions { Lossless = true });
        var seen = new List<(int, int?)>();

        var output = Animation.Transform(input, format, image => Resize.Apply(image, image.Width * 2, image.Height * 2, 2, 2, ResizeMethod.Nearest),
            encode: new EncodeOptions { Lossless = true }, progress: (done, total) => seen.Add((done, total)));
        var (frames, loops) = Animation.Decode(output);

        Assert.Equal(5, loops);
        Assert.Equal(Delays, frames.Select(f => f.DelayMs));
        Assert.All(frames, f => Assert.Equal((46, 34), (f.Image.Width, f.Image.Height)));
        Assert.Equal([(1, 3), (2, 3), (3, 3)], seen);
    }

    [Fact]
    public void Truncated_IsAOneLineError()
    {
        var bytes = Animation.Encode(Frames(gifSafe: true), ImageFormat.Gif, 0);
        var cut = bytes[..(bytes.Length * 2 / 3)];

        var e = Assert.Throws<ImageFormatException>(() => Animation.Decode(cut));
        Assert.Contains("GIF", e.Message);
        Assert.Throws<ImageFormatException>(() => ImageFile.CheckComplete(cut));
    }

    // ---- files another program made, checked against its own decoding -------------------------------------------

    /// <summary>
    /// ffmpeg writes GIF frames as changed rectangles with transparency and APNG/WebP with its own encoders: Restora's
    /// composited frames must equal ffmpeg's own decoding of the file (as RGBA), frame by frame (for WebP, which
    /// ffmpeg cannot decode when animated, the lossless source frames).
    /// </summary>
    [Theory]
    [InlineData("gif", "")]
    [InlineData("apng", "-plays 0")]
    [InlineData("webp", "-lossless 1 -loop 0")]
    public void FfmpegFiles_DecodeToFfmpegsFrames(string extension, string options)
    {
        using var dir = new TempDirectory();
        string file = Path.Combine(dir.Path, "clip." + extension);
        // testsrc2 moves only part of the picture each frame; gif keeps its 256-color palette close enough that the
        // decoded frames are compared exactly after ffmpeg's own palette mapping.
        Ffmpeg($"-f lavfi -i testsrc2=size=64x48:rate=5:duration=1 -vf format={(extension == "gif" ? "rgb8,format=rgba" : "rgba")} {options} -y {file}");
        // ffmpeg has no animated WebP decoder: the lossless file must give back the source frames.
        Ffmpeg(extension == "webp"
            ? $"-f lavfi -i testsrc2=size=64x48:rate=5:duration=1 -f rawvideo -pix_fmt rgba -y {Path.Combine(dir.Path, "frames.rgba")}"
            : $"-i {file} -f rawvideo -pix_fmt rgba -y {Path.Combine(dir.Path, "frames.rgba")}");
        var raw = File.ReadAllBytes(Path.Combine(dir.Path, "frames.rgba"));

        var (frames, _) = Animation.Decode(File.ReadAllBytes(file));

        Assert.Equal(raw.Length / (64 * 48 * 4), frames.Count);
        for (int f = 0; f < frames.Count; f++)
        {
            var expected = new Image(64, 48, PixelLayout.Rgba);
            for (int i = 0; i < 64 * 48; i++)
                for (int c = 0; c < 4; c++) expected.Data[c * 64 * 48 + i] = raw[(f * 64 * 48 + i) * 4 + c] / 255f;
            Assert.True(TestImages.MaxCodeDifference(expected, frames[f].Image, 4) <= 0, $"frame {f} differs from ffmpeg's");
        }
        Assert.All(frames, f => Assert.Equal(200, f.DelayMs));
    }

    static void Ffmpeg(string arguments)
    {
        var psi = new ProcessStartInfo("ffmpeg", "-hide_banner -loglevel error " + arguments) { RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"ffmpeg {arguments}: {error}");
    }

    sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("restora-anim-").FullName;
        public void Dispose() => Directory.Delete(Path, true);
    }
}
