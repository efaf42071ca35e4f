using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// FFDNet (Zhang et al. 2018) as in KAIR's network_ffdnet.FFDNet: the image is pixel-unshuffled by 2, a
/// noise-level map is appended as one more channel, a plain conv+ReLU stack runs at half resolution and a pixel
/// shuffle restores the size. Keys model.0.weight, model.2.weight, …. Height and width must be even (KAIR pads
/// by replication; callers pad). With <c>residual</c> (not in KAIR) the stack predicts the noise and the output is the
/// input minus it, DnCNN's residual learning, which trains markedly faster from scratch; the keys do not change.
/// </summary>
public sealed class FfdNet : Module, INoiseLevelInput
{
    readonly Sequential model;
    readonly bool residual;

    public FfdNet(int channels, int features, int depth, Random rng, bool residual = false)
    {
        this.residual = residual;
        if (depth < 3) throw new ArgumentException($"FFDNet needs at least 3 layers, got {depth}");
        model = new Sequential(new Conv2d(channels * 4 + 1, features, 3, padding: 1, rng: rng), new ReLU());
        for (int i = 0; i < depth - 2; i++)
        {
            model.Add(new Conv2d(features, features, 3, padding: 1, rng: rng));
            model.Add(new ReLU());
        }
        model.Add(new Conv2d(features, channels * 4, 3, padding: 1, rng: rng));
        RegisterModule("model", model);
        PlainStackInit.Apply(model, rng, residual);
    }

    public float NoiseLevel { get; set; } = 25f / 255f;

    public override Tensor Forward(Tensor input) => Forward(input, NoiseMap.Constant(NoiseLevel, input.Dim(0)));

    public Tensor Forward(Tensor input, Tensor sigma)
    {
        if (input.Rank != 4 || input.Dim(2) % 2 != 0 || input.Dim(3) % 2 != 0)
            throw new ArgumentException($"FFDNet needs an NCHW input with even height and width, got {input.ShapeString}");
        var down = F.PixelUnshuffle(input, 2);
        var map = NoiseMap.Expand(sigma, input.Dim(0), down.Dim(2), down.Dim(3));
        var output = F.PixelShuffle(model.Forward(F.Cat([down, map])), 2);
        return residual ? F.Sub(input, output) : output;
    }
}
