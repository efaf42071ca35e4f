using System.Globalization;
using Restora.Imaging;

namespace Restora.Cli;

/// <summary>The options every command shares, read once.</summary>
/// <param name="Json">One JSON object on stdout.</param>
/// <param name="Overwrite">Replace existing outputs.</param>
/// <param name="Decode">Limits for decoding untrusted images.</param>
/// <param name="StripMetadata">Write outputs without the input's EXIF, XMP and ICC profile (only commands that
/// write images accept the flag).</param>
public sealed record CommonOptions(bool Json, bool Overwrite, DecodeOptions Decode, bool StripMetadata = false)
{
    /// <summary>This process's part of a folder (<c>--shard I/N</c>, <c>--shards N</c>); the whole folder by default.</summary>
    public Shard Shard { get; init; } = Shard.All;

    /// <summary>Options every command takes.</summary>
    public static IReadOnlyList<OptionSpec> Shared { get; } =
    [
        new("--json", "print one JSON object on stdout (progress and logs go to stderr)"),
        new("--overwrite", "replace existing outputs (otherwise they are kept, and skipped in a folder)"),
        new("--threads", "threads to compute with (default: every core)", "N"),
        new("--max-pixels", "refuse images larger than this many pixels before decoding them (default 100M; 50M = 50 megapixels); for an animation or a video, each frame", "N"),
        new("--max-frames", "refuse animations of more frames than this (default 10000)", "N"),
    ];

    /// <summary>Options of the commands that write images.</summary>
    public static IReadOnlyList<OptionSpec> ImageOutput { get; } =
    [
        new("--strip-metadata", "write outputs without the input's EXIF, XMP, IPTC and ICC profile"),
        new("--shard", "do only part I of N of the input files (I from 0 to N-1; each file goes to one part by a hash of its name)", "I/N"),
        new("--shards", "split the files into N parts and do the one JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID (Slurm) names", "N"),
    ];

    /// <summary><c>-o OUT</c> as every command that writes files takes it.</summary>
    public static OptionSpec Output { get; } = new("-o", "output file, or folder when INPUT is a folder", "OUT", "--output");

    /// <summary><c>--tile PX</c> as the restorers and upscalers take it.</summary>
    public static OptionSpec TileOption { get; } =
        new("--tile", "tile side in pixels; 0 = the whole image at once; default: chosen from the image size (same pixels either way)", "PX");

    /// <summary>INPUT, a file or a folder.</summary>
    public static PositionalSpec Input { get; } = new("INPUT", "an image, or a folder of images");

    /// <summary>Reads the shared options (and sets the thread count).</summary>
    public static CommonOptions From(Arguments args)
    {
        if (args.IsSet("--threads")) Restora.Core.Compute.Threads = args.GetInt("--threads", 0, 1, 1024);
        long maxPixels = args.Get("--max-pixels") is string s ? ParsePixels(args.Command, s) : new DecodeOptions().MaxPixels;
        int maxFrames = args.IsSet("--max-frames") ? args.GetInt("--max-frames", 0, 1, int.MaxValue) : new DecodeOptions().MaxFrames;
        return new CommonOptions(args.Has("--json"), args.Has("--overwrite"), new DecodeOptions { MaxPixels = maxPixels, MaxFrames = maxFrames },
            args.Has("--strip-metadata")) { Shard = ReadShard(args) };
    }

    /// <summary><c>--shard I/N</c>, or <c>--shards N</c> with the index from the scheduler's environment; bad values are one-line errors.</summary>
    static Shard ReadShard(Arguments args)
    {
        string? shard = args.Get("--shard"), shards = args.Get("--shards");
        if (shard is null && shards is null) return Shard.All;
        if (shard is not null && shards is not null)
            throw new UserError($"{args.Command}: give --shard I/N or --shards N, not both");
        try
        {
            if (shard is not null) return Shard.Parse(shard);
            if (!int.TryParse(shards, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1)
                throw new ArgumentException($"--shards needs a positive whole number, got '{shards}'");
            return Shard.FromEnvironment(count);
        }
        catch (ArgumentException e) { throw new UserError($"{args.Command}: {e.Message}"); }
    }

    /// <summary>
    /// <c>--tile PX</c> as the restorers and the tiler take it: absent is 0 (they choose), <c>--tile 0</c> is the
    /// whole image at once (../shared/CLI.md), anything else the tile side.
    /// </summary>
    public static int Tile(Arguments args) =>
        !args.IsSet("--tile") ? 0 : args.GetInt("--tile", 0, 0, 1 << 16) is int t and > 0 ? t : Restora.Models.Upscaling.TiledUpscaler.WholeImage;

    /// <summary>A pixel count, or megapixels with an M suffix: "100M" = 100,000,000.</summary>
    static long ParsePixels(string command, string s)
    {
        bool mega = s.EndsWith('M') || s.EndsWith('m');
        string number = mega ? s[..^1] : s;
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0))
            throw new UserError($"{command}: --max-pixels needs a positive pixel count such as 50000000 or 50M, got '{s}'");
        return (long)Math.Min(long.MaxValue / 2, mega ? v * 1e6 : v);
    }
}
