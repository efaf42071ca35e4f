using Restora.Imaging;

namespace Restora.Metrics.Tests;

/// <summary>
/// Deterministic images from integer formulas, identical to the generators in Reference/skimage_reference.py,
/// so that constants computed there apply to the images built here. Samples are v / 255f like a decoded 8-bit image.
/// </summary>
internal static class TestImages
{
    public static int BasePattern(int x, int y, int c) => (x * 7 + y * 13 + c * 5 + (x * y % 17) * 3) % 256;

    /// <summary>Hash noise in [-amplitude, amplitude]; Python's % on a non-negative XOR matches C#'s here.</summary>
    public static int Noise(int x, int y, int c, int amplitude) =>
        (int)(((x * 73856093L) ^ (y * 19349663L) ^ (c * 83492791L)) % (2 * amplitude + 1)) - amplitude;

    public static Image FromCodes(int width, int height, int channels, Func<int, int, int, int> code)
    {
        var image = new Image(width, height, channels == 1 ? PixelLayout.Gray : PixelLayout.Rgb);
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    image.Data[(c * height + y) * width + x] = Math.Clamp(code(x, y, c), 0, 255) / 255f;
        return image;
    }

    /// <summary>The reference and noisy test pair of skimage_reference.py's <c>pair(w, h, channels, amplitude)</c>.</summary>
    public static (Image Reference, Image Test) Pair(int width, int height, int channels, int amplitude) =>
        (FromCodes(width, height, channels, BasePattern),
         FromCodes(width, height, channels, (x, y, c) => BasePattern(x, y, c) + Noise(x, y, c, amplitude)));

    /// <summary>skimage_reference.py's <c>blocky</c>: every full 8x8 block replaced by its rounded mean.</summary>
    public static (Image Reference, Image Test) Blocky(int width, int height, int channels)
    {
        int BlockMean(int x, int y, int c)
        {
            int bx = x / 8 * 8, by = y / 8 * 8;
            if (bx + 8 > width || by + 8 > height) return BasePattern(x, y, c); // partial blocks stay as they are
            int sum = 0;
            for (int j = 0; j < 8; j++) for (int i = 0; i < 8; i++) sum += BasePattern(bx + i, by + j, c);
            return (sum + 32) / 64;
        }
        return (FromCodes(width, height, channels, BasePattern), FromCodes(width, height, channels, BlockMean));
    }

    /// <summary>A raw planar uint8 file (C, H, W) written by skimage_reference.py.</summary>
    public static Image LoadRawRgb(string fileName, int width, int height)
    {
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Data", fileName));
        var image = new Image(width, height, PixelLayout.Rgb);
        for (int i = 0; i < bytes.Length; i++) image.Data[i] = bytes[i] / 255f;
        return image;
    }

    /// <summary>Same samples, with an alpha plane of arbitrary content appended.</summary>
    public static Image WithAlpha(Image image, float alphaSeed)
    {
        var layout = image.IsGray ? PixelLayout.GrayAlpha : PixelLayout.Rgba;
        var result = new Image(image.Width, image.Height, layout);
        image.Data.CopyTo(result.Data, 0);
        var alpha = result.Plane(result.Channels - 1);
        for (int i = 0; i < alpha.Length; i++) alpha[i] = (i * alphaSeed) % 1f;
        return result;
    }
}
