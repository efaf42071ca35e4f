using System.Diagnostics;
using System.Globalization;

namespace Restora.Cli.Tests;

/// <summary>
/// Restore commands over video files through ffmpeg: every frame restored, frame count, frame rate, duration and the
/// audio stream kept (as ffprobe reads them), and a killed run resumed from its finished segments.
/// </summary>
public sealed class VideoCommandTests : IDisposable
{
    readonly TempDir dir = new();

    public void Dispose() => dir.Dispose();

    /// <summary>A test pattern with a sine tone, made by ffmpeg itself: <paramref name="seconds"/> at 25 frames/s.</summary>
    string Clip(string name, double seconds, string audioCodec = "aac")
    {
        string path = dir[name];
        string duration = seconds.ToString(CultureInfo.InvariantCulture);
        Run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", $"testsrc=size=160x120:rate=25:duration={duration}",
            "-f", "lavfi", "-i", $"sine=frequency=440:duration={duration}", "-c:v", "libx264", "-pix_fmt", "yuv420p",
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-c:a", audioCodec, "-shortest", path);
        return path;
    }

    static string Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{program} {string.Join(' ', args)}: {stderr}");
        return stdout.Result;
    }

    /// <summary>ffprobe's view: (codec_type → fields) of every stream, and the file's duration.</summary>
    static (Dictionary<string, string> Video, bool Audio, double Duration) Probe(string path)
    {
        string csv = Run("ffprobe", "-v", "error", "-count_frames", "-show_entries",
            "stream=codec_type,width,height,nb_read_frames,avg_frame_rate,color_space:format=duration", "-of", "flat", path);
        var fields = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1].Trim('"'));
        var video = fields.Where(f => f.Key.StartsWith("streams.stream.0.")).ToDictionary(f => f.Key["streams.stream.0.".Length..], f => f.Value);
        Assert.Equal("video", video["codec_type"]);
        bool audio = fields.TryGetValue("streams.stream.1.codec_type", out var type) && type == "audio";
        return (video, audio, double.Parse(fields["format.duration"], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Upscale_keeps_frame_count_rate_duration_color_and_audio()
    {
        string clip = Clip("clip.mp4", 2);

        var r = CliRunner.Run("upscale", clip, "-o", dir["up.mp4"], "--model", "restora-sr-x2", "--json");

        Assert.True(r.ExitCode == 0, r.Stderr);
        var (source, _, sourceDuration) = Probe(clip);
        var (video, audio, duration) = Probe(dir["up.mp4"]);
        Assert.Equal(("320", "240"), (video["width"], video["height"]));
        Assert.Equal(source["nb_read_frames"], video["nb_read_frames"]);
        Assert.Equal("50", video["nb_read_frames"]);
        Assert.Equal("25/1", video["avg_frame_rate"]);
        Assert.Equal("bt709", video["color_space"]);
        Assert.True(Math.Abs(duration - sourceDuration) <= 1 / 25.0, $"duration {duration} s, the source's {sourceDuration} s");
        Assert.True(audio, "the audio stream was not copied");
        Assert.Equal(50, r.Json.GetProperty("frames").GetInt32());
        Assert.False(Directory.Exists(dir["up.mp4.parts"]), "the work folder was left behind");
    }

    [Fact]
    public void Denoise_to_webm_keeps_the_frames_and_encodes_vp9()
    {
        string clip = Clip("clip.mkv", 0.6, audioCodec: "libopus");

        var r = CliRunner.Run("denoise", clip, "-o", dir["clean.webm"], "--sigma", "10");

        Assert.True(r.ExitCode == 0, r.Stderr);
        var (video, audio, _) = Probe(dir["clean.webm"]);
        Assert.Equal(("160", "120", "15"), (video["width"], video["height"], video["nb_read_frames"]));
        Assert.True(audio);
    }

    [Fact]
    public void A_killed_run_resumes_without_redoing_its_finished_segments()
    {
        string clip = Clip("clip.mp4", 2);
        string[] args = ["upscale", clip, "-o", dir["up.mp4"], "--model", "restora-sr-x2", "--segment-frames", "10", "--json"];
        string parts = dir["up.mp4.parts"];

        // Killed once two of the five segments are finished (a segment file appears only when whole).
        using (var first = CliRunner.Start(args))
            CliRunner.KillWhen(first, () => Directory.Exists(parts) && Directory.GetFiles(parts, "seg-*.mkv").Length >= 2);
        Assert.False(File.Exists(dir["up.mp4"]));
        int finished = Directory.GetFiles(parts, "seg-*.mkv").Length;
        Assert.InRange(finished, 2, 4);

        var second = CliRunner.Run(args);

        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains($"resuming: {finished} finished segment(s)", second.Stderr);
        Assert.Equal(finished, second.Json.GetProperty("segments_reused").GetInt32());
        Assert.Equal(50 - 10 * finished, second.Json.GetProperty("frames_restored").GetInt32());
        var (video, audio, _) = Probe(dir["up.mp4"]);
        Assert.Equal("50", video["nb_read_frames"]);
        Assert.True(audio);
    }

    [Fact]
    public void A_video_to_an_image_extension_is_a_one_line_error()
    {
        string clip = Clip("clip.mp4", 0.2);

        var r = CliRunner.Run("upscale", clip, "-o", dir["out.png"], "--model", "restora-sr-x2");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"restora: {dir["out.png"]}: a video is written as .mp4, .mkv, .webm or .mov", r.Stderr.Trim());
    }
}
