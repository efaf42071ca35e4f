using Restora.Core;
using Restora.Models.Upscaling;

namespace Restora.Models.Ncnn;

/// <summary>
/// An ncnn network with its family's pre/post-processing, as the one restore pipeline sees every network: each tile
/// is padded and cropped as the family's own program does a whole image, so tiles at the image's edges see what the
/// whole image would, and inner tile edges are covered by the margin.
/// </summary>
public sealed class NcnnPipelineNetwork : ISuperResolutionNetwork
{
    /// <summary>The largest tile margin used. A dense network (RRDB's 345 convolutions in a row) reaches hundreds of
    /// pixels in theory, but what lies beyond a few dozen pixels moves no output by a level (tested on
    /// realesrgan-x4plus-anime: tiled equals whole within 1 level).</summary>
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
        // whole image: such networks run whole.
        bool global = param.Layers.Any(l => l.Type == "Pooling");
        ReceptiveRadius = global ? -1 : Math.Min(MaxMargin, Math.Max(family.Padding, Reach(param)));
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
    /// <summary>The family's multiple, for tile alignment, where the pipeline's edge replication to it is what the
    /// family's own padding would give (waifu2x); whole-image networks pad themselves (Real-CUGAN's extra rows are
    /// mirrored, not repeated).</summary>
    public int SizeMultiple => ReceptiveRadius >= 0 && Family.PadMode == NcnnPadMode.Edge ? Family.Multiple : 1;

    // Measured: Real-CUGAN x2 on 512x512 peaked at 1.2 GB (about 4.6 KB per input pixel); x4 networks hold their
    // 64-channel activations at 16 output pixels per input pixel.
    /// <inheritdoc/>
    public long PeakBytesPerInputPixel => Scale >= 4 ? 64L * 16 * 4 * 3 : 6L << 10;

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
