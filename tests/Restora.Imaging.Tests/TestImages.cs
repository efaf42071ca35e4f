using Restora.Imaging;

namespace Restora.Imaging.Tests;

/// <summary>Small images built in code, so tests need no files.</summary>
internal static class TestImages
{
    /// <summary>An image from 8-bit codes given row by row for each plane.</summary>
    public static Image FromCodes(int width, int height, PixelLayout layout, params int[] codes)
    {
        var image = new Image(width, height, layout);
        if (codes.Length != image.Data.Length) throw new ArgumentException($"need {image.Data.Length} codes, got {codes.Length}");
        for (int i = 0; i < codes.Length; i++) image.Data[i] = codes[i] / 255f;
        return image;
    }

    /// <summary>A smooth gradient plus a deterministic texture, all on 8-bit codes.</summary>
    public static Image Pattern(int width, int height, PixelLayout layout = PixelLayout.Rgb, int bitDepth = 8)
    {
        var image = new Image(width, height, layout, bitDepth);
        int max = image.MaxValue;
        for (int c = 0; c < image.Channels; c++)
        {
            var p = image.Plane(c);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    double v = 0.5 + 0.3 * Math.Sin(0.21 * x + 0.7 * c) * Math.Cos(0.13 * y) + 0.15 * (((x * 7 + y * 13 + c * 5) % 11) / 10.0 - 0.5);
                    p[y * width + x] = (float)(Math.Round(Math.Clamp(v, 0, 1) * max) / max);
                }
        }
        return image;
    }

    public static int Code(float v, int max = 255) => Image.ToCode(v, max);
}
