namespace Restora.Imaging;

/// <summary>
/// Blind estimate of white Gaussian noise (Immerkær 1996, "Fast noise variance estimation"): the image is
/// filtered with a 3x3 mask that cancels constants, ramps and most smooth structure, and the mean absolute
/// response gives sigma. Texture and edges add to it, so on clean detailed photos it reads a few levels high;
/// denoisers that take a noise level use it when the user does not give one.
/// </summary>
public static class NoiseEstimate
{
    /// <summary>Sigma on the 0..255 scale, averaged over the color channels.</summary>
    public static double Sigma(Image image)
    {
        int w = image.Width, h = image.Height;
        if (w < 3 || h < 3) return 0;
        double total = 0;
        for (int c = 0; c < image.ColorChannels; c++)
        {
            var p = image.Plane(c);
            double sum = 0;
            for (int y = 1; y < h - 1; y++)
            {
                double row = 0;
                for (int x = 1; x < w - 1; x++)
                {
                    int i = y * w + x;
                    // [1 -2 1; -2 4 -2; 1 -2 1]
                    double v = p[i - w - 1] - 2 * p[i - w] + p[i - w + 1]
                             - 2 * p[i - 1] + 4 * p[i] - 2 * p[i + 1]
                             + p[i + w - 1] - 2 * p[i + w] + p[i + w + 1];
                    row += Math.Abs(v);
                }
                sum += row;
            }
            total += Math.Sqrt(Math.PI / 2) / (6.0 * (w - 2) * (h - 2)) * sum;
        }
        return 255 * total / image.ColorChannels;
    }
}
