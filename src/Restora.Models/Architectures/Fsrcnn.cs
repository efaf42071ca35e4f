using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// FSRCNN (Dong et al. 2016) as in yjn870/FSRCNN-pytorch: feature extraction d, shrink to s, m mapping layers,
/// expand, and a 9x9 transposed conv that upsamples (keys first_part, mid_part, last_part).
/// </summary>
public sealed class Fsrcnn : Module
{
    readonly Sequential firstPart, midPart;
    readonly ConvTranspose2d lastPart;

    public Fsrcnn(int channels, int scale, int d, int s, int m, Random rng)
    {
        firstPart = RegisterModule("first_part", new Sequential(new Conv2d(channels, d, 5, padding: 2, rng: rng), new PReLU(d)));
        midPart = new Sequential(new Conv2d(d, s, 1, rng: rng), new PReLU(s));
        for (int i = 0; i < m; i++)
        {
            midPart.Add(new Conv2d(s, s, 3, padding: 1, rng: rng));
            midPart.Add(new PReLU(s));
        }
        midPart.Add(new Conv2d(s, d, 1, rng: rng));
        midPart.Add(new PReLU(d));
        RegisterModule("mid_part", midPart);
        lastPart = RegisterModule("last_part",
            new ConvTranspose2d(d, channels, 9, stride: scale, padding: 4, outputPadding: scale - 1, rng: rng));
    }

    public override Tensor Forward(Tensor input) => lastPart.Forward(midPart.Forward(firstPart.Forward(input)));
}
