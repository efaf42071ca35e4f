using Restora.Core;
using Restora.Models.Keras;
using Restora.Models.Zoo;

namespace Restora.Models.Upscaling;

/// <summary>
/// What the one restore pipeline (<see cref="TiledUpscaler"/>) needs to know of a network, whatever its format (Keras,
/// ncnn, PyTorch, Restora's own): it takes [1, C, H, W] in <see cref="InputRange"/> and returns [1, C, H·Scale,
/// W·Scale]; C is 3 (RGB) unless <see cref="Channels"/> says 1 (a gray or Y network). Scale 1 is a same-size
/// network (denoise, deblock).
/// </summary>
public interface ISuperResolutionNetwork
{
    /// <summary>The model's name, for messages.</summary>
    string Name { get; }
    /// <summary>The enlargement; 1 for same-size networks.</summary>
    int Scale { get; }
    /// <summary>Input pixels around a pixel that can change its output; tiles overlap by this much. Negative: the
    /// network looks at the whole image (global pooling) and is never tiled.</summary>
    int ReceptiveRadius { get; }
    /// <summary>The values the network reads and writes for white: 255 or 1.</summary>
    float InputRange { get; }
    /// <summary>A rough count of activation bytes per input pixel at the peak of a forward pass, to size tiles.</summary>
    long PeakBytesPerInputPixel { get; }
    /// <summary>Multiply-adds ×2 for an input of this size; NaN where not counted.</summary>
    double Flops(int height, int width);
    /// <summary>[1, C, H, W] → [1, C, H*Scale, W*Scale], both in <see cref="InputRange"/>.</summary>
    Tensor Forward(Tensor input);

    /// <summary>Input sides must be multiples of this (pixel-unshuffle, strided convs): the pipeline pads the image's
    /// right and bottom edges by replication and aligns tiles to it.</summary>
    int SizeMultiple => 1;

    /// <summary>Tiles and margins start on multiples of this (strided layers see the same grid in every tile as in the
    /// whole image); at least <see cref="SizeMultiple"/>.</summary>
    int TileAlignment => SizeMultiple;

    /// <summary>3 for RGB networks, 1 for gray (or Y) ones.</summary>
    int Channels => 3;

    /// <summary>Channels the network returns: as many as it takes, except for translation networks (a colorizer takes
    /// 1 and returns 3).</summary>
    int OutputChannels => Channels;

    /// <summary>The tile side to use when the caller gives none; by default the largest that fits the budget.</summary>
    int AutoTile(int width, int height, long budgetBytes) => TiledUpscaler.AutoTile(this, width, height, budgetBytes);
}

/// <summary>
/// A network with global average poolings (squeeze-excitation) that can still be tiled exactly: the pipeline gathers
/// each pooling's whole-image mean over the tiles, stage by stage, and gives the means to every tile's final pass.
/// A tile's feature position f at a stage sits over tile pixel <c>(f + Offset) / PerPixel</c> (feature positions
/// per input pixel, offset in feature units), the same rule for every tile, so each whole-image position is counted
/// by exactly one tile.
/// </summary>
public interface IStagedNetwork : ISuperResolutionNetwork
{
    /// <summary>How many global poolings, in the order they run.</summary>
    int Stages { get; }

    /// <summary>The input of pooling <paramref name="stage"/> for a tile, the earlier poolings given their whole-image means.</summary>
    Tensor StageFeatures(Tensor input, IReadOnlyList<float[]> means, int stage);

    /// <summary>Where a stage's feature positions sit over the tile's pixels.</summary>
    (double PerPixel, double Offset) StageGeometry(int stage);

    /// <summary>The tile's output with every pooling given its whole-image mean.</summary>
    Tensor Forward(Tensor input, IReadOnlyList<float[]> means);
}

/// <summary>A Keras (TF.js) model on the engine: from the catalog, loaded from the model cache, or from any file.</summary>
public sealed class PretrainedNetwork : ISuperResolutionNetwork
{
    readonly KerasModel model;

    /// <summary>A catalog model; its scale must be the catalog's.</summary>
    public PretrainedNetwork(ModelInfo info, KerasModel model) : this(info.Name, model, info.InputRange)
    {
        if (model.Scale != info.Scale)
            throw new KerasFormatException($"{info.Name}: the network enlarges x{model.Scale}, the catalog says x{info.Scale}");
        Info = info;
    }

    /// <summary>Any Keras model, reading and writing <paramref name="inputRange"/> for white.</summary>
    public PretrainedNetwork(string name, KerasModel model, float inputRange)
    {
        Name = name;
        this.model = model;
        InputRange = inputRange;
    }

    /// <summary>The catalog entry, when it came from the catalog.</summary>
    public ModelInfo? Info { get; }
    /// <inheritdoc/>
    public string Name { get; }
    /// <inheritdoc/>
    public int Scale => model.Scale;
    /// <inheritdoc/>
    public int ReceptiveRadius => model.ReceptiveRadius;
    /// <inheritdoc/>
    public float InputRange { get; }
    public long PeakBytesPerInputPixel => model.PeakBytesPerInputPixel;
    public double Flops(int height, int width) => model.Flops(height, width);
    public Tensor Forward(Tensor input) => model.Forward(input);

    /// <summary>Loads a catalog model, installing its package first when it is missing.</summary>
    public static PretrainedNetwork Open(string name, ModelStore? store = null, Action<string>? log = null)
    {
        var info = ModelCatalog.Get(name);
        var folder = (store ?? ModelStore.Default()).Ensure(info, log);
        return new PretrainedNetwork(info, KerasModel.Load(folder));
    }
}
