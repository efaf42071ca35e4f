using System.Globalization;

namespace Restora.Imaging.Codecs;

/// <summary>
/// Refuses oversized images from their header dimensions, so that a tiny hostile file claiming 20000x20000
/// costs nothing; every decoder calls this before it allocates pixel memory.
/// </summary>
internal static class PixelLimit
{
    public static void Check(string format, long width, long height, DecodeOptions options)
    {
        if (width <= 0 || height <= 0)
            throw new ImageFormatException($"corrupt {format}: image size {width}x{height}");
        long pixels = width * height;
        if (pixels > options.MaxPixels)
            throw new ImageFormatException(
                $"{format} image is {width}x{height} = {Megapixels(pixels)} megapixels, " +
                $"over the limit of {Megapixels(options.MaxPixels)} megapixels (--max-pixels)");
        // Under a raised limit the planar float buffer may still not fit one .NET array.
        if (pixels * 4 > Array.MaxLength)
            throw new ImageFormatException($"{format} image is {width}x{height}, too large to hold in memory as one image");
    }

    /// <summary>Length of an interleaved buffer, after <see cref="Check"/> has bounded the pixel count.</summary>
    public static int BufferLength(int width, int height, int samplesPerPixel, int bytesPerSample, string format)
    {
        long length = (long)width * height * samplesPerPixel * bytesPerSample;
        return length <= Array.MaxLength
            ? (int)length
            : throw new ImageFormatException($"{format} image is {width}x{height}, too large to decode in one buffer");
    }

    private static string Megapixels(long pixels) =>
        (pixels / 1e6).ToString("0.###", CultureInfo.InvariantCulture);
}
