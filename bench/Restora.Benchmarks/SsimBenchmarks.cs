using BenchmarkDotNet.Attributes;
using Restora.Imaging;
using Restora.Metrics;

namespace Restora.Benchmarks;

/// <summary>
/// SSIM (and, for scale, PSNR and MS-SSIM) of a 2048x2048 RGB pair: a deterministic textured pattern plus ±20 noise.
/// Run: dotnet run -c Release --project bench/Restora.Benchmarks -- --filter '*SsimBenchmarks*'
/// The comparison point is scikit-image 0.19's structural_similarity(gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False, data_range=255, channel_axis=2) on the same size (see the metrics report).
/// </summary>
[MemoryDiagnoser]
public class SsimBenchmarks
{
    Image reference = null!, test = null!;

    [Params(2048)]
    public int Size { get; set; }

    /// <summary>1 = single-threaded kernel cost; 0 = Environment.ProcessorCount.</summary>
    [Params(1, 0)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // The integer formulas of tests/Restora.Metrics.Tests/TestImages.cs (and skimage_reference.py), so the same
        // pair can be timed in scikit-image: a textured pattern plus ±20 hash noise, stored as v / 255f.
        reference = new Image(Size, Size, PixelLayout.Rgb);
        test = new Image(Size, Size, PixelLayout.Rgb);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < Size; y++)
                for (int x = 0; x < Size; x++)
                {
                    int v = (x * 7 + y * 13 + c * 5 + (x * y % 17) * 3) % 256;
                    int noise = (int)(((x * 73856093L) ^ (y * 19349663L) ^ (c * 83492791L)) % 41) - 20;
                    int i = (c * Size + y) * Size + x;
                    reference.Data[i] = v / 255f;
                    test.Data[i] = Math.Clamp(v + noise, 0, 255) / 255f;
                }
        Restora.Core.Compute.Threads = Threads == 0 ? Environment.ProcessorCount : Threads;
    }

    [Benchmark(Baseline = true)]
    public double Ssim() => FullReference.Ssim(reference, test);

    [Benchmark]
    public double SsimOnY() => FullReference.Ssim(reference, test, new MetricOptions { OnY = true, Shave = 4 });

    [Benchmark]
    public double MsSsim() => FullReference.MsSsim(reference, test);

    [Benchmark]
    public double Psnr() => FullReference.Psnr(reference, test);
}
