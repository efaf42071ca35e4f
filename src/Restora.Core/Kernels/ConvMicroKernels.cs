using System.Runtime.CompilerServices;

namespace Restora.Core.Kernels;

/// <summary>
/// One band of rows of a "gather" convolution, the shape that forward and input-gradient both reduce to:
/// dst[o][y][x] = bias[o] + Σ_k weights[o][k] · tile[cols[k] + y·TileRowStride + x].
/// Each column k is one (source channel, tap) pair whose offset already folds in padding, stride phase and
/// dilation, so the inner loop is the same for every conv geometry.
/// </summary>
internal unsafe struct GatherBand
{
    public float* Tile;
    public int TileRowStride;
    public int* Cols;
    public int ColCount;
    /// <summary>Packed [block][k][<see cref="ConvMicroKernels.Channels"/>]: the output channels of a block side by side.</summary>
    public float* Weights;
    /// <summary>Packed [block][<see cref="ConvMicroKernels.Channels"/>]; zeros when the conv has no bias.</summary>
    public float* Bias;
    /// <summary>Row 0 of output channel 0 of block 0.</summary>
    public float* Dst;
    public int DstChannelStride, DstRowStride;
    /// <summary>Real output channels; the last block's lanes beyond this are computed and dropped.</summary>
    public int DstChannels;
    public int Rows, Width;
}

[SkipLocalsInit]
internal static unsafe class ConvMicroKernels
{
    /// <summary>
    /// Output channels per gather register block. Eight matches the channel counts networks use (16..256) and,
    /// with <see cref="Run"/> = 3 vectors, gives 24 accumulators + 3 inputs + 1 broadcast of the 32 registers.
    /// </summary>
    public const int Channels = 8;
    /// <summary>Vectors of pixels per gather register block.</summary>
    public const int Run = 3;
    /// <summary>Channels × vectors of the block used when a block has at most four real channels.</summary>
    public const int NarrowChannels = 4, NarrowRun = 6;
    /// <summary>Channels × vectors of the gather block on machines with only 16 vector registers.</summary>
    public const int HalfChannels = 4, HalfRun = 3;
    /// <summary>Vectors of pixels per block when a block has a single real channel.</summary>
    public const int SingleRun = 8;
    /// <summary>Output channels per weight-gradient register block.</summary>
    public const int WeightChannels = 4;
    /// <summary>Weight-gradient columns per register block: 4 × 6 = 24 accumulators, 10 loads per 24 FMAs.</summary>
    public const int WeightCols = 6;

    /// <summary>
    /// Computes rows of blocks [blockBegin, blockEnd). Pixels go in runs of several vectors, in the widest block
    /// shape the registers allow for the block's real channel count (8 × 3, 4 × 6, 1 × 8, or 4 × 3 with 16
    /// registers), then single vectors for the ragged end. Partial vectors and the missing channels of a last,
    /// short block are computed into a spill buffer and only the real part copied out, so no store crosses a row
    /// or a plane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Gather<TOps, TVec>(in GatherBand b, int blockBegin, int blockEnd)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        int run = Run * w;
        int blockWeights = b.ColCount * Channels;
        float* spill = stackalloc float[Channels * NarrowRun * 64];
        float** dst = stackalloc float*[Channels];
        float** to = stackalloc float*[Channels];
        for (int y = 0; y < b.Rows; y++)
        {
            float* src = b.Tile + (long)y * b.TileRowStride;
            for (int block = blockBegin; block < blockEnd; block++)
            {
                float* weights = b.Weights + (long)block * blockWeights;
                float* bias = b.Bias + block * Channels;
                int firstChannel = block * Channels;
                int realChannels = Math.Min(Channels, b.DstChannels - firstChannel);
                for (int m = 0; m < realChannels; m++)
                    dst[m] = b.Dst + (long)(firstChannel + m) * b.DstChannelStride + (long)y * b.DstRowStride;
                int x = 0;
                if (!TOps.ManyRegisters)
                {
                    // 16 vector registers: 4 channels × 3 vectors at a time, over the block's real halves.
                    for (; x + HalfRun * w <= b.Width; x += HalfRun * w)
                        for (int half = 0; half < realChannels; half += HalfChannels)
                        {
                            for (int m = 0; m < HalfChannels; m++) to[m] = half + m < realChannels ? dst[half + m] + x : spill;
                            ComputeHalf<TOps, TVec>(src + x, b.Cols, b.ColCount, weights + half, bias + half, to);
                        }
                }
                else if (realChannels == 1)
                {
                    // One output channel per group (depthwise convs, gray last layers): no channel reuse to exploit,
                    // so use every register for pixels.
                    for (; x + SingleRun * w <= b.Width; x += SingleRun * w)
                        ComputeSingle<TOps, TVec>(src + x, b.Cols, b.ColCount, weights, bias, dst[0] + x);
                }
                else if (realChannels <= NarrowChannels)
                {
                    // Few output channels (a last layer to RGB or gray): a 4 × 6 block wastes far fewer lanes than 8 × 3.
                    for (; x + NarrowRun * w <= b.Width; x += NarrowRun * w)
                    {
                        for (int m = 0; m < NarrowChannels; m++) to[m] = m < realChannels ? dst[m] + x : spill;
                        ComputeNarrow<TOps, TVec>(src + x, b.Cols, b.ColCount, weights, bias, to);
                    }
                }
                // Four vectors left go as 2 + 2 rather than 3 + 1 (64-wide rows, the end of 256-wide ones).
                for (; TOps.ManyRegisters && x + run <= b.Width && (b.Width - x) / w != 4; x += run)
                {
                    bool direct = realChannels == Channels;
                    for (int m = 0; m < Channels; m++) to[m] = direct ? dst[m] + x : spill + m * run;
                    ComputeRun<TOps, TVec>(src + x, b.Cols, b.ColCount, weights, bias, to);
                    if (!direct)
                        for (int m = 0; m < realChannels; m++)
                            new ReadOnlySpan<float>(spill + m * run, run).CopyTo(new Span<float>(dst[m] + x, run));
                }
                for (; TOps.ManyRegisters && x + 2 * w <= b.Width; x += 2 * w)
                {
                    // Two vectors left (128-wide rows: 3 + 3 + 2): one 8 × 2 block instead of two 8 × 1 blocks, which
                    // load 9 operands per 8 FMAs and ran 64->32 at 128 px ~15% slower than 96-px rows.
                    bool direct = realChannels == Channels;
                    for (int m = 0; m < Channels; m++) to[m] = direct ? dst[m] + x : spill + m * 2 * w;
                    ComputeTwo<TOps, TVec>(src + x, b.Cols, b.ColCount, weights, bias, to);
                    if (!direct)
                        for (int m = 0; m < realChannels; m++)
                            new ReadOnlySpan<float>(spill + m * 2 * w, 2 * w).CopyTo(new Span<float>(dst[m] + x, 2 * w));
                }
                for (; x < b.Width; x += w)
                {
                    int valid = Math.Min(w, b.Width - x);
                    bool direct = realChannels == Channels && valid == w;
                    for (int m = 0; m < Channels; m++) to[m] = direct ? dst[m] + x : spill + m * w;
                    ComputeOne<TOps, TVec>(src + x, b.Cols, b.ColCount, weights, bias, to);
                    if (!direct)
                        for (int m = 0; m < realChannels; m++)
                            new ReadOnlySpan<float>(spill + m * w, valid).CopyTo(new Span<float>(dst[m] + x, valid));
                }
            }
        }
    }

    /// <summary>8 channels × 3 vectors: 24 accumulators; per column 3 loads and 8 broadcasts feed 24 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ComputeRun<TOps, TVec>(float* src, int* cols, int count, float* weights, float* bias, float** to)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        TVec a00 = TOps.Broadcast(bias), a01 = a00, a02 = a00;
        TVec a10 = TOps.Broadcast(bias + 1), a11 = a10, a12 = a10;
        TVec a20 = TOps.Broadcast(bias + 2), a21 = a20, a22 = a20;
        TVec a30 = TOps.Broadcast(bias + 3), a31 = a30, a32 = a30;
        TVec a40 = TOps.Broadcast(bias + 4), a41 = a40, a42 = a40;
        TVec a50 = TOps.Broadcast(bias + 5), a51 = a50, a52 = a50;
        TVec a60 = TOps.Broadcast(bias + 6), a61 = a60, a62 = a60;
        TVec a70 = TOps.Broadcast(bias + 7), a71 = a70, a72 = a70;
        for (int k = 0; k < count; k++, weights += Channels)
        {
            float* p = src + cols[k];
            TVec x0 = TOps.Load(p), x1 = TOps.Load(p + w), x2 = TOps.Load(p + 2 * w);
            TVec c = TOps.Broadcast(weights);
            a00 = TOps.MulAdd(x0, c, a00); a01 = TOps.MulAdd(x1, c, a01); a02 = TOps.MulAdd(x2, c, a02);
            c = TOps.Broadcast(weights + 1);
            a10 = TOps.MulAdd(x0, c, a10); a11 = TOps.MulAdd(x1, c, a11); a12 = TOps.MulAdd(x2, c, a12);
            c = TOps.Broadcast(weights + 2);
            a20 = TOps.MulAdd(x0, c, a20); a21 = TOps.MulAdd(x1, c, a21); a22 = TOps.MulAdd(x2, c, a22);
            c = TOps.Broadcast(weights + 3);
            a30 = TOps.MulAdd(x0, c, a30); a31 = TOps.MulAdd(x1, c, a31); a32 = TOps.MulAdd(x2, c, a32);
            c = TOps.Broadcast(weights + 4);
            a40 = TOps.MulAdd(x0, c, a40); a41 = TOps.MulAdd(x1, c, a41); a42 = TOps.MulAdd(x2, c, a42);
            c = TOps.Broadcast(weights + 5);
            a50 = TOps.MulAdd(x0, c, a50); a51 = TOps.MulAdd(x1, c, a51); a52 = TOps.MulAdd(x2, c, a52);
            c = TOps.Broadcast(weights + 6);
            a60 = TOps.MulAdd(x0, c, a60); a61 = TOps.MulAdd(x1, c, a61); a62 = TOps.MulAdd(x2, c, a62);
            c = TOps.Broadcast(weights + 7);
            a70 = TOps.MulAdd(x0, c, a70); a71 = TOps.MulAdd(x1, c, a71); a72 = TOps.MulAdd(x2, c, a72);
        }
        float* d = to[0]; TOps.Store(d, a00); TOps.Store(d + w, a01); TOps.Store(d + 2 * w, a02);
        d = to[1]; TOps.Store(d, a10); TOps.Store(d + w, a11); TOps.Store(d + 2 * w, a12);
        d = to[2]; TOps.Store(d, a20); TOps.Store(d + w, a21); TOps.Store(d + 2 * w, a22);
        d = to[3]; TOps.Store(d, a30); TOps.Store(d + w, a31); TOps.Store(d + 2 * w, a32);
        d = to[4]; TOps.Store(d, a40); TOps.Store(d + w, a41); TOps.Store(d + 2 * w, a42);
        d = to[5]; TOps.Store(d, a50); TOps.Store(d + w, a51); TOps.Store(d + 2 * w, a52);
        d = to[6]; TOps.Store(d, a60); TOps.Store(d + w, a61); TOps.Store(d + 2 * w, a62);
        d = to[7]; TOps.Store(d, a70); TOps.Store(d + w, a71); TOps.Store(d + 2 * w, a72);
    }

    /// <summary>8 channels × 2 vectors: 16 accumulators; per column 2 loads and 8 broadcasts feed 16 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ComputeTwo<TOps, TVec>(float* src, int* cols, int count, float* weights, float* bias, float** to)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        TVec a00 = TOps.Broadcast(bias), a01 = a00;
        TVec a10 = TOps.Broadcast(bias + 1), a11 = a10;
        TVec a20 = TOps.Broadcast(bias + 2), a21 = a20;
        TVec a30 = TOps.Broadcast(bias + 3), a31 = a30;
        TVec a40 = TOps.Broadcast(bias + 4), a41 = a40;
        TVec a50 = TOps.Broadcast(bias + 5), a51 = a50;
        TVec a60 = TOps.Broadcast(bias + 6), a61 = a60;
        TVec a70 = TOps.Broadcast(bias + 7), a71 = a70;
        for (int k = 0; k < count; k++, weights += Channels)
        {
            float* p = src + cols[k];
            TVec x0 = TOps.Load(p), x1 = TOps.Load(p + w);
            TVec c = TOps.Broadcast(weights);
            a00 = TOps.MulAdd(x0, c, a00); a01 = TOps.MulAdd(x1, c, a01);
            c = TOps.Broadcast(weights + 1);
            a10 = TOps.MulAdd(x0, c, a10); a11 = TOps.MulAdd(x1, c, a11);
            c = TOps.Broadcast(weights + 2);
            a20 = TOps.MulAdd(x0, c, a20); a21 = TOps.MulAdd(x1, c, a21);
            c = TOps.Broadcast(weights + 3);
            a30 = TOps.MulAdd(x0, c, a30); a31 = TOps.MulAdd(x1, c, a31);
            c = TOps.Broadcast(weights + 4);
            a40 = TOps.MulAdd(x0, c, a40); a41 = TOps.MulAdd(x1, c, a41);
            c = TOps.Broadcast(weights + 5);
            a50 = TOps.MulAdd(x0, c, a50); a51 = TOps.MulAdd(x1, c, a51);
            c = TOps.Broadcast(weights + 6);
            a60 = TOps.MulAdd(x0, c, a60); a61 = TOps.MulAdd(x1, c, a61);
            c = TOps.Broadcast(weights + 7);
            a70 = TOps.MulAdd(x0, c, a70); a71 = TOps.MulAdd(x1, c, a71);
        }
        TOps.Store(to[0], a00); TOps.Store(to[0] + w, a01);
        TOps.Store(to[1], a10); TOps.Store(to[1] + w, a11);
        TOps.Store(to[2], a20); TOps.Store(to[2] + w, a21);
        TOps.Store(to[3], a30); TOps.Store(to[3] + w, a31);
        TOps.Store(to[4], a40); TOps.Store(to[4] + w, a41);
        TOps.Store(to[5], a50); TOps.Store(to[5] + w, a51);
        TOps.Store(to[6], a60); TOps.Store(to[6] + w, a61);
        TOps.Store(to[7], a70); TOps.Store(to[7] + w, a71);
    }

    /// <summary>
    /// 4 channels × 6 vectors for blocks with at most four real channels. Weights keep the 8-lane packing; lanes
    /// 4..7 are skipped. Rows of channels that do not exist are all written to the same spill row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ComputeNarrow<TOps, TVec>(float* src, int* cols, int count, float* weights, float* bias, float** to)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        TVec a00 = TOps.Broadcast(bias), a01 = a00, a02 = a00, a03 = a00, a04 = a00, a05 = a00;
        TVec a10 = TOps.Broadcast(bias + 1), a11 = a10, a12 = a10, a13 = a10, a14 = a10, a15 = a10;
        TVec a20 = TOps.Broadcast(bias + 2), a21 = a20, a22 = a20, a23 = a20, a24 = a20, a25 = a20;
        TVec a30 = TOps.Broadcast(bias + 3), a31 = a30, a32 = a30, a33 = a30, a34 = a30, a35 = a30;
        for (int k = 0; k < count; k++, weights += Channels)
        {
            float* p = src + cols[k];
            TVec x0 = TOps.Load(p), x1 = TOps.Load(p + w), x2 = TOps.Load(p + 2 * w);
            TVec x3 = TOps.Load(p + 3 * w), x4 = TOps.Load(p + 4 * w), x5 = TOps.Load(p + 5 * w);
            TVec c = TOps.Broadcast(weights);
            a00 = TOps.MulAdd(x0, c, a00); a01 = TOps.MulAdd(x1, c, a01); a02 = TOps.MulAdd(x2, c, a02);
            a03 = TOps.MulAdd(x3, c, a03); a04 = TOps.MulAdd(x4, c, a04); a05 = TOps.MulAdd(x5, c, a05);
            c = TOps.Broadcast(weights + 1);
            a10 = TOps.MulAdd(x0, c, a10); a11 = TOps.MulAdd(x1, c, a11); a12 = TOps.MulAdd(x2, c, a12);
            a13 = TOps.MulAdd(x3, c, a13); a14 = TOps.MulAdd(x4, c, a14); a15 = TOps.MulAdd(x5, c, a15);
            c = TOps.Broadcast(weights + 2);
            a20 = TOps.MulAdd(x0, c, a20); a21 = TOps.MulAdd(x1, c, a21); a22 = TOps.MulAdd(x2, c, a22);
            a23 = TOps.MulAdd(x3, c, a23); a24 = TOps.MulAdd(x4, c, a24); a25 = TOps.MulAdd(x5, c, a25);
            c = TOps.Broadcast(weights + 3);
            a30 = TOps.MulAdd(x0, c, a30); a31 = TOps.MulAdd(x1, c, a31); a32 = TOps.MulAdd(x2, c, a32);
            a33 = TOps.MulAdd(x3, c, a33); a34 = TOps.MulAdd(x4, c, a34); a35 = TOps.MulAdd(x5, c, a35);
        }
        float* d = to[0]; TOps.Store(d, a00); TOps.Store(d + w, a01); TOps.Store(d + 2 * w, a02); TOps.Store(d + 3 * w, a03); TOps.Store(d + 4 * w, a04); TOps.Store(d + 5 * w, a05);
        d = to[1]; TOps.Store(d, a10); TOps.Store(d + w, a11); TOps.Store(d + 2 * w, a12); TOps.Store(d + 3 * w, a13); TOps.Store(d + 4 * w, a14); TOps.Store(d + 5 * w, a15);
        d = to[2]; TOps.Store(d, a20); TOps.Store(d + w, a21); TOps.Store(d + 2 * w, a22); TOps.Store(d + 3 * w, a23); TOps.Store(d + 4 * w, a24); TOps.Store(d + 5 * w, a25);
        d = to[3]; TOps.Store(d, a30); TOps.Store(d + w, a31); TOps.Store(d + 2 * w, a32); TOps.Store(d + 3 * w, a33); TOps.Store(d + 4 * w, a34); TOps.Store(d + 5 * w, a35);
    }

    /// <summary>
    /// 4 channels × 3 vectors (12 accumulators) for machines with 16 vector registers, where the 24-accumulator
    /// blocks would spill. Reads lanes 0..3 of the 8-lane weight packing; the caller offsets for the upper half.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ComputeHalf<TOps, TVec>(float* src, int* cols, int count, float* weights, float* bias, float** to)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        TVec a00 = TOps.Broadcast(bias), a01 = a00, a02 = a00;
        TVec a10 = TOps.Broadcast(bias + 1), a11 = a10, a12 = a10;
        TVec a20 = TOps.Broadcast(bias + 2), a21 = a20, a22 = a20;
        TVec a30 = TOps.Broadcast(bias + 3), a31 = a30, a32 = a30;
        for (int k = 0; k < count; k++, weights += Channels)
        {
            float* p = src + cols[k];
            TVec x0 = TOps.Load(p), x1 = TOps.Load(p + w), x2 = TOps.Load(p + 2 * w);
            TVec c = TOps.Broadcast(weights);
            a00 = TOps.MulAdd(x0, c, a00); a01 = TOps.MulAdd(x1, c, a01); a02 = TOps.MulAdd(x2, c, a02);
            c = TOps.Broadcast(weights + 1);
            a10 = TOps.MulAdd(x0, c, a10); a11 = TOps.MulAdd(x1, c, a11); a12 = TOps.MulAdd(x2, c, a12);
            c = TOps.Broadcast(weights + 2);
            a20 = TOps.MulAdd(x0, c, a20); a21 = TOps.MulAdd(x1, c, a21); a22 = TOps.MulAdd(x2, c, a22);
            c = TOps.Broadcast(weights + 3);
            a30 = TOps.MulAdd(x0, c, a30); a31 = TOps.MulAdd(x1, c, a31); a32 = TOps.MulAdd(x2, c, a32);
        }
        float* d = to[0]; TOps.Store(d, a00); TOps.Store(d + w, a01); TOps.Store(d + 2 * w, a02);
        d = to[1]; TOps.Store(d, a10); TOps.Store(d + w, a11); TOps.Store(d + 2 * w, a12);
        d = to[2]; TOps.Store(d, a20); TOps.Store(d + w, a21); TOps.Store(d + 2 * w, a22);
        d = to[3]; TOps.Store(d, a30); TOps.Store(d + w, a31); TOps.Store(d + 2 * w, a32);
    }

    /// <summary>1 channel × 8 vectors: load-bound (a load per FMA) but with no lane wasted on absent channels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ComputeSingle<TOps, TVec>(float* src, int* cols, int count, float* weights, float* bias, float* d)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        TVec a0 = TOps.Broadcast(bias), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int k = 0; k < count; k++, weights += Channels)
        {
            float* p = src + cols[k];
            TVec c = TOps.Broadcast(weights);
            a0 = TOps.MulAdd(TOps.Load(p), c, a0); a1 = TOps.MulAdd(TOps.Load(p + w), c, a1);
            a2 = TOps.MulAdd(TOps.Load(p + 2 * w), c, a2); a3 = TOps.MulAdd(TOps.Load(p + 3 * w), c, a3);
            a4 = TOps.MulAdd(TOps.Load(p + 4 * w), c, a4); a5 = TOps.MulAdd(TOps.Load(p + 5 * w), c, a5);
            a6 = TOps.MulAdd(TOps.Load(p + 6 * w), c, a6); a7 = TOps.MulAdd(TOps.Load(p + 7 * w), c, a7);
        }
        TOps.Store(d, a0); TOps.Store(d + w, a1); TOps.Store(d + 2 * w, a2); TOps.Store(d + 3 * w, a3);
        TOps.Store(d + 4 * w, a4); TOps.Store(d + 5 * w, a5); TOps.Store(d + 6 * w, a6); TOps.Store(d + 7 * w, a7);
    }

    /// <summary>8 channels × 1 vector, for the ragged end of a row; 8 independent chains still cover FMA latency.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void ComputeOne<TOps, TVec>(float* src, int* cols, int count, float* weights, float* bias, float** to)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        TVec a0 = TOps.Broadcast(bias), a1 = TOps.Broadcast(bias + 1), a2 = TOps.Broadcast(bias + 2), a3 = TOps.Broadcast(bias + 3);
        TVec a4 = TOps.Broadcast(bias + 4), a5 = TOps.Broadcast(bias + 5), a6 = TOps.Broadcast(bias + 6), a7 = TOps.Broadcast(bias + 7);
        for (int k = 0; k < count; k++, weights += Channels)
        {
            TVec x0 = TOps.Load(src + cols[k]);
            a0 = TOps.MulAdd(x0, TOps.Broadcast(weights), a0);
            a1 = TOps.MulAdd(x0, TOps.Broadcast(weights + 1), a1);
            a2 = TOps.MulAdd(x0, TOps.Broadcast(weights + 2), a2);
            a3 = TOps.MulAdd(x0, TOps.Broadcast(weights + 3), a3);
            a4 = TOps.MulAdd(x0, TOps.Broadcast(weights + 4), a4);
            a5 = TOps.MulAdd(x0, TOps.Broadcast(weights + 5), a5);
            a6 = TOps.MulAdd(x0, TOps.Broadcast(weights + 6), a6);
            a7 = TOps.MulAdd(x0, TOps.Broadcast(weights + 7), a7);
        }
        TOps.Store(to[0], a0); TOps.Store(to[1], a1); TOps.Store(to[2], a2); TOps.Store(to[3], a3);
        TOps.Store(to[4], a4); TOps.Store(to[5], a5); TOps.Store(to[6], a6); TOps.Store(to[7], a7);
    }

    /// <summary>
    /// The weight-gradient block for machines with 16 vector registers: the same sums as <see cref="WeightBlock{TOps, TVec}"/>,
    /// computed as two 4 × 3 halves (12 accumulators each) so nothing spills.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightBlockSmall<TOps, TVec>(float* g0, float* g1, float* g2, float* g3, int gradRowStride,
        float** columns, int tileRowStride, int rows, int width, TVec* acc)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        for (int half = 0; half < WeightCols; half += 3)
        {
            TVec* a = acc + half;
            TVec a00 = a[0], a01 = a[1], a02 = a[2];
            TVec a10 = a[6], a11 = a[7], a12 = a[8];
            TVec a20 = a[12], a21 = a[13], a22 = a[14];
            TVec a30 = a[18], a31 = a[19], a32 = a[20];
            for (int y = 0; y < rows; y++)
            {
                long ty = (long)y * tileRowStride, gy = (long)y * gradRowStride;
                float* t0 = columns[half] + ty, t1 = columns[half + 1] + ty, t2 = columns[half + 2] + ty;
                float* r0 = g0 + gy, r1 = g1 + gy, r2 = g2 + gy, r3 = g3 + gy;
                for (nint x = 0; x < width; x += w)
                {
                    TVec s0 = TOps.Load(t0 + x), s1 = TOps.Load(t1 + x), s2 = TOps.Load(t2 + x);
                    TVec g = TOps.Load(r0 + x);
                    a00 = TOps.MulAdd(g, s0, a00); a01 = TOps.MulAdd(g, s1, a01); a02 = TOps.MulAdd(g, s2, a02);
                    g = TOps.Load(r1 + x);
                    a10 = TOps.MulAdd(g, s0, a10); a11 = TOps.MulAdd(g, s1, a11); a12 = TOps.MulAdd(g, s2, a12);
                    g = TOps.Load(r2 + x);
                    a20 = TOps.MulAdd(g, s0, a20); a21 = TOps.MulAdd(g, s1, a21); a22 = TOps.MulAdd(g, s2, a22);
                    g = TOps.Load(r3 + x);
                    a30 = TOps.MulAdd(g, s0, a30); a31 = TOps.MulAdd(g, s1, a31); a32 = TOps.MulAdd(g, s2, a32);
                }
            }
            a[0] = a00; a[1] = a01; a[2] = a02;
            a[6] = a10; a[7] = a11; a[8] = a12;
            a[12] = a20; a[13] = a21; a[14] = a22;
            a[18] = a30; a[19] = a31; a[20] = a32;
        }
    }

    /// <summary>
    /// Weight-gradient block: acc[m·6 + j] += Σ over the band's pixels of grad_m[y][x] · columns[j][y·rs + x],
    /// lane-wise. Lanes are summed only once, after the whole image, so the per-band cost is the 24 loads and
    /// stores of the accumulators. Width is a whole number of vectors; the caller zeroes gradient lanes past the row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightBlock<TOps, TVec>(float* g0, float* g1, float* g2, float* g3, int gradRowStride,
        float** columns, int tileRowStride, int rows, int width, TVec* acc)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        TVec a00 = acc[0], a01 = acc[1], a02 = acc[2], a03 = acc[3], a04 = acc[4], a05 = acc[5];
        TVec a10 = acc[6], a11 = acc[7], a12 = acc[8], a13 = acc[9], a14 = acc[10], a15 = acc[11];
        TVec a20 = acc[12], a21 = acc[13], a22 = acc[14], a23 = acc[15], a24 = acc[16], a25 = acc[17];
        TVec a30 = acc[18], a31 = acc[19], a32 = acc[20], a33 = acc[21], a34 = acc[22], a35 = acc[23];
        for (int y = 0; y < rows; y++)
        {
            // Ten row pointers and one shared index: no per-load offset arithmetic left in the loop.
            long ty = (long)y * tileRowStride;
            float* t0 = columns[0] + ty, t1 = columns[1] + ty, t2 = columns[2] + ty, t3 = columns[3] + ty, t4 = columns[4] + ty, t5 = columns[5] + ty;
            long gy = (long)y * gradRowStride;
            float* r0 = g0 + gy, r1 = g1 + gy, r2 = g2 + gy, r3 = g3 + gy;
            for (nint x = 0; x < width; x += w)
            {
                TVec s0 = TOps.Load(t0 + x), s1 = TOps.Load(t1 + x), s2 = TOps.Load(t2 + x);
                TVec s3 = TOps.Load(t3 + x), s4 = TOps.Load(t4 + x), s5 = TOps.Load(t5 + x);
                TVec g = TOps.Load(r0 + x);
                a00 = TOps.MulAdd(g, s0, a00); a01 = TOps.MulAdd(g, s1, a01); a02 = TOps.MulAdd(g, s2, a02);
                a03 = TOps.MulAdd(g, s3, a03); a04 = TOps.MulAdd(g, s4, a04); a05 = TOps.MulAdd(g, s5, a05);
                g = TOps.Load(r1 + x);
                a10 = TOps.MulAdd(g, s0, a10); a11 = TOps.MulAdd(g, s1, a11); a12 = TOps.MulAdd(g, s2, a12);
                a13 = TOps.MulAdd(g, s3, a13); a14 = TOps.MulAdd(g, s4, a14); a15 = TOps.MulAdd(g, s5, a15);
                g = TOps.Load(r2 + x);
                a20 = TOps.MulAdd(g, s0, a20); a21 = TOps.MulAdd(g, s1, a21); a22 = TOps.MulAdd(g, s2, a22);
                a23 = TOps.MulAdd(g, s3, a23); a24 = TOps.MulAdd(g, s4, a24); a25 = TOps.MulAdd(g, s5, a25);
                g = TOps.Load(r3 + x);
                a30 = TOps.MulAdd(g, s0, a30); a31 = TOps.MulAdd(g, s1, a31); a32 = TOps.MulAdd(g, s2, a32);
                a33 = TOps.MulAdd(g, s3, a33); a34 = TOps.MulAdd(g, s4, a34); a35 = TOps.MulAdd(g, s5, a35);
            }
        }
        acc[0] = a00; acc[1] = a01; acc[2] = a02; acc[3] = a03; acc[4] = a04; acc[5] = a05;
        acc[6] = a10; acc[7] = a11; acc[8] = a12; acc[9] = a13; acc[10] = a14; acc[11] = a15;
        acc[12] = a20; acc[13] = a21; acc[14] = a22; acc[15] = a23; acc[16] = a24; acc[17] = a25;
        acc[18] = a30; acc[19] = a31; acc[20] = a32; acc[21] = a33; acc[22] = a34; acc[23] = a35;
    }
}
