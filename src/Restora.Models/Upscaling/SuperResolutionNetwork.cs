using Restora.Core;
using Restora.Models.Keras;
using Restora.Models.Zoo;

namespace Restora.Models.Upscaling;

/// <summary>What the tiler needs to know of a network that enlarges an RGB image by a whole factor.</summary>
public interface ISuperResolutionNetwork
{
    string Name { get; }
    int Scale { get; }
    /// <summary>Input pixels around a pixel that can change its output; tiles overlap by this much.</summary>
    int ReceptiveRadius { get; }
    /// <summary>The values the network reads and writes for white: 255 or 1.</summary>
    float InputRange { get; }
    /// <summary>A rough count of activation bytes per input pixel at the peak of a forward pass, to size tiles.</summary>
    long PeakBytesPerInputPixel { get; }
    double Flops(int height, int width);
    /// <summary>[1, 3, H, W] → [1, 3, H*Scale, W*Scale], both in <see cref="InputRange"/>.</summary>
    Tensor Forward(Tensor input);
}

/// <summary>A pretrained Keras model from the catalog, loaded from the model cache.</summary>
public sealed class PretrainedNetwork : ISuperResolutionNetwork
{
    readonly KerasModel model;

    public PretrainedNetwork(ModelInfo info, KerasModel model)
    {
        if (model.Scale != info.Scale)
            throw new KerasFormatException($"{info.Name}: the network enlarges x{model.Scale}, the catalog says x{info.Scale}");
        Info = info;
        this.model = model;
    }

    public ModelInfo Info { get; }
    public string Name => Info.Name;
    public int Scale => model.Scale;
    public int ReceptiveRadius => model.ReceptiveRadius;
    public float InputRange => Info.InputRange;
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
