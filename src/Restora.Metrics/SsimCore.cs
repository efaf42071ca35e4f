using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Restora.Metrics;

/// <summary>
/// SSIM of one pair of planes exactly as Wang et al.'s <c>ssim_index.m</c> defines it (REFERENCE.md):
/// 11x11 Gaussian window (sigma 1.5, normalized), K1 = 0.01, K2 = 0.03, 'valid' filtering, mean of the map.
///
/// Scale: samples stay in 0..1 and the constants are C1 = (K1·1)², C2 = (K2·1)². That is the L = 255
/// definition on the 0..255 scale with every term divided by 255² (numerator and denominator alike), so the
/// value is the same; skimage with data_range=255 on 0..255 data agrees to ~1e-15 (see the tests).
///
/// How: the 2-D window is the outer product of a normalized 1-D Gaussian (fspecial's normalization factors
/// the same way), so each output row is a vertical 11-tap pass over 11 input rows, producing the five
/// moments E[x], E[y], E[x²], E[y²], E[xy] per column, then an 11-tap horizontal pass and the SSIM formula.
/// Output rows are independent, so they are split into fixed chunks across threads and each row's map sum
/// is stored; the rows are then summed in row order. Chunking never changes a row's arithmetic, so the
/// result has the same bits for any thread count, and (see <see cref="ILanes{TVec}"/>) any vector width.
/// </summary>
internal static class SsimCore
{
    public const int WindowSize = 11;
    const int Radius = WindowSize / 2;
    public const double Sigma = 1.5;
    public const double K1 = 0.01, K2 = 0.03;
    const double C1 = K1 * K1, C2 = K2 * K2;

    /// <summary>Output rows per parallel work item: big enough that the 10 halo rows each chunk converts are cheap.</summary>
    const int ChunkRows = 16;

    /// <summary>The 1-D window: exp(-k²/2σ²) for k = -5..5, divided by its sum (MATLAB fspecial, scipy, pytorch_msssim).</summary>
    public static readonly double[] Window = MakeWindow();

    static double[] MakeWindow()
    {
        var w = new double[WindowSize];
        double sum = 0;
        for (int k = 0; k < WindowSize; k++)
        {
            double d = k - Radius;
            w[k] = Math.Exp(-(d * d) / (2 * Sigma * Sigma));
            sum += w[k];
        }
        for (int k = 0; k < WindowSize; k++) w[k] /= sum;
        return w;
    }

    /// <summary>Mean of the SSIM map and (for MS-SSIM) of the contrast-structure map cs = (2σxy + C2)/(σx² + σy² + C2).</summary>
    public readonly record struct Result(double Ssim, double ContrastStructure);

    public static Result Compute(PlaneSource x, PlaneSource y, bool wantContrastStructure, SimdLevel simd, int threads)
    {
        if (x.Width != y.Width || x.Height != y.Height)
            throw new ArgumentException($"planes differ: {x.Width}x{x.Height} vs {y.Width}x{y.Height}");
        if (x.Width < WindowSize || x.Height < WindowSize)
            throw new ArgumentException(
                $"SSIM needs at least {WindowSize}x{WindowSize} pixels (one full {WindowSize}x{WindowSize} window, 'valid' filtering), got {x.Width}x{x.Height}");

        int outHeight = x.Height - 2 * Radius, outWidth = x.Width - 2 * Radius;
        double[] rowSsim = ArrayPool<double>.Shared.Rent(outHeight);
        double[] rowCs = ArrayPool<double>.Shared.Rent(outHeight);
        try
        {
            int chunks = (outHeight + ChunkRows - 1) / ChunkRows;
            void RunChunk(int chunk) => ComputeChunk(x, y, chunk * ChunkRows, Math.Min(outHeight, (chunk + 1) * ChunkRows),
                wantContrastStructure, simd, rowSsim, rowCs);
            if (threads <= 1 || chunks == 1)
                for (int c = 0; c < chunks; c++) RunChunk(c);
            else
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, RunChunk);

            // Row order, one row at a time: the reduction order is fixed whatever ran where.
            double ssimTotal = 0, csTotal = 0;
            for (int r = 0; r < outHeight; r++)
            {
                ssimTotal += rowSsim[r];
                csTotal += rowCs[r];
            }
            double count = (double)outWidth * outHeight;
            return new Result(ssimTotal / count, wantContrastStructure ? csTotal / count : double.NaN);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rowSsim);
            ArrayPool<double>.Shared.Return(rowCs);
        }
    }

    /// <summary>Output rows [firstRow, endRow): reads the input rows they need, filters, stores each row's map sum.</summary>
    static void ComputeChunk(PlaneSource x, PlaneSource y, int firstRow, int endRow, bool wantCs, SimdLevel simd,
        double[] rowSsim, double[] rowCs)
    {
        int width = x.Width, outWidth = width - 2 * Radius;
        int inputRows = endRow - firstRow + 2 * Radius;
        var pool = ArrayPool<double>.Shared;
        double[] xRows = pool.Rent(inputRows * width), yRows = pool.Rent(inputRows * width);
        // The five vertically filtered moment rows, one after another, each `width` long.
        double[] moments = pool.Rent(5 * width);
        double[] ssimRow = pool.Rent(outWidth), csRow = pool.Rent(outWidth);
        try
        {
            for (int i = 0; i < inputRows; i++)
            {
                x.ReadRow(firstRow + i, xRows.AsSpan(i * width, width));
                y.ReadRow(firstRow + i, yRows.AsSpan(i * width, width));
            }
            for (int row = firstRow; row < endRow; row++)
            {
                int top = (row - firstRow) * width; // first of the 11 input rows, in the chunk's buffers
                switch (simd)
                {
                    case SimdLevel.Vector512:
                        FilterRow<Vector512<double>, Lanes512>(xRows, yRows, top, width, moments, ssimRow, csRow, wantCs);
                        break;
                    case SimdLevel.Vector256:
                        FilterRow<Vector256<double>, Lanes256>(xRows, yRows, top, width, moments, ssimRow, csRow, wantCs);
                        break;
                    default:
                        FilterRow<double, LanesScalar>(xRows, yRows, top, width, moments, ssimRow, csRow, wantCs);
                        break;
                }
                rowSsim[row] = Simd.SumFixedOrder(ssimRow.AsSpan(0, outWidth), simd);
                rowCs[row] = wantCs ? Simd.SumFixedOrder(csRow.AsSpan(0, outWidth), simd) : 0;
            }
        }
        finally
        {
            pool.Return(xRows); pool.Return(yRows); pool.Return(moments);
            pool.Return(ssimRow); pool.Return(csRow);
        }
    }

    /// <summary>One output row: the vector body over whole vectors, then the scalar path (same arithmetic) for the tail.</summary>
    static void FilterRow<TVec, TLanes>(double[] xRows, double[] yRows, int top, int width, double[] moments,
        double[] ssimRow, double[] csRow, bool wantCs)
        where TVec : struct where TLanes : struct, ILanes<TVec>
    {
        int vectorEnd = width - width % TLanes.Count;
        VerticalPass<TVec, TLanes>(xRows, yRows, top, width, 0, vectorEnd, moments);
        VerticalPass<double, LanesScalar>(xRows, yRows, top, width, vectorEnd, width, moments);

        int outWidth = width - 2 * Radius;
        int outVectorEnd = outWidth - outWidth % TLanes.Count;
        HorizontalPassAndMap<TVec, TLanes>(moments, width, 0, outVectorEnd, ssimRow, csRow, wantCs);
        HorizontalPassAndMap<double, LanesScalar>(moments, width, outVectorEnd, outWidth, ssimRow, csRow, wantCs);
    }

    /// <summary>
    /// Columns [start, end) (end - start a multiple of the lane count): 11-tap vertical weighted sums of
    /// x, y, x², y², xy over input rows top..top+10. The products are formed as (w·x)·x, one FMA each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void VerticalPass<TVec, TLanes>(double[] xRows, double[] yRows, int top, int width, int start, int end, double[] moments)
        where TVec : struct where TLanes : struct, ILanes<TVec>
    {
        ref double xs = ref MemoryMarshal.GetArrayDataReference(xRows);
        ref double ys = ref MemoryMarshal.GetArrayDataReference(yRows);
        ref double m = ref MemoryMarshal.GetArrayDataReference(moments);
        ref double w = ref MemoryMarshal.GetArrayDataReference(Window);
        for (int col = start; col < end; col += TLanes.Count)
        {
            TVec sx = default, sy = default, sxx = default, syy = default, sxy = default;
            int at = top + col;
            for (int k = 0; k < WindowSize; k++, at += width)
            {
                TVec weight = TLanes.Splat(Unsafe.Add(ref w, k));
                TVec a = TLanes.Load(ref xs, at), b = TLanes.Load(ref ys, at);
                TVec wa = TLanes.Mul(weight, a), wb = TLanes.Mul(weight, b);
                sx = TLanes.Fma(weight, a, sx);
                sy = TLanes.Fma(weight, b, sy);
                sxx = TLanes.Fma(wa, a, sxx);
                syy = TLanes.Fma(wb, b, syy);
                sxy = TLanes.Fma(wa, b, sxy);
            }
            TLanes.Store(sx, ref m, col);
            TLanes.Store(sy, ref m, width + col);
            TLanes.Store(sxx, ref m, 2 * width + col);
            TLanes.Store(syy, ref m, 3 * width + col);
            TLanes.Store(sxy, ref m, 4 * width + col);
        }
    }

    /// <summary>Output columns [start, end): 11-tap horizontal sums of the five moment rows, then the SSIM (and cs) formula.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void HorizontalPassAndMap<TVec, TLanes>(double[] moments, int width, int start, int end,
        double[] ssimRow, double[] csRow, bool wantCs)
        where TVec : struct where TLanes : struct, ILanes<TVec>
    {
        ref double m = ref MemoryMarshal.GetArrayDataReference(moments);
        ref double w = ref MemoryMarshal.GetArrayDataReference(Window);
        ref double ssimOut = ref MemoryMarshal.GetArrayDataReference(ssimRow);
        ref double csOut = ref MemoryMarshal.GetArrayDataReference(csRow);
        TVec two = TLanes.Splat(2.0), c1 = TLanes.Splat(C1), c2 = TLanes.Splat(C2);
        for (int col = start; col < end; col += TLanes.Count)
        {
            TVec mx = default, my = default, exx = default, eyy = default, exy = default;
            for (int k = 0; k < WindowSize; k++)
            {
                TVec weight = TLanes.Splat(Unsafe.Add(ref w, k));
                int at = col + k;
                mx = TLanes.Fma(weight, TLanes.Load(ref m, at), mx);
                my = TLanes.Fma(weight, TLanes.Load(ref m, width + at), my);
                exx = TLanes.Fma(weight, TLanes.Load(ref m, 2 * width + at), exx);
                eyy = TLanes.Fma(weight, TLanes.Load(ref m, 3 * width + at), eyy);
                exy = TLanes.Fma(weight, TLanes.Load(ref m, 4 * width + at), exy);
            }
            // Same expression shapes as ssim_index.m / skimage: variances as E[x²] - μ², population (not sample) covariance.
            TVec mxx = TLanes.Mul(mx, mx), myy = TLanes.Mul(my, my), mxy = TLanes.Mul(mx, my);
            TVec varX = TLanes.Sub(exx, mxx), varY = TLanes.Sub(eyy, myy), cov = TLanes.Sub(exy, mxy);
            TVec luminanceTop = TLanes.Add(TLanes.Mul(two, mxy), c1);
            TVec structureTop = TLanes.Add(TLanes.Mul(two, cov), c2);
            TVec luminanceBottom = TLanes.Add(TLanes.Add(mxx, myy), c1);
            TVec structureBottom = TLanes.Add(TLanes.Add(varX, varY), c2);
            TLanes.Store(TLanes.Div(TLanes.Mul(luminanceTop, structureTop), TLanes.Mul(luminanceBottom, structureBottom)), ref ssimOut, col);
            if (wantCs) TLanes.Store(TLanes.Div(structureTop, structureBottom), ref csOut, col);
        }
    }
}
