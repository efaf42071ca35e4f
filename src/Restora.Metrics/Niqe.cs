using System.Buffers;
using MathNet.Numerics.LinearAlgebra;
using Restora.Imaging;

namespace Restora.Metrics;

/// <summary>
/// NIQE, the Natural Image Quality Evaluator (Mittal, Soundararajan and Bovik 2013): a no-reference score,
/// the distance between a multivariate Gaussian fitted to an image's local statistics and one fitted to pristine
/// natural images. Lower looks more natural. Computed as MATLAB's niqe_release <c>computequality(im, 96, 96, 0,
/// 0, mu_prisparam, cov_prisparam)</c> on MATLAB's Y (BasicSR's <c>calculate_niqe(img, 0, convert_to='y')</c>
/// protocol), in double precision, with the pristine model of the release built into the library.
/// </summary>
public static class Niqe
{
    /// <summary>Side of the blocks at the first scale (48 at the second); the image is cropped to multiples of it.</summary>
    public const int BlockSize = 96;

    /// <summary>Features per block: 18 at each of the two scales.</summary>
    public const int FeatureCount = 2 * NiqeFeatures.PerScale;

    static int Threads => Restora.Core.Compute.Threads;

    /// <summary>
    /// NIQE of an image, exactly as ../shared/REFERENCE.md ("NIQE") defines the protocol:
    /// <list type="number">
    /// <item>Luma: an RGB image is taken as 8-bit codes (samples rounded to 0..255; a 16-bit image is scored on its
    /// 8-bit rounding) and converted with MATLAB's <c>rgb2ycbcr</c> for uint8, i.e. Y = round(16 + (65.481 R +
    /// 128.553 G + 24.966 B)/255) on 16..235, exact halves rounded up (the formula's exact value, rounded as
    /// MATLAB rounds to uint8). A gray image is used as it is, its codes on 0..255. Alpha is ignored.</item>
    /// <item><see cref="MetricOptions.Shave"/> pixels are cut from every border (BasicSR's crop_border; default
    /// 0), then the image is cropped from the top left to multiples of 96 in both directions.
    /// <see cref="MetricOptions.OnY"/> does not apply: NIQE always scores that luma.</item>
    /// <item>Two scales, the second MATLAB's <c>imresize(I, 0.5)</c> (bicubic, antialiased, not rounded). At each,
    /// MSCN coefficients (I − μ)/(σ + 1) with the 7x7 Gaussian window (σ = 7/6) and replicated borders, and per
    /// block (96x96, then 48x48) 18 features from asymmetric generalized Gaussian fits of the coefficients and of
    /// their products with the horizontal, vertical and two diagonal neighbours (shape α chosen on the grid
    /// 0.2:0.001:10, the first best match).</item>
    /// <item>The mean of each feature over the blocks where it is defined (nanmean), the covariance over the blocks
    /// where all 36 are (nancov), and sqrt((μp − μ)ᵀ pinv((Cp + C)/2) (μp − μ)) with the pristine μp, Cp.</item>
    /// </list>
    /// A block with no negative (or no positive) coefficient has undefined (NaN) betas there, and alpha 0.2, as in
    /// MATLAB. If no block has all 36 features defined (e.g. a perfectly flat image), the score is undefined and
    /// <see cref="double.NaN"/> is returned (MATLAB stops with an error there). The result has the same bits for
    /// any thread count (<see cref="Restora.Core.Compute.Threads"/>).
    /// </summary>
    /// <param name="image">Gray or RGB, with or without alpha.</param>
    /// <param name="o">Only <see cref="MetricOptions.Shave"/> is used.</param>
    /// <returns>The NIQE score, typically 2..10 for photographs; lower is better.</returns>
    /// <exception cref="ArgumentException">The image is smaller than 96x96 after shaving: MATLAB's NIQE needs at
    /// least one 96x96 block (and so one 48x48 block at the second scale).</exception>
    public static double Compute(Image image, MetricOptions? o = null) => Compute(image, o, Simd.Best, Threads);

    internal static double Compute(Image image, MetricOptions? o, SimdLevel simd, int threads)
    {
        var features = BlockFeatures(image, o, simd, threads, out int blocks);
        return Distance(features, blocks);
    }

    /// <summary>
    /// The 36 features of every block, block after block in MATLAB's order (blkproc's result reshaped: down the
    /// first column of blocks, then the next), each row the 18 features of scale 1 then the 18 of scale 2 of the
    /// same region.
    /// </summary>
    internal static double[] BlockFeatures(Image image, MetricOptions? o, SimdLevel simd, int threads, out int blocks)
    {
        ArgumentNullException.ThrowIfNull(image);
        int shave = (o ?? MetricOptions.Default).Shave;
        if (shave < 0)
            throw new ArgumentOutOfRangeException(nameof(o), $"NIQE: shave must be >= 0, got {shave}");
        int shavedWidth = image.Width - 2 * shave, shavedHeight = image.Height - 2 * shave;
        if (shavedWidth < BlockSize || shavedHeight < BlockSize)
            throw new ArgumentException(
                $"NIQE needs at least {BlockSize}x{BlockSize} pixels (one {BlockSize}x{BlockSize} block, and one " +
                $"{BlockSize / 2}x{BlockSize / 2} block at the second scale), got {image.Width}x{image.Height}" +
                (shave > 0 ? $" ({Math.Max(shavedWidth, 0)}x{Math.Max(shavedHeight, 0)} after shaving {shave})" : ""),
                nameof(image));

        int columns = shavedWidth / BlockSize, rows = shavedHeight / BlockSize;
        int width = columns * BlockSize, height = rows * BlockSize;
        double[] scale1 = Luma(image, shave, shave, width, height, threads);
        double[] scale2 = NiqeFeatures.Halve(scale1, width, height, simd, threads);

        blocks = columns * rows;
        var features = new double[blocks * FeatureCount];
        const int half = BlockSize / 2;
        // One block row per work item; each block's features are computed the same way wherever it runs.
        For(rows, threads, by =>
        {
            var pool = ArrayPool<double>.Shared;
            double[] tile = pool.Rent(2 * (BlockSize + 2 * 3) * (BlockSize + 2 * 3));
            double[] mscn = pool.Rent(BlockSize * (BlockSize + 2));
            try
            {
                for (int bx = 0; bx < columns; bx++)
                {
                    var row = features.AsSpan((bx * rows + by) * FeatureCount, FeatureCount);
                    NiqeFeatures.Block(scale1, width, height, bx * BlockSize, by * BlockSize, BlockSize, simd, tile, mscn,
                        row[..NiqeFeatures.PerScale]);
                    NiqeFeatures.Block(scale2, width / 2, height / 2, bx * half, by * half, half, simd, tile, mscn,
                        row[NiqeFeatures.PerScale..]);
                }
            }
            finally
            {
                pool.Return(tile);
                pool.Return(mscn);
            }
        });
        return features;
    }

    /// <summary>
    /// The 8-bit luma codes (as doubles) of the width x height region at (x0, y0). MATLAB's rgb2ycbcr for uint8 is
    /// Y = 16 + (65.481 R + 128.553 G + 24.966 B)/255 rounded half away from zero, i.e. exactly
    /// 16 + floor((65481 R + 128553 G + 24966 B + 127500) / 255000) in integers. Done in integers because exact
    /// halves occur (194 RGB triples; 6 pixels of CSet14 monarch): a double evaluation rounds them up or down
    /// depending on the order of its operations, and the exact rule is the one that reproduces REFERENCE.md's
    /// CSet14 table (monarch, and the bicubic baboon).
    /// </summary>
    internal static double[] Luma(Image image, int x0, int y0, int width, int height, int threads)
    {
        var luma = new double[width * height];
        For(height, threads, y => LumaRow(image, x0, y0 + y, luma.AsSpan(y * width, width)));
        return luma;
    }

    static void LumaRow(Image image, int x0, int y, Span<double> output)
    {
        int start = y * image.Width + x0;
        if (image.IsGray)
        {
            var gray = image.Data.AsSpan(start, output.Length);
            for (int x = 0; x < output.Length; x++) output[x] = Image.ToCode(gray[x], 255);
            return;
        }
        var red = image.Data.AsSpan(start, output.Length);
        var green = image.Data.AsSpan(image.PixelCount + start, output.Length);
        var blue = image.Data.AsSpan(2 * image.PixelCount + start, output.Length);
        for (int x = 0; x < output.Length; x++)
        {
            int r = Image.ToCode(red[x], 255), g = Image.ToCode(green[x], 255), b = Image.ToCode(blue[x], 255);
            output[x] = 16 + (65481 * r + 128553 * g + 24966 * b + 127500) / 255000;
        }
    }

    /// <summary>
    /// computequality's last lines: nanmean over all blocks, nancov over the blocks without NaN (normalized by
    /// n − 1, or by 1 for a single block, as MATLAB's cov), pinv of the average covariance, and the distance.
    /// Sums run in block order, so the result does not depend on how the blocks were computed.
    /// </summary>
    internal static double Distance(double[] features, int blocks)
    {
        const int n = FeatureCount;
        var mean = new double[n];
        for (int j = 0; j < n; j++)
        {
            double sum = 0;
            int count = 0;
            for (int b = 0; b < blocks; b++)
            {
                double v = features[b * n + j];
                if (!double.IsNaN(v)) { sum += v; count++; }
            }
            mean[j] = sum / count; // 0/0 = NaN where no block defines the feature, as nanmean
        }

        var complete = new List<int>();
        for (int b = 0; b < blocks; b++)
        {
            bool ok = true;
            for (int j = 0; j < n && ok; j++) ok = !double.IsNaN(features[b * n + j]);
            if (ok) complete.Add(b);
        }
        if (complete.Count == 0) return double.NaN;

        var completeMean = new double[n];
        for (int j = 0; j < n; j++)
        {
            double sum = 0;
            foreach (int b in complete) sum += features[b * n + j];
            completeMean[j] = sum / complete.Count;
        }
        var centered = new double[complete.Count * n];
        for (int r = 0; r < complete.Count; r++)
            for (int j = 0; j < n; j++)
                centered[r * n + j] = features[complete[r] * n + j] - completeMean[j];
        double divisor = complete.Count > 1 ? complete.Count - 1 : 1;

        var pristineCov = NiqeModel.Covariance;
        var average = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++)
            {
                double sum = 0;
                for (int r = 0; r < complete.Count; r++) sum += centered[r * n + i] * centered[r * n + j];
                double cov = sum / divisor;
                average[i, j] = (pristineCov[i * n + j] + cov) / 2;
                average[j, i] = (pristineCov[j * n + i] + cov) / 2;
            }

        var inverse = PseudoInverse(average);
        var pristineMean = NiqeModel.Mean;
        var d = new double[n];
        for (int j = 0; j < n; j++) d[j] = pristineMean[j] - mean[j];
        // (d * X) * d' as MATLAB evaluates it, left to right.
        double quadratic = 0;
        for (int j = 0; j < n; j++)
        {
            double dx = 0;
            for (int i = 0; i < n; i++) dx += d[i] * inverse[i, j];
            quadratic += dx * d[j];
        }
        return Math.Sqrt(quadratic);
    }

    /// <summary>
    /// MATLAB's <c>pinv</c>: from the SVD A = U S Vᵀ, singular values above max(rows, cols)·eps(max s) are inverted
    /// and the rest dropped, X = V S⁺ Uᵀ. (MathNet's own PseudoInverse uses a different tolerance.)
    /// </summary>
    internal static double[,] PseudoInverse(double[,] a)
    {
        int rows = a.GetLength(0), cols = a.GetLength(1);
        var svd = Matrix<double>.Build.DenseOfArray(a).Svd(computeVectors: true);
        var s = svd.S;
        var u = svd.U;
        var vt = svd.VT;
        double largest = 0;
        for (int k = 0; k < s.Count; k++) largest = Math.Max(largest, Math.Abs(s[k]));
        double tolerance = Math.Max(rows, cols) * (Math.BitIncrement(largest) - largest);
        var result = new double[cols, rows];
        for (int k = 0; k < s.Count; k++)
        {
            if (!(s[k] > tolerance)) continue;
            double inv = 1 / s[k];
            for (int i = 0; i < cols; i++)
            {
                double scaled = vt[k, i] * inv;
                for (int j = 0; j < rows; j++) result[i, j] += scaled * u[j, k];
            }
        }
        return result;
    }

    /// <summary>body(i) for i in [0, count) on up to <paramref name="threads"/> threads.</summary>
    internal static void For(int count, int threads, Action<int> body)
    {
        if (threads <= 1 || count <= 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, body);
    }
}
