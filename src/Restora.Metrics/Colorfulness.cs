using Restora.Imaging;

namespace Restora.Metrics;

/// <summary>
/// Colorfulness of Hasler and Süsstrunk (2003), the measure colorization papers report: on the 0..255 scale,
/// rg = R − G and yb = (R + G)/2 − B per pixel, and M = sqrt(sd_rg² + sd_yb²) + 0.3·sqrt(mean_rg² + mean_yb²) with
/// population standard deviations and signed means (../shared/REFERENCE.md). A gray image scores 0; alpha is ignored.
/// </summary>
public static class Colorfulness
{
    /// <summary>M of <paramref name="image"/>; 0 for a gray image.</summary>
    public static double Compute(Image image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.IsGray) return 0;
        var r = image.Plane(0);
        var g = image.Plane(1);
        var b = image.Plane(2);
        // Sums in double, one pass in pixel order: the same bits for any machine and thread count.
        double sumRg = 0, sumYb = 0, sumRg2 = 0, sumYb2 = 0;
        for (int i = 0; i < r.Length; i++)
        {
            double rg = 255.0 * (r[i] - (double)g[i]);
            double yb = 255.0 * (0.5 * (r[i] + (double)g[i]) - b[i]);
            sumRg += rg;
            sumYb += yb;
            sumRg2 += rg * rg;
            sumYb2 += yb * yb;
        }
        double n = r.Length;
        double meanRg = sumRg / n, meanYb = sumYb / n;
        double varRg = Math.Max(0, sumRg2 / n - meanRg * meanRg), varYb = Math.Max(0, sumYb2 / n - meanYb * meanYb);
        return Math.Sqrt(varRg + varYb) + 0.3 * Math.Sqrt(meanRg * meanRg + meanYb * meanYb);
    }
}
