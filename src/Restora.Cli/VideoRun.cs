using System.Diagnostics;
using Restora.Imaging;
using Restora.Video;

namespace Restora.Cli;

/// <summary>
/// The command line's face of <see cref="VideoRestore"/>: a restore command given a video file reads its video
/// options here, shows progress in frames with an ETA, and prints what the library did.
/// </summary>
public static class VideoRun
{
    /// <summary>Options of the commands that restore video.</summary>
    public static IReadOnlyList<OptionSpec> Options { get; } =
    [
        new("--video-codec", "a video output's codec: h264 (default; vp9 for .webm), h265 or vp9", "CODEC"),
        new("--crf", "a video output's constant rate factor, lower is better and larger (default 18)", "N"),
        new("--segment-frames", "a video is encoded in segments of this many frames, the unit a killed run resumes by (default: 10 seconds)", "N"),
    ];

    /// <summary>Whether INPUT is a video file (.mp4, .mkv, .webm, .mov) rather than an image or a folder.</summary>
    public static bool IsVideo(string input) => File.Exists(input) && VideoRestore.IsVideo(input);

    /// <summary>Restores the video <paramref name="input"/> frame by frame and reports as the image commands do.</summary>
    /// <param name="fingerprint">The command, model and settings: segments of a killed run are reused only under the same.</param>
    /// <param name="extra">Command-specific JSON fields (the model).</param>
    public static int Run(string command, string input, string output, Arguments args, CommonOptions common, string fingerprint,
        Func<Image, Image> transform, Action<System.Text.Json.Utf8JsonWriter>? extra = null)
    {
        if (Directory.Exists(output)) output = Path.Combine(output, Path.GetFileName(input));
        var codec = args.Get("--video-codec")?.ToLowerInvariant() switch
        {
            null => (VideoCodec?)null,
            "h264" or "avc" => VideoCodec.H264,
            "h265" or "hevc" => VideoCodec.H265,
            "vp9" => VideoCodec.Vp9,
            var other => throw new UserError($"{command}: --video-codec must be h264, h265 or vp9, got '{other}'"),
        };
        var options = new VideoOptions
        {
            Codec = codec,
            Crf = args.GetInt("--crf", 18, 0, 63),
            SegmentFrames = args.IsSet("--segment-frames") ? args.GetInt("--segment-frames", 0, 1, int.MaxValue) : null,
            MaxPixels = common.Decode.MaxPixels,
            Overwrite = common.Overwrite,
            Fingerprint = fingerprint,
            Log = line => Console.Error.WriteLine($"restora {command}: {line}"),
        };
        VideoResult result;
        using (var bar = new Progress(int.MaxValue, $"{command} {Path.GetFileName(input)}"))
        {
            // A line per frame would flood a log: the bar moves at most every half second, and at the end.
            var shown = Stopwatch.StartNew();
            options = options with
            {
                Progress = p =>
                {
                    if (p.FramesDone != p.FramesToDo && shown.ElapsedMilliseconds < 500) return;
                    shown.Restart();
                    bar.Report((int)Math.Min(p.FramesDone, int.MaxValue - 1), (int)Math.Min(p.FramesToDo, int.MaxValue - 1), "frames");
                },
            };
            try { result = VideoRestore.Run(input, output, transform, options); }
            catch (RestoraException e) when (e is not UserError) { throw new UserError(e.Message); }
        }
        if (common.Json)
        {
            Json.Write(w =>
            {
                w.WriteString("input", input);
                w.WriteString("output", output);
                extra?.Invoke(w);
                w.WriteNumber("frames", result.Frames);
                w.WriteNumber("width", result.Width);
                w.WriteNumber("height", result.Height);
                w.WriteString("frame_rate", result.FrameRate);
                w.WriteNumber("segments", result.Segments);
                w.WriteNumber("segments_reused", result.SegmentsReused);
                w.WriteNumber("frames_restored", result.FramesRestored);
                w.WriteNumber("seconds", Math.Round(result.Seconds, 3));
            });
        }
        else Console.WriteLine($"{output} ({result.Width}x{result.Height}, {result.Frames} frames)");
        Console.Error.WriteLine($"restora {command}: {result.FramesRestored} frames restored in {result.Seconds:0.0} s ({result.FramesRestored / Math.Max(result.Seconds, 1e-9):0.00} frames/s), "
            + $"{result.SegmentsReused} of {result.Segments} segments reused");
        return 0;
    }
}
