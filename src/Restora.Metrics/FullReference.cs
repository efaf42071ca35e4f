using System.Buffers;
using Restora.Imaging;

namespace Restora.Metrics;

/// <summary>
/// Full-reference quality metrics: a test image scored against its reference. Images are compared as
/// double 0..1 (so a peak of 1.0 here is 255 on the 0..255 scale); alpha is ignored; a gray image can only
/// be compared with a gray one. Every metric gives the same bits for any thread count.
/// </summary>
public static class FullReference
{
    /// <summary>Threads the metrics use: Restora's one setting (<see cref="Restora.Core.Compute.Threads"/>, the
    /// CLI's <c>--threads</c>); results do not depend on it.</summary>
    static int Threads => Restora.Core.Compute.Threads;

    /// <summary>
    /// PSNR with peak 1.0 (255 on the 0..255 scale) over all color channels jointly: one MSE over every
    /// sample of every channel. Identical images give <see cref="double.PositiveInfinity"/>.
    /// </summary>
    public static double Psnr(Image reference, Image test, MetricOptions? o = null)
    {
        var planes = Prepare(reference, test, o, nameof(Psnr));
        double squaredError = 0;
        long samples = 0;
        foreach (var (r, t) in planes)
        {
            squaredError += Pixelwise.SumSquaredDifference(r, t, Simd.Best, Threads);
            samples += (long)r.Width * r.Height;
        }
        return PsnrFromMse(squaredError / samples);
    }

    /// <summary>
    /// SSIM exactly as REFERENCE.md defines it (Wang et al. 2004, <c>ssim_index.m</c>): 11x11 Gaussian
    /// window with sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, 'valid' filtering, mean of the map. An RGB
    /// image scores the mean of its three per-channel SSIMs (skimage's channel_axis behaviour).
    /// Needs at least 11x11 pixels after shaving.
    /// </summary>
    public static double Ssim(Image reference, Image test, MetricOptions? o = null) =>
        Ssim(reference, test, o, Simd.Best, Threads);

    internal static double Ssim(Image reference, Image test, MetricOptions? o, SimdLevel simd, int threadCount)
    {
        var planes = Prepare(reference, test, o, nameof(Ssim));
        double sum = 0;
        foreach (var (r, t) in planes)
            sum += SsimCore.Compute(r, t, wantContrastStructure: false, simd, threadCount).Ssim;
        return sum / planes.Length;
    }

    /// <summary>
    /// Multi-scale SSIM (Wang, Simoncelli, Bovik 2003), following pytorch_msssim's <c>ms_ssim</c>
    /// conventions exactly (the implementation most restoration code reports), only in double:
    /// <list type="bullet">
    /// <item>5 scales, weights 0.0448, 0.2856, 0.3001, 0.2363, 0.1333; at each scale the same SSIM as
    /// <see cref="Ssim"/> (11-tap Gaussian, sigma 1.5, 'valid' filtering, K1 0.01, K2 0.03).</item>
    /// <item>Scales 1-4 contribute the mean contrast-structure term cs, scale 5 the mean SSIM; each is
    /// clamped at 0 first (pytorch_msssim's relu) so a negative term cannot make the power undefined.</item>
    /// <item>Between scales: 2x2 average pooling with stride 2 (torch avg_pool2d). A side of odd length is
    /// padded with one zero on both ends and the zeros count in the average (padding = size % 2,
    /// count_include_pad), so it becomes (n+1)/2 long.</item>
    /// <item>Per channel, then the mean over channels.</item>
    /// </list>
    /// pytorch_msssim requires the smaller side to exceed (11-1)·2⁴ = 160 pixels so that the coarsest scale
    /// still holds an 11x11 window; smaller images (after shaving) get an <see cref="ArgumentException"/>.
    /// (tf.image.ssim_multiscale differs: symmetric padding to even sizes and no clamping.)
    /// </summary>
    public static double MsSsim(Image reference, Image test, MetricOptions? o = null) =>
        MsSsim(reference, test, o, Simd.Best, Threads);

    internal static readonly double[] MsSsimWeights = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];
    internal const int MsSsimMinSide = (SsimCore.WindowSize - 1) * 16 + 1;

    internal static double MsSsim(Image reference, Image test, MetricOptions? o, SimdLevel simd, int threadCount)
    {
        var planes = Prepare(reference, test, o, nameof(MsSsim));
        int width = planes[0].Reference.Width, height = planes[0].Reference.Height;
        if (Math.Min(width, height) < MsSsimMinSide)
            throw new ArgumentException(
                $"MS-SSIM needs both sides of at least {MsSsimMinSide} pixels (5 scales, 4 halvings, an 11x11 window at the coarsest), got {width}x{height}" +
                (o?.Shave > 0 ? $" after shaving {o.Shave}" : ""));

        double sum = 0;
        foreach (var (r, t) in planes)
        {
            PlaneSource x = r, y = t;
            double product = 1;
            for (int scale = 0; scale < MsSsimWeights.Length; scale++)
            {
                bool last = scale == MsSsimWeights.Length - 1;
                var result = SsimCore.Compute(x, y, wantContrastStructure: !last, simd, threadCount);
                double term = Math.Max(last ? result.Ssim : result.ContrastStructure, 0.0);
                // Multiplied in scale order, as torch.prod over the stacked levels does.
                product *= Math.Pow(term, MsSsimWeights[scale]);
                if (!last)
                {
                    x = Pixelwise.AveragePool2x2(x);
                    y = Pixelwise.AveragePool2x2(y);
                }
            }
            sum += product;
        }
        return sum / planes.Length;
    }

    /// <summary>
    /// PSNR-B (Yim and Bovik 2011): PSNR with the MSE raised by the blocking effect factor of the test image,
    /// MSE-B = MSE + BEF(test), BEF = η·(D_B − D_B̄) when D_B > D_B̄ else 0, where D_B and D_B̄ are the mean squared
    /// differences of horizontally and vertically adjacent pixel pairs across and not across 8x8 block
    /// boundaries, and η = log2 8 / log2 min(width, height). The factor depends on the test image alone: a
    /// test whose content is blocky is penalized even where the reference is blocky too.
    /// <para>Channels: on Y (or a gray image) the one plane; on RGB the mean of the three per-channel PSNR-B values
    /// in dB, as KAIR/SwinIR's <c>calculate_psnrb</c> does (note that this is not the joint-channel average
    /// <see cref="Psnr"/> uses, so on RGB PSNR-B can exceed PSNR; per plane it never does).</para>
    /// <para>Blocks are anchored at the top-left of the compared area, i.e. after shaving (KAIR does the same);
    /// use a shave that is a multiple of 8 to stay on a JPEG grid. Pair counts are the true counts, which
    /// equal KAIR's formula H·(W/8 − 1) when the sides are multiples of 8. Needs at least 9x9 pixels.</para>
    /// </summary>
    public static double PsnrB(Image reference, Image test, MetricOptions? o = null)
    {
        var planes = Prepare(reference, test, o, nameof(PsnrB));
        int width = planes[0].Reference.Width, height = planes[0].Reference.Height;
        if (Math.Min(width, height) < PsnrBlocking.BlockSize + 1)
            throw new ArgumentException($"PSNR-B needs at least {PsnrBlocking.BlockSize + 1}x{PsnrBlocking.BlockSize + 1} pixels (one block boundary each way), got {width}x{height}");
        double sum = 0;
        foreach (var (r, t) in planes)
        {
            double mse = Pixelwise.SumSquaredDifference(r, t, Simd.Best, Threads) / ((double)width * height);
            sum += PsnrFromMse(mse + PsnrBlocking.BlockingEffectFactor(t));
        }
        return sum / planes.Length;
    }

    /// <summary>
    /// Several metrics by name (case-insensitive, aliases allowed: see <see cref="MetricRegistry"/>). Keys of the result
    /// are the canonical names; a name given twice is computed once. All names are checked before anything is
    /// computed. No-reference metrics among them score <paramref name="test"/> alone.
    /// </summary>
    public static IReadOnlyDictionary<string, double> Compute(Image reference, Image test, IEnumerable<string> names, MetricOptions? o = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        var metrics = MetricRegistry.Parse(names);
        var result = new Dictionary<string, double>();
        foreach (var metric in metrics) result[metric.Name] = metric.Compute(reference, test, o ?? MetricOptions.Default);
        return result;
    }

    static double PsnrFromMse(double mse) => mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(1.0 / mse);

    /// <summary>
    /// Checks the pair and returns the planes to score: Y (OnY, RGB), the one gray plane, or the three color
    /// planes; alpha never. Shapes must match exactly; gray vs color is refused rather than guessed.
    /// </summary>
    internal static (PlaneSource Reference, PlaneSource Test)[] Prepare(Image reference, Image test, MetricOptions? o, string metric)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(test);
        o ??= MetricOptions.Default;
        if (reference.Width != test.Width || reference.Height != test.Height)
            throw new ArgumentException(
                $"{metric}: images differ in size: reference is {reference.Width}x{reference.Height}, test is {test.Width}x{test.Height}");
        if (reference.IsGray != test.IsGray)
            throw new ArgumentException(
                $"{metric}: cannot compare a {reference.Layout} reference with a {test.Layout} test image (gray vs color); convert one first");
        int shave = o.Shave;
        if (shave < 0)
            throw new ArgumentOutOfRangeException(nameof(o), $"{metric}: shave must be >= 0, got {shave}");
        if (2L * shave >= Math.Min(reference.Width, reference.Height))
            throw new ArgumentException(
                $"{metric}: shaving {shave} pixels from every border leaves nothing of a {reference.Width}x{reference.Height} image");

        // Y of a gray image is that of R = G = B (the reference protocol reads gray files as RGB), so --y
        // scores gray and color test sets alike.
        if (o.OnY)
            return [(new LumaPlane(reference, shave), new LumaPlane(test, shave))];
        if (reference.IsGray)
            return [(new ChannelPlane(reference, 0, shave), new ChannelPlane(test, 0, shave))];
        var planes = new (PlaneSource, PlaneSource)[3];
        for (int c = 0; c < 3; c++) planes[c] = (new ChannelPlane(reference, c, shave), new ChannelPlane(test, c, shave));
        return planes;
    }
}
