using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Restora.Imaging;

namespace Restora.Video;

/// <summary>The video codecs Restora encodes with (through ffmpeg's libx264, libx265 and libvpx-vp9).</summary>
public enum VideoCodec
{
    /// <summary>H.264 (libx264): plays everywhere.</summary>
    H264,
    /// <summary>H.265/HEVC (libx265): about half the size at the same quality, slower to encode.</summary>
    H265,
    /// <summary>VP9 (libvpx-vp9): what a .webm output holds.</summary>
    Vp9,
}

/// <summary>How <see cref="VideoRestore.Run"/> encodes, where it may resume, and what it reports.</summary>
public sealed record VideoOptions
{
    /// <summary>The codec; null: H.264, or VP9 for a .webm output.</summary>
    public VideoCodec? Codec { get; init; }

    /// <summary>Constant rate factor: lower is better and larger (x264/x265 0..51, VP9 0..63); 18 is visually lossless for H.264.</summary>
    public int Crf { get; init; } = 18;

    /// <summary>The x264/x265 speed preset (ultrafast … veryslow).</summary>
    public string Preset { get; init; } = "medium";

    /// <summary>Frames per segment, the unit a rerun resumes by; null: ten seconds of frames.</summary>
    public int? SegmentFrames { get; init; }

    /// <summary>Frames larger than this many pixels are refused from ffprobe's report, before any is decoded.</summary>
    public long MaxPixels { get; init; } = 100_000_000;

    /// <summary>Replace an existing output.</summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// What is done to the frames (command, model, parameters): segments a killed run left are reused only when it
    /// is the same, as are the input file, the codec settings and the segment length.
    /// </summary>
    public string Fingerprint { get; init; } = "";

    /// <summary>Told after every restored frame.</summary>
    public Action<VideoProgress>? Progress { get; init; }

    /// <summary>Told what the run decided (segments reused, streams that could not be copied); never the console.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>Where a video run stands.</summary>
/// <param name="FramesDone">Frames restored in this run so far.</param>
/// <param name="FramesToDo">Frames this run restores in all (the stream's count less the reused segments'); an estimate when the container does not store the count.</param>
public sealed record VideoProgress(long FramesDone, long FramesToDo);

/// <summary>What a video run did.</summary>
/// <param name="Frames">Frames in the output.</param>
/// <param name="Width">Output frame width.</param>
/// <param name="Height">Output frame height.</param>
/// <param name="FrameRate">The frame rate, kept from the input ("30000/1001").</param>
/// <param name="Segments">Segments the output was joined from.</param>
/// <param name="SegmentsReused">Segments a killed earlier run had finished, reused as they were.</param>
/// <param name="FramesRestored">Frames this run restored (the others came with the reused segments).</param>
/// <param name="Seconds">Wall time of this run.</param>
public sealed record VideoResult(long Frames, int Width, int Height, string FrameRate, int Segments, int SegmentsReused, long FramesRestored, double Seconds);

/// <summary>
/// Restores every frame of a video file: ffmpeg decodes it to raw RGB frames on a pipe, each frame goes through the
/// transform, and ffmpeg encodes the results from a pipe into segments (<c>OUTPUT.parts/seg-NNNNNN.mkv</c>, each
/// renamed into place only when whole), which are then joined (ffmpeg's concat demuxer, no re-encoding) with the
/// input's audio and subtitle streams copied, into a temporary file renamed to the output. One frame is in flight at
/// a time, so memory does not grow with the video. A killed run leaves its finished segments; the rerun reuses them
/// (same input, settings and <see cref="VideoOptions.Fingerprint"/>) and restores only the rest.
/// </summary>
public static class VideoRestore
{
    /// <summary>The extensions read and written as video.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".mp4", ".mkv", ".webm", ".mov"];

    /// <summary>Whether the path has a video extension (.mp4, .mkv, .webm, .mov).</summary>
    public static bool IsVideo(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>
    /// Restores <paramref name="input"/> to <paramref name="output"/> frame by frame. Errors (a bad file, a missing
    /// ffmpeg, an encoder failure) are <see cref="RestoraException"/>s naming the file.
    /// </summary>
    /// <param name="input">A video file ffmpeg reads.</param>
    /// <param name="output">.mp4, .mkv, .webm or .mov.</param>
    /// <param name="transform">Restores one RGB frame; every result must have the first one's size.</param>
    /// <param name="options">Codec, quality, segments, limits, callbacks.</param>
    /// <param name="cancellationToken">Stops between frames (the finished segments stay for a rerun).</param>
    public static VideoResult Run(string input, string output, Func<Image, Image> transform, VideoOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transform);
        options ??= new VideoOptions();
        var clock = Stopwatch.StartNew();
        if (!IsVideo(output)) throw new RestoraException($"{output}: a video is written as .mp4, .mkv, .webm or .mov");
        if (string.Equals(Path.GetFullPath(input), Path.GetFullPath(output), StringComparison.Ordinal))
            throw new RestoraException($"{output}: output would replace its input; choose another output");
        if (File.Exists(output) && !options.Overwrite) throw new RestoraException($"{output}: exists (use --overwrite)");
        string container = Path.GetExtension(output).ToLowerInvariant();
        var codec = options.Codec ?? (container == ".webm" ? VideoCodec.Vp9 : VideoCodec.H264);
        if (container == ".webm" && codec != VideoCodec.Vp9)
            throw new RestoraException($"{output}: WebM holds VP9 here (--video-codec vp9), or write .mp4, .mkv or .mov");

        var info = VideoProbe.Probe(input, cancellationToken);
        if ((long)info.Width * info.Height > options.MaxPixels)
            throw new RestoraException($"{input}: video frames are {info.Width}x{info.Height}, over the limit of {options.MaxPixels / 1e6:0.###} megapixels (--max-pixels)");
        int segmentFrames = options.SegmentFrames ?? Math.Max(1, (int)Math.Round(info.FramesPerSecond * 10));
        if (segmentFrames < 1) throw new ArgumentOutOfRangeException(nameof(options), "segments need at least one frame");

        string parts = output + ".parts";
        var reused = PrepareParts(parts, Manifest(input, info, options, codec, segmentFrames), options.Log);
        long toDo = Math.Max(0, info.FrameCount - reused.Sum(k => Math.Min(segmentFrames, info.FrameCount - (long)k * segmentFrames)));
        if (reused.Count > 0) options.Log?.Invoke($"resuming: {reused.Count} finished segment(s) of {segmentFrames} frames reused from {parts}");

        var (frames, restored, width, height) = RestoreFrames(input, parts, info, codec, options, segmentFrames, reused, toDo, transform, cancellationToken);
        int segments = (int)((frames + segmentFrames - 1) / segmentFrames);
        Join(input, output, parts, segments, info, codec, container, options, cancellationToken);
        Directory.Delete(parts, recursive: true);
        return new VideoResult(frames, width, height, info.FrameRate, segments, reused.Count(k => k < segments), restored, clock.Elapsed.TotalSeconds);
    }

    static string Segment(string parts, int k) => Path.Combine(parts, $"seg-{k:D6}.mkv");

    /// <summary>What the segments depend on; a rerun with anything different starts over.</summary>
    static string Manifest(string input, VideoInfo info, VideoOptions options, VideoCodec codec, int segmentFrames)
    {
        var file = new FileInfo(input);
        return JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["input"] = file.FullName,
            ["size"] = file.Length.ToString(CultureInfo.InvariantCulture),
            ["modified"] = file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture),
            ["frames"] = $"{info.Width}x{info.Height}@{info.FrameRate}",
            ["transform"] = options.Fingerprint,
            ["codec"] = $"{codec} crf {options.Crf} preset {options.Preset}",
            ["segment_frames"] = segmentFrames.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>The work folder: kept when its manifest matches (its finished segments returned), else emptied.</summary>
    static HashSet<int> PrepareParts(string parts, string manifest, Action<string>? log)
    {
        string manifestPath = Path.Combine(parts, "job.json");
        if (Directory.Exists(parts))
        {
            bool same = File.Exists(manifestPath) && File.ReadAllText(manifestPath) == manifest;
            if (!same)
            {
                log?.Invoke($"{parts}: left by a run with another input or settings; starting over");
                Directory.Delete(parts, recursive: true);
            }
        }
        Directory.CreateDirectory(parts);
        foreach (var stale in Directory.EnumerateFiles(parts, "*.tmp")) File.Delete(stale); // a killed encoder's unfinished segment
        File.WriteAllText(manifestPath, manifest);
        var done = new HashSet<int>();
        foreach (var file in Directory.EnumerateFiles(parts, "seg-*.mkv"))
            if (int.TryParse(Path.GetFileNameWithoutExtension(file)[4..], NumberStyles.None, CultureInfo.InvariantCulture, out int k)) done.Add(k);
        return done;
    }

    /// <summary>
    /// The frame loop: decode everything (frames of reused segments are read and dropped, which costs decoding only),
    /// restore the others, and encode each segment with its own ffmpeg, renamed into place once it exits cleanly.
    /// </summary>
    static (long Frames, long Restored, int Width, int Height) RestoreFrames(string input, string parts, VideoInfo info, VideoCodec codec, VideoOptions options,
        int segmentFrames, HashSet<int> reused, long toDo, Func<Image, Image> transform, CancellationToken cancellationToken)
    {
        using var decoder = Ffmpeg.Start("ffmpeg", [
            "-v", "error", "-nostdin", "-i", input, "-map", "0:v:0", "-fps_mode", "passthrough",
            .. ColorFilter("in", info), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], input, stdout: true);
        var buffer = new byte[checked(info.Width * info.Height * 3)];
        Ffmpeg? encoder = null;
        int encoding = -1, width = 0, height = 0;
        long frame = 0, done = 0;
        byte[]? outBuffer = null;
        try
        {
            while (ReadFrame(decoder.Stdout, buffer, input, frame))
            {
                cancellationToken.ThrowIfCancellationRequested();
                int k = (int)(frame++ / segmentFrames);
                if (reused.Contains(k)) continue;
                var result = transform(ToImage(buffer, info.Width, info.Height));
                if (width == 0) (width, height) = (result.Width, result.Height);
                else if ((result.Width, result.Height) != (width, height))
                    throw new RestoraException($"{input}: frame {frame} was restored to {result.Width}x{result.Height}, the others to {width}x{height}");
                if (encoding != k)
                {
                    if (encoder is not null) FinishSegment(encoder, parts, encoding, cancellationToken);
                    encoder = StartSegment(parts, k, result.Width, result.Height, info, codec, options);
                    encoding = k;
                }
                outBuffer ??= new byte[checked(width * height * 3)];
                ToRgb24(result, outBuffer);
                try { encoder!.Stdin.Write(outBuffer); }
                catch (IOException e) { throw new RestoraException($"{Segment(parts, k)}: ffmpeg stopped encoding: {encoder!.LastError}", e); }
                options.Progress?.Invoke(new VideoProgress(++done, Math.Max(toDo, done)));
            }
            decoder.WaitForSuccess(cancellationToken);
            if (encoder is not null) FinishSegment(encoder, parts, encoding, cancellationToken);
            encoder = null;
        }
        finally { encoder?.Dispose(); }
        if (frame == 0) throw new RestoraException($"{input}: the video stream has no frames");
        if (width == 0) (width, height) = SegmentSize(Segment(parts, 0), cancellationToken); // every segment was reused
        return (frame, done, width, height);
    }

    static bool ReadFrame(Stream stream, byte[] buffer, string input, long index)
    {
        int read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read == 0) return false;
        return read == buffer.Length ? true : throw new RestoraException($"{input}: frame {index} ended early ({read} of {buffer.Length} bytes)");
    }

    static Ffmpeg StartSegment(string parts, int k, int width, int height, VideoInfo info, VideoCodec codec, VideoOptions options)
    {
        string crf = options.Crf.ToString(CultureInfo.InvariantCulture);
        string[] encode = codec switch
        {
            VideoCodec.H264 => ["-c:v", "libx264", "-preset", options.Preset, "-crf", crf],
            VideoCodec.H265 => ["-c:v", "libx265", "-preset", options.Preset, "-crf", crf, "-x265-params", "log-level=error"],
            _ => ["-c:v", "libvpx-vp9", "-crf", crf, "-b:v", "0", "-row-mt", "1"],
        };
        return Ffmpeg.Start("ffmpeg", [
            "-v", "error", "-nostdin", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}", "-framerate", info.FrameRate, "-i", "-",
            .. ColorFilter("out", info), "-pix_fmt", "yuv420p", .. encode, .. ColorTags(info),
            "-f", "matroska", Segment(parts, k) + ".tmp"], Segment(parts, k), stdin: true);
    }

    static void FinishSegment(Ffmpeg encoder, string parts, int k, CancellationToken cancellationToken)
    {
        using (encoder)
        {
            encoder.Stdin.Close();
            encoder.WaitForSuccess(cancellationToken);
        }
        File.Move(Segment(parts, k) + ".tmp", Segment(parts, k), overwrite: true);
    }

    static (int, int) SegmentSize(string segment, CancellationToken cancellationToken)
    {
        var info = VideoProbe.Probe(segment, cancellationToken);
        return (info.Width, info.Height);
    }

    /// <summary>
    /// Joins the segments without re-encoding and copies the input's audio and subtitles beside them. When the
    /// container cannot hold a stream as it is (AAC in WebM, SRT in MP4), the audio is encoded again and the
    /// subtitles left out, and the log says so.
    /// </summary>
    static void Join(string input, string output, string parts, int segments, VideoInfo info, VideoCodec codec, string container,
        VideoOptions options, CancellationToken cancellationToken)
    {
        string list = Path.Combine(parts, "segments.txt");
        File.WriteAllLines(list, Enumerable.Range(0, segments).Select(k => $"file '{Path.GetFileName(Segment(parts, k))}'"));
        string folder = Path.GetDirectoryName(Path.GetFullPath(output)) ?? ".";
        string temp = Path.Combine(folder, $".{Path.GetFileName(output)}.{Environment.ProcessId}.tmp");
        string format = container switch { ".mp4" => "mp4", ".mov" => "mov", ".webm" => "webm", _ => "matroska" };
        bool quickTime = container is ".mp4" or ".mov";
        string[] head = ["-v", "error", "-nostdin", "-y", "-f", "concat", "-safe", "0", "-i", list, "-i", input, "-map", "0:v:0", "-map_metadata", "1"];
        string[] tail = [.. quickTime ? new[] { "-movflags", "+faststart" } : [], .. quickTime && codec == VideoCodec.H265 ? new[] { "-tag:v", "hvc1" } : [],
            "-f", format, temp];
        try
        {
            try
            {
                RunToEnd([.. head, "-map", "1:a?", "-map", "1:s?", "-c", "copy", .. tail], output, cancellationToken);
            }
            catch (RestoraException first) when (info.AudioStreams + info.SubtitleStreams > 0)
            {
                string audio = container == ".webm" ? "libopus" : "aac";
                options.Log?.Invoke($"{output}: the streams could not be copied as they are ({first.Message}); audio encoded again as {audio}"
                    + (info.SubtitleStreams > 0 ? ", subtitles left out" : ""));
                RunToEnd([.. head, "-map", "1:a?", "-c:v", "copy", "-c:a", audio, .. tail], output, cancellationToken);
            }
            File.Move(temp, output, options.Overwrite);
        }
        catch (IOException e) when (!options.Overwrite && File.Exists(output))
        {
            throw new RestoraException($"{output}: exists (use --overwrite)", e);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    static void RunToEnd(string[] arguments, string file, CancellationToken cancellationToken)
    {
        using var run = Ffmpeg.Start("ffmpeg", arguments, file);
        run.WaitForSuccess(cancellationToken);
    }

    /// <summary>
    /// The YUV matrix and range of the source for swscale, so RGB frames are made and turned back to YUV with the
    /// same matrix (left unsaid, ffmpeg would encode with BT.601 whatever the source was).
    /// </summary>
    static string[] ColorFilter(string side, VideoInfo info)
    {
        string? matrix = info.ColorSpace switch
        {
            "bt709" => "bt709",
            "smpte170m" => "smpte170m",
            "bt470bg" => "bt470",
            "bt2020nc" or "bt2020c" => "bt2020",
            "smpte240m" => "smpte240m",
            "fcc" => "fcc",
            _ => null,
        };
        string? range = info.ColorRange switch { "pc" => "full", "tv" => "limited", _ => null };
        var settings = new List<string>();
        if (matrix is not null) settings.Add($"{side}_color_matrix={matrix}");
        if (range is not null) settings.Add($"{side}_range={range}");
        return settings.Count == 0 ? [] : ["-vf", "scale=" + string.Join(':', settings)];
    }

    /// <summary>The source's color tags written on the output stream, so players read the pixels as the source's.</summary>
    static string[] ColorTags(VideoInfo info)
    {
        var tags = new List<string>();
        if (info.ColorSpace is { } space) tags.AddRange(["-colorspace", space]);
        if (info.ColorRange is { } range) tags.AddRange(["-color_range", range]);
        if (info.ColorTransfer is { } transfer) tags.AddRange(["-color_trc", transfer]);
        if (info.ColorPrimaries is { } primaries) tags.AddRange(["-color_primaries", primaries]);
        return [.. tags];
    }

    static Image ToImage(byte[] rgb, int width, int height)
    {
        var image = new Image(width, height, PixelLayout.Rgb);
        int n = width * height;
        var data = image.Data;
        const float scale = 1f / 255f;
        for (int i = 0; i < n; i++)
        {
            data[i] = rgb[3 * i] * scale;
            data[n + i] = rgb[3 * i + 1] * scale;
            data[2 * n + i] = rgb[3 * i + 2] * scale;
        }
        return image;
    }

    /// <summary>Any layout the transform returns as RGB24 (gray spread over the three, alpha dropped).</summary>
    static void ToRgb24(Image image, byte[] rgb)
    {
        int n = image.PixelCount;
        var data = image.Data;
        int g = image.IsGray ? 0 : n, b = image.IsGray ? 0 : 2 * n;
        for (int i = 0; i < n; i++)
        {
            rgb[3 * i] = (byte)Image.ToCode(data[i], 255);
            rgb[3 * i + 1] = (byte)Image.ToCode(data[g + i], 255);
            rgb[3 * i + 2] = (byte)Image.ToCode(data[b + i], 255);
        }
    }
}
