using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Restora.Core.Kernels;

/// <summary>
/// Fast conv2d on NCHW tensors, same contract as <see cref="Conv2dReference"/>.
///
/// Every pass is a register-blocked direct convolution on the original layout, so no NCHW↔blocked transform is
/// needed. A band of rows of the source is copied into a small zero-padded tile (split into stride phases when
/// the stride is not 1), which turns padding, stride and dilation into plain offsets: output pixels along a row
/// read consecutive tile floats for every (channel, tap) "column", and each vector load feeds eight output
/// channels (<see cref="ConvMicroKernels"/>). The input gradient is the same gather run on the output gradient
/// with transposed weights, phase by phase; the weight gradient is a GEMM over pixels that keeps per-lane sums,
/// with the bias gradient as one extra column of ones.
///
/// Bit-identical for any thread count: work is split only over output elements (bands of rows, channel blocks,
/// weight columns), never over a sum, so each element is accumulated in one fixed order whatever the split.
/// </summary>
public static unsafe class Conv2d
{
    // The passes, their task bodies and the copies into tiles are [AggressiveOptimization] like the micro-kernels: a
    // conv runs them only a few times per call, so tiered compilation keeps them in unoptimized tier-0 code for the
    // first dozens of calls, where a batch of 50x50 patches spent ~35% of its forward pass in the row copies.

    /// <summary>Widest instruction set this machine accelerates.</summary>
    internal static ConvPath BestPath =>
        Vector512.IsHardwareAccelerated ? ConvPath.Vector512 :
        Vector256.IsHardwareAccelerated ? ConvPath.Vector256 : ConvPath.Scalar;

    /// <summary>Source tiles are sized to stay in a core's L2 while every channel block of the band reads them.</summary>
    const int TileBytes = 512 * 1024;
    const int SingleBlockTileBytes = 2048 * 1024;

    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => Forward(BestPath, s, input, weight, bias, output);

    public static void BackwardInput(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput) => BackwardInput(BestPath, s, gradOutput, weight, gradInput);

    public static void BackwardWeight(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias) => BackwardWeight(BestPath, s, input, gradOutput, gradWeight, gradBias);

    public static void ForwardScalar(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) => Forward(ConvPath.Scalar, s, input, weight, bias, output);

    public static void BackwardInputScalar(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput) => BackwardInput(ConvPath.Scalar, s, gradOutput, weight, gradInput);

    public static void BackwardWeightScalar(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias) => BackwardWeight(ConvPath.Scalar, s, input, gradOutput, gradWeight, gradBias);

    internal static void Forward(ConvPath path, in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        s.Validate();
        Require(input.Length, s.InputLength, "input");
        Require(weight.Length, s.WeightLength, "weight");
        Require(output.Length, s.OutputLength, "output");
        if (!bias.IsEmpty) Require(bias.Length, s.OutChannels, "bias");
        CheckPath(path);
        fixed (float* pIn = input, pW = weight, pB = bias, pOut = output)
        {
            float* b = bias.IsEmpty ? null : pB;
            switch (path)
            {
                case ConvPath.Vector512: ForwardCore<Simd512, Vector512<float>>(s, pIn, pW, b, pOut); break;
                case ConvPath.Vector256: ForwardCore<Simd256, Vector256<float>>(s, pIn, pW, b, pOut); break;
                case ConvPath.Vector256SixteenRegisters: ForwardCore<Simd256SixteenRegisters, Vector256<float>>(s, pIn, pW, b, pOut); break;
                default: ForwardCore<SimdScalar, float>(s, pIn, pW, b, pOut); break;
            }
        }
    }

    internal static void BackwardInput(ConvPath path, in Conv2dShape s, ReadOnlySpan<float> gradOutput,
        ReadOnlySpan<float> weight, Span<float> gradInput)
    {
        s.Validate();
        Require(gradOutput.Length, s.OutputLength, "gradOutput");
        Require(weight.Length, s.WeightLength, "weight");
        Require(gradInput.Length, s.InputLength, "gradInput");
        CheckPath(path);
        fixed (float* pG = gradOutput, pW = weight, pOut = gradInput)
        {
            switch (path)
            {
                case ConvPath.Vector512: BackwardInputCore<Simd512, Vector512<float>>(s, pG, pW, pOut); break;
                case ConvPath.Vector256: BackwardInputCore<Simd256, Vector256<float>>(s, pG, pW, pOut); break;
                case ConvPath.Vector256SixteenRegisters: BackwardInputCore<Simd256SixteenRegisters, Vector256<float>>(s, pG, pW, pOut); break;
                default: BackwardInputCore<SimdScalar, float>(s, pG, pW, pOut); break;
            }
        }
    }

    internal static void BackwardWeight(ConvPath path, in Conv2dShape s, ReadOnlySpan<float> input,
        ReadOnlySpan<float> gradOutput, Span<float> gradWeight, Span<float> gradBias)
    {
        s.Validate();
        Require(input.Length, s.InputLength, "input");
        Require(gradOutput.Length, s.OutputLength, "gradOutput");
        Require(gradWeight.Length, s.WeightLength, "gradWeight");
        if (!gradBias.IsEmpty) Require(gradBias.Length, s.OutChannels, "gradBias");
        CheckPath(path);
        fixed (float* pIn = input, pG = gradOutput, pW = gradWeight, pB = gradBias)
        {
            float* b = gradBias.IsEmpty ? null : pB;
            switch (path)
            {
                case ConvPath.Vector512: BackwardWeightCore<Simd512, Vector512<float>>(s, pIn, pG, pW, b); break;
                case ConvPath.Vector256: BackwardWeightCore<Simd256, Vector256<float>>(s, pIn, pG, pW, b); break;
                case ConvPath.Vector256SixteenRegisters: BackwardWeightCore<Simd256SixteenRegisters, Vector256<float>>(s, pIn, pG, pW, b); break;
                default: BackwardWeightCore<SimdScalar, float>(s, pIn, pG, pW, b); break;
            }
        }
    }

    static void Require(long actual, long expected, string name)
    {
        if (actual != expected) throw new ArgumentException($"conv2d: {name} has {actual} elements, the shape needs {expected}");
    }

    static void CheckPath(ConvPath path)
    {
        if (path == ConvPath.Vector512 && !Vector512.IsHardwareAccelerated
            || path is ConvPath.Vector256 or ConvPath.Vector256SixteenRegisters && !Vector256.IsHardwareAccelerated)
            throw new PlatformNotSupportedException($"conv2d: {path} is not accelerated on this machine");
    }

    /// <summary>
    /// Where one kernel tap reads in a phase-split tile: with stride s, tap offset k·dilation = q·s + phase, so the
    /// tap reads phase plane <c>phase</c> at output position + q, a unit-stride access.
    /// </summary>
    readonly record struct TapSplit(int PhaseY, int PhaseX, int Qy, int Qx);

    static TapSplit[] SplitTaps(in Conv2dShape s)
    {
        var taps = new TapSplit[s.KernelH * s.KernelW];
        for (int ky = 0; ky < s.KernelH; ky++)
        for (int kx = 0; kx < s.KernelW; kx++)
        {
            int oy = ky * s.DilationH, ox = kx * s.DilationW;
            taps[ky * s.KernelW + kx] = new TapSplit(oy % s.StrideH, ox % s.StrideW, oy / s.StrideH, ox / s.StrideW);
        }
        return taps;
    }

    /// <summary>
    /// The input tile layout shared by forward and weight-gradient. When the conv has no padding and unit stride and
    /// no read runs past a row, the input itself has the tile's layout and is read in place (<see cref="Direct"/>),
    /// which saves a copy that would cost as much as a 1x1 conv's arithmetic.
    /// </summary>
    readonly struct InputTiling
    {
        public readonly int RowStride, BandRows, TileRows, PhaseStride, ChannelStride, Bands;
        public readonly bool Direct;
        /// <summary>
        /// Rows are only as long as the taps need (output width + reach), so output pixels map to tile floats as
        /// y·RowStride + x for the whole band and a kernel can treat the band as one long row, computing a few junk
        /// pixels per row instead of a mostly empty vector at the end of each row (50-wide patches: 78% → 96% useful lanes).
        /// </summary>
        public readonly bool Flat;
        public readonly int[] Cols;   // [channel * taps + tap] offsets relative to the tile row of the output pixel

        /// <summary>
        /// Bands are as tall as fits <paramref name="budgetBytes"/> given <paramref name="tileChannels"/> channels of
        /// tile plus <paramref name="extraBytesPerRow"/> per output row, so a band's data stays in one core's L2.
        /// </summary>
        /// <param name="flatScratchChannels">Channels of output scratch a flat band needs, counted in the band's budget.</param>
        /// <param name="maxBandFloats">At most this many output pixels per band and channel, counted in tile-row lengths
        /// (flat rows are shorter than whole-vector ones, so a flat band may take more of them).</param>
        public InputTiling(in Conv2dShape s, int vectorWidth, int tileChannels, long extraBytesPerRow, long budgetBytes,
            int maxBandFloats = int.MaxValue, bool allowFlat = false, int flatScratchChannels = 0)
        {
            var taps = SplitTaps(s);
            int maxQy = 0, maxQx = 0;
            foreach (var t in taps) { maxQy = Math.Max(maxQy, t.Qy); maxQx = Math.Max(maxQx, t.Qx); }
            int phases = s.StrideH * s.StrideW;
            int rowLength = RoundUp(s.OutWidth, vectorWidth) + maxQx;
            Direct = phases == 1 && s.PadH == 0 && s.PadW == 0 && rowLength <= s.InWidth
                && (long)s.InPerGroup * s.InHeight * s.InWidth < int.MaxValue;
            double rowUse = (double)s.OutWidth / RoundUp(s.OutWidth, vectorWidth), flatUse = (double)s.OutWidth / (s.OutWidth + maxQx);
            Flat = allowFlat && !Direct && flatUse > rowUse + 0.05;
            // Otherwise whole-vector rows keep every tile row, and with it each tap at column offset 0, on a vector boundary.
            RowStride = Direct ? s.InWidth : Flat ? s.OutWidth + maxQx : RoundUp(rowLength, vectorWidth);
            long tileRowBytes = (long)tileChannels * phases * RowStride * sizeof(float);
            if (Flat) extraBytesPerRow += (long)flatScratchChannels * RowStride * sizeof(float);
            int maxBandRows = Math.Max(1, maxBandFloats / (Flat ? RowStride : RoundUp(s.OutWidth, vectorWidth)));
            BandRows = (int)Math.Clamp((budgetBytes - tileRowBytes * maxQy) / (tileRowBytes + extraBytesPerRow), 1, Math.Min(s.OutHeight, maxBandRows));
            // Even bands: a short last band costs its halo rows and per-band setup for few pixels (50 rows: 24 + 24 + 2).
            BandRows = CeilDiv(s.OutHeight, CeilDiv(s.OutHeight, BandRows));
            TileRows = BandRows + maxQy;
            // A flat band's last vector may run past the last row by up to a vector plus the taps' reach; those lanes are junk.
            PhaseStride = Direct ? s.InHeight * s.InWidth
                : AvoidSetAliasing(TileRows * RowStride + (Flat ? vectorWidth + maxQx : 0));
            ChannelStride = phases * PhaseStride;
            Bands = CeilDiv(s.OutHeight, BandRows);
            Cols = new int[s.InPerGroup * taps.Length];
            for (int c = 0; c < s.InPerGroup; c++)
                for (int t = 0; t < taps.Length; t++)
                    Cols[c * taps.Length + t] = c * ChannelStride + (taps[t].PhaseY * s.StrideW + taps[t].PhaseX) * PhaseStride
                        + taps[t].Qy * RowStride + taps[t].Qx;
        }

        /// <summary>Floats of tile one task needs for <paramref name="channels"/> channels (none when read in place).</summary>
        public int TileLength(int channels) => Direct ? 0 : channels * ChannelStride;

        /// <summary>
        /// Where channel <paramref name="first"/> of image n, group g, starts for the band of output rows from y0:
        /// in the input itself, or in <paramref name="tile"/> after copying channels [first, last] there.
        /// </summary>
        public float* Band(in Conv2dShape s, float* input, int n, int g, int first, int last, int y0, float* tile)
        {
            long plane = (long)s.InHeight * s.InWidth;
            float* channel = input + ((long)n * s.InChannels + g * s.InPerGroup + first) * plane;
            if (Direct) return channel + (long)y0 * s.InWidth;
            for (int c = first; c <= last; c++)
                CopyPhases(channel + (c - first) * plane, s.InHeight, s.InWidth,
                    s.StrideH, s.StrideW, -s.PadH, -s.PadW, y0, TileRows, RowStride, PhaseStride, tile + (long)(c - first) * ChannelStride);
            return tile;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ForwardCore<TOps, TVec>(Conv2dShape s, float* input, float* weight, float* bias, float* output)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int taps = s.KernelH * s.KernelW, icg = s.InPerGroup, ocg = s.OutPerGroup, groups = s.Groups;
        int cols = icg * taps, blocks = CeilDiv(ocg, ConvMicroKernels.Channels);
        // The L2 budget is for every channel block re-reading the band's tile. With a single block (a last layer to
        // RGB) nothing re-reads it, and taller bands copy fewer halo rows.
        long budget = blocks == 1 ? SingleBlockTileBytes : TileBytes;
        var tiling = new InputTiling(s, TOps.Width, icg, 0, budget, allowFlat: true, flatScratchChannels: ocg);
        int blockWeights = cols * ConvMicroKernels.Channels;
        float[] packed = ArrayPool<float>.Shared.Rent(groups * blocks * blockWeights);
        float[] packedBias = ArrayPool<float>.Shared.Rent(groups * blocks * ConvMicroKernels.Channels);
        try
        {
            // [group][block][column][lane]: the weights one pixel vector meets sit side by side.
            for (int g = 0; g < groups; g++)
            for (int blk = 0; blk < blocks; blk++)
            for (int m = 0; m < ConvMicroKernels.Channels; m++)
            {
                int oc = blk * ConvMicroKernels.Channels + m;
                int baseIndex = (g * blocks + blk) * blockWeights + m;
                for (int k = 0; k < cols; k++)
                    packed[baseIndex + k * ConvMicroKernels.Channels] = oc < ocg ? weight[(long)(g * ocg + oc) * cols + k] : 0f;
                packedBias[(g * blocks + blk) * ConvMicroKernels.Channels + m] = oc < ocg && bias != null ? bias[g * ocg + oc] : 0f;
            }
            int bandTasks = s.Batch * groups * tiling.Bands;
            var (chunks, blocksPerChunk) = SplitBlocks(blocks, bandTasks);
            int tileLength = tiling.TileLength(icg);
            int flatPlane = tiling.BandRows * tiling.RowStride;
            int scratchLength = tiling.Flat ? blocksPerChunk * ConvMicroKernels.Channels * flatPlane : 0;
            fixed (float* pPacked = packed, pBias = packedBias)
            fixed (int* pCols = tiling.Cols)
            {
                nint inAddr = (nint)input, outAddr = (nint)output, wAddr = (nint)pPacked, bAddr = (nint)pBias, cAddr = (nint)pCols;
                Compute.For(bandTasks * chunks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int task) =>
                {
                    int chunk = task % chunks, rest = task / chunks;
                    int band = rest % tiling.Bands; rest /= tiling.Bands;
                    int g = rest % groups, n = rest / groups;
                    int y0 = band * tiling.BandRows, rows = Math.Min(tiling.BandRows, s.OutHeight - y0);
                    int blockBegin = chunk * blocksPerChunk, blockEnd = Math.Min(blocks, (chunk + 1) * blocksPerChunk);
                    float* outGroup = (float*)outAddr + (((long)n * s.OutChannels + g * ocg) * s.OutHeight + y0) * s.OutWidth;
                    float[] tileArray = ArrayPool<float>.Shared.Rent(tileLength + scratchLength + 2 * AlignSlack);
                    fixed (float* tileStart = tileArray)
                    {
                        float* tile = Align(tileStart);
                        float* scratch = Align(tile + tileLength);
                        int firstChannel = blockBegin * ConvMicroKernels.Channels;
                        var job = new GatherBand
                        {
                            Tile = tiling.Band(s, (float*)inAddr, n, g, 0, icg - 1, y0, tile), TileRowStride = tiling.RowStride, Cols = (int*)cAddr, ColCount = cols,
                            Weights = (float*)wAddr + (long)g * blocks * blockWeights,
                            Bias = (float*)bAddr + g * blocks * ConvMicroKernels.Channels,
                            Dst = outGroup, DstChannelStride = s.OutHeight * s.OutWidth, DstRowStride = s.OutWidth, DstChannels = ocg,
                            Rows = rows, Width = s.OutWidth,
                        };
                        if (tiling.Flat)
                        {
                            // The whole band as one row of rows × RowStride pixels into scratch, then the real columns out.
                            job.Dst = scratch - (long)firstChannel * flatPlane;
                            job.DstChannelStride = flatPlane;
                            job.DstRowStride = 0;
                            job.Rows = 1;
                            job.Width = rows * tiling.RowStride;
                        }
                        ConvMicroKernels.Gather<TOps, TVec>(job, blockBegin, blockEnd);
                        if (tiling.Flat)
                            for (int c = firstChannel; c < Math.Min(ocg, blockEnd * ConvMicroKernels.Channels); c++)
                                for (int r = 0; r < rows; r++)
                                    new ReadOnlySpan<float>(scratch + (long)(c - firstChannel) * flatPlane + (long)r * tiling.RowStride, s.OutWidth)
                                        .CopyTo(new Span<float>(outGroup + (long)c * s.OutHeight * s.OutWidth + (long)r * s.OutWidth, s.OutWidth));
                    }
                    ArrayPool<float>.Shared.Return(tileArray);
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
            ArrayPool<float>.Shared.Return(packedBias);
        }
    }

    /// <summary>
    /// Splits channel blocks only when bands alone cannot keep every thread busy, since each chunk copies the
    /// band's tile again. Any split gives the same bits.
    /// </summary>
    static (int Chunks, int BlocksPerChunk) SplitBlocks(int blocks, int bandTasks)
    {
        int wanted = Math.Clamp(CeilDiv(4 * Compute.Threads, bandTasks), 1, blocks);
        int perChunk = CeilDiv(blocks, wanted);
        return (CeilDiv(blocks, perChunk), perChunk);
    }

    /// <summary>
    /// The input gradient is a gather too, once the input is split into stride phases: input row j·stride + r
    /// receives output row j + q from every tap with r + pad − k·dilation = q·stride. Each phase is a unit-stride
    /// convolution of the (padded) output gradient with the transposed weights of its taps.
    /// </summary>
    static void BackwardInputCore<TOps, TVec>(Conv2dShape s, float* gradOut, float* weight, float* gradIn)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        for (int ry = 0; ry < Math.Min(s.StrideH, s.InHeight); ry++)
            for (int rx = 0; rx < Math.Min(s.StrideW, s.InWidth); rx++)
                BackwardInputPhase<TOps, TVec>(s, gradOut, weight, gradIn, ry, rx);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void BackwardInputPhase<TOps, TVec>(Conv2dShape s, float* gradOut, float* weight, float* gradIn, int ry, int rx)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int icg = s.InPerGroup, ocg = s.OutPerGroup, groups = s.Groups, sy = s.StrideH, sx = s.StrideW;
        int phaseH = CeilDiv(s.InHeight - ry, sy), phaseW = CeilDiv(s.InWidth - rx, sx);
        bool unitStride = sy == 1 && sx == 1;
        var kys = new List<(int K, int Q)>();
        var kxs = new List<(int K, int Q)>();
        for (int ky = 0; ky < s.KernelH; ky++)
        {
            int d = ry + s.PadH - ky * s.DilationH;
            if (FloorMod(d, sy) == 0) kys.Add((ky, FloorDiv(d, sy)));
        }
        for (int kx = 0; kx < s.KernelW; kx++)
        {
            int d = rx + s.PadW - kx * s.DilationW;
            if (FloorMod(d, sx) == 0) kxs.Add((kx, FloorDiv(d, sx)));
        }
        long inPlane = (long)s.InHeight * s.InWidth;
        if (kys.Count == 0 || kxs.Count == 0)
        {
            // No tap ever lands on this phase (stride larger than the kernel's reach): its gradient is zero.
            for (long p = 0; p < (long)s.Batch * s.InChannels; p++)
                for (int j = 0; j < phaseH; j++)
                    for (int i = 0; i < phaseW; i++)
                        gradIn[p * inPlane + (long)(j * sy + ry) * s.InWidth + i * sx + rx] = 0f;
            return;
        }
        int minQy = kys.Min(t => t.Q), maxQy = kys.Max(t => t.Q), minQx = kxs.Min(t => t.Q), maxQx = kxs.Max(t => t.Q);
        int taps = kys.Count * kxs.Count, cols = ocg * taps;
        long outPlane = (long)s.OutHeight * s.OutWidth;
        int reach = maxQx - minQx;
        // As in forward: when every read lands inside the output gradient (a 1x1 or unpadded conv), read it in place;
        // otherwise flat bands when they waste fewer lanes (see InputTiling.Flat). Flat and strided results go
        // through scratch.
        bool direct = unitStride && minQy >= 0 && minQx >= 0 && phaseH - 1 + maxQy < s.OutHeight
            && RoundUp(phaseW, TOps.Width) - 1 + maxQx < s.OutWidth && ocg * outPlane < int.MaxValue;
        bool flat = !direct && (double)phaseW / (phaseW + reach) > (double)phaseW / RoundUp(phaseW, TOps.Width) + 0.05;
        bool viaScratch = flat || !unitStride;
        int rowStride = direct ? s.OutWidth : flat ? phaseW + reach : RoundUp(RoundUp(phaseW, TOps.Width) + reach, TOps.Width);
        int scratchRow = flat ? rowStride : phaseW;
        long rowBytes = ((long)ocg * rowStride + (viaScratch ? (long)icg * scratchRow : 0)) * sizeof(float);
        int bandRows = (int)Math.Clamp(TileBytes / rowBytes - (maxQy - minQy), 1, phaseH);
        int tileRows = bandRows + maxQy - minQy;
        int channelStride = direct ? (int)outPlane : AvoidSetAliasing(tileRows * rowStride + (flat ? TOps.Width + reach : 0));
        int scratchPlane = bandRows * scratchRow;
        if (direct) minQy = minQx = 0;
        var colOffsets = new int[cols];
        for (int o = 0; o < ocg; o++)
            for (int a = 0; a < kys.Count; a++)
                for (int b = 0; b < kxs.Count; b++)
                    colOffsets[(o * kys.Count + a) * kxs.Count + b] = o * channelStride + (kys[a].Q - minQy) * rowStride + kxs[b].Q - minQx;
        int blocks = CeilDiv(icg, ConvMicroKernels.Channels);
        int blockWeights = cols * ConvMicroKernels.Channels;
        float[] packed = ArrayPool<float>.Shared.Rent(groups * blocks * blockWeights);
        float[] zeroBias = ArrayPool<float>.Shared.Rent(blocks * ConvMicroKernels.Channels);
        Array.Clear(zeroBias);
        int kernelArea = s.KernelH * s.KernelW;
        try
        {
            // Transposed weights: the block's lanes are input channels, the columns run over (output channel, tap).
            for (int g = 0; g < groups; g++)
            for (int blk = 0; blk < blocks; blk++)
            for (int m = 0; m < ConvMicroKernels.Channels; m++)
            {
                int ic = blk * ConvMicroKernels.Channels + m;
                int baseIndex = (g * blocks + blk) * blockWeights + m;
                for (int o = 0; o < ocg; o++)
                    for (int a = 0; a < kys.Count; a++)
                        for (int b = 0; b < kxs.Count; b++)
                        {
                            int k = (o * kys.Count + a) * kxs.Count + b;
                            packed[baseIndex + k * ConvMicroKernels.Channels] = ic < icg
                                ? weight[((long)(g * ocg + o) * icg + ic) * kernelArea + kys[a].K * s.KernelW + kxs[b].K]
                                : 0f;
                        }
            }
            int bands = CeilDiv(phaseH, bandRows);
            int bandTasks = s.Batch * groups * bands;
            var (chunks, blocksPerChunk) = SplitBlocks(blocks, bandTasks);
            int tileLength = direct ? 0 : ocg * channelStride;
            int scratchLength = viaScratch ? icg * scratchPlane : 0;
            fixed (float* pPacked = packed, pBias = zeroBias)
            fixed (int* pCols = colOffsets)
            {
                nint gAddr = (nint)gradOut, inAddr = (nint)gradIn, wAddr = (nint)pPacked, bAddr = (nint)pBias, cAddr = (nint)pCols;
                Compute.For(bandTasks * chunks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int task) =>
                {
                    int chunk = task % chunks, rest = task / chunks;
                    int band = rest % bands; rest /= bands;
                    int g = rest % groups, n = rest / groups;
                    int j0 = band * bandRows, rows = Math.Min(bandRows, phaseH - j0);
                    int blockBegin = chunk * blocksPerChunk, blockEnd = Math.Min(blocks, (chunk + 1) * blocksPerChunk);
                    float[] tileArray = ArrayPool<float>.Shared.Rent(tileLength + scratchLength + AlignSlack);
                    fixed (float* tileStart = tileArray)
                    {
                        float* tile = Align(tileStart);
                        float* gradGroup = (float*)gAddr + ((long)n * s.OutChannels + g * ocg) * outPlane;
                        if (!direct)
                            for (int o = 0; o < ocg; o++)
                                CopyPhases(gradGroup + o * outPlane, s.OutHeight, s.OutWidth,
                                    1, 1, minQy, minQx, j0, tileRows, rowStride, channelStride, tile + (long)o * channelStride);
                        float* gradInGroup = (float*)inAddr + ((long)n * s.InChannels + g * icg) * inPlane;
                        float* scratch = tile + tileLength;
                        var job = new GatherBand
                        {
                            Tile = direct ? gradGroup + (long)j0 * s.OutWidth : tile, TileRowStride = rowStride, Cols = (int*)cAddr, ColCount = cols,
                            Weights = (float*)wAddr + (long)g * blocks * blockWeights, Bias = (float*)bAddr,
                            Dst = viaScratch ? scratch : gradInGroup + (long)j0 * s.InWidth,
                            DstChannelStride = viaScratch ? scratchPlane : (int)inPlane,
                            DstRowStride = viaScratch ? scratchRow : s.InWidth,
                            DstChannels = icg, Rows = flat ? 1 : rows, Width = flat ? rows * rowStride : phaseW,
                        };
                        ConvMicroKernels.Gather<TOps, TVec>(job, blockBegin, blockEnd);
                        if (viaScratch)
                        {
                            int last = Math.Min(icg, blockEnd * ConvMicroKernels.Channels);
                            for (int c = blockBegin * ConvMicroKernels.Channels; c < last; c++)
                                for (int j = 0; j < rows; j++)
                                {
                                    float* from = scratch + (long)c * scratchPlane + (long)j * scratchRow;
                                    float* to = gradInGroup + c * inPlane + (long)((j0 + j) * sy + ry) * s.InWidth + rx;
                                    if (sx == 1) new ReadOnlySpan<float>(from, phaseW).CopyTo(new Span<float>(to, phaseW));
                                    else for (int i = 0; i < phaseW; i++) to[i * sx] = from[i];
                                }
                        }
                    }
                    ArrayPool<float>.Shared.Return(tileArray);
                });
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
            ArrayPool<float>.Shared.Return(zeroBias);
        }
    }

    /// <summary>
    /// gradWeight[o][k] = Σ_pixels gradOut[o] · tile[cols[k]]: a GEMM whose long dimension is the pixels. The bias
    /// gradient rides along as one more column that reads a plane of ones. Tasks own a range of columns or of
    /// output-channel blocks and keep per-lane partial sums across all images and bands, summing lanes at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void BackwardWeightCore<TOps, TVec>(Conv2dShape s, float* input, float* gradOut, float* gradWeight, float* gradBias)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width, taps = s.KernelH * s.KernelW, icg = s.InPerGroup, ocg = s.OutPerGroup, groups = s.Groups;
        const int C = ConvMicroKernels.WeightChannels, J = ConvMicroKernels.WeightCols, Acc = C * J;
        int weightCols = icg * taps;
        int cols = weightCols + (gradBias != null ? 1 : 0);
        int colGroups = CeilDiv(cols, J), blocks = CeilDiv(ocg, C);
        int width = RoundUp(s.OutWidth, w);
        bool directGrad = width == s.OutWidth;
        // Every column range re-reads the whole output gradient and every block range the whole input, so split the
        // longer of the two dimensions only, into about two tasks per thread: some balance under noisy neighbours
        // without re-reading the output gradient more often (four per thread measured ~8% slower on this machine).
        int wantedTasks = Math.Max(1, CeilDiv(2 * Compute.Threads, groups));
        bool splitColumns = colGroups >= blocks;
        int colRanges = splitColumns ? Math.Min(wantedTasks, colGroups) : 1;
        int groupsPerRange = CeilDiv(colGroups, colRanges);
        colRanges = CeilDiv(colGroups, groupsPerRange);
        int blockRanges = splitColumns ? 1 : Math.Min(wantedTasks, blocks);
        int blocksPerRange = CeilDiv(blocks, blockRanges);
        blockRanges = CeilDiv(blocks, blocksPerRange);
        // Band height must depend on the shape alone: in a flat band, which lane a pixel lands in depends on where
        // the band starts, and lanes are summed separately. So the budget assumes a typical task (a quarter of the
        // channels) rather than this run's split. Bands are also short enough that one block's gradient rows
        // (C × rows × width) stay in L1 across the column groups.
        // A single block (a last layer to RGB) re-reads its gradient rows from L2 cheaply; there, taller bands that
        // copy fewer halo rows of input win instead (64->3: 70 -> 89 GFLOP/s).
        int l1Floats = (blocks == 1 ? 4 : 1) * 24 * 1024 / (C * sizeof(float));
        var tiling = new InputTiling(s, w, CeilDiv(icg, 4), (long)ocg * width * sizeof(float), TileBytes, l1Floats, allowFlat: true);
        // Flat bands (see InputTiling.Flat) reduce over rows × RowStride pixels as one row; the gradient copy zeroes the junk ones.
        bool flat = tiling.Flat;
        int flatWidth = RoundUp(tiling.BandRows * tiling.RowStride, w);
        if (flat) directGrad = false;
        long outPlane = (long)s.OutHeight * s.OutWidth;
        int[] tileCols = tiling.Cols;
        nint inAddr = (nint)input, gAddr = (nint)gradOut, gwAddr = (nint)gradWeight, gbAddr = (nint)gradBias;
        // The padded gradient rows a band reduces over, [image][group][band][channel][plane]. When several column
        // ranges would each copy the whole gradient into their own tile, copy it once for all of them instead
        // (16 × 64->64 at 50 px, 2 threads: four copies of a 10 MB gradient per pass).
        int gradPlaneAll = flat ? flatWidth : tiling.BandRows * width;
        long sharedLength = (long)s.Batch * groups * tiling.Bands * ocg * gradPlaneAll;
        bool sharedGrad = !directGrad && colRanges > 1 && sharedLength < int.MaxValue / 2;
        float[]? sharedArray = sharedGrad ? ArrayPool<float>.Shared.Rent((int)sharedLength + AlignSlack) : null;
        try
        {
            fixed (float* sharedStart = sharedArray)
            {
                nint sharedAddr = (nint)Align(sharedStart);
                if (sharedGrad)
                    Compute.For(s.Batch * groups * tiling.Bands, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int task) =>
                    {
                        int band = task % tiling.Bands, n = task / tiling.Bands / groups, g = task / tiling.Bands % groups;
                        int y0 = band * tiling.BandRows, rows = Math.Min(tiling.BandRows, s.OutHeight - y0);
                        float* from = (float*)gAddr + (((long)n * s.OutChannels + g * ocg) * s.OutHeight + y0) * s.OutWidth;
                        PadGradient(from, outPlane, s.OutWidth, rows, flat ? tiling.RowStride : width, flat, w, 0, ocg,
                            (float*)sharedAddr + (long)task * ocg * gradPlaneAll, gradPlaneAll);
                    });
                Compute.For(groups * colRanges * blockRanges, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (int task) =>
                {
                    int blockRange = task % blockRanges, rest = task / blockRanges;
                    int g = rest / colRanges, range = rest % colRanges;
                    int cg0 = range * groupsPerRange, cg1 = Math.Min(colGroups, cg0 + groupsPerRange);
                    int blk0 = blockRange * blocksPerRange, blk1 = Math.Min(blocks, blk0 + blocksPerRange);
                    int k0 = cg0 * J, k1 = cg1 * J;   // this task's columns, padding included
                    // Input channels this task's weight columns read; none when it holds only the bias column and padding.
                    int first = k0 < weightCols ? k0 / taps : 0;
                    int last = k0 < weightCols ? (Math.Min(k1, weightCols) - 1) / taps : -1;
                    bool ownsOnes = gradBias != null && k1 > weightCols;
                    int accCount = (blk1 - blk0) * (cg1 - cg0) * Acc;
                    int tileLength = tiling.TileLength(last - first + 1);
                    int onesLength = ownsOnes ? (flat ? flatWidth : tiling.BandRows * tiling.RowStride) : 0;
                    int gradPlane = flat ? flatWidth : tiling.BandRows * width;
                    int gradTileLength = directGrad || sharedGrad ? 0 : ocg * gradPlane;
                    float[] accArray = ArrayPool<float>.Shared.Rent(accCount * w + AlignSlack);
                    float[] tileArray = ArrayPool<float>.Shared.Rent(tileLength + onesLength + gradTileLength + AlignSlack);
                    nint[] columnArray = ArrayPool<nint>.Shared.Rent(k1 - k0);
                    fixed (float* accStart = accArray, tileStart = tileArray)
                    fixed (nint* columns = columnArray)
                    {
                        float* accFloats = Align(accStart), tile = Align(tileStart);
                        TVec* acc = (TVec*)accFloats;
                        for (int i = 0; i < accCount; i++) acc[i] = TOps.Zero;
                        // Junk lanes of a flat band read past the tile's last row, into slack that must hold no NaN.
                        if (flat) new Span<float>(tile, tileLength).Clear();
                        float* ones = tile + tileLength;
                        new Span<float>(ones, onesLength).Fill(1f);
                        float* gradTile = ones + onesLength;
                        for (int n = 0; n < s.Batch; n++)
                            for (int band = 0; band < tiling.Bands; band++)
                            {
                                int y0 = band * tiling.BandRows, rows = Math.Min(tiling.BandRows, s.OutHeight - y0);
                                float* bandOrigin = last >= first
                                    ? tiling.Band(s, (float*)inAddr, n, g, first, last, y0, tile) - (long)first * tiling.ChannelStride
                                    : null;
                                // Padding columns repeat a column this task can read (the ones, or its last weight column); their sums are dropped.
                                for (int k = k0; k < k1; k++)
                                    columns[k - k0] = k < weightCols ? (nint)(bandOrigin + tileCols[k])
                                        : ownsOnes ? (nint)ones
                                        : (nint)(bandOrigin + tileCols[weightCols - 1]);
                                float* gradGroup = (float*)gAddr + (((long)n * s.OutChannels + g * ocg) * s.OutHeight + y0) * s.OutWidth;
                                long gradChannelStride = outPlane;
                                int gradRowStride = s.OutWidth;
                                int reduceRows = rows, reduceWidth = width;
                                if (!directGrad)
                                {
                                    int rowLength = flat ? tiling.RowStride : width;
                                    if (sharedGrad)
                                        gradGroup = (float*)sharedAddr + (((long)n * groups + g) * tiling.Bands + band) * ocg * gradPlane;
                                    else
                                    {
                                        PadGradient(gradGroup, outPlane, s.OutWidth, rows, rowLength, flat, w,
                                            blk0 * C, Math.Min(ocg, blk1 * C), gradTile, gradPlane);
                                        gradGroup = gradTile;
                                    }
                                    gradChannelStride = gradPlane;
                                    gradRowStride = rowLength;
                                    if (flat)
                                    {
                                        reduceRows = 1;
                                        reduceWidth = RoundUp(rows * rowLength, w);
                                    }
                                }
                                // Loop order decides which operand streams from L2. With kernels at least 3 wide, a column group's
                                // six columns share tile lines (taps of one row), so blocks go outside and a block's gradient rows
                                // stay in L1. With 1-wide kernels each column is its own channel, so column groups go outside.
                                bool blocksOuter = s.KernelW > 1;
                                int outerCount = blocksOuter ? blk1 - blk0 : cg1 - cg0, innerCount = blocksOuter ? cg1 - cg0 : blk1 - blk0;
                                for (int outer = 0; outer < outerCount; outer++)
                                    for (int inner = 0; inner < innerCount; inner++)
                                    {
                                        int blk = blk0 + (blocksOuter ? outer : inner), cg = cg0 + (blocksOuter ? inner : outer);
                                        float* g0 = gradGroup + blk * C * gradChannelStride;
                                        int real = Math.Min(C, ocg - blk * C);
                                        float* g1 = real > 1 ? g0 + gradChannelStride : g0;
                                        float* g2 = real > 2 ? g0 + 2 * gradChannelStride : g0;
                                        float* g3 = real > 3 ? g0 + 3 * gradChannelStride : g0;
                                        float** groupColumns = (float**)columns + (cg - cg0) * J;
                                        TVec* groupAcc = acc + ((blk - blk0) * (cg1 - cg0) + cg - cg0) * Acc;
                                        if (TOps.ManyRegisters)
                                            ConvMicroKernels.WeightBlock<TOps, TVec>(g0, g1, g2, g3, gradRowStride, groupColumns, tiling.RowStride, reduceRows, reduceWidth, groupAcc);
                                        else
                                            ConvMicroKernels.WeightBlockSmall<TOps, TVec>(g0, g1, g2, g3, gradRowStride, groupColumns, tiling.RowStride, reduceRows, reduceWidth, groupAcc);
                                    }
                            }
                        float* gw = (float*)gwAddr + (long)g * ocg * weightCols;
                        for (int blk = blk0; blk < blk1; blk++)
                            for (int cg = cg0; cg < cg1; cg++)
                            {
                                TVec* a = acc + ((blk - blk0) * (cg1 - cg0) + cg - cg0) * Acc;
                                for (int m = 0; m < C; m++)
                                    for (int j = 0; j < J; j++)
                                    {
                                        int oc = blk * C + m, k = cg * J + j;
                                        if (oc >= ocg || k >= cols) continue;
                                        if (k < weightCols) gw[(long)oc * weightCols + k] = TOps.Sum(a[m * J + j]);
                                        else ((float*)gbAddr)[g * ocg + oc] = TOps.Sum(a[m * J + j]);
                                    }
                            }
                    }
                    ArrayPool<float>.Shared.Return(accArray);
                    ArrayPool<float>.Shared.Return(tileArray);
                    ArrayPool<nint>.Shared.Return(columnArray);
                });
            }
        }
        finally
        {
            if (sharedArray != null) ArrayPool<float>.Shared.Return(sharedArray);
        }
    }

    /// <summary>
    /// Copies gradient channels [first, last) of a band's rows into planes of <paramref name="plane"/> floats with rows
    /// of <paramref name="rowLength"/>, zeroing the lanes past each row's end (and past a flat band's end), so the
    /// weight gradient's whole-vector loop adds nothing for them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void PadGradient(float* from, long fromPlane, int outWidth, int rows, int rowLength, bool flat, int w,
        int first, int last, float* to, int plane)
    {
        for (int o = first; o < last; o++)
        {
            float* dst = to + (long)o * plane;
            for (int j = 0; j < rows; j++)
            {
                float* row = dst + (long)j * rowLength;
                new ReadOnlySpan<float>(from + o * fromPlane + (long)j * outWidth, outWidth).CopyTo(new Span<float>(row, outWidth));
                new Span<float>(row + outWidth, rowLength - outWidth).Clear();
            }
            if (flat) new Span<float>(dst + rows * rowLength, RoundUp(rows * rowLength, w) - rows * rowLength).Clear();
        }
    }

    /// <summary>
    /// tile[phase (a, b)][j][i] = plane[(j + j0)·sy + a + oy][i·sx + b + ox], zero outside the plane: one band of
    /// a channel, padded and split into stride phases so every tap reads it with unit stride.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void CopyPhases(float* plane, int height, int width, int sy, int sx, int oy, int ox, int j0, int rows, int rowStride, int phaseStride, float* tile)
    {
        for (int a = 0; a < sy; a++)
        for (int b = 0; b < sx; b++)
        {
            float* phase = tile + (long)(a * sx + b) * phaseStride;
            // Tile columns [lo, hi) map inside the plane.
            int lo = Math.Clamp(CeilDiv(-(b + ox), sx), 0, rowStride);
            int hi = Math.Clamp(FloorDiv(width - 1 - b - ox, sx) + 1, lo, rowStride);
            for (int j = 0; j < rows; j++)
            {
                float* to = phase + (long)j * rowStride;
                int row = (j + j0) * sy + a + oy;
                if ((uint)row >= (uint)height || hi == lo)
                {
                    new Span<float>(to, rowStride).Clear();
                    continue;
                }
                new Span<float>(to, lo).Clear();
                float* from = plane + (long)row * width + b + ox;
                if (sx == 1) new ReadOnlySpan<float>(from + lo, hi - lo).CopyTo(new Span<float>(to + lo, hi - lo));
                else for (int i = lo; i < hi; i++) to[i] = from[(long)i * sx];
                new Span<float>(to + hi, rowStride - hi).Clear();
            }
        }
    }

    /// <summary>Extra floats rented so a buffer can start on a 64-byte line (pooled arrays are only 8-byte aligned).</summary>
    const int AlignSlack = 16;

    static float* Align(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    /// <summary>
    /// Rounds a plane stride (in floats) up to an odd number of 64-byte lines. A micro-kernel reads the same pixel
    /// of many channels at once; with strides that are multiples of 4 KiB those lines all fall in one L1 set and
    /// evict each other, with odd line counts they spread over every set.
    /// </summary>
    internal static int AvoidSetAliasing(int floats)
    {
        int lines = CeilDiv(floats, 16);
        return (lines | 1) * 16;
    }

    static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
    static int CeilDiv(int a, int b) => -FloorDiv(-a, b);
    static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
    static int FloorMod(int a, int b) => a - FloorDiv(a, b) * b;
}
