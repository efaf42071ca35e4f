using System.Buffers;

namespace Restora.Metrics;

/// <summary>The blocking effect factor of Yim and Bovik's PSNR-B (IEEE TIP 2011, eqs. 2-10).</summary>
internal static class PsnrBlocking
{
    public const int BlockSize = 8;

    /// <summary>
    /// BEF(y) = η·(D_B − D_B̄) if D_B > D_B̄, else 0, with η = log2(B)/log2(min(width, height)).
    /// D_B: mean of (y_i − y_j)² over horizontally and vertically adjacent pairs that straddle a block
    /// boundary (between columns/rows 8k−1 and 8k); D_B̄: the same over all other adjacent pairs.
    /// Summed sequentially in row order, so deterministic.
    /// </summary>
    public static double BlockingEffectFactor(PlaneSource plane)
    {
        int width = plane.Width, height = plane.Height;
        double boundarySum = 0, interiorSum = 0;
        long boundaryPairs = 0, interiorPairs = 0;
        double[] previous = ArrayPool<double>.Shared.Rent(width), current = ArrayPool<double>.Shared.Rent(width);
        try
        {
            for (int y = 0; y < height; y++)
            {
                plane.ReadRow(y, current);
                // Horizontal neighbours (x, x+1): a boundary pair when x is the last column of a block.
                for (int x = 0; x + 1 < width; x++)
                {
                    double d = current[x] - current[x + 1];
                    if (x % BlockSize == BlockSize - 1) { boundarySum += d * d; boundaryPairs++; }
                    else { interiorSum += d * d; interiorPairs++; }
                }
                // Vertical neighbours (y-1, y): a boundary pair when y-1 is the last row of a block.
                if (y > 0)
                {
                    bool boundary = (y - 1) % BlockSize == BlockSize - 1;
                    double sum = 0;
                    for (int x = 0; x < width; x++)
                    {
                        double d = previous[x] - current[x];
                        sum += d * d;
                    }
                    if (boundary) { boundarySum += sum; boundaryPairs += width; }
                    else { interiorSum += sum; interiorPairs += width; }
                }
                (previous, current) = (current, previous);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(previous);
            ArrayPool<double>.Shared.Return(current);
        }
        if (boundaryPairs == 0 || interiorPairs == 0) return 0;
        double boundaryMean = boundarySum / boundaryPairs, interiorMean = interiorSum / interiorPairs;
        if (boundaryMean <= interiorMean) return 0;
        double eta = Math.Log2(BlockSize) / Math.Log2(Math.Min(width, height));
        return eta * (boundaryMean - interiorMean);
    }
}
