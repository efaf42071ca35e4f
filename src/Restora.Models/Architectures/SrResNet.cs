using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// SRResNet in BasicSR's MSRResNet form (residual blocks without batch norm, leaky ReLU 0.1, pixel-shuffle
/// upsampling, plus the bilinearly upscaled input): keys conv_first, body.N.conv1/conv2, upconv1, upconv2,
/// conv_hr, conv_last.
/// </summary>
public sealed class SrResNet : Module
{
    readonly Conv2d convFirst, upconv1, convHr, convLast;
    readonly Conv2d? upconv2;
    readonly Sequential body;
    readonly int scale;

    public SrResNet(int channels, int features, int blocks, int scale, Random rng)
    {
        if (scale is not (2 or 3 or 4)) throw new ArgumentException($"SRResNet supports scale 2, 3 or 4, got {scale}");
        this.scale = scale;
        convFirst = RegisterModule("conv_first", new Conv2d(channels, features, 3, padding: 1, rng: rng));
        body = new Sequential();
        for (int i = 0; i < blocks; i++) body.Add(new ResidualBlockNoBN(features, 1f, rng));
        RegisterModule("body", body);
        int shuffle = scale == 4 ? 2 : scale;
        upconv1 = RegisterModule("upconv1", new Conv2d(features, features * shuffle * shuffle, 3, padding: 1, rng: rng));
        if (scale == 4) upconv2 = RegisterModule("upconv2", new Conv2d(features, features * 4, 3, padding: 1, rng: rng));
        convHr = RegisterModule("conv_hr", new Conv2d(features, features, 3, padding: 1, rng: rng));
        convLast = RegisterModule("conv_last", new Conv2d(features, channels, 3, padding: 1, rng: rng));
        // BasicSR scales the Kaiming init by 0.1 so the residual branches start small.
        foreach (var (name, p) in NamedParameters())
            if (name.EndsWith(".weight", StringComparison.Ordinal) && name != "conv_last.weight")
            {
                Init.KaimingNormal(p, rng: rng, nonlinearity: "relu");
                System.Numerics.Tensors.TensorPrimitives.Multiply(p.ReadOnlySpan, 0.1f, p.Span);
            }
            else if (name.EndsWith(".bias", StringComparison.Ordinal) && name != "conv_last.bias") p.Span.Clear();
    }

    public override Tensor Forward(Tensor input)
    {
        var feat = F.LeakyRelu(convFirst.Forward(input), 0.1f);
        var x = body.Forward(feat);
        if (scale == 4)
        {
            x = F.LeakyRelu(F.PixelShuffle(upconv1.Forward(x), 2), 0.1f);
            x = F.LeakyRelu(F.PixelShuffle(upconv2!.Forward(x), 2), 0.1f);
        }
        else x = F.LeakyRelu(F.PixelShuffle(upconv1.Forward(x), scale), 0.1f);
        x = convLast.Forward(F.LeakyRelu(convHr.Forward(x), 0.1f));
        return F.Add(x, F.UpsampleBilinear(input, scale));
    }
}
