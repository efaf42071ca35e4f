using System.Globalization;
using System.Text.Json;

namespace Restora.Video;

/// <summary>What ffprobe says about a video file's first video stream and the streams beside it.</summary>
/// <param name="Width">Frame width as decoded (after the rotation ffmpeg applies).</param>
/// <param name="Height">Frame height as decoded.</param>
/// <param name="FrameRate">The average frame rate as ffprobe gives it, a rational such as "30000/1001".</param>
/// <param name="FrameCount">Frames in the stream (from the container, else counted from its packets); 0 when unknown.</param>
/// <param name="Duration">The stream's (else the file's) duration in seconds; 0 when unknown.</param>
/// <param name="ColorSpace">The YUV matrix (bt709, smpte170m, bt2020nc…), or null when unknown.</param>
/// <param name="ColorRange">"tv" (limited) or "pc" (full), or null when unknown.</param>
/// <param name="ColorTransfer">The transfer characteristic, or null when unknown.</param>
/// <param name="ColorPrimaries">The primaries, or null when unknown.</param>
/// <param name="AudioStreams">Audio streams in the file.</param>
/// <param name="SubtitleStreams">Subtitle streams in the file.</param>
public sealed record VideoInfo(int Width, int Height, string FrameRate, long FrameCount, double Duration,
    string? ColorSpace, string? ColorRange, string? ColorTransfer, string? ColorPrimaries, int AudioStreams, int SubtitleStreams)
{
    /// <summary>The frame rate as a number of frames per second.</summary>
    public double FramesPerSecond
    {
        get
        {
            var parts = FrameRate.Split('/');
            double num = double.Parse(parts[0], CultureInfo.InvariantCulture);
            double den = parts.Length > 1 ? double.Parse(parts[1], CultureInfo.InvariantCulture) : 1;
            return den > 0 ? num / den : 0;
        }
    }
}

/// <summary>Runs <c>ffprobe</c> on a video file and reads its JSON.</summary>
public static class VideoProbe
{
    /// <summary>
    /// The first video stream of <paramref name="path"/>; a file ffprobe cannot read, or one without a video stream,
    /// is a <see cref="RestoraException"/> naming the file.
    /// </summary>
    public static VideoInfo Probe(string path, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path)) throw new RestoraException($"{path}: no such file");
        string json = Ffmpeg.Output("ffprobe", ["-v", "error", "-print_format", "json", "-show_streams", "-show_format", path], path, cancellationToken);
        var root = JsonDocument.Parse(json).RootElement;
        var streams = root.TryGetProperty("streams", out var s) ? s.EnumerateArray().ToList() : [];
        var video = streams.FirstOrDefault(x => Text(x, "codec_type") == "video"
            && !(x.TryGetProperty("disposition", out var d) && d.TryGetProperty("attached_pic", out var p) && p.GetInt32() == 1));
        if (video.ValueKind != JsonValueKind.Object) throw new RestoraException($"{path}: no video stream");

        int width = video.GetProperty("width").GetInt32(), height = video.GetProperty("height").GetInt32();
        // ffmpeg turns frames upright as it decodes them, so a phone's portrait video comes out with the sides swapped.
        if (video.TryGetProperty("side_data_list", out var sideData)
            && sideData.EnumerateArray().Any(d => d.TryGetProperty("rotation", out var r) && Math.Abs(r.GetDouble()) % 180 == 90))
            (width, height) = (height, width);

        string rate = Rational(Text(video, "avg_frame_rate")) ?? Rational(Text(video, "r_frame_rate"))
            ?? throw new RestoraException($"{path}: the video stream has no frame rate");
        long frames = long.TryParse(Text(video, "nb_frames"), CultureInfo.InvariantCulture, out long n) ? n : 0;
        double duration = Number(Text(video, "duration")) ?? (root.TryGetProperty("format", out var format) ? Number(Text(format, "duration")) : null) ?? 0;
        if (frames == 0) frames = CountPackets(path, cancellationToken);
        return new VideoInfo(width, height, rate, frames, duration,
            Known(Text(video, "color_space")), Known(Text(video, "color_range")), Known(Text(video, "color_transfer")),
            Known(Text(video, "color_primaries")),
            streams.Count(x => Text(x, "codec_type") == "audio"), streams.Count(x => Text(x, "codec_type") == "subtitle"));
    }

    /// <summary>Matroska and WebM do not store a frame count; demuxing (not decoding) counts the packets.</summary>
    static long CountPackets(string path, CancellationToken cancellationToken)
    {
        string text = Ffmpeg.Output("ffprobe", ["-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries", "stream=nb_read_packets",
            "-of", "csv=p=0", path], path, cancellationToken);
        return long.TryParse(text.Trim().Split('\n')[0].Trim(','), CultureInfo.InvariantCulture, out long n) ? n : 0;
    }

    static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ToString() : null;

    static string? Known(string? value) => value is null or "" or "unknown" or "unspecified" ? null : value;

    static double? Number(string? s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;

    /// <summary>A rational such as "25/1", or null for ffprobe's "0/0" (unknown).</summary>
    static string? Rational(string? s) =>
        s is null || s.StartsWith('0') || !s.Contains('/') ? null : s;
}
