using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// ESPCN (Shi et al. 2016) as in yjn870/ESPCN-pytorch: two tanh conv layers at low resolution, then a conv to
/// channels·scale² and a pixel shuffle (keys first_part.0, first_part.2, last_part.0).
/// </summary>
public sealed class Espcn : Module
{
    readonly Sequential firstPart, lastPart;

    public Espcn(int channels, int scale, Random rng)
    {
        firstPart = RegisterModule("first_part", new Sequential(
            new Conv2d(channels, 64, 5, padding: 2, rng: rng), new Tanh(),
            new Conv2d(64, 32, 3, padding: 1, rng: rng), new Tanh()));
        lastPart = RegisterModule("last_part", new Sequential(
            new Conv2d(32, channels * scale * scale, 3, padding: 1, rng: rng), new PixelShuffle(scale)));
    }

    public override Tensor Forward(Tensor input) => lastPart.Forward(firstPart.Forward(input));
}
