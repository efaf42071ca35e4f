using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Restora.Core.Kernels;

/// <summary>
/// The weight gradient of a 3x3 stride-1 convolution through Winograd F(4x4, 3x3), the adjoint of
/// <see cref="Winograd"/>'s forward. Per 4x4 output tile the forward is Y = Aᵀ [U ⊙ V] A with U = G g Gᵀ and
/// V = Bᵀ d B, so dU[ξ] = Σ over tiles of (A dY Aᵀ)[ξ] · V[ξ] and dg = Gᵀ dU G: 36 products over the tiles instead of
/// 9 over the pixels, a quarter of the direct method's multiply-adds for 64 channels.
///
/// The products reduce over tiles, so here channels, not tiles, go in the vector lanes: the input and the output
/// gradient are first copied channels-last (zero-padded to whole tiles), each tile's V and A dY Aᵀ are computed
/// 16 channels at a time, and a register-blocked kernel (8 output channels × 3 vectors of input channels) adds
/// tile after tile into dU. Tiles are split into a fixed number of groups, each summing its own dU in tile order, and
/// the groups are added in order at the end: the bits do not depend on the thread count.
/// </summary>
[SkipLocalsInit]
public static unsafe class WinogradWeightGradient
{
    const int Positions = 36, TileBlock = 32, OutBlock = 8, Lanes = 16, MaxGroups = 16;
    /// <summary>Memory for the groups' partial sums; wide layers get fewer groups.</summary>
    const long PartialBudgetBytes = 64L << 20;

    /// <summary>Whether <see cref="Compute"/> takes this shape: one <see cref="Winograd"/> takes, on a machine with
    /// 512-bit vectors, and enough tiles (the same 1024-pixel floor as <see cref="Winograd.Pays"/>).</summary>
    public static bool Supports(in Conv2dShape s) => Vector512.IsHardwareAccelerated && Winograd.Pays(s);

    /// <summary>
    /// Whether it beats the direct kernel: the channels-last copies cost about as much as the products save until a
    /// layer has 8192 (in × out) channel pairs, and rows narrower than 40 px leave too many columns to copy one by one.
    /// Measured (Zen 5, 2 threads, batch 16; direct → Winograd ms): 128→128 at 50 px 41 → 24, 48→192 at 48 px
    /// 24 → 17, 64→128 at 50 px 22 → 20; and against it 64→64 at 50 px 10.5 → 10.7, 128→128 at 24 px 8.8 → 12.6,
    /// 48→48 at 24 px 1.5 → 2.0, 32→32 at 64 px 4.4 → 6.8. A rule of the shape alone, so every run picks the same.
    /// </summary>
    public static bool Pays(in Conv2dShape s) => Supports(s) && s.InChannels * s.OutChannels >= 8192 && s.OutWidth >= 40;

    /// <summary>gradWeight = ∂L/∂w and gradBias = ∂L/∂b (when not empty) from the input and the output gradient.</summary>
    public static void Compute(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        s.Validate();
        if (!Supports(s)) throw new ArgumentException($"winograd weight gradient: not a shape it takes: {s}");
        if (input.Length != s.InputLength || gradOutput.Length != s.OutputLength || gradWeight.Length != s.WeightLength)
            throw new ArgumentException($"winograd weight gradient: input {input.Length}, gradient {gradOutput.Length}, weight {gradWeight.Length} elements do not fit {s}");
        if (!gradBias.IsEmpty && gradBias.Length != s.OutChannels)
            throw new ArgumentException($"winograd weight gradient: bias gradient has {gradBias.Length} elements for {s.OutChannels} channels");

        int tilesX = (s.OutWidth + 3) / 4, tilesY = (s.OutHeight + 3) / 4;
        int cin = s.InChannels, cout = s.OutChannels;
        int inPad = RoundUp(cin, Lanes), outPad = RoundUp(cout, Lanes);
        int tiles = s.Batch * tilesY * tilesX;
        // Positions an odd number of cache lines apart: a 64 x 64 position is 16 KiB, and the 36 one pair reads shared a set.
        int position = Conv2d.AvoidSetAliasing(outPad * inPad);
        long partialLength = (long)Positions * position;
        int groups = (int)Math.Clamp(Math.Min(MaxGroups, (tiles + TileBlock - 1) / TileBlock), 1, Math.Max(1, PartialBudgetBytes / (partialLength * 4)));

        // From the tensor pool: beyond what ArrayPool.Shared keeps, and a fresh array every step costs its page faults again.
        var partials = TensorPool.Rent(checked((int)(groups * partialLength)));
        try
        {
            fixed (float* pIn = input, pG = gradOutput, pPart = partials, pW = gradWeight, pB = gradBias)
            {
                nint inAddr = (nint)pIn, gAddr = (nint)pG, partAddr = (nint)pPart;
                var layout = new Layout(s, tilesX, tilesY, inPad, outPad, position);
                Restora.Core.Compute.For(groups, g =>
                {
                    float* partial = (float*)partAddr + g * partialLength;
                    new Span<float>(partial, (int)partialLength).Clear();
                    long first = (long)tiles * g / groups, end = (long)tiles * (g + 1) / groups;
                    SumGroup(layout, (float*)inAddr, (float*)gAddr, (int)first, (int)end, partial);
                });
                FinishWeights((float*)partAddr, groups, partialLength, position, cin, cout, inPad, pW);
                if (!gradBias.IsEmpty) SumBias(pG, s, pB);
            }
        }
        finally { TensorPool.Return(partials); }
    }

    readonly record struct Layout(Conv2dShape S, int TilesX, int TilesY, int InPad, int OutPad, int Position);

    /// <summary>
    /// Rows [y0, y0 + rows) × columns [x0, x0 + cols) of a [channels][h][w] image, channels last (padded to
    /// <paramref name="cPad"/>) at <paramref name="dst"/>, zero outside the image: 16 channels × 16 columns at a time
    /// through the registers, the ragged ends one by one.
    /// </summary>
    static void CopyPatch(float* src, int channels, int h, int w, int y0, int x0, int rows, int cols, float* dst, int cPad, Vector512<float>* block)
    {
        long plane = (long)h * w, rowLength = (long)cols * cPad;
        for (int r = 0; r < rows; r++)
        {
            float* row = dst + r * rowLength;
            int y = y0 + r, xa = Math.Max(x0, 0), xb = Math.Min(x0 + cols, w);
            if (y < 0 || y >= h || xb <= xa)
            {
                new Span<float>(row, (int)rowLength).Clear();
                continue;
            }
            if (cPad != channels) new Span<float>(row, (int)rowLength).Clear();
            else
            {
                new Span<float>(row, (xa - x0) * cPad).Clear();
                new Span<float>(row + (long)(xb - x0) * cPad, (x0 + cols - xb) * cPad).Clear();
            }
            int c = 0;
            for (; c + Lanes <= channels; c += Lanes)
            {
                float* from = src + c * plane + (long)y * w;
                int x = xa;
                for (; x + Lanes <= xb; x += Lanes)
                {
                    for (int k = 0; k < Lanes; k++) block[k] = Vector512.Load(from + k * plane + x);
                    Transpose16(block, block + Lanes);
                    for (int k = 0; k < Lanes; k++) block[k].Store(row + (long)(x - x0 + k) * cPad + c);
                }
                for (; x < xb; x++)
                    for (int k = 0; k < Lanes; k++) row[(long)(x - x0) * cPad + c + k] = from[k * plane + x];
            }
            for (; c < channels; c++)
            {
                float* from = src + c * plane + (long)y * w;
                for (int x = xa; x < xb; x++) row[(long)(x - x0) * cPad + c] = from[x];
            }
        }
    }

    static readonly Vector512<int> ZipLow = Vector512.Create(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    static readonly Vector512<int> ZipHigh = Vector512.Create(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);

    /// <summary>
    /// Transposes 16 rows of 16 in place (<paramref name="t"/>: room for 16 more): four rounds of zipping row i with
    /// row i + 8 into rows 2i and 2i + 1. Each round moves element (r, c)'s eight index bits one place to the left,
    /// so after four, row and column have swapped.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose16(Vector512<float>* r, Vector512<float>* t)
    {
        for (int round = 0; round < 4; round++)
        {
            for (int i = 0; i < 8; i++)
            {
                t[2 * i] = System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(r[i], ZipLow, r[i + 8]);
                t[2 * i + 1] = System.Runtime.Intrinsics.X86.Avx512F.PermuteVar16x32x2(r[i], ZipHigh, r[i + 8]);
            }
            for (int i = 0; i < Lanes; i++) r[i] = t[i];
        }
    }

    /// <summary>
    /// dU += Σ over tiles [first, end) of (A dY Aᵀ)[ξ] ⊗ V[ξ]. Tiles go in runs along a tile row: the run's input rows
    /// and output-gradient rows are copied channels-last into small buffers that stay in cache, its tiles transformed
    /// into the block, and every <see cref="TileBlock"/> tiles the block is added into dU.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void SumGroup(in Layout l, float* input, float* gradOut, int first, int end, float* partial)
    {
        var s = l.S;
        int vPosition = Conv2d.AvoidSetAliasing(TileBlock * l.InPad), mPosition = Conv2d.AvoidSetAliasing(TileBlock * l.OutPad);
        int patchCols = 4 * TileBlock + 2;
        long inPatchLength = 6L * patchCols * l.InPad, gPatchLength = 4L * 4 * TileBlock * l.OutPad;
        var buffer = ArrayPool<float>.Shared.Rent((int)(Positions * (long)(vPosition + mPosition) + inPatchLength + gPatchLength) + Positions * Lanes + 16);
        var block = stackalloc Vector512<float>[2 * Lanes];
        try
        {
            fixed (float* pBuf = buffer)
            {
                float* v = pBuf, m = v + (long)Positions * vPosition, inPatch = m + (long)Positions * mPosition;
                float* gPatch = inPatch + inPatchLength, scratch = gPatch + gPatchLength;
                int filled = 0;
                for (int t = first; t < end;)
                {
                    int tx = t % l.TilesX, ty = t / l.TilesX % l.TilesY, n = t / l.TilesX / l.TilesY;
                    int run = Math.Min(Math.Min(end - t, l.TilesX - tx), TileBlock - filled);
                    int cols = 4 * run + 2;
                    CopyPatch(input + (long)n * s.InChannels * s.InHeight * s.InWidth, s.InChannels, s.InHeight, s.InWidth,
                        4 * ty - s.PadH, 4 * tx - s.PadW, 6, cols, inPatch, l.InPad, block);
                    CopyPatch(gradOut + (long)n * s.OutChannels * s.OutHeight * s.OutWidth, s.OutChannels, s.OutHeight, s.OutWidth,
                        4 * ty, 4 * tx, 4, 4 * run, gPatch, l.OutPad, block);
                    for (int i = 0; i < run; i++)
                    {
                        for (int c = 0; c < l.InPad; c += Lanes)
                            InputTile(inPatch + (long)4 * i * l.InPad + c, (long)cols * l.InPad, l.InPad, v + (long)(filled + i) * l.InPad + c, vPosition, scratch);
                        for (int o = 0; o < l.OutPad; o += Lanes)
                            GradientTile(gPatch + (long)4 * i * l.OutPad + o, (long)4 * run * l.OutPad, l.OutPad, m + (long)(filled + i) * l.OutPad + o, mPosition);
                    }
                    filled += run;
                    t += run;
                    if (filled == TileBlock || t == end)
                    {
                        for (int xi = 0; xi < Positions; xi++)
                            Accumulate(m + (long)xi * mPosition, v + (long)xi * vPosition, filled, l.OutPad, l.InPad, partial + (long)xi * l.Position);
                        filled = 0;
                    }
                }
            }
        }
        finally { ArrayPool<float>.Shared.Return(buffer); }
    }

    /// <summary>V = Bᵀ d B of one tile for 16 channels: d's rows <paramref name="rowStride"/> apart, taps <paramref name="tapStride"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void InputTile(float* d, long rowStride, long tapStride, float* v, long position, float* scratch)
    {
        // Down each of the six columns, into scratch[row][column]; then along each row into V[6·row + column].
        for (int j = 0; j < 6; j++)
        {
            float* p = d + j * tapStride;
            BTranspose(Vector512.Load(p), Vector512.Load(p + rowStride), Vector512.Load(p + 2 * rowStride),
                Vector512.Load(p + 3 * rowStride), Vector512.Load(p + 4 * rowStride), Vector512.Load(p + 5 * rowStride),
                out var r0, out var r1, out var r2, out var r3, out var r4, out var r5);
            float* q = scratch + j * Lanes;
            r0.Store(q); r1.Store(q + 6 * Lanes); r2.Store(q + 12 * Lanes); r3.Store(q + 18 * Lanes); r4.Store(q + 24 * Lanes); r5.Store(q + 30 * Lanes);
        }
        for (int r = 0; r < 6; r++)
        {
            float* q = scratch + r * 6 * Lanes;
            BTranspose(Vector512.Load(q), Vector512.Load(q + Lanes), Vector512.Load(q + 2 * Lanes), Vector512.Load(q + 3 * Lanes),
                Vector512.Load(q + 4 * Lanes), Vector512.Load(q + 5 * Lanes), out var o0, out var o1, out var o2, out var o3, out var o4, out var o5);
            float* dst = v + r * 6 * position;
            o0.Store(dst); o1.Store(dst + position); o2.Store(dst + 2 * position);
            o3.Store(dst + 3 * position); o4.Store(dst + 4 * position); o5.Store(dst + 5 * position);
        }
    }

    /// <summary>A dY Aᵀ of one 4x4 tile of the output gradient for 16 channels, into positions 6·row + column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void GradientTile(float* dy, long rowStride, long tapStride, float* m, long position)
    {
        // Down the four columns (A on dY's rows), kept in registers: t[r][b], then along each of the six rows.
        Span<Vector512<float>> t = stackalloc Vector512<float>[24];
        for (int b = 0; b < 4; b++)
        {
            float* p = dy + b * tapStride;
            ATimes(Vector512.Load(p), Vector512.Load(p + rowStride), Vector512.Load(p + 2 * rowStride), Vector512.Load(p + 3 * rowStride),
                out t[b], out t[4 + b], out t[8 + b], out t[12 + b], out t[16 + b], out t[20 + b]);
        }
        for (int r = 0; r < 6; r++)
        {
            ATimes(t[4 * r], t[4 * r + 1], t[4 * r + 2], t[4 * r + 3], out var o0, out var o1, out var o2, out var o3, out var o4, out var o5);
            float* dst = m + r * 6 * position;
            o0.Store(dst); o1.Store(dst + position); o2.Store(dst + 2 * position);
            o3.Store(dst + 3 * position); o4.Store(dst + 4 * position); o5.Store(dst + 5 * position);
        }
    }

    /// <summary>
    /// dU[o][c] += Σ_tiles M[tile][o] · V[tile][c] for one position: 8 output channels × 3 vectors of input channels in
    /// 24 accumulators (per tile 3 loads and 8 broadcasts feed 24 FMAs), then single vectors for the rest.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Accumulate(float* m, float* v, int tiles, int outPad, int inPad, float* du)
    {
        for (int o = 0; o < outPad; o += OutBlock)
        {
            int c = 0;
            for (; c + 3 * Lanes <= inPad; c += 3 * Lanes) Block3(m + o, v + c, tiles, outPad, inPad, du + (long)o * inPad + c);
            for (; c < inPad; c += Lanes) Block1(m + o, v + c, tiles, outPad, inPad, du + (long)o * inPad + c);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block3(float* m, float* v, int tiles, int outPad, int inPad, float* du)
    {
        float* d = du;
        Vector512<float> a00 = Vector512.Load(d), a01 = Vector512.Load(d + Lanes), a02 = Vector512.Load(d + 2 * Lanes); d += inPad;
        Vector512<float> a10 = Vector512.Load(d), a11 = Vector512.Load(d + Lanes), a12 = Vector512.Load(d + 2 * Lanes); d += inPad;
        Vector512<float> a20 = Vector512.Load(d), a21 = Vector512.Load(d + Lanes), a22 = Vector512.Load(d + 2 * Lanes); d += inPad;
        Vector512<float> a30 = Vector512.Load(d), a31 = Vector512.Load(d + Lanes), a32 = Vector512.Load(d + 2 * Lanes); d += inPad;
        Vector512<float> a40 = Vector512.Load(d), a41 = Vector512.Load(d + Lanes), a42 = Vector512.Load(d + 2 * Lanes); d += inPad;
        Vector512<float> a50 = Vector512.Load(d), a51 = Vector512.Load(d + Lanes), a52 = Vector512.Load(d + 2 * Lanes); d += inPad;
        Vector512<float> a60 = Vector512.Load(d), a61 = Vector512.Load(d + Lanes), a62 = Vector512.Load(d + 2 * Lanes); d += inPad;
        Vector512<float> a70 = Vector512.Load(d), a71 = Vector512.Load(d + Lanes), a72 = Vector512.Load(d + 2 * Lanes);
        for (int t = 0; t < tiles; t++, m += outPad, v += inPad)
        {
            var x0 = Vector512.Load(v); var x1 = Vector512.Load(v + Lanes); var x2 = Vector512.Load(v + 2 * Lanes);
            var b = Vector512.Create(m[0]);
            a00 = Vector512.FusedMultiplyAdd(b, x0, a00); a01 = Vector512.FusedMultiplyAdd(b, x1, a01); a02 = Vector512.FusedMultiplyAdd(b, x2, a02);
            b = Vector512.Create(m[1]);
            a10 = Vector512.FusedMultiplyAdd(b, x0, a10); a11 = Vector512.FusedMultiplyAdd(b, x1, a11); a12 = Vector512.FusedMultiplyAdd(b, x2, a12);
            b = Vector512.Create(m[2]);
            a20 = Vector512.FusedMultiplyAdd(b, x0, a20); a21 = Vector512.FusedMultiplyAdd(b, x1, a21); a22 = Vector512.FusedMultiplyAdd(b, x2, a22);
            b = Vector512.Create(m[3]);
            a30 = Vector512.FusedMultiplyAdd(b, x0, a30); a31 = Vector512.FusedMultiplyAdd(b, x1, a31); a32 = Vector512.FusedMultiplyAdd(b, x2, a32);
            b = Vector512.Create(m[4]);
            a40 = Vector512.FusedMultiplyAdd(b, x0, a40); a41 = Vector512.FusedMultiplyAdd(b, x1, a41); a42 = Vector512.FusedMultiplyAdd(b, x2, a42);
            b = Vector512.Create(m[5]);
            a50 = Vector512.FusedMultiplyAdd(b, x0, a50); a51 = Vector512.FusedMultiplyAdd(b, x1, a51); a52 = Vector512.FusedMultiplyAdd(b, x2, a52);
            b = Vector512.Create(m[6]);
            a60 = Vector512.FusedMultiplyAdd(b, x0, a60); a61 = Vector512.FusedMultiplyAdd(b, x1, a61); a62 = Vector512.FusedMultiplyAdd(b, x2, a62);
            b = Vector512.Create(m[7]);
            a70 = Vector512.FusedMultiplyAdd(b, x0, a70); a71 = Vector512.FusedMultiplyAdd(b, x1, a71); a72 = Vector512.FusedMultiplyAdd(b, x2, a72);
        }
        d = du;
        a00.Store(d); a01.Store(d + Lanes); a02.Store(d + 2 * Lanes); d += inPad;
        a10.Store(d); a11.Store(d + Lanes); a12.Store(d + 2 * Lanes); d += inPad;
        a20.Store(d); a21.Store(d + Lanes); a22.Store(d + 2 * Lanes); d += inPad;
        a30.Store(d); a31.Store(d + Lanes); a32.Store(d + 2 * Lanes); d += inPad;
        a40.Store(d); a41.Store(d + Lanes); a42.Store(d + 2 * Lanes); d += inPad;
        a50.Store(d); a51.Store(d + Lanes); a52.Store(d + 2 * Lanes); d += inPad;
        a60.Store(d); a61.Store(d + Lanes); a62.Store(d + 2 * Lanes); d += inPad;
        a70.Store(d); a71.Store(d + Lanes); a72.Store(d + 2 * Lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Block1(float* m, float* v, int tiles, int outPad, int inPad, float* du)
    {
        Vector512<float> a0 = Vector512.Load(du), a1 = Vector512.Load(du + inPad), a2 = Vector512.Load(du + 2 * inPad), a3 = Vector512.Load(du + 3 * inPad);
        Vector512<float> a4 = Vector512.Load(du + 4 * inPad), a5 = Vector512.Load(du + 5 * inPad), a6 = Vector512.Load(du + 6 * inPad), a7 = Vector512.Load(du + 7 * inPad);
        for (int t = 0; t < tiles; t++, m += outPad, v += inPad)
        {
            var x = Vector512.Load(v);
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(m[0]), x, a0); a1 = Vector512.FusedMultiplyAdd(Vector512.Create(m[1]), x, a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(m[2]), x, a2); a3 = Vector512.FusedMultiplyAdd(Vector512.Create(m[3]), x, a3);
            a4 = Vector512.FusedMultiplyAdd(Vector512.Create(m[4]), x, a4); a5 = Vector512.FusedMultiplyAdd(Vector512.Create(m[5]), x, a5);
            a6 = Vector512.FusedMultiplyAdd(Vector512.Create(m[6]), x, a6); a7 = Vector512.FusedMultiplyAdd(Vector512.Create(m[7]), x, a7);
        }
        a0.Store(du); a1.Store(du + inPad); a2.Store(du + 2 * inPad); a3.Store(du + 3 * inPad);
        a4.Store(du + 4 * inPad); a5.Store(du + 5 * inPad); a6.Store(du + 6 * inPad); a7.Store(du + 7 * inPad);
    }

    /// <summary>dg = Gᵀ (Σ_groups dU) G for every (out, in) pair, the groups added in order, the transform in double.</summary>
    static void FinishWeights(float* partials, int groups, long partialLength, int position, int cin, int cout, int inPad, float* gradWeight)
    {
        nint pAddr = (nint)partials, wAddr = (nint)gradWeight;
        // The groups into the first one, position by position, in group order.
        Restora.Core.Compute.For(Positions, xi =>
        {
            var total = new Span<float>((float*)pAddr + (long)xi * position, position);
            for (int g = 1; g < groups; g++)
                System.Numerics.Tensors.TensorPrimitives.Add(total, new ReadOnlySpan<float>((float*)pAddr + g * partialLength + (long)xi * position, position), total);
        });
        Restora.Core.Compute.For(cout, o =>
        {
            float* sums = (float*)pAddr;
            Span<double> du = stackalloc double[Positions];
            Span<double> half = stackalloc double[18];
            for (int c = 0; c < cin; c++)
            {
                long at = (long)o * inPad + c;
                for (int xi = 0; xi < Positions; xi++) du[xi] = sums[(long)xi * position + at];
                // Gᵀ dU: 3x6, then (Gᵀ dU) G: 3x3.
                for (int k = 0; k < 6; k++) GTranspose(du[k], du[6 + k], du[12 + k], du[18 + k], du[24 + k], du[30 + k], out half[k], out half[6 + k], out half[12 + k]);
                float* dst = (float*)wAddr + ((long)o * cin + c) * 9;
                for (int a = 0; a < 3; a++)
                {
                    GTranspose(half[a * 6], half[a * 6 + 1], half[a * 6 + 2], half[a * 6 + 3], half[a * 6 + 4], half[a * 6 + 5], out var w0, out var w1, out var w2);
                    dst[a * 3] = (float)w0; dst[a * 3 + 1] = (float)w1; dst[a * 3 + 2] = (float)w2;
                }
            }
        });
    }

    /// <summary>Gᵀ applied to six values: the adjoint of the weight transform's G (rows ¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙;
    /// 1/24 1/12 ⅙; 1/24 −1/12 ⅙; 0 0 1).</summary>
    static void GTranspose(double u0, double u1, double u2, double u3, double u4, double u5, out double g0, out double g1, out double g2)
    {
        g0 = u0 / 4 - (u1 + u2) / 6 + (u3 + u4) / 24;
        g1 = (u2 - u1) / 6 + (u3 - u4) / 12;
        g2 = -(u1 + u2) / 6 + (u3 + u4) / 6 + u5;
    }

    /// <summary>∂L/∂b: each channel's gradient summed plane by plane, the planes added in double in batch order.</summary>
    static void SumBias(float* gradOut, in Conv2dShape s, float* gradBias)
    {
        int plane = s.OutHeight * s.OutWidth, batch = s.Batch, channels = s.OutChannels;
        nint gAddr = (nint)gradOut, bAddr = (nint)gradBias;
        Restora.Core.Compute.For(channels, o =>
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
                sum += System.Numerics.Tensors.TensorPrimitives.Sum(new ReadOnlySpan<float>((float*)gAddr + ((long)n * channels + o) * plane, plane));
            ((float*)bAddr)[o] = (float)sum;
        });
    }

    /// <summary>Bᵀ applied to (d0..d5), as <see cref="Winograd"/>'s input transform.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void BTranspose(Vector512<float> d0, Vector512<float> d1, Vector512<float> d2, Vector512<float> d3, Vector512<float> d4, Vector512<float> d5,
        out Vector512<float> o0, out Vector512<float> o1, out Vector512<float> o2, out Vector512<float> o3, out Vector512<float> o4, out Vector512<float> o5)
    {
        var four = Vector512.Create(4f);
        o0 = Vector512.FusedMultiplyAdd(d0, four, Vector512.FusedMultiplyAdd(d2, Vector512.Create(-5f), d4));
        o1 = Vector512.FusedMultiplyAdd(d1 + d2, Vector512.Create(-4f), d3 + d4);
        o2 = Vector512.FusedMultiplyAdd(d1 - d2, four, d4 - d3);
        Vector512<float> a = d4 - d2, b = d3 - d1;
        o3 = Vector512.FusedMultiplyAdd(b, Vector512.Create(2f), a);
        o4 = Vector512.FusedMultiplyAdd(b, Vector512.Create(-2f), a);
        o5 = Vector512.FusedMultiplyAdd(d1, four, Vector512.FusedMultiplyAdd(d3, Vector512.Create(-5f), d5));
    }

    /// <summary>A applied to four values (the adjoint of the output transform Aᵀ): y0; Σy; y0−y1+y2−y3;
    /// y0+2y1+4y2+8y3; y0−2y1+4y2−8y3; y3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void ATimes(Vector512<float> y0, Vector512<float> y1, Vector512<float> y2, Vector512<float> y3,
        out Vector512<float> o0, out Vector512<float> o1, out Vector512<float> o2, out Vector512<float> o3, out Vector512<float> o4, out Vector512<float> o5)
    {
        Vector512<float> even = y0 + y2, odd = y1 + y3;
        Vector512<float> even4 = Vector512.FusedMultiplyAdd(y2, Vector512.Create(4f), y0), odd8 = Vector512.FusedMultiplyAdd(y3, Vector512.Create(8f), y1 + y1);
        o0 = y0;
        o1 = even + odd;
        o2 = even - odd;
        o3 = even4 + odd8;
        o4 = even4 - odd8;
        o5 = y3;
    }

    static int RoundUp(int a, int b) => (a + b - 1) / b * b;
}
