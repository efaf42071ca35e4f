using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// EDSR (Lim et al. 2017) in BasicSR's form; the baseline is 64 features, 16 blocks, res_scale 1. Keys
/// conv_first, body.N.conv1/conv2, conv_after_body, upsample.0/2, conv_last.
/// </summary>
public sealed class Edsr : Module
{
    readonly Conv2d convFirst, convAfterBody, convLast;
    readonly Sequential body, upsample;
    readonly MeanShift shift;

    public Edsr(int channels, int features, int blocks, int scale, float resScale, Random rng)
    {
        shift = new MeanShift(channels, 255f);
        convFirst = RegisterModule("conv_first", new Conv2d(channels, features, 3, padding: 1, rng: rng));
        body = new Sequential();
        for (int i = 0; i < blocks; i++) body.Add(new ResidualBlockNoBN(features, resScale, rng));
        RegisterModule("body", body);
        convAfterBody = RegisterModule("conv_after_body", new Conv2d(features, features, 3, padding: 1, rng: rng));
        upsample = RegisterModule("upsample", SubPixelUpsample.Create(scale, features, rng));
        convLast = RegisterModule("conv_last", new Conv2d(features, channels, 3, padding: 1, rng: rng));
    }

    public override Tensor Forward(Tensor input)
    {
        var x = convFirst.Forward(shift.Normalize(input));
        var res = F.Add(convAfterBody.Forward(body.Forward(x)), x);
        return shift.Denormalize(convLast.Forward(upsample.Forward(res)));
    }
}
