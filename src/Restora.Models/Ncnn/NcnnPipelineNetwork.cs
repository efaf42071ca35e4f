using Restora.Core;
using Restora.Models.Upscaling;

namespace Restora.Models.Ncnn;

/// <summary>
/// An ncnn network with its family's pre/post-processing, as the one restore pipeline sees every network: each tile
/// is padded and cropped as the family's own program does a whole image, so tiles at the image's edges see what the
/// whole image would, and inner tile edges are covered by the margin.
/// </summary>
public sealed class NcnnPipelineNetwork : IStagedNetwork
{
    /// <summary>The largest tile margin used. A dense network (RRDB's 345 convolutions in a row) reaches hundreds of
    /// pixels in theory, but what lies further than this moves no output by a level. Measured on realesrgan-x4plus
    /// (96x80 of comic, 32-px tiles, against the whole image): margin 32 max 46 levels (40.9 dB), 48 max 6 levels
    /// (57.3 dB), 64 identical; realesrgan-x4plus-anime is in the tests. (Real-ESRGAN's own tiler pads 10 pixels,
    /// which is where its users' tile seams come from.)</summary>
    public const int MaxMargin = 64;

    readonly NcnnNetwork network;

    /// <param name="name">The model's name.</param>
    /// <param name="network">The loaded graph.</param>
    /// <param name="family">The family's padding and output rules.</param>
    /// <param name="paramPath">The .param file, read again for the graph's reach and pooling.</param>
    public NcnnPipelineNetwork(string name, NcnnNetwork network, NcnnFamily family, string paramPath)
    {
        Name = name;
        this.network = network;
        Family = family;
        var param = NcnnParamFile.Load(paramPath);
        // Global pooling (the squeeze-excitation of Real-CUGAN and cunet) makes every output pixel depend on the
        // whole image: the pipeline gathers the means over tiles first (IStagedNetwork). The rest of such a network
        // is made of unpadded convolutions that trim the family's padding, so twice that padding covers what a
        // pixel sees (tested: tiled equals whole within 1 level).
        Stages = network.GlobalPoolings;
        ReceptiveRadius = Stages > 0 ? 2 * family.Padding : Math.Min(MaxMargin, Math.Max(family.Padding, Reach(param)));
        Convolutions = param.Layers.Count(l => l.Type is "Convolution" or "Deconvolution");
    }

    /// <summary>The family's rules.</summary>
    public NcnnFamily Family { get; }

    /// <summary>How many convolutions the graph has (for `models info`).</summary>
    public int Convolutions { get; }

    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Scale => Family.Scale;
    /// <inheritdoc/>
    public int ReceptiveRadius { get; }
    /// <inheritdoc/>
    public float InputRange => 1;
    /// <summary>The family's multiple where the pipeline's edge replication to it is what the family's own padding
    /// would give (waifu2x upconv_7); otherwise the family pads each tile itself (Real-CUGAN's extra rows are
    /// mirrored, not repeated).</summary>
    public int SizeMultiple => Stages == 0 && Family.PadMode == NcnnPadMode.Edge ? Family.Multiple : 1;

    /// <summary>Tiles start on multiples of 4 input pixels: the deepest strided level of Real-CUGAN and cunet (two
    /// stride-2 convolutions) then sees the whole image's grid.</summary>
    public int TileAlignment => Math.Max(Family.Multiple, Stages > 0 ? 4 : 1);

    /// <inheritdoc/>
    public int Stages { get; }

    /// <inheritdoc/>
    public Tensor StageFeatures(Tensor input, IReadOnlyList<float[]> means, int stage)
    {
        using var scope = new TensorScope();
        var padded = Family.Prepare(input);
        return scope.Keep(network.Run(padded, means, stage));
    }

    /// <inheritdoc/>
    public Tensor Forward(Tensor input, IReadOnlyList<float[]> means)
    {
        using var scope = new TensorScope();
        var padded = Family.Prepare(input);
        var output = network.Run(padded, means, -1);
        padded.Dispose();
        return scope.Keep(Family.Finish(output, input));
    }

    readonly Dictionary<int, (double, double)> geometry = [];

    /// <summary>
    /// Measured on two blank tiles: a stage's feature map is n = r·(T + 2·padding) − shrink wide for a tile T wide, so
    /// feature f's centre lies over padded pixel (f + shrink/2 + 1/2)/r − 1/2, tile pixel that less the padding.
    /// </summary>
    public (double PerPixel, double Offset) StageGeometry(int stage)
    {
        lock (geometry)
        {
            if (geometry.TryGetValue(stage, out var known)) return known;
            int a = 8 * TileAlignment, b = 12 * TileAlignment;
            int na = Width(a), nb = Width(b);
            double r = (double)(nb - na) / (b - a), shrink = r * (a + 2 * Family.Padding) - na;
            var result = (r, shrink / 2 + 0.5 - r * (0.5 + Family.Padding));
            geometry[stage] = result;
            return result;
        }

        int Width(int side)
        {
            using var scope = new TensorScope();
            var blank = Tensor.Empty(1, 3, side, side);
            blank.Span.Fill(0.5f);
            return network.Run(Family.Prepare(blank), [], stage).Dim(3);
        }
    }

    // Measured: Real-CUGAN x2 on 512x512 peaked at 1.2 GB (about 4.6 KB per input pixel); x4 networks hold their
    // 64-channel activations at 16 output pixels per input pixel.
    /// <inheritdoc/>
    public long PeakBytesPerInputPixel => Scale >= 4 ? 64L * 16 * 4 * 3 : 6L << 10;

    /// <summary>
    /// The tile the pipeline uses when none is given: the memory budget's, except that a network with global pooling
    /// keeps the whole image up to three budgets, since tiling it costs a pass per squeeze-excitation stage (Real-CUGAN
    /// x2 on 512x512: 9.9 s in tiles against 3.9 s whole, 1.2 GB peak).
    /// </summary>
    public int AutoTile(int width, int height, long budgetBytes) =>
        Stages > 0 && (long)width * height * PeakBytesPerInputPixel <= 3 * budgetBytes
            ? Math.Max(width, height)
            : TiledUpscaler.AutoTile(this, width, height, budgetBytes);

    /// <inheritdoc/>
    public double Flops(int height, int width) => double.NaN;

    /// <inheritdoc/>
    public Tensor Forward(Tensor input)
    {
        using var scope = new TensorScope();
        var padded = Family.Prepare(input);
        var output = network.Run(padded);
        padded.Dispose();
        return scope.Keep(Family.Finish(output, input));
    }

    /// <summary>The longest chain of convolution reach (half the kernel times the dilation) from input to output, in
    /// the graph's own pixels: an upper bound on how far an output pixel sees.</summary>
    static int Reach(NcnnParamFile param)
    {
        var reach = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var layer in param.Layers)
        {
            int from = layer.Inputs.Length == 0 ? 0 : layer.Inputs.Max(b => reach.GetValueOrDefault(b));
            int own = layer.Type is "Convolution" or "Deconvolution"
                ? (layer.Params.Int(1, 1) - 1) / 2 * Math.Max(1, layer.Params.Int(2, 1)) : 0;
            foreach (var o in layer.Outputs) reach[o] = from + own;
        }
        return reach.Count == 0 ? 0 : reach.Values.Max();
    }
}
