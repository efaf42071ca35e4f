using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Restora.Metrics;

/// <summary>
/// The per-block part of NIQE, following the MATLAB release (computequality.m, computefeature.m,
/// estimateaggdparam.m) operation by operation, in double:
/// <list type="bullet">
/// <item>MSCN coefficients (I - mu) / (sigma + 1), mu and sigma from the 7x7 window with replicated borders
/// (imfilter 'replicate'), sigma = sqrt(|E[I²] - mu²|).</item>
/// <item>Per block, 18 features: an AGGD fit of the coefficients (alpha, (betaL + betaR) / 2), then one of each
/// product with a neighbour (horizontal, vertical, diagonal, anti-diagonal), neighbours taken circularly inside
/// the block as circshift does on the block blkproc hands over: alpha, (betaR - betaL)·Γ(2/α)/Γ(1/α), betaL, betaR.</item>
/// <item>Scale 2 is MATLAB's imresize(I, 0.5) on the unrounded double image (<see cref="Halve"/>).</item>
/// </list>
/// Bits do not depend on the thread count or the vector width: every output pixel of the filter and of the
/// resize is computed by the same IEEE operations at any width (see <see cref="ILanes{TVec}"/>), and the block
/// sums always use eight interleaved partial sums (element i of a row goes to lane i % 8) combined in a fixed tree.
/// </summary>
internal static class NiqeFeatures
{
    public const int PerScale = 18;
    public const int WindowSize = 7;
    const int Radius = WindowSize / 2;

    // ---- The alpha grid 0.2:0.001:10 and the gamma-function ratios that go with each grid point ----

    /// <summary>Number of points of 0.2:0.001:10.</summary>
    public const int GridLength = 9801;

    /// <summary>
    /// The candidate shapes alpha. Built the way MATLAB's colon operator is described to build a:d:b (the first half
    /// as a + k·d, the second half as b − k·d counted from the end, the middle element of an even count as
    /// (a + b)/2, so that both ends are exact); a + k·d everywhere differs by an ulp here and there. The difference
    /// is far below anything that can change a score: alpha enters the features as it is, and the ratio table
    /// built from it has no near-equal neighbours (consecutive entries differ by at least 1.6e-6).
    /// </summary>
    internal static readonly double[] Alpha = MatlabColon(0.2, 0.001, 10.0, GridLength - 1);

    /// <summary>r(α) = Γ(2/α)² / (Γ(1/α)·Γ(3/α)), estimateaggdparam's r_gam.</summary>
    internal static readonly double[] Ratio = new double[GridLength];

    /// <summary>sqrt(Γ(1/α) / Γ(3/α)): a side's standard deviation times this is its beta.</summary>
    internal static readonly double[] BetaFactor = new double[GridLength];

    /// <summary>Γ(2/α) / Γ(1/α): computefeature's factor from (betaR - betaL) to the AGGD mean.</summary>
    internal static readonly double[] MeanFactor = new double[GridLength];

    static NiqeFeatures()
    {
        for (int i = 0; i < GridLength; i++)
        {
            double a = Alpha[i];
            double g1 = MathNet.Numerics.SpecialFunctions.Gamma(1 / a);
            double g2 = MathNet.Numerics.SpecialFunctions.Gamma(2 / a);
            double g3 = MathNet.Numerics.SpecialFunctions.Gamma(3 / a);
            Ratio[i] = g2 * g2 / (g1 * g3);
            BetaFactor[i] = Math.Sqrt(g1 / g3);
            MeanFactor[i] = g2 / g1;
        }
    }

    /// <summary>a:d:b with n intervals, element by element as MATLAB computes it (see <see cref="Alpha"/>).</summary>
    internal static double[] MatlabColon(double a, double d, double b, int n)
    {
        var v = new double[n + 1];
        int half = n / 2;
        for (int k = 0; k <= half; k++) v[k] = a + k * d;
        for (int k = 0; k < n - half; k++) v[n - k] = b - k * d;
        if (n % 2 == 0) v[half] = (a + b) / 2;
        return v;
    }

    /// <summary>
    /// The index of the first grid point with the smallest (r(α) − x)², MATLAB's <c>[~, i] = min(...)</c>: ties go
    /// to the lower index, and a NaN x (a side with no coefficients) makes every difference NaN, where MATLAB's min
    /// returns index 1, i.e. alpha = 0.2.
    /// </summary>
    internal static int NearestRatio(double x)
    {
        if (double.IsNaN(x)) return 0;
        // Ten fits per block make this scan a third of NIQE's time when scalar. The first smallest square is one
        // well-defined index, so the vector scan below (each lane keeps its own first minimum, then the lowest
        // index among the lanes that hold the overall minimum) returns exactly what the scalar loop returns.
        var r = Ratio;
        int best = 0, start = 1;
        double bestSquare = (r[0] - x) * (r[0] - x);
        if (Vector512.IsHardwareAccelerated)
        {
            ref double r0 = ref MemoryMarshal.GetArrayDataReference(r);
            var target = Vector512.Create(x);
            var laneBest = Vector512.Create(double.PositiveInfinity);
            var laneIndex = Vector512<long>.Zero;
            var index = Vector512.Create(0L, 1, 2, 3, 4, 5, 6, 7);
            var step = Vector512.Create(8L);
            int blocked = r.Length & ~7;
            for (int i = 0; i < blocked; i += 8)
            {
                var diff = Vector512.LoadUnsafe(ref r0, (nuint)i) - target;
                var square = diff * diff;
                var better = Vector512.LessThan(square, laneBest);
                laneBest = Vector512.ConditionalSelect(better, square, laneBest);
                laneIndex = Vector512.ConditionalSelect(better.AsInt64(), index, laneIndex);
                index += step;
            }
            // If every square is +Inf (x infinite) no lane improves on its start and index 0 comes out, which is
            // also what the scalar loop answers then.
            bestSquare = double.PositiveInfinity;
            best = 0;
            for (int lane = 0; lane < 8; lane++)
            {
                double v = laneBest[lane];
                int at = (int)laneIndex[lane];
                if (v < bestSquare || (v == bestSquare && at < best)) { bestSquare = v; best = at; }
            }
            start = blocked;
        }
        for (int i = start; i < r.Length; i++)
        {
            double diff = r[i] - x;
            double square = diff * diff;
            if (square < bestSquare) { bestSquare = square; best = i; }
        }
        return best;
    }

    /// <summary>The plain first-minimum scan, kept as the definition the vector scan is tested against.</summary>
    internal static int NearestRatioScalar(double x)
    {
        if (double.IsNaN(x)) return 0;
        var r = Ratio;
        int best = 0;
        double bestSquare = (r[0] - x) * (r[0] - x);
        for (int i = 1; i < r.Length; i++)
        {
            double diff = r[i] - x;
            double square = diff * diff;
            if (square < bestSquare) { bestSquare = square; best = i; }
        }
        return best;
    }

    /// <summary>The sums estimateaggdparam takes over a vector: Σ|v|, Σv², and Σv² and the count over v &lt; 0 and over v &gt; 0
    /// (zeros, either sign, belong to neither side, as in MATLAB's vec(vec&lt;0) and vec(vec&gt;0)).</summary>
    internal readonly record struct Moments(double SumAbs, double SumSquares, double NegativeSquares, double NegativeCount,
        double PositiveSquares, double PositiveCount, int Count);

    /// <summary>estimateaggdparam: the grid index of alpha and the two betas. A side without coefficients has a NaN
    /// standard deviation (the mean of nothing), which makes its beta NaN and alpha 0.2.</summary>
    internal static (int AlphaIndex, double BetaLeft, double BetaRight) FitAggd(in Moments m)
    {
        double leftStd = Math.Sqrt(m.NegativeSquares / m.NegativeCount);
        double rightStd = Math.Sqrt(m.PositiveSquares / m.PositiveCount);
        double gammaHat = leftStd / rightStd;
        double meanAbs = m.SumAbs / m.Count;
        double rHat = meanAbs * meanAbs / (m.SumSquares / m.Count);
        double g2 = gammaHat * gammaHat + 1;
        // Evaluated in MATLAB's order: (rhat*(gammahat^3 + 1)*(gammahat + 1)) / ((gammahat^2 + 1)^2).
        double rHatNorm = rHat * (Math.Pow(gammaHat, 3) + 1) * (gammaHat + 1) / (g2 * g2);
        int index = NearestRatio(rHatNorm);
        double factor = BetaFactor[index];
        return (index, leftStd * factor, rightStd * factor);
    }

    /// <summary>
    /// The 18 features of one block: MSCN coefficients of the block's pixels (filtered with the plane's own
    /// neighbours, replicate at the plane's borders), their AGGD fit, and the fits of the four neighbour products.
    /// </summary>
    /// <param name="tile">Scratch of at least 2·(side + 6)² doubles.</param>
    /// <param name="mscn">Scratch of at least side·(side + 2) doubles.</param>
    internal static void Block(double[] plane, int width, int height, int x0, int y0, int side, SimdLevel simd,
        double[] tile, double[] mscn, Span<double> features)
    {
        switch (simd)
        {
            case SimdLevel.Vector512: Mscn<Vector512<double>, Lanes512>(plane, width, height, x0, y0, side, tile, mscn); break;
            case SimdLevel.Vector256: Mscn<Vector256<double>, Lanes256>(plane, width, height, x0, y0, side, tile, mscn); break;
            default: Mscn<double, LanesScalar>(plane, width, height, x0, y0, side, tile, mscn); break;
        }

        var (alpha, betaLeft, betaRight) = FitAggd(SumMoments(mscn, side, 0, 0, pair: false));
        features[0] = Alpha[alpha];
        features[1] = (betaLeft + betaRight) / 2;

        // computefeature's circshift offsets (rows, columns): shifted(i, j) = block(i - dy, j - dx), circularly.
        ReadOnlySpan<int> shifts = [0, 1, 1, 0, 1, 1, 1, -1];
        for (int s = 0; s < 4; s++)
        {
            (alpha, betaLeft, betaRight) = FitAggd(SumMoments(mscn, side, shifts[2 * s], shifts[2 * s + 1], pair: true));
            var f = features.Slice(2 + 4 * s, 4);
            f[0] = Alpha[alpha];
            f[1] = (betaRight - betaLeft) * MeanFactor[alpha];
            f[2] = betaLeft;
            f[3] = betaRight;
        }
    }

    /// <summary>
    /// MSCN coefficients of the side x side block at (x0, y0) into <paramref name="mscn"/>: row i at i·(side + 2) + 1,
    /// with the row's last value copied before it and its first after it, so that a neighbour one column away
    /// (wrapping round the block, as circshift does) is a plain unaligned load.
    /// </summary>
    /// <param name="tile">Scratch of 2·(side + 6)²: the block with its margin, then the squares of those pixels.</param>
    static void Mscn<TVec, TL>(double[] plane, int width, int height, int x0, int y0, int side, double[] tile, double[] mscn)
        where TVec : struct where TL : ILanes<TVec>
    {
        // The block with a 3-pixel margin: the plane's neighbours where they exist, its edge pixels repeated beyond
        // (imfilter's 'replicate'). The squares (imfilter(im.*im): each square rounded before it is weighted) are
        // stored once rather than recomputed for each of the 49 taps that read them.
        int tileSide = side + 2 * Radius, tileSize = tileSide * tileSide;
        for (int r = 0; r < tileSide; r++)
        {
            int sourceRow = Math.Clamp(y0 + r - Radius, 0, height - 1) * width;
            var dst = tile.AsSpan(r * tileSide, tileSide);
            int first = x0 - Radius, last = x0 + side + Radius; // [first, last) wanted
            int inFirst = Math.Max(first, 0), inLast = Math.Min(last, width);
            for (int c = first; c < inFirst; c++) dst[c - first] = plane[sourceRow];
            plane.AsSpan(sourceRow + inFirst, inLast - inFirst).CopyTo(dst.Slice(inFirst - first));
            for (int c = inLast; c < last; c++) dst[c - first] = plane[sourceRow + width - 1];
        }
        for (int i = 0; i < tileSize; i++) tile[tileSize + i] = tile[i] * tile[i];

        int stride = side + 2;
        ref double w0 = ref MemoryMarshal.GetArrayDataReference(NiqeModel.Window);
        ref double t = ref MemoryMarshal.GetArrayDataReference(tile);
        ref double t2 = ref Unsafe.Add(ref t, tileSize);
        ref double m = ref MemoryMarshal.GetArrayDataReference(mscn);
        TVec one = TL.Splat(1.0);
        // Two output vectors per step: four independent add chains instead of two (the chains are what limits this
        // loop). side / Count is even for both block sides (96, 48) and every width (8, 4, 1).
        int step = 2 * TL.Count;
        for (int i = 0; i < side; i++)
        {
            for (int j = 0; j < side; j += step)
            {
                TVec meanA = TL.Splat(0), meanB = TL.Splat(0), squareA = TL.Splat(0), squareB = TL.Splat(0);
                for (int ky = 0; ky < WindowSize; ky++)
                {
                    int rowStart = (i + ky) * tileSide + j;
                    for (int kx = 0; kx < WindowSize; kx++)
                    {
                        TVec w = TL.Splat(Unsafe.Add(ref w0, ky * WindowSize + kx));
                        int at = rowStart + kx;
                        // Separate multiply and add, taps in raster order from 0, as a plain C filter loop
                        // computes it. Not a fused multiply-add: on images with exactly flat areas I − μ is
                        // rounding noise that the AGGD fits then see, and with FMA the CSet14 scores of foreman
                        // and ppt3 move by 0.008 and 0.13 away from REFERENCE.md's table, which this order reproduces.
                        meanA = TL.Add(meanA, TL.Mul(w, TL.Load(ref Unsafe.Add(ref t, at))));
                        meanB = TL.Add(meanB, TL.Mul(w, TL.Load(ref Unsafe.Add(ref t, at + TL.Count))));
                        squareA = TL.Add(squareA, TL.Mul(w, TL.Load(ref Unsafe.Add(ref t2, at))));
                        squareB = TL.Add(squareB, TL.Mul(w, TL.Load(ref Unsafe.Add(ref t2, at + TL.Count))));
                    }
                }
                int center = (i + Radius) * tileSide + j + Radius;
                ref double output = ref Unsafe.Add(ref m, i * stride + 1 + j);
                TL.Store(Normalize<TVec, TL>(TL.Load(ref Unsafe.Add(ref t, center)), meanA, squareA, one), ref output);
                TL.Store(Normalize<TVec, TL>(TL.Load(ref Unsafe.Add(ref t, center + TL.Count)), meanB, squareB, one), ref Unsafe.Add(ref output, TL.Count));
            }
            mscn[i * stride] = mscn[i * stride + side];
            mscn[i * stride + side + 1] = mscn[i * stride + 1];
        }
    }

    /// <summary>(I − μ) / (sqrt(|E[I²] − μ²|) + 1); μ² is rounded on its own before the subtraction (mu_sq = mu.*mu).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static TVec Normalize<TVec, TL>(TVec pixel, TVec mean, TVec meanSquare, TVec one)
        where TVec : struct where TL : ILanes<TVec> =>
        TL.Div(TL.Sub(pixel, mean), TL.Add(TL.Sqrt(TL.Abs(TL.Sub(meanSquare, TL.Mul(mean, mean)))), one));

    /// <summary>
    /// The moments of the block's coefficients (pair = false) or of the products block(i, j)·block(i - dy, j - dx)
    /// with circular indices (pair = true). Always eight interleaved lanes (Vector512; emulated by .NET where the
    /// hardware lacks it, with the same results), combined ((l0+l1)+(l2+l3))+((l4+l5)+(l6+l7)).
    /// </summary>
    static Moments SumMoments(double[] mscn, int side, int dy, int dx, bool pair)
    {
        int stride = side + 2;
        ref double m = ref MemoryMarshal.GetArrayDataReference(mscn);
        var zero = Vector512<double>.Zero;
        var one = Vector512<double>.One;
        Vector512<double> sumAbs = zero, sumSquares = zero, negativeSquares = zero, negativeCount = zero,
            positiveSquares = zero, positiveCount = zero;
        for (int i = 0; i < side; i++)
        {
            int rowA = i * stride + 1;
            int rowB = (i - dy + side) % side * stride + 1 - dx;
            for (int j = 0; j < side; j += 8)
            {
                var v = Vector512.LoadUnsafe(ref m, (nuint)(rowA + j));
                if (pair) v *= Vector512.LoadUnsafe(ref m, (nuint)(rowB + j));
                var square = v * v;
                var negative = Vector512.LessThan(v, zero);
                var positive = Vector512.GreaterThan(v, zero);
                sumAbs += Vector512.Abs(v);
                sumSquares += square;
                // Adding +0 where the mask is off leaves a sum's bits unchanged: the same as summing only that side.
                negativeSquares += square & negative;
                negativeCount += one & negative;
                positiveSquares += square & positive;
                positiveCount += one & positive;
            }
        }
        return new Moments(Combine(sumAbs), Combine(sumSquares), Combine(negativeSquares), Combine(negativeCount),
            Combine(positiveSquares), Combine(positiveCount), side * side);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static double Combine(Vector512<double> v) => ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));

    // ---- imresize(I, 0.5) ----

    /// <summary>
    /// MATLAB's <c>imresize(I, 0.5)</c> of a double image (bicubic, antialiased, not rounded): each output is
    /// Σ w_k·I(idx_k) with MATLAB's contributions (cubic a = -0.5 stretched by 2, 10 taps of which the two
    /// always-zero ones are dropped, weights normalized by their sum, indices mirrored at the borders), rows
    /// (the vertical pass) first since both scales are equal. Products and sums are separate roundings, in tap
    /// order. Restora.Imaging's Resize does the same geometry but in float32 and rounded to the bit depth, which
    /// is not what NIQE's second scale is. Width and height must be even.
    /// </summary>
    internal static double[] Halve(double[] plane, int width, int height, SimdLevel simd, int threads)
    {
        int outWidth = width / 2, outHeight = height / 2;
        var (rowWeights, rowIndices, rowTaps) = HalvingContributions(height);
        var (colWeights, colIndices, colTaps) = HalvingContributions(width);

        var middle = new double[outHeight * width];
        Niqe.For(outHeight, threads, y =>
        {
            switch (simd)
            {
                case SimdLevel.Vector512: WeightRows<Vector512<double>, Lanes512>(plane, width, rowWeights, rowIndices, rowTaps, y, middle); break;
                case SimdLevel.Vector256: WeightRows<Vector256<double>, Lanes256>(plane, width, rowWeights, rowIndices, rowTaps, y, middle); break;
                default: WeightRows<double, LanesScalar>(plane, width, rowWeights, rowIndices, rowTaps, y, middle); break;
            }
        });

        var result = new double[outHeight * outWidth];
        Niqe.For(outHeight, threads, y =>
        {
            var input = middle.AsSpan(y * width, width);
            var output = result.AsSpan(y * outWidth, outWidth);
            for (int x = 0; x < outWidth; x++)
            {
                double sum = 0;
                for (int k = 0; k < colTaps; k++)
                    sum += colWeights[x * colTaps + k] * input[colIndices[x * colTaps + k]];
                output[x] = sum;
            }
        });
        return result;
    }

    /// <summary>Output row y of the vertical pass: Σ_k w_k · input row idx_k, vectorized along the row (width is a multiple of 8).</summary>
    static void WeightRows<TVec, TL>(double[] plane, int width, double[] weights, int[] indices, int taps, int y, double[] middle)
        where TVec : struct where TL : ILanes<TVec>
    {
        ref double p = ref MemoryMarshal.GetArrayDataReference(plane);
        ref double o = ref MemoryMarshal.GetArrayDataReference(middle);
        for (int x = 0; x < width; x += TL.Count)
        {
            TVec sum = TL.Splat(0);
            for (int k = 0; k < taps; k++)
                sum = TL.Add(sum, TL.Mul(TL.Splat(weights[y * taps + k]), TL.Load(ref Unsafe.Add(ref p, indices[y * taps + k] * width + x))));
            TL.Store(sum, ref Unsafe.Add(ref o, y * width + x));
        }
    }

    /// <summary>
    /// imresize's contributions() for scale 0.5 along an axis of even length n: for output x (1-based)
    /// u = x/0.5 + 0.5·(1 − 1/0.5), left = floor(u − 4), taps left .. left + 9 weighted by 0.5·cubic(0.5·(u − idx)),
    /// divided by their sum, indices mirrored into 1..n, and taps that are zero for every output dropped.
    /// Returned 0-based, output-major.
    /// </summary>
    internal static (double[] Weights, int[] Indices, int Taps) HalvingContributions(int length)
    {
        const double scale = 0.5;
        const double kernelWidth = 4 / scale;
        const int allTaps = 10; // ceil(kernelWidth) + 2
        int outLength = length / 2;
        var weights = new double[outLength * allTaps];
        var indices = new int[outLength * allTaps];
        for (int x = 1; x <= outLength; x++)
        {
            double u = x / scale + 0.5 * (1 - 1 / scale);
            int left = (int)Math.Floor(u - kernelWidth / 2);
            double sum = 0;
            for (int k = 0; k < allTaps; k++)
            {
                double w = scale * Cubic(scale * (u - (left + k)));
                weights[(x - 1) * allTaps + k] = w;
                sum += w;
            }
            for (int k = 0; k < allTaps; k++)
            {
                weights[(x - 1) * allTaps + k] /= sum;
                indices[(x - 1) * allTaps + k] = Mirror(left + k, length) - 1;
            }
        }

        bool ZeroColumn(int k) { for (int x = 0; x < outLength; x++) if (weights[x * allTaps + k] != 0) return false; return true; }
        int firstKept = 0, lastKept = allTaps - 1;
        while (firstKept < lastKept && ZeroColumn(firstKept)) firstKept++;
        while (lastKept > firstKept && ZeroColumn(lastKept)) lastKept--;
        // MATLAB drops every all-zero column; between the first and last kept ones there are none for this kernel.
        for (int k = firstKept; k <= lastKept; k++)
            if (ZeroColumn(k)) throw new InvalidOperationException("unexpected zero tap inside the halving kernel");

        int taps = lastKept - firstKept + 1;
        var keptWeights = new double[outLength * taps];
        var keptIndices = new int[outLength * taps];
        for (int x = 0; x < outLength; x++)
            for (int k = 0; k < taps; k++)
            {
                keptWeights[x * taps + k] = weights[x * allTaps + firstKept + k];
                keptIndices[x * taps + k] = indices[x * allTaps + firstKept + k];
            }
        return (keptWeights, keptIndices, taps);
    }

    /// <summary>MATLAB's aux = [1:n, n:-1:1] lookup, aux(mod(i - 1, 2n) + 1): 1-based in and out.</summary>
    static int Mirror(int i, int n)
    {
        int m = ((i - 1) % (2 * n) + 2 * n) % (2 * n);
        return m < n ? m + 1 : 2 * n - m;
    }

    /// <summary>imresize's cubic kernel (Keys, a = -0.5), written as MATLAB writes it.</summary>
    internal static double Cubic(double x)
    {
        double ax = Math.Abs(x), ax2 = ax * ax, ax3 = ax2 * ax;
        return (1.5 * ax3 - 2.5 * ax2 + 1) * (ax <= 1 ? 1 : 0)
             + (-0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2) * (1 < ax && ax <= 2 ? 1 : 0);
    }
}
