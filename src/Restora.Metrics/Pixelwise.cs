using System.Buffers;

namespace Restora.Metrics;

/// <summary>Per-pixel helpers shared by the metrics: squared error and MS-SSIM's 2x2 pooling.</summary>
internal static class Pixelwise
{
    const int ChunkRows = 64;

    /// <summary>
    /// Σ (x − y)² over the plane in double. Each row is summed in a fixed order and the rows are added in
    /// row order, so the result has the same bits for any thread count and vector width.
    /// </summary>
    public static double SumSquaredDifference(PlaneSource x, PlaneSource y, SimdLevel simd, int threads)
    {
        int width = x.Width, height = x.Height;
        double[] rowSums = ArrayPool<double>.Shared.Rent(height);
        try
        {
            int chunks = (height + ChunkRows - 1) / ChunkRows;
            void RunChunk(int chunk)
            {
                double[] a = ArrayPool<double>.Shared.Rent(width), b = ArrayPool<double>.Shared.Rent(width);
                try
                {
                    int end = Math.Min(height, (chunk + 1) * ChunkRows);
                    for (int row = chunk * ChunkRows; row < end; row++)
                    {
                        x.ReadRow(row, a);
                        y.ReadRow(row, b);
                        // Exact elementwise work (one subtraction, one multiplication) in place, so any width agrees.
                        for (int i = 0; i < width; i++)
                        {
                            double d = a[i] - b[i];
                            a[i] = d * d;
                        }
                        rowSums[row] = Simd.SumFixedOrder(a.AsSpan(0, width), simd);
                    }
                }
                finally
                {
                    ArrayPool<double>.Shared.Return(a);
                    ArrayPool<double>.Shared.Return(b);
                }
            }
            if (threads <= 1 || chunks == 1)
                for (int c = 0; c < chunks; c++) RunChunk(c);
            else
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, RunChunk);

            double total = 0;
            for (int row = 0; row < height; row++) total += rowSums[row];
            return total;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rowSums);
        }
    }

    /// <summary>
    /// torch.nn.functional.avg_pool2d(kernel 2, stride 2, padding = (H % 2, W % 2)) with its defaults
    /// (count_include_pad, floor mode), as pytorch_msssim downsamples: an odd side gets one zero on both ends
    /// and becomes (n+1)/2 long; every output is the 2x2 sum, in row-major order, divided by 4.
    /// </summary>
    public static ArrayPlane AveragePool2x2(PlaneSource source)
    {
        int width = source.Width, height = source.Height;
        int padX = width % 2, padY = height % 2;
        int outWidth = (width + 2 * padX - 2) / 2 + 1, outHeight = (height + 2 * padY - 2) / 2 + 1;
        var result = new double[outWidth * outHeight];
        // Two input rows with a zero on each side when padded; index i of a padded row is input column i - padX.
        int paddedWidth = width + 2 * padX;
        double[] upper = ArrayPool<double>.Shared.Rent(paddedWidth), lower = ArrayPool<double>.Shared.Rent(paddedWidth);
        try
        {
            Array.Clear(upper, 0, paddedWidth);
            Array.Clear(lower, 0, paddedWidth);
            for (int oy = 0; oy < outHeight; oy++)
            {
                int y0 = 2 * oy - padY, y1 = y0 + 1;
                ReadPadded(source, y0, upper, padX);
                ReadPadded(source, y1, lower, padX);
                int o = oy * outWidth;
                for (int ox = 0; ox < outWidth; ox++)
                {
                    int i = 2 * ox;
                    result[o + ox] = (((upper[i] + upper[i + 1]) + lower[i]) + lower[i + 1]) / 4;
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(upper);
            ArrayPool<double>.Shared.Return(lower);
        }
        return new ArrayPlane(result, outWidth, outHeight);
    }

    static void ReadPadded(PlaneSource source, int y, double[] row, int padX)
    {
        if (y < 0 || y >= source.Height) Array.Clear(row, 0, source.Width + 2 * padX);
        else source.ReadRow(y, row.AsSpan(padX, source.Width));
    }
}
