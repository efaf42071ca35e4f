using System.Globalization;
using Restora.Imaging;

namespace Restora.Cli;

/// <summary>The options every command shares, read once.</summary>
/// <param name="StripMetadata">Write outputs without the input's EXIF, XMP and ICC profile (only commands that
/// declare <see cref="Common.ImageOutputFlags"/> accept the flag).</param>
public sealed record CommonOptions(bool Json, bool Overwrite, DecodeOptions Decode, bool StripMetadata = false)
{
    public static CommonOptions From(Arguments args)
    {
        if (args.IsSet("--threads")) Restora.Core.Compute.Threads = args.GetInt("--threads", 0, 1, 1024);
        long maxPixels = args.Get("--max-pixels") is string s ? ParsePixels(args.Command, s) : new DecodeOptions().MaxPixels;
        return new CommonOptions(args.Has("--json"), args.Has("--overwrite"), new DecodeOptions { MaxPixels = maxPixels },
            args.Has("--strip-metadata"));
    }

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
