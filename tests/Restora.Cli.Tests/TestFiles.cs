using Restora.Imaging;

namespace Restora.Cli.Tests;

internal static class TestFiles
{
    public static Image Pattern(int width, int height, PixelLayout layout = PixelLayout.Rgb)
    {
        var image = new Image(width, height, layout);
        for (int c = 0; c < image.Channels; c++)
        {
            var p = image.Plane(c);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    p[y * width + x] = ((x * 5 + y * 3 + c * 40) % 200 + 20) / 255f;
        }
        return image;
    }

    public static string WritePng(string path, int width = 32, int height = 24, PixelLayout layout = PixelLayout.Rgb)
    {
        ImageFile.Save(Pattern(width, height, layout), path);
        return path;
    }
}
