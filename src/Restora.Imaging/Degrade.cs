using System.Buffers;
using Restora.Core;

namespace Restora.Imaging;

/// <summary>
/// What to do to a clean image, in the fixed order blur → downscale → noise → JPEG (../shared/CLI.md).
/// Sigmas are on the 0..255 scale for noise and in pixels for blur. Zero or null means "not applied".
/// </summary>
public sealed record Degradation
{
    public double BlurSigma { get; init; }
    public int Downscale { get; init; } = 1;
    public double NoiseSigma { get; init; }
    public int? JpegQuality { get; init; }
    public ulong Seed { get; init; }

    /// <summary>Keep noisy samples outside 0..1 (the denoising papers' convention) instead of clamping.</summary>
    public bool KeepNoiseUnclipped { get; init; }

    public void Validate()
    {
        if (BlurSigma < 0 || double.IsNaN(BlurSigma)) throw new ArgumentException($"blur sigma must be >= 0, got {BlurSigma}");
        if (Downscale < 1) throw new ArgumentException($"downscale factor must be >= 1, got {Downscale}");
        if (NoiseSigma < 0 || double.IsNaN(NoiseSigma)) throw new ArgumentException($"noise sigma must be >= 0, got {NoiseSigma}");
        if (JpegQuality is < 1 or > 100) throw new ArgumentException($"JPEG quality must be 1..100, got {JpegQuality}");
    }
}

/// <summary>Seeded, repeatable degradations: the inputs restoration models learn to undo.</summary>
public static class Degrade
{
    public static Image Apply(Image image, Degradation d)
    {
        d.Validate();
        var result = image;
        if (d.BlurSigma > 0) result = GaussianBlur(result, d.BlurSigma);
        if (d.Downscale > 1) result = Resize.ByFactor(result, 1.0 / d.Downscale, ResizeMethod.Bicubic);
        if (d.NoiseSigma > 0) result = AddGaussianNoise(result, d.NoiseSigma, d.Seed, clip: !d.KeepNoiseUnclipped);
        if (d.JpegQuality is int q) result = Jpeg(result, q);
        return ReferenceEquals(result, image) ? image.Clone() : result;
    }

    /// <summary>Radius of the truncated Gaussian: 3 sigma holds 99.7% of its mass.</summary>
    public static int BlurRadius(double sigma) => Math.Max(1, (int)Math.Ceiling(3 * sigma));

    /// <summary>Separable Gaussian blur of the color channels (alpha untouched), unrounded.</summary>
    /// <param name="radius">Kernel radius; by default 3 sigma (<see cref="BlurRadius"/>). RL-Restore's data uses a
    /// fixed 21x21 kernel (radius 10) whatever the sigma.</param>
    /// <param name="replicate">Repeat the edge pixel outside the image (MATLAB imfilter's 'replicate', RL-Restore's
    /// data) instead of mirroring it (the default, MATLAB's 'symmetric').</param>
    public static Image GaussianBlur(Image image, double sigma, int? radius = null, bool replicate = false)
    {
        if (!(sigma > 0)) throw new ArgumentOutOfRangeException(nameof(sigma), $"blur sigma must be positive, got {sigma}");
        int r = radius ?? BlurRadius(sigma);
        if (r < 1) throw new ArgumentOutOfRangeException(nameof(radius), $"blur radius must be at least 1, got {r}");
        Func<int, int, int> border = replicate ? (i, n) => Math.Clamp(i, 0, n - 1) : Reflect;
        var kernel = new float[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) sum += Math.Exp(-i * i / (2 * sigma * sigma));
        for (int i = -r; i <= r; i++) kernel[i + r] = (float)(Math.Exp(-i * i / (2 * sigma * sigma)) / sum);

        var result = image.Clone();
        int w = image.Width, h = image.Height;
        for (int c = 0; c < image.ColorChannels; c++)
        {
            var plane = result.Data.AsMemory(c * image.PixelCount, image.PixelCount);
            var temp = new float[image.PixelCount];
            // Vertical pass: each output row is a weighted sum of 2r+1 input rows.
            Compute.For(h, y =>
            {
                var outRow = temp.AsSpan(y * w, w);
                for (int k = -r; k <= r; k++)
                    Resize.MultiplyAdd(plane.Span.Slice(border(y + k, h) * w, w), kernel[k + r], outRow);
            });
            // Horizontal pass, reading a padded copy of the row so the inner loop needs no border tests.
            Compute.For(h, y =>
            {
                var padded = ArrayPool<float>.Shared.Rent(w + 2 * r);
                var row = temp.AsSpan(y * w, w);
                for (int x = -r; x < w + r; x++) padded[x + r] = row[border(x, w)];
                var outRow = plane.Span.Slice(y * w, w);
                for (int x = 0; x < w; x++)
                {
                    float acc = 0;
                    for (int k = 0; k <= 2 * r; k++) acc += kernel[k] * padded[x + k];
                    outRow[x] = acc;
                }
                ArrayPool<float>.Shared.Return(padded);
            });
        }
        return result;
    }

    /// <summary>Mirror index with the edge repeated (MATLAB's 'symmetric'), for any distance outside.</summary>
    static int Reflect(int i, int n)
    {
        int period = 2 * n;
        int m = ((i % period) + period) % period;
        return m < n ? m : period - 1 - m;
    }

    const int NoiseRowsPerStream = 64;

    /// <summary>
    /// Adds white Gaussian noise of <paramref name="sigma255"/> (on the 0..255 scale) to the color channels.
    /// Blocks of rows draw from their own stream of the seed, so the result does not depend on thread count.
    /// </summary>
    public static Image AddGaussianNoise(Image image, double sigma255, ulong seed, bool clip = true)
    {
        var result = image.Clone();
        double sigma = sigma255 / 255.0;
        int w = image.Width, h = image.Height;
        int blocks = (h + NoiseRowsPerStream - 1) / NoiseRowsPerStream;
        for (int c = 0; c < image.ColorChannels; c++)
        {
            var plane = result.Data.AsMemory(c * image.PixelCount, image.PixelCount);
            int channel = c;
            Compute.For(blocks, b =>
            {
                var rng = SeededRandom.ForStream(seed, (ulong)(channel * blocks + b));
                int y0 = b * NoiseRowsPerStream, y1 = Math.Min(h, y0 + NoiseRowsPerStream);
                var span = plane.Span.Slice(y0 * w, (y1 - y0) * w);
                for (int i = 0; i < span.Length; i++)
                {
                    float v = (float)(span[i] + sigma * rng.NextGaussian());
                    span[i] = clip ? Math.Clamp(v, 0f, 1f) : v;
                }
            });
        }
        return result;
    }

    /// <summary>A real JPEG round trip through libjpeg-turbo at the given quality, 4:2:0 chroma as MATLAB's
    /// imwrite and most deblocking papers use. Alpha, which JPEG cannot hold, is carried over unchanged.</summary>
    public static Image Jpeg(Image image, int quality)
    {
        var bytes = ImageFile.Encode(image, ImageFormat.Jpeg,
            new EncodeOptions { Quality = quality, Subsampling = ChromaSubsampling.Yuv420 });
        // The bytes carry the image's metadata; a round trip must not turn the pixels by its orientation tag.
        var decoded = ImageFile.Decode(bytes, new DecodeOptions { ApplyOrientation = false });
        if (!image.HasAlpha) { decoded.BitDepth = image.BitDepth; return decoded; }
        var result = new Image(image.Width, image.Height, image.Layout, image.BitDepth);
        decoded.Data.CopyTo(result.Data, 0);
        image.Plane(image.Channels - 1).CopyTo(result.Plane(result.Channels - 1));
        return result;
    }
}
