using Restora.Imaging;

namespace Restora.Metrics.Tests;

/// <summary>
/// MATLAB's <c>imresize(uint8 image, scale)</c> (bicubic) in double, for rebuilding REFERENCE.md's "bicubic x4"
/// images exactly: contributions as imresize computes them (cubic a = -0.5, stretched by 1/scale when shrinking,
/// ceil(width) + 2 taps, weights divided by their sum, indices mirrored), the dimension with the smaller scale
/// first (rows on a tie), the intermediate unrounded, the output rounded half away from zero and saturated.
/// For x1/4 and x4 every weight is a short dyadic fraction, so with 8-bit inputs every product and sum here is
/// exact in double and the output equals MATLAB's bit for bit whatever its summation order; Restora.Imaging's
/// Resize computes in float32 and rounds a few samples per image the other way, which moves NIQE by up to 3e-3.
/// </summary>
internal static class MatlabImresize
{
    public static Image Bicubic(Image image, double scale)
    {
        int outWidth = (int)Math.Ceiling(image.Width * scale - 1e-9), outHeight = (int)Math.Ceiling(image.Height * scale - 1e-9);
        var (rowWeights, rowIndices, rowTaps) = Contributions(image.Height, outHeight, scale);
        var (colWeights, colIndices, colTaps) = Contributions(image.Width, outWidth, scale);
        var result = new Image(outWidth, outHeight, image.Layout);
        for (int c = 0; c < image.Channels; c++)
        {
            var plane = image.Plane(c);
            var input = new double[plane.Length];
            for (int i = 0; i < input.Length; i++) input[i] = Image.ToCode(plane[i], 255);
            // Both scales are equal here, so rows (the vertical pass) go first.
            var middle = new double[image.Width * outHeight];
            for (int y = 0; y < outHeight; y++)
                for (int x = 0; x < image.Width; x++)
                {
                    double sum = 0;
                    for (int k = 0; k < rowTaps; k++) sum += rowWeights[y * rowTaps + k] * input[rowIndices[y * rowTaps + k] * image.Width + x];
                    middle[y * image.Width + x] = sum;
                }
            var output = result.Plane(c);
            for (int y = 0; y < outHeight; y++)
                for (int x = 0; x < outWidth; x++)
                {
                    double sum = 0;
                    for (int k = 0; k < colTaps; k++) sum += colWeights[x * colTaps + k] * middle[y * image.Width + colIndices[x * colTaps + k]];
                    output[y * outWidth + x] = (float)Math.Clamp(Math.Round(sum, MidpointRounding.AwayFromZero), 0, 255) / 255f;
                }
        }
        return result;
    }

    static (double[] Weights, int[] Indices, int Taps) Contributions(int inLength, int outLength, double scale)
    {
        double kernelWidth = 4;
        Func<double, double> h = Cubic;
        if (scale < 1)
        {
            kernelWidth /= scale;
            h = x => scale * Cubic(scale * x);
        }
        int taps = (int)Math.Ceiling(kernelWidth) + 2;
        var weights = new double[outLength * taps];
        var indices = new int[outLength * taps];
        for (int x = 1; x <= outLength; x++)
        {
            double u = x / scale + 0.5 * (1 - 1 / scale);
            int left = (int)Math.Floor(u - kernelWidth / 2);
            double sum = 0;
            for (int k = 0; k < taps; k++) sum += weights[(x - 1) * taps + k] = h(u - (left + k));
            for (int k = 0; k < taps; k++)
            {
                weights[(x - 1) * taps + k] /= sum;
                int m = ((left + k - 1) % (2 * inLength) + 2 * inLength) % (2 * inLength);
                indices[(x - 1) * taps + k] = m < inLength ? m : 2 * inLength - 1 - m;
            }
        }
        // MATLAB drops all-zero taps; adding 0·x changes no sum, so they are simply kept here.
        return (weights, indices, taps);
    }

    static double Cubic(double x)
    {
        double ax = Math.Abs(x), ax2 = ax * ax, ax3 = ax2 * ax;
        if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
        if (ax <= 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
        return 0;
    }
}
