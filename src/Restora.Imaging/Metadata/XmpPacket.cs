using System.Text;
using System.Text.RegularExpressions;

namespace Restora.Imaging;

/// <summary>
/// The few XMP properties that describe pixels rather than the photo: tiff:Orientation and
/// exif:PixelXDimension/PixelYDimension, in the attribute and element forms writers use with those standard
/// prefixes. Nothing else in the packet is touched, and a packet without them keeps its exact bytes.
/// </summary>
internal static partial class XmpPacket
{
    public static byte[] WithOrientation(byte[] xmp, int orientation) =>
        Replace(xmp, [(OrientationProperty(), orientation)]);

    public static byte[] WithPixelDimensions(byte[] xmp, int width, int height) =>
        Replace(xmp, [(PixelXProperty(), width), (PixelYProperty(), height)]);

    static byte[] Replace(byte[] xmp, (Regex Pattern, int Value)[] edits)
    {
        string text = Encoding.UTF8.GetString(xmp);
        string edited = text;
        foreach (var (pattern, value) in edits)
            edited = pattern.Replace(edited, m => m.Groups["pre"].Value + value + m.Groups["post"].Value);
        // Re-encoding only when something changed keeps a packet with odd bytes exactly as it came.
        return ReferenceEquals(edited, text) || edited == text ? xmp : Encoding.UTF8.GetBytes(edited);
    }

    [GeneratedRegex("""(?<pre>tiff:Orientation\s*=\s*["']|<tiff:Orientation>\s*)[1-8](?<post>\s*["<])""")]
    private static partial Regex OrientationProperty();

    [GeneratedRegex("""(?<pre>exif:PixelXDimension\s*=\s*["']|<exif:PixelXDimension>\s*)\d+(?<post>\s*["<])""")]
    private static partial Regex PixelXProperty();

    [GeneratedRegex("""(?<pre>exif:PixelYDimension\s*=\s*["']|<exif:PixelYDimension>\s*)\d+(?<post>\s*["<])""")]
    private static partial Regex PixelYProperty();
}
