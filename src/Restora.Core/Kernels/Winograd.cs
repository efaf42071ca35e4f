using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Restora.Core.Kernels;

/// <summary>
/// Winograd F(4x4, 3x3) forward pass of 3x3 stride-1 convolutions (Lavin and Gray 2015): each 4x4 block of output
/// comes from a 6x6 block of input through 36 multiplies per (input, output) channel pair instead of 144, so the
/// convolutions that dominate restoration networks do a quarter of the direct method's multiply-adds. Inference and
/// training's forward and input gradient run it (<see cref="Restora.Core.ConvBackend"/>); its rounding differs from
/// the direct kernels by a few units in the last place of the activations (about 1e-6 relative).
///
/// The work unit is one row of 4x4 output blocks ("tiles") and a chunk of up to <see cref="MaxChunkTiles"/> of them,
/// with the tiles in vector lanes: the chunk's input rows are split into their four column phases (column 4t + j
/// is phase j, lane t), which makes every tap of every tile a contiguous vector load; the input transform writes
/// V[ξ][in][tile] for the 36 positions ξ; the 36 products V[ξ] · U[ξ] run on the direct conv's register-blocked
/// gather kernel; the output transform and the epilogue write the tile row back in NCHW. Units never share a
/// sum, so the output bits do not depend on the thread count.
/// </summary>
[SkipLocalsInit]
public static unsafe class Winograd
{
    public const int MaxChunkTiles = 48;
    /// <summary>Lanes of a unit that packs several tile rows: two rows of a 50-px patch, five of a 20-px one
    /// (32 measured best against 48..128 on 50x50 batches, where wider units left the L2).</summary>
    const int MaxPackedLanes = 32;
    const int Positions = 36;
    const int BiasPosition = 7;

    /// <summary>Whether <see cref="Forward"/> takes this shape: 3x3, stride 1, no dilation or groups, and enough
    /// channels for the transforms to pay for themselves.</summary>
    public static bool Supports(in Conv2dShape s) =>
        s.KernelH == 3 && s.KernelW == 3 && s.StrideH == 1 && s.StrideW == 1 && s.DilationH == 1 && s.DilationW == 1
        && s.Groups == 1 && s.InChannels >= 8 && s.OutChannels >= 8 && s.OutWidth >= 8 && s.OutHeight >= 4;

    /// <summary>
    /// Whether Winograd is the faster road for this shape: it takes it, and the output is large enough (1024 pixels
    /// over the batch) for the per-call weight transform to pay: a 64-channel 8x8 map took 0.24 ms against 0.12 ms direct.
    /// </summary>
    public static bool Pays(in Conv2dShape s) => Supports(s) && (long)s.Batch * s.OutHeight * s.OutWidth >= 1024;

    /// <summary><c>output = epilogue(conv(input) + bias) + residual</c>. The residual may be the output itself (each
    /// output element reads only its own residual element, just before writing it); the input may not.</summary>
    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, ConvEpilogue epilogue = default, ReadOnlySpan<float> residual = default) =>
        Forward(Conv2d.BestPath, s, input, weight, bias, output, epilogue, residual);

    internal static void Forward(ConvPath path, in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, ConvEpilogue epilogue, ReadOnlySpan<float> residual)
    {
        s.Validate();
        if (!Supports(s)) throw new ArgumentException($"winograd: not a 3x3 stride-1 convolution it supports: {s}");
        if (input.Length != s.InputLength || weight.Length != s.WeightLength || output.Length != s.OutputLength)
            throw new ArgumentException($"winograd: input {input.Length}, weight {weight.Length}, output {output.Length} elements do not fit {s}");
        if (!bias.IsEmpty && bias.Length != s.OutChannels) throw new ArgumentException($"winograd: bias has {bias.Length} elements for {s.OutChannels} channels");
        if (!residual.IsEmpty && residual.Length != s.OutputLength) throw new ArgumentException($"winograd: residual has {residual.Length} elements, the output {s.OutputLength}");
        fixed (float* pIn = input, pW = weight, pB = bias, pOut = output, pR = residual)
        {
            var args = new Args(s, pIn, pW, bias.IsEmpty ? null : pB, pOut, residual.IsEmpty ? null : pR, epilogue);
            switch (path)
            {
                case ConvPath.Vector512: Run<Simd512, Vector512<float>>(args); break;
                case ConvPath.Vector256: Run<Simd256, Vector256<float>>(args); break;
                case ConvPath.Vector256SixteenRegisters: Run<Simd256SixteenRegisters, Vector256<float>>(args); break;
                default: Run<SimdScalar, float>(args); break;
            }
        }
    }

    readonly struct Args(in Conv2dShape s, float* input, float* weight, float* bias, float* output, float* residual, ConvEpilogue epilogue)
    {
        public readonly Conv2dShape S = s;
        public readonly float* Input = input, Weight = weight, Bias = bias, Output = output, Residual = residual;
        public readonly ConvEpilogue Epilogue = epilogue;
    }

    static void Run<TOps, TVec>(Args a) where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        var s = a.S;
        int w = TOps.Width;
        int tilesX = CeilDiv(s.OutWidth, 4), tilesY = CeilDiv(s.OutHeight, 4);
        // Chunks as even as the vector width allows, so a 23-tile row is one chunk of 32 rather than 48 + junk.
        int chunks = CeilDiv(tilesX, MaxChunkTiles);
        int chunkTiles = RoundUp(CeilDiv(tilesX, chunks), Math.Max(w, 16));
        chunks = CeilDiv(tilesX, chunkTiles);
        // Narrow images (training patches, small tiles): several tile rows side by side in one unit's lanes, so the
        // products run on the gather kernel's widest register block instead of one vector per row.
        int segment = tilesX + 1;
        // Rows are numbered across the batch (image n's tile row y is row n·tilesY + y), so a unit may end one image
        // and start the next: 24-px patches have 6 tile rows, which 4-row units would leave a third empty.
        int totalRows = s.Batch * tilesY;
        int rowsPerUnit = chunks == 1 ? Math.Clamp(MaxPackedLanes / segment, 1, totalRows) : 1;
        if (rowsPerUnit > 1)
        {
            rowsPerUnit = CeilDiv(totalRows, CeilDiv(totalRows, rowsPerUnit));
            chunkTiles = RoundUp(rowsPerUnit * segment, w);
        }
        int cin = s.InChannels, cout = s.OutChannels, blocks = CeilDiv(cout, ConvMicroKernels.Channels);

        // U[ξ][block][in][8]: the transformed weights packed as the gather kernel reads its weights.
        int uPosition = Conv2d.AvoidSetAliasing(blocks * cin * ConvMicroKernels.Channels);
        var packed = ArrayPool<float>.Shared.Rent(Positions * uPosition);
        var zeros = new float[blocks * ConvMicroKernels.Channels];
        // The bias goes in at position ξ = 7, (1, 1): column 1 of Aᵀ is all ones, so Aᵀ (b e₁e₁ᵀ) A adds b to every
        // output of the tile, and the gather kernel's own bias start costs nothing.
        var packedBias = new float[blocks * ConvMicroKernels.Channels];
        if (a.Bias is not null) new ReadOnlySpan<float>(a.Bias, cout).CopyTo(packedBias);
        var cols = new int[cin];
        for (int c = 0; c < cin; c++) cols[c] = c * chunkTiles;
        try
        {
            fixed (float* u = packed, z = zeros, pb = packedBias)
            fixed (int* pc = cols)
            {
                TransformWeights(a.Weight, cin, cout, blocks, u, uPosition);
                var shared = new Shared(u, uPosition, z, pb, pc, chunkTiles, blocks);
                if (rowsPerUnit > 1)
                    Compute.For(CeilDiv(totalRows, rowsPerUnit), unit =>
                    {
                        int first = unit * rowsPerUnit;
                        RunPackedUnit<TOps, TVec>(a, shared, first, Math.Min(rowsPerUnit, totalRows - first), segment, tilesY);
                    });
                else
                {
                    int units = s.Batch * tilesY * chunks;
                    Compute.For(units, unit => RunUnit<TOps, TVec>(a, shared, unit / chunks % tilesY, unit % chunks, unit / chunks / tilesY));
                }
            }
        }
        finally { ArrayPool<float>.Shared.Return(packed); }
    }

    readonly struct Shared(float* u, int uPosition, float* zeros, float* bias, int* cols, int chunkTiles, int blocks)
    {
        public readonly int UPosition = uPosition;
        public readonly float* U = u, Zeros = zeros, Bias = bias;
        public readonly int* Cols = cols;
        public readonly int ChunkTiles = chunkTiles, Blocks = blocks;
    }

    /// <summary>
    /// U = G g Gᵀ per (out, in) pair, in double, packed [ξ][out block][in][8] (positions <paramref name="uPosition"/>
    /// apart) with zero channels past the end. Blocks go to threads and each writes its 36 positions in order: written
    /// pair by pair across positions 16 KiB apart, a 64-channel layer's transform took a millisecond, as long as the
    /// products on a 50x50 batch.
    /// </summary>
    static void TransformWeights(float* weight, int cin, int cout, int blocks, float* u, int uPosition)
    {
        const int lanes = ConvMicroKernels.Channels;
        nint wAddr = (nint)weight, uAddr = (nint)u;
        Compute.For(blocks, block =>
        {
            float* w = (float*)wAddr, dst = (float*)uAddr;
            Span<double> gg = stackalloc double[18];
            Span<double> row = stackalloc double[6];
            for (int c = 0; c < cin; c++)
                for (int lane = 0; lane < lanes; lane++)
                {
                    int o = block * lanes + lane;
                    long at = ((long)block * cin + c) * lanes + lane;
                    if (o >= cout)
                    {
                        for (int xi = 0; xi < Positions; xi++) dst[xi * (long)uPosition + at] = 0;
                        continue;
                    }
                    float* g = w + ((long)o * cin + c) * 9;
                    // (G g): 6x3, then (G g) Gᵀ: 6x6.
                    for (int k = 0; k < 3; k++)
                    {
                        double g0 = g[k], g1 = g[3 + k], g2 = g[6 + k];
                        gg[0 * 3 + k] = g0 / 4;
                        gg[1 * 3 + k] = -(g0 + g1 + g2) / 6;
                        gg[2 * 3 + k] = -(g0 - g1 + g2) / 6;
                        gg[3 * 3 + k] = g0 / 24 + g1 / 12 + g2 / 6;
                        gg[4 * 3 + k] = g0 / 24 - g1 / 12 + g2 / 6;
                        gg[5 * 3 + k] = g2;
                    }
                    for (int r = 0; r < 6; r++)
                    {
                        double g0 = gg[r * 3], g1 = gg[r * 3 + 1], g2 = gg[r * 3 + 2];
                        row[0] = g0 / 4; row[1] = -(g0 + g1 + g2) / 6; row[2] = -(g0 - g1 + g2) / 6;
                        row[3] = g0 / 24 + g1 / 12 + g2 / 6; row[4] = g0 / 24 - g1 / 12 + g2 / 6; row[5] = g2;
                        for (int col = 0; col < 6; col++) dst[(r * 6 + col) * (long)uPosition + at] = (float)row[col];
                    }
                }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void RunUnit<TOps, TVec>(in Args a, in Shared sh, int tileRow, int chunk, int n)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        var s = a.S;
        int w = TOps.Width, tc = sh.ChunkTiles, cin = s.InChannels, cout = s.OutChannels;
        int t0 = chunk * tc;
        int phaseLength = tc + w;   // lanes t and t + 1 for the tap columns 4..5 of the last tile
        int rowLength = 4 * tc + 2;   // the chunk's input columns: 4 per tile and the last tile's 2 extra taps
        // Position strides of an odd number of cache lines: at 64 channels × 16 tiles a position is exactly 4 KiB, and
        // the 36 positions a transform writes (or reads) for one channel all fell in one L1 set.
        int vPosition = Conv2d.AvoidSetAliasing(cin * tc), mPosition = Conv2d.AvoidSetAliasing(cout * tc);
        long vLength = (long)Positions * vPosition, mLength = (long)Positions * mPosition;
        var buffer = ArrayPool<float>.Shared.Rent(ScratchLength(vLength, mLength, rowLength, phaseLength, w));
        try
        {
            fixed (float* pBuf = buffer)
            {
                Carve(pBuf, vLength, mLength, rowLength, phaseLength, out var v, out var m, out var edgeRows, out var zeroRow, out var phases, out var spill);
                int y0 = tileRow * 4 - s.PadH, x0 = t0 * 4 - s.PadW;
                bool inside = x0 >= 0 && x0 + rowLength <= s.InWidth;
                float** rows = stackalloc float*[6];
                long positionStride = vPosition;
                for (int c = 0; c < cin; c++)
                {
                    float* plane = a.Input + ((long)n * cin + c) * s.InHeight * s.InWidth;
                    for (int r = 0; r < 6; r++)
                    {
                        int y = y0 + r;
                        rows[r] = y < 0 || y >= s.InHeight ? zeroRow
                            : inside ? plane + (long)y * s.InWidth + x0
                            : FillRow(plane + (long)y * s.InWidth, s.InWidth, x0, edgeRows + r * rowLength, rowLength);
                    }
                    TransformInput<TOps, TVec>(rows, phases, phaseLength, tc, v + (long)c * tc, positionStride);
                }

                Products<TOps, TVec>(sh, v, vPosition, cin, m, mPosition, cout, tc);

                int outY = tileRow * 4, outX = t0 * 4;
                int rowCount = Math.Min(4, s.OutHeight - outY), width = Math.Min(4 * tc, s.OutWidth - outX);
                for (int o = 0; o < cout; o++)
                    TransformOutput<TOps, TVec>(a, m + (long)o * tc, mPosition, tc,
                        ((long)n * cout + o) * s.OutHeight * s.OutWidth + (long)outY * s.OutWidth + outX, rowCount, width, spill);
            }
        }
        finally { ArrayPool<float>.Shared.Return(buffer); }
    }

    /// <summary>
    /// A unit of <paramref name="rowCount"/> whole tile rows from row <paramref name="firstRow"/> of the batch (row
    /// n·<paramref name="tilesY"/> + y is image n's tile row y), the unit's row r in
    /// lanes [r·segment, r·segment + tilesX) and the lane after them holding the taps past its last tile. Each row's
    /// columns are split into phases whole vectors at a time, in order, so the lanes a row writes past its own are
    /// written again by the next row; the rest (transforms, products) is <see cref="RunUnit"/>'s on wider lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void RunPackedUnit<TOps, TVec>(in Args a, in Shared sh, int firstRow, int rowCount, int segment, int tilesY)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        var s = a.S;
        int w = TOps.Width, lanes = sh.ChunkTiles, cin = s.InChannels, cout = s.OutChannels;
        int segmentLanes = RoundUp(segment, w);
        int phaseLength = Math.Max((rowCount - 1) * segment + segmentLanes, lanes + w);
        int rowLength = 4 * segmentLanes;
        int vPosition = Conv2d.AvoidSetAliasing(cin * lanes), mPosition = Conv2d.AvoidSetAliasing(cout * lanes);
        long vLength = (long)Positions * vPosition, mLength = (long)Positions * mPosition + segmentLanes;
        var buffer = ArrayPool<float>.Shared.Rent(ScratchLength(vLength, mLength, rowLength, phaseLength, w));
        try
        {
            fixed (float* pBuf = buffer)
            {
                Carve(pBuf, vLength, mLength, rowLength, phaseLength, out var v, out var m, out var edgeRows, out var zeroRow, out var phases, out var spill);
                float** rows = stackalloc float*[6];
                for (int c = 0; c < cin; c++)
                {
                    for (int r = 0; r < rowCount; r++)
                    {
                        int n = (firstRow + r) / tilesY;
                        float* plane = a.Input + ((long)n * cin + c) * s.InHeight * s.InWidth;
                        int y0 = (firstRow + r) % tilesY * 4 - s.PadH;
                        for (int k = 0; k < 6; k++)
                        {
                            int y = y0 + k;
                            rows[k] = y < 0 || y >= s.InHeight ? zeroRow
                                : FillRow(plane + (long)y * s.InWidth, s.InWidth, -s.PadW, edgeRows + k * rowLength, rowLength);
                        }
                        SplitColumns<TOps, TVec>(rows, phases + r * segment, phaseLength, segmentLanes);
                    }
                    TransformRows<TOps, TVec>(phases, phaseLength, lanes, v + (long)c * lanes, vPosition);
                }
                Products<TOps, TVec>(sh, v, vPosition, cin, m, mPosition, cout, lanes);
                for (int r = 0; r < rowCount; r++)
                {
                    int n = (firstRow + r) / tilesY, outY = (firstRow + r) % tilesY * 4;
                    int height = Math.Min(4, s.OutHeight - outY);
                    for (int o = 0; o < cout; o++)
                        TransformOutput<TOps, TVec>(a, m + (long)o * lanes + r * segment, mPosition, segment - 1,
                            ((long)n * cout + o) * s.OutHeight * s.OutWidth + (long)outY * s.OutWidth, height, s.OutWidth, spill);
                }
            }
        }
        finally { ArrayPool<float>.Shared.Return(buffer); }
    }

    /// <summary>Floats of a unit's scratch: V and M, six edge rows and a zero row, 24 phase rows, a spill vector row.</summary>
    static int ScratchLength(long vLength, long mLength, int rowLength, int phaseLength, int w) =>
        checked((int)(vLength + mLength) + 7 * rowLength + 24 * phaseLength + 4 * w);

    /// <summary>Cuts a unit's scratch (<see cref="ScratchLength"/> floats) into its parts, the zero row cleared.</summary>
    static void Carve(float* scratch, long vLength, long mLength, int rowLength, int phaseLength,
        out float* v, out float* m, out float* edgeRows, out float* zeroRow, out float* phases, out float* spill)
    {
        v = scratch;
        m = v + vLength;
        edgeRows = m + mLength;
        zeroRow = edgeRows + 6 * rowLength;
        phases = zeroRow + rowLength;
        spill = phases + 24 * phaseLength;
        new Span<float>(zeroRow, rowLength).Clear();
    }

    /// <summary>The 36 products M[ξ] = U[ξ] · V[ξ] (+ bias at ξ = 7) of a unit's lanes on the gather kernel.</summary>
    static void Products<TOps, TVec>(in Shared sh, float* v, int vPosition, int cin, float* m, int mPosition, int cout, int lanes)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        for (int xi = 0; xi < Positions; xi++)
        {
            var band = new GatherBand
            {
                Tile = v + (long)xi * vPosition, TileRowStride = 0, Cols = sh.Cols, ColCount = cin,
                Weights = sh.U + (long)xi * sh.UPosition, Bias = xi == BiasPosition ? sh.Bias : sh.Zeros,
                Dst = m + (long)xi * mPosition, DstChannelStride = lanes, DstRowStride = 0, DstChannels = cout,
                Rows = 1, Width = lanes,
            };
            ConvMicroKernels.Gather<TOps, TVec>(band, 0, sh.Blocks);
        }
    }

    // The stages are separate methods, not inlined into the unit: one method holding all of them ran out of the JIT's
    // inlining budget and called the vector helpers (Add, Store…) out of line, which took 2.5x the time.

    /// <summary>V = Bᵀ d B of one input channel for the chunk's tiles: V[ξ][tile] at <paramref name="v"/>, ξ = 6·row + column.</summary>
    static void TransformInput<TOps, TVec>(float** rows, float* phases, int phaseLength, int tc, float* v, long positionStride)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        SplitColumns<TOps, TVec>(rows, phases, phaseLength, tc);
        // The two columns past the vectors (taps 4 and 5 of the last tile) one by one.
        for (int j = 0; j < 2; j++)
        {
            Vertical<SimdScalar, float>(rows, 4 * tc + j, out var e0, out var e1, out var e2, out var e3, out var e4, out var e5);
            float* ph = phases + j * phaseLength + tc;
            ph[0] = e0; ph[4 * phaseLength] = e1; ph[8 * phaseLength] = e2; ph[12 * phaseLength] = e3; ph[16 * phaseLength] = e4; ph[20 * phaseLength] = e5;
        }
        TransformRows<TOps, TVec>(phases, phaseLength, tc, v, positionStride);
    }

    /// <summary>
    /// Down the columns first, on whole rows: Bᵀ of the six input rows over 4·<paramref name="lanes"/> columns, each
    /// result split into phases (column 4t + j is phase j, lane t) at <paramref name="phases"/>, six rows of four phases.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static void SplitColumns<TOps, TVec>(float** rows, float* phases, int phaseLength, int lanes)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        for (int x = 0; x < 4 * lanes; x += 4 * w)
        {
            Vertical<TOps, TVec>(rows, x, out var a0, out var a1, out var a2, out var a3, out var a4, out var a5);
            Vertical<TOps, TVec>(rows, x + w, out var b0, out var b1, out var b2, out var b3, out var b4, out var b5);
            Vertical<TOps, TVec>(rows, x + 2 * w, out var c0, out var c1, out var c2, out var c3, out var c4, out var c5);
            Vertical<TOps, TVec>(rows, x + 3 * w, out var d0, out var d1, out var d2, out var d3, out var d4, out var d5);
            float* ph = phases + x / 4;
            StorePhases<TOps, TVec>(a0, b0, c0, d0, ph, phaseLength);
            StorePhases<TOps, TVec>(a1, b1, c1, d1, ph + 4 * phaseLength, phaseLength);
            StorePhases<TOps, TVec>(a2, b2, c2, d2, ph + 8 * phaseLength, phaseLength);
            StorePhases<TOps, TVec>(a3, b3, c3, d3, ph + 12 * phaseLength, phaseLength);
            StorePhases<TOps, TVec>(a4, b4, c4, d4, ph + 16 * phaseLength, phaseLength);
            StorePhases<TOps, TVec>(a5, b5, c5, d5, ph + 20 * phaseLength, phaseLength);
        }
    }

    /// <summary>Then along each row: the six taps of tile t in row r are phase (c &amp; 3) at lane t + (c >> 2).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static void TransformRows<TOps, TVec>(float* phases, int phaseLength, int lanes, float* v, long positionStride)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        for (int t = 0; t < lanes; t += w)
            for (int r = 0; r < 6; r++)
            {
                float* ph = phases + r * 4 * phaseLength + t;
                float* dst = v + t + r * 6 * positionStride;
                BTranspose<TOps, TVec>(TOps.Load(ph), TOps.Load(ph + phaseLength), TOps.Load(ph + 2 * phaseLength),
                    TOps.Load(ph + 3 * phaseLength), TOps.Load(ph + 1), TOps.Load(ph + phaseLength + 1),
                    out var o0, out var o1, out var o2, out var o3, out var o4, out var o5);
                TOps.Store(dst, o0); TOps.Store(dst + positionStride, o1); TOps.Store(dst + 2 * positionStride, o2);
                TOps.Store(dst + 3 * positionStride, o3); TOps.Store(dst + 4 * positionStride, o4); TOps.Store(dst + 5 * positionStride, o5);
            }
    }

    /// <summary>An input row from column <paramref name="x0"/> on, zero outside the image, copied into <paramref name="row"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static float* FillRow(float* source, int width, int x0, float* row, int length)
    {
        var dst = new Span<float>(row, length);
        int from = Math.Max(0, x0), to = Math.Min(width, x0 + length);
        if (to <= from) { dst.Clear(); return row; }
        dst[..(from - x0)].Clear();
        new ReadOnlySpan<float>(source + from, to - from).CopyTo(dst[(from - x0)..]);
        dst[(to - x0)..].Clear();
        return row;
    }

    /// <summary>The six outputs of Bᵀ applied to (d0..d5).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void BTranspose<TOps, TVec>(TVec d0, TVec d1, TVec d2, TVec d3, TVec d4, TVec d5,
        out TVec o0, out TVec o1, out TVec o2, out TVec o3, out TVec o4, out TVec o5)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        TVec four = TOps.Create(4), minusFive = TOps.Create(-5), two = TOps.Create(2), minusFour = TOps.Create(-4), minusTwo = TOps.Create(-2);
        o0 = TOps.MulAdd(d0, four, TOps.MulAdd(d2, minusFive, d4));
        o1 = TOps.MulAdd(TOps.Add(d1, d2), minusFour, TOps.Add(d3, d4));
        o2 = TOps.MulAdd(TOps.Subtract(d1, d2), four, TOps.Subtract(d4, d3));
        TVec a = TOps.Subtract(d4, d2), b = TOps.Subtract(d3, d1);
        o3 = TOps.MulAdd(b, two, a);
        o4 = TOps.MulAdd(b, minusTwo, a);
        o5 = TOps.MulAdd(d1, four, TOps.MulAdd(d3, minusFive, d5));
    }

    /// <summary>Bᵀ applied down the six input rows at one vector of columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Vertical<TOps, TVec>(float** rows, int at, out TVec o0, out TVec o1, out TVec o2, out TVec o3, out TVec o4, out TVec o5)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged =>
        BTranspose<TOps, TVec>(TOps.Load(rows[0] + at), TOps.Load(rows[1] + at), TOps.Load(rows[2] + at),
            TOps.Load(rows[3] + at), TOps.Load(rows[4] + at), TOps.Load(rows[5] + at), out o0, out o1, out o2, out o3, out o4, out o5);

    /// <summary>4·Width consecutive columns of one row, split into their four phases at <paramref name="ph"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StorePhases<TOps, TVec>(TVec a, TVec b, TVec c, TVec d, float* ph, int phaseLength)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        TOps.Deinterleave4(a, b, c, d, out var p0, out var p1, out var p2, out var p3);
        TOps.Store(ph, p0); TOps.Store(ph + phaseLength, p1); TOps.Store(ph + 2 * phaseLength, p2); TOps.Store(ph + 3 * phaseLength, p3);
    }

    /// <summary>
    /// Y = Aᵀ M A + bias for the tiles in one vector of lanes of one output channel, through the epilogue, written to
    /// the output's rows (the first <paramref name="rowCount"/> of the tile row, the first <paramref name="width"/>
    /// columns) with the tiles' columns back in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static void TransformOutput<TOps, TVec>(in Args a, float* m, long positionStride, int tc, long at, int rowCount, int width,
        float* spill) where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        long outWidth = a.S.OutWidth;
        for (int t = 0; t < tc && 4 * t < width; t += w)
        {
            int left = width - 4 * t;
            bool whole = left >= 4 * w;
            float* mt = m + t;
            long o = at + 4 * t;
            Column<TOps, TVec>(mt, positionStride, 0, out var a0, out var a1, out var a2, out var a3);
            Column<TOps, TVec>(mt, positionStride, 1, out var b0, out var b1, out var b2, out var b3);
            Column<TOps, TVec>(mt, positionStride, 2, out var c0, out var c1, out var c2, out var c3);
            Column<TOps, TVec>(mt, positionStride, 3, out var d0, out var d1, out var d2, out var d3);
            Column<TOps, TVec>(mt, positionStride, 4, out var e0, out var e1, out var e2, out var e3);
            Column<TOps, TVec>(mt, positionStride, 5, out var f0, out var f1, out var f2, out var f3);
            OutputRow<TOps, TVec>(a0, b0, c0, d0, e0, f0, a, o, left, whole, spill);
            if (rowCount > 1) OutputRow<TOps, TVec>(a1, b1, c1, d1, e1, f1, a, o + outWidth, left, whole, spill);
            if (rowCount > 2) OutputRow<TOps, TVec>(a2, b2, c2, d2, e2, f2, a, o + 2 * outWidth, left, whole, spill);
            if (rowCount > 3) OutputRow<TOps, TVec>(a3, b3, c3, d3, e3, f3, a, o + 3 * outWidth, left, whole, spill);
        }
    }

    /// <summary>Aᵀ applied down column <paramref name="c"/> of M: the column's four output rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Column<TOps, TVec>(float* m, long stride, int c, out TVec r0, out TVec r1, out TVec r2, out TVec r3)
        where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        float* p = m + c * stride;
        TVec m1 = TOps.Load(p + 6 * stride), m2 = TOps.Load(p + 12 * stride), m3 = TOps.Load(p + 18 * stride), m4 = TOps.Load(p + 24 * stride);
        TVec sum12 = TOps.Add(m1, m2), diff12 = TOps.Subtract(m1, m2), sum34 = TOps.Add(m3, m4), diff34 = TOps.Subtract(m3, m4);
        r0 = TOps.Add(TOps.Add(TOps.Load(p), sum12), sum34);
        r1 = TOps.MulAdd(diff34, TOps.Create(2), diff12);
        r2 = TOps.MulAdd(sum34, TOps.Create(4), sum12);
        r3 = TOps.Add(TOps.MulAdd(diff34, TOps.Create(8), diff12), TOps.Load(p + 30 * stride));
    }

    /// <summary>One output row of a vector of tiles: A applied along the row's six column results, the
    /// epilogue, and the four phases interleaved back into 4·Width consecutive output columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void OutputRow<TOps, TVec>(TVec c0, TVec c1, TVec c2, TVec c3, TVec c4, TVec c5, in Args a, long offset, int width,
        bool whole, float* spill) where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        int w = TOps.Width;
        TVec sum12 = TOps.Add(c1, c2), diff12 = TOps.Subtract(c1, c2), sum34 = TOps.Add(c3, c4), diff34 = TOps.Subtract(c3, c4);
        TVec y0 = TOps.Add(TOps.Add(c0, sum12), sum34);
        TVec y1 = TOps.MulAdd(diff34, TOps.Create(2), diff12);
        TVec y2 = TOps.MulAdd(sum34, TOps.Create(4), sum12);
        TVec y3 = TOps.Add(TOps.MulAdd(diff34, TOps.Create(8), diff12), c5);
        var e = a.Epilogue;
        if (e.HasActivation)
        {
            TVec zero = TOps.Zero;
            if (e.NegativeSlope == 0)
            {
                y0 = TOps.Max(y0, zero); y1 = TOps.Max(y1, zero); y2 = TOps.Max(y2, zero); y3 = TOps.Max(y3, zero);
            }
            else
            {
                TVec slope = TOps.Create(e.NegativeSlope);
                y0 = Activate<TOps, TVec>(y0, zero, slope); y1 = Activate<TOps, TVec>(y1, zero, slope);
                y2 = Activate<TOps, TVec>(y2, zero, slope); y3 = Activate<TOps, TVec>(y3, zero, slope);
            }
        }
        if (a.Residual is not null && whole)
        {
            float* res = a.Residual + offset;
            TOps.Deinterleave4(TOps.Load(res), TOps.Load(res + w), TOps.Load(res + 2 * w), TOps.Load(res + 3 * w),
                out var r0, out var r1, out var r2, out var r3);
            y0 = TOps.Add(y0, r0); y1 = TOps.Add(y1, r1); y2 = TOps.Add(y2, r2); y3 = TOps.Add(y3, r3);
        }
        TOps.Interleave4(y0, y1, y2, y3, out var o0, out var o1, out var o2, out var o3);
        float* dst = whole ? a.Output + offset : spill;
        TOps.Store(dst, o0); TOps.Store(dst + w, o1); TOps.Store(dst + 2 * w, o2); TOps.Store(dst + 3 * w, o3);
        if (whole) return;
        // The ragged end of a row (a 50-wide patch ends 2 columns into its last tile) is copied out with vector moves:
        // a per-element loop here cost a quarter of a narrow layer's time.
        var from = new ReadOnlySpan<float>(spill, width);
        var to = new Span<float>(a.Output + offset, width);
        if (a.Residual is null) from.CopyTo(to);
        else System.Numerics.Tensors.TensorPrimitives.Add(from, new ReadOnlySpan<float>(a.Residual + offset, width), to);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static TVec Activate<TOps, TVec>(TVec v, TVec zero, TVec slope) where TOps : struct, ISimd<TVec> where TVec : unmanaged
    {
        TVec positive = TOps.Max(v, zero);
        return TOps.MulAdd(TOps.Subtract(v, positive), slope, positive);
    }

    static int CeilDiv(int a, int b) => (a + b - 1) / b;
    static int RoundUp(int a, int b) => CeilDiv(a, b) * b;
}
