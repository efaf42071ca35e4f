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
/// value is the same: skimage with data_range=255, given the same samples times 255, agrees to ~1e-15.
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

    /// <summary>Output columns per strip: 11 rows x (StripColumns + 10) x 2 images of doubles ≈ 48 KB, about L1.</summary>
    internal const int StripColumns = 256;

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

    /// <summary>
    /// Output rows [firstRow, endRow): reads the input rows they need, then filters them in vertical strips of
    /// <see cref="StripColumns"/> output columns so that the 11 input rows a strip touches stay in L1/L2 (full
    /// 2048-wide rows do not: measured ~1.7x slower per pixel). Each strip writes its part of the chunk's map rows;
    /// a column's value does not depend on the strip it fell in, and every row is summed whole afterwards, so
    /// the strip width changes no bits.
    /// </summary>
    static void ComputeChunk(PlaneSource x, PlaneSource y, int firstRow, int endRow, bool wantCs, SimdLevel simd,
        double[] rowSsim, double[] rowCs)
    {
        int width = x.Width, outWidth = width - 2 * Radius;
        int rows = endRow - firstRow, inputRows = rows + 2 * Radius;
        var pool = ArrayPool<double>.Shared;
        double[] xRows = pool.Rent(inputRows * width), yRows = pool.Rent(inputRows * width);
        // The five vertically filtered moment rows of one strip, one after another, each StripColumns + 10 long.
        double[] moments = pool.Rent(5 * (StripColumns + 2 * Radius));
        double[] ssimMap = pool.Rent(rows * outWidth), csMap = pool.Rent(rows * outWidth);
        try
        {
            for (int i = 0; i < inputRows; i++)
            {
                x.ReadRow(firstRow + i, xRows.AsSpan(i * width, width));
                y.ReadRow(firstRow + i, yRows.AsSpan(i * width, width));
            }
            for (int stripStart = 0; stripStart < outWidth; stripStart += StripColumns)
            {
                int stripWidth = Math.Min(StripColumns, outWidth - stripStart);
                for (int r = 0; r < rows; r++)
                {
                    int inputOrigin = r * width + stripStart; // top-left of the 11 x (stripWidth + 10) input window
                    int mapOrigin = r * outWidth + stripStart;
                    switch (simd)
                    {
                        case SimdLevel.Vector512:
                            FilterStrip<Vector512<double>, Lanes512>(xRows, yRows, inputOrigin, width, stripWidth, moments, ssimMap, csMap, mapOrigin, wantCs);
                            break;
                        case SimdLevel.Vector256:
                            FilterStrip<Vector256<double>, Lanes256>(xRows, yRows, inputOrigin, width, stripWidth, moments, ssimMap, csMap, mapOrigin, wantCs);
                            break;
                        default:
                            FilterStrip<double, LanesScalar>(xRows, yRows, inputOrigin, width, stripWidth, moments, ssimMap, csMap, mapOrigin, wantCs);
                            break;
                    }
                }
            }
            for (int r = 0; r < rows; r++)
            {
                rowSsim[firstRow + r] = Simd.SumFixedOrder(ssimMap.AsSpan(r * outWidth, outWidth), simd);
                rowCs[firstRow + r] = wantCs ? Simd.SumFixedOrder(csMap.AsSpan(r * outWidth, outWidth), simd) : 0;
            }
        }
        finally
        {
            pool.Return(xRows); pool.Return(yRows); pool.Return(moments);
            pool.Return(ssimMap); pool.Return(csMap);
        }
    }

    /// <summary>
    /// One output row of one strip: <paramref name="outColumns"/> map values from the 11 x (outColumns + 10) input
    /// window at <paramref name="inputOrigin"/>. The vector body covers whole vectors; the scalar path (same
    /// arithmetic, so the same bits) covers the tail.
    /// </summary>
    static void FilterStrip<TVec, TLanes>(double[] xRows, double[] yRows, int inputOrigin, int inputStride, int outColumns,
        double[] moments, double[] ssimMap, double[] csMap, int mapOrigin, bool wantCs)
        where TVec : struct where TLanes : struct, ILanes<TVec>
    {
        int inColumns = outColumns + 2 * Radius, momentStride = inColumns;
        int vectorEnd = inColumns - inColumns % TLanes.Count;
        VerticalPass<TVec, TLanes>(xRows, yRows, inputOrigin, inputStride, 0, vectorEnd, moments, momentStride);
        VerticalPass<double, LanesScalar>(xRows, yRows, inputOrigin, inputStride, vectorEnd, inColumns, moments, momentStride);

        int outVectorEnd = outColumns - outColumns % TLanes.Count;
        HorizontalPassAndMap<TVec, TLanes>(moments, momentStride, 0, outVectorEnd, ssimMap, csMap, mapOrigin, wantCs);
        HorizontalPassAndMap<double, LanesScalar>(moments, momentStride, outVectorEnd, outColumns, ssimMap, csMap, mapOrigin, wantCs);
    }

    /// <summary>
    /// Columns [start, end) of the window (end - start a multiple of the lane count): 11-tap vertical weighted
    /// sums of x, y, x², y², xy over the window's 11 input rows, stored as five moment rows of momentStride.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void VerticalPass<TVec, TLanes>(double[] xRows, double[] yRows, int inputOrigin, int inputStride, int start, int end,
        double[] moments, int momentStride)
        where TVec : struct where TLanes : struct, ILanes<TVec>
    {
        ref double xs = ref MemoryMarshal.GetArrayDataReference(xRows);
        ref double ys = ref MemoryMarshal.GetArrayDataReference(yRows);
        ref double m = ref MemoryMarshal.GetArrayDataReference(moments);
        nint stride = inputStride, mStride = momentStride;
        // The window is symmetric (w[k] == w[10-k] exactly), so six broadcast weights cover the eleven taps;
        // the taps are unrolled by hand because the JIT does not unroll the 11-iteration loop.
        TVec w0 = TLanes.Splat(Window[0]), w1 = TLanes.Splat(Window[1]), w2 = TLanes.Splat(Window[2]);
        TVec w3 = TLanes.Splat(Window[3]), w4 = TLanes.Splat(Window[4]), w5 = TLanes.Splat(Window[5]);
        for (int col = start; col < end; col += TLanes.Count)
        {
            TVec sx = default, sy = default, sxx = default, syy = default, sxy = default;
            ref double x = ref Unsafe.Add(ref xs, (nint)inputOrigin + col);
            ref double y = ref Unsafe.Add(ref ys, (nint)inputOrigin + col);
            VerticalTap<TVec, TLanes>(ref x, ref y, w0, ref sx, ref sy, ref sxx, ref syy, ref sxy);
            VerticalTap<TVec, TLanes>(ref Unsafe.Add(ref x, stride), ref Unsafe.Add(ref y, stride), w1, ref sx, ref sy, ref sxx, ref syy, ref sxy);
            VerticalTap<TVec, TLanes>(ref Unsafe.Add(ref x, 2 * stride), ref Unsafe.Add(ref y, 2 * stride), w2, ref sx, ref sy, ref sxx, ref syy, ref sxy);
            VerticalTap<TVec, TLanes>(ref Unsafe.Add(ref x, 3 * stride), ref Unsafe.Add(ref y, 3 * stride), w3, ref sx, ref sy, ref sxx, ref syy, ref sxy);
            VerticalTap<TVec, TLanes>(ref Unsafe.Add(ref x, 4 * stride), ref Unsafe.Add(ref y, 4 * stride), w4, ref sx, ref sy, ref sxx, ref syy, ref sxy);
            VerticalTap<TVec, TLanes>(ref Unsafe.Add(ref x, 5 * stride), ref Unsafe.Add(ref y, 5 * stride), w5, ref sx, ref sy, ref sxx, ref syy, ref sxy);
            VerticalTap<TVec, TLanes>(ref Unsafe.Add(ref x, 6 * stride), ref Unsafe.Add(ref y, 6 * stride), w4, ref sx, ref sy, ref sxx, ref syy, ref sxy);
            VerticalTap<TVec, TLanes>(ref Unsafe.Add(ref x, 7 * stride), ref Unsafe.Add(ref y, 7 * stride), w3, ref sx, ref sy, ref sxx, ref syy, ref sxy);
            VerticalTap<TVec, TLanes>(ref Unsafe.Add(ref x, 8 * stride), ref Unsafe.Add(ref y, 8 * stride), w2, ref sx, ref sy, ref sxx, ref syy, ref sxy);
            VerticalTap<TVec, TLanes>(ref Unsafe.Add(ref x, 9 * stride), ref Unsafe.Add(ref y, 9 * stride), w1, ref sx, ref sy, ref sxx, ref syy, ref sxy);
            VerticalTap<TVec, TLanes>(ref Unsafe.Add(ref x, 10 * stride), ref Unsafe.Add(ref y, 10 * stride), w0, ref sx, ref sy, ref sxx, ref syy, ref sxy);
            ref double out0 = ref Unsafe.Add(ref m, col);
            TLanes.Store(sx, ref out0);
            TLanes.Store(sy, ref Unsafe.Add(ref out0, mStride));
            TLanes.Store(sxx, ref Unsafe.Add(ref out0, 2 * mStride));
            TLanes.Store(syy, ref Unsafe.Add(ref out0, 3 * mStride));
            TLanes.Store(sxy, ref Unsafe.Add(ref out0, 4 * mStride));
        }
    }

    /// <summary>One input row's contribution to the five vertical sums; products formed as (w·x)·x, one FMA each.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void VerticalTap<TVec, TLanes>(ref double x, ref double y, TVec weight,
        ref TVec sx, ref TVec sy, ref TVec sxx, ref TVec syy, ref TVec sxy)
        where TVec : struct where TLanes : struct, ILanes<TVec>
    {
        TVec a = TLanes.Load(ref x), b = TLanes.Load(ref y);
        TVec wa = TLanes.Mul(weight, a), wb = TLanes.Mul(weight, b);
        sx = TLanes.Fma(weight, a, sx);
        sy = TLanes.Fma(weight, b, sy);
        sxx = TLanes.Fma(wa, a, sxx);
        syy = TLanes.Fma(wb, b, syy);
        sxy = TLanes.Fma(wa, b, sxy);
    }

    /// <summary>Output columns [start, end): 11-tap horizontal sums of the five moment rows, then the SSIM (and cs) formula.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void HorizontalPassAndMap<TVec, TLanes>(double[] moments, int momentStride, int start, int end,
        double[] ssimMap, double[] csMap, int mapOrigin, bool wantCs)
        where TVec : struct where TLanes : struct, ILanes<TVec>
    {
        ref double m = ref MemoryMarshal.GetArrayDataReference(moments);
        ref double ssimOut = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(ssimMap), mapOrigin);
        ref double csOut = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(csMap), mapOrigin);
        nint stride = momentStride;
        TVec two = TLanes.Splat(2.0), c1 = TLanes.Splat(C1), c2 = TLanes.Splat(C2);
        TVec w0 = TLanes.Splat(Window[0]), w1 = TLanes.Splat(Window[1]), w2 = TLanes.Splat(Window[2]);
        TVec w3 = TLanes.Splat(Window[3]), w4 = TLanes.Splat(Window[4]), w5 = TLanes.Splat(Window[5]);
        for (int col = start; col < end; col += TLanes.Count)
        {
            ref double first = ref Unsafe.Add(ref m, col);
            TVec mx = HorizontalTaps<TVec, TLanes>(ref first, w0, w1, w2, w3, w4, w5);
            TVec my = HorizontalTaps<TVec, TLanes>(ref Unsafe.Add(ref first, stride), w0, w1, w2, w3, w4, w5);
            TVec exx = HorizontalTaps<TVec, TLanes>(ref Unsafe.Add(ref first, 2 * stride), w0, w1, w2, w3, w4, w5);
            TVec eyy = HorizontalTaps<TVec, TLanes>(ref Unsafe.Add(ref first, 3 * stride), w0, w1, w2, w3, w4, w5);
            TVec exy = HorizontalTaps<TVec, TLanes>(ref Unsafe.Add(ref first, 4 * stride), w0, w1, w2, w3, w4, w5);
            // Same expression shapes as ssim_index.m / skimage: variances as E[x²] - μ², population (not sample) covariance.
            TVec mxx = TLanes.Mul(mx, mx), myy = TLanes.Mul(my, my), mxy = TLanes.Mul(mx, my);
            TVec varX = TLanes.Sub(exx, mxx), varY = TLanes.Sub(eyy, myy), cov = TLanes.Sub(exy, mxy);
            TVec luminanceTop = TLanes.Add(TLanes.Mul(two, mxy), c1);
            TVec structureTop = TLanes.Add(TLanes.Mul(two, cov), c2);
            TVec luminanceBottom = TLanes.Add(TLanes.Add(mxx, myy), c1);
            TVec structureBottom = TLanes.Add(TLanes.Add(varX, varY), c2);
            TLanes.Store(TLanes.Div(TLanes.Mul(luminanceTop, structureTop), TLanes.Mul(luminanceBottom, structureBottom)), ref Unsafe.Add(ref ssimOut, col));
            if (wantCs) TLanes.Store(TLanes.Div(structureTop, structureBottom), ref Unsafe.Add(ref csOut, col));
        }
    }

    /// <summary>Σ_k w[k]·row[k], k = 0..10, accumulated in k order with one FMA per tap.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static TVec HorizontalTaps<TVec, TLanes>(ref double row, TVec w0, TVec w1, TVec w2, TVec w3, TVec w4, TVec w5)
        where TVec : struct where TLanes : struct, ILanes<TVec>
    {
        TVec sum = TLanes.Mul(w0, TLanes.Load(ref row));
        sum = TLanes.Fma(w1, TLanes.Load(ref Unsafe.Add(ref row, 1)), sum);
        sum = TLanes.Fma(w2, TLanes.Load(ref Unsafe.Add(ref row, 2)), sum);
        sum = TLanes.Fma(w3, TLanes.Load(ref Unsafe.Add(ref row, 3)), sum);
        sum = TLanes.Fma(w4, TLanes.Load(ref Unsafe.Add(ref row, 4)), sum);
        sum = TLanes.Fma(w5, TLanes.Load(ref Unsafe.Add(ref row, 5)), sum);
        sum = TLanes.Fma(w4, TLanes.Load(ref Unsafe.Add(ref row, 6)), sum);
        sum = TLanes.Fma(w3, TLanes.Load(ref Unsafe.Add(ref row, 7)), sum);
        sum = TLanes.Fma(w2, TLanes.Load(ref Unsafe.Add(ref row, 8)), sum);
        sum = TLanes.Fma(w1, TLanes.Load(ref Unsafe.Add(ref row, 9)), sum);
        return TLanes.Fma(w0, TLanes.Load(ref Unsafe.Add(ref row, 10)), sum);
    }
}
