using Restora.Imaging;

namespace Restora.Training.Tests;

/// <summary>Small synthetic photos: smooth gradients, an edge and seeded texture, so every task has work to do.</summary>
static class TestData
{
    public static Image Photo(int width, int height, int seed)
    {
        var image = new Image(width, height, PixelLayout.Rgb);
        var rng = new SeededRandom((ulong)seed);
        for (int c = 0; c < 3; c++)
        {
            var p = image.Plane(c);
            double fx = 0.05 + 0.03 * c + 0.01 * seed, fy = 0.07 - 0.02 * c;
            for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                double v = 0.5 + 0.25 * Math.Sin(fx * x + fy * y + seed) + (x > width / 2 ? 0.15 : -0.1) + 0.05 * (rng.NextDouble() - 0.5);
                p[y * width + x] = (float)Math.Clamp(v, 0, 1);
            }
        }
        return image.Quantize();
    }

    public static CleanImages Images(int count, int size, int channels = 3) =>
        CleanImages.FromImages(Enumerable.Range(0, count).Select(i => ($"img{i}.png", Photo(size + 8 * i, size + 4 * i, i))), channels);

    /// <summary>A folder of PNGs that is deleted with the returned handle.</summary>
    public sealed class Folder : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"restora-train-{Guid.NewGuid():N}");

        public Folder(int count, int size, int seedOffset = 0)
        {
            Directory.CreateDirectory(Path);
            for (int i = 0; i < count; i++) ImageFile.Save(Photo(size + 8 * i, size + 4 * i, i + seedOffset), System.IO.Path.Combine(Path, $"img{i}.png"));
        }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
