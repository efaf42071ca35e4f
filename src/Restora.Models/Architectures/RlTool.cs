using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// RL-Restore's toolbox networks (Yu et al. 2018): small residual CNNs, each an expert in one distortion at one
/// severity. Three layers for the mild bands (9x9 → 32, 5x5 → 16, 5x5 → channels: about 22k parameters, as the
/// paper); eight for the severe ones (9x9 → 32, 5x5 → 16, five 5x5 16 → 16, 5x5 → channels: 54k, where the paper
/// gives about 51k without the layer shapes). ReLU between layers, the input added to the output.
/// </summary>
public sealed class RlTool : Module
{
    readonly Conv2d[] convs;

    public RlTool(int channels, int layers, Random rng)
    {
        if (layers is not (3 or 8)) throw new ArgumentException($"rl-tool: layers must be 3 or 8, got {layers}");
        var list = new List<Conv2d>
        {
            new(channels, 32, 9, padding: 4, rng: rng),
            new(32, 16, 5, padding: 2, rng: rng),
        };
        for (int i = 0; i < layers - 3; i++) list.Add(new Conv2d(16, 16, 5, padding: 2, rng: rng));
        list.Add(new Conv2d(16, channels, 5, padding: 2, rng: rng));
        convs = [.. list];
        for (int i = 0; i < convs.Length; i++) RegisterModule($"conv{i + 1}", convs[i]);
    }

    /// <summary>Input pixels around a pixel that reach it: 4 for the 9x9 conv, 2 for each 5x5.</summary>
    public static int ReceptiveRadius(int layers) => 4 + 2 * (layers - 1);

    public override Tensor Forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < convs.Length - 1; i++) x = F.Relu(convs[i].Forward(x));
        return F.Add(convs[^1].Forward(x), input);
    }
}
