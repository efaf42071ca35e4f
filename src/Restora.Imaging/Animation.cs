using Restora.Imaging.Codecs;

namespace Restora.Imaging;

/// <summary>One frame of an animation: the whole canvas as it shows (earlier frames composited under it), and how long.</summary>
/// <param name="Image">The full canvas, RGBA (8-bit, or 16-bit for a 16-bit APNG).</param>
/// <param name="DelayMs">How long the frame shows, in milliseconds.</param>
public sealed record AnimationFrame(Image Image, int DelayMs);

/// <summary>What an animated file says about itself before its frames are read.</summary>
/// <param name="Format">GIF, WebP or PNG (APNG).</param>
/// <param name="Width">Canvas width.</param>
/// <param name="Height">Canvas height.</param>
/// <param name="FrameCount">Frames the file declares; null when the format only tells by reading them all (GIF).</param>
public sealed record AnimationInfo(ImageFormat Format, int Width, int Height, int? FrameCount);

/// <summary>Reads an animation one frame at a time, so only one canvas (and what disposal needs) is ever in memory.</summary>
public interface IAnimationReader : IDisposable
{
    /// <summary>The canvas and format.</summary>
    AnimationInfo Info { get; }

    /// <summary>Times the animation plays, 0 = forever (WebP and APNG count plays; a GIF's NETSCAPE count of n repeats is n + 1 plays). Final once the first frame is read.</summary>
    int LoopCount { get; }

    /// <summary>The next frame, or null after the last. Damage is an <see cref="ImageFormatException"/>.</summary>
    AnimationFrame? Next();
}

/// <summary>Writes an animation one frame at a time; the encoded file comes from <see cref="Finish"/>.</summary>
public interface IAnimationWriter : IDisposable
{
    /// <summary>Adds the next full-canvas frame; every frame has the first one's size.</summary>
    void Add(AnimationFrame frame);

    /// <summary>The encoded file. At least one frame must have been added.</summary>
    byte[] Finish();
}

/// <summary>
/// Animated GIF, WebP and PNG (APNG): telling them from still images by content, reading and writing them frame by
/// frame with each frame's delay and the loop count kept, and restoring every frame of one (<see cref="Transform"/>).
/// GIF goes through giflib, WebP through libwebp's demux and mux libraries (WebPAnimDecoder / WebPAnimEncoder), APNG
/// through libspng frame by frame (Debian's libpng has no APNG patch and libspng no APNG API: Restora moves APNG's
/// fcTL/fdAT chunks itself and leaves all pixel coding to libspng).
/// </summary>
public static class Animation
{
    /// <summary>The formats that can hold an animation.</summary>
    public static bool CanAnimate(ImageFormat format) => format is ImageFormat.Gif or ImageFormat.WebP or ImageFormat.Png;

    /// <summary>Whether the bytes are an animation of more than one frame (a GIF with two images, a WebP with an ANIM chunk, a PNG with acTL).</summary>
    public static bool IsAnimated(ReadOnlySpan<byte> bytes) => ImageFile.Sniff(bytes) switch
    {
        ImageFormat.Gif => GifCodec.HasSeveralFrames(bytes),
        ImageFormat.WebP => WebPAnimation.IsAnimated(bytes),
        ImageFormat.Png => ApngCodec.IsAnimated(bytes),
        _ => false,
    };

    /// <summary>
    /// A reader over the frames of <paramref name="bytes"/> (kept, not copied: do not change them while reading). The
    /// canvas is checked against <see cref="DecodeOptions.MaxPixels"/> before anything is allocated, and the frames
    /// against <see cref="DecodeOptions.MaxFrames"/> and <see cref="DecodeOptions.MaxAnimationPixels"/> as they come.
    /// </summary>
    public static IAnimationReader OpenReader(byte[] bytes, DecodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        options ??= DecodeOptions.Default;
        return ImageFile.Sniff(bytes) switch
        {
            ImageFormat.Gif => new GifCodec.Reader(bytes, options),
            ImageFormat.WebP => new WebPAnimation.Reader(bytes, options),
            ImageFormat.Png => new ApngCodec.Reader(bytes, options),
            _ => throw new ImageFormatException("not an animation (no GIF, WebP or PNG signature)"),
        };
    }

    /// <summary>A writer of <paramref name="format"/> (GIF, WebP or PNG) playing <paramref name="loopCount"/> times (0 = forever).</summary>
    public static IAnimationWriter CreateWriter(ImageFormat format, int loopCount, EncodeOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(loopCount);
        options ??= EncodeOptions.Default;
        return format switch
        {
            ImageFormat.Gif => new GifCodec.Writer(loopCount),
            ImageFormat.WebP => new WebPAnimation.Writer(loopCount, options),
            ImageFormat.Png => new ApngCodec.Writer(loopCount),
            _ => throw new ArgumentException($"{format} cannot hold an animation (use GIF, WebP or PNG)", nameof(format)),
        };
    }

    /// <summary>Every frame of <paramref name="bytes"/> and the loop count, all in memory (bounded as <see cref="OpenReader"/> says).</summary>
    public static (List<AnimationFrame> Frames, int LoopCount) Decode(byte[] bytes, DecodeOptions? options = null)
    {
        using var reader = OpenReader(bytes, options);
        var frames = new List<AnimationFrame>();
        while (reader.Next() is { } frame) frames.Add(frame);
        return (frames, reader.LoopCount);
    }

    /// <summary>The frames encoded as one animated file of <paramref name="format"/>.</summary>
    public static byte[] Encode(IEnumerable<AnimationFrame> frames, ImageFormat format, int loopCount, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(frames);
        using var writer = CreateWriter(format, loopCount, options);
        foreach (var frame in frames) writer.Add(frame);
        return writer.Finish();
    }

    /// <summary>
    /// The frame loop every restore command runs over an animation: each frame of <paramref name="input"/> is read,
    /// given to <paramref name="transform"/> and written to an animation of <paramref name="format"/> with the same
    /// delay, and the loop count is kept. One frame is in flight at a time; the output grows as encoded bytes only.
    /// </summary>
    /// <param name="input">The animated file's bytes.</param>
    /// <param name="format">GIF, WebP or PNG for the output.</param>
    /// <param name="transform">Restores one frame (every frame has the same size, so every result must too).</param>
    /// <param name="decode">Limits for the input.</param>
    /// <param name="encode">Encoder settings for the output (WebP quality or lossless).</param>
    /// <param name="progress">Told (frames done, frames in all when known) after each frame.</param>
    /// <param name="cancellationToken">Checked between frames.</param>
    public static byte[] Transform(byte[] input, ImageFormat format, Func<Image, Image> transform, DecodeOptions? decode = null,
        EncodeOptions? encode = null, Action<int, int?>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transform);
        if (!CanAnimate(format)) throw new ImageFormatException($"an animation can only be written as GIF, WebP or PNG, not {format}");
        using var reader = OpenReader(input, decode);
        IAnimationWriter? writer = null;
        try
        {
            int done = 0;
            while (reader.Next() is { } frame)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Created at the first frame: a GIF tells its loop count only in an extension before its first image.
                writer ??= CreateWriter(format, reader.LoopCount, encode);
                writer.Add(frame with { Image = transform(frame.Image) });
                progress?.Invoke(++done, reader.Info.FrameCount);
            }
            return writer is null ? throw new ImageFormatException("the animation has no frames") : writer.Finish();
        }
        finally { writer?.Dispose(); }
    }

    /// <summary>Whether the file at <paramref name="path"/> is an animation (by content, as <see cref="IsAnimated"/>); unreadable files are an <see cref="ImageFileException"/>.</summary>
    public static bool IsAnimatedFile(string path) => IsAnimated(ImageFileIO.ReadAll(path));

    /// <summary>
    /// <see cref="Transform"/> from file to file: the output's format follows its extension (GIF, WebP or PNG), and it
    /// is written through a temporary file renamed into place. Errors are <see cref="ImageFileException"/>s naming the
    /// file at fault.
    /// </summary>
    /// <returns>The output's canvas size.</returns>
    public static (int Width, int Height) TransformFile(string input, string output, Func<Image, Image> transform, bool overwrite = false,
        DecodeOptions? decode = null, EncodeOptions? encode = null, Action<int, int?>? progress = null, CancellationToken cancellationToken = default)
    {
        var format = ImageFile.FormatFromExtension(output);
        if (!CanAnimate(format))
            throw new ImageFileException(output, $"{Path.GetFileName(input)} is animated; write it as .gif, .webp or .png");
        ImageFileIO.EnsureWritable(output, overwrite);
        byte[] bytes = ImageFileIO.ReadAll(input);
        int width = 0, height = 0;
        byte[] encoded;
        try
        {
            encoded = Transform(bytes, format, frame =>
            {
                var result = transform(frame);
                (width, height) = (result.Width, result.Height);
                return result;
            }, decode, encode, progress, cancellationToken);
        }
        catch (ImageFormatException e)
        {
            throw new ImageFileException(input, e.Message, e);
        }
        ImageFileIO.WriteAtomically(output, encoded, overwrite);
        return (width, height);
    }

    /// <summary>
    /// Checks one more frame against the limits: the count (<see cref="DecodeOptions.MaxFrames"/>) and the pixels of
    /// every canvas so far (<see cref="DecodeOptions.MaxAnimationPixels"/>), so a small file of many frames cannot
    /// keep a run busy or a caller collecting frames allocating without end.
    /// </summary>
    internal static void CheckFrame(string format, int frames, int width, int height, DecodeOptions options)
    {
        if (frames > options.MaxFrames)
            throw new ImageFormatException($"{format} animation has over {options.MaxFrames} frames, the limit (--max-frames)");
        if ((long)frames * width * height > options.MaxAnimationPixels)
            throw new ImageFormatException(
                $"{format} animation of {width}x{height} frames passes {options.MaxAnimationPixels / 1_000_000} megapixels in all at frame {frames}, the limit");
    }
}
