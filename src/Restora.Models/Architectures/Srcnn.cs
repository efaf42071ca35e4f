using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// SRCNN (Dong et al. 2014) as in yjn870/SRCNN-pytorch: 9-5-5 convolutions, 64 and 32 features, on the
/// bicubic-upscaled image (keys conv1, conv2, conv3).
/// </summary>
public sealed class Srcnn : Module
{
    readonly Conv2d conv1, conv2, conv3;

    public Srcnn(int channels, Random rng)
    {
        conv1 = RegisterModule("conv1", new Conv2d(channels, 64, 9, padding: 4, rng: rng));
        conv2 = RegisterModule("conv2", new Conv2d(64, 32, 5, padding: 2, rng: rng));
        conv3 = RegisterModule("conv3", new Conv2d(32, channels, 5, padding: 2, rng: rng));
    }

    public override Tensor Forward(Tensor input) =>
        conv3.Forward(F.Relu(conv2.Forward(F.Relu(conv1.Forward(input)))));
}
