using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// SRVGGNetCompact (Real-ESRGAN's compact network, used by realesr-general-x4v3, realesr-animevideov3 and many
/// community models): a plain stack of 3x3 convs and activations at the input resolution, the last conv widened
/// to channels·scale² and pixel-shuffled, plus the nearest-upscaled input so the stack only learns the residual.
/// Keys body.0 (first conv), body.1 (its PReLU), …, body.{2·convs+2} (last conv): the activations sit in the same
/// list, so the PReLU slopes are body.{odd}.weight. Real-ESRGAN also offers ReLU and leaky ReLU, but every released
/// model uses PReLU, and a file without slopes could not say which of the other two it was trained with.
/// </summary>
public sealed class SrVgg : Module
{
    readonly Sequential body;
    readonly int scale;

    public SrVgg(int channels, int features, int convs, int scale, Random rng)
    {
        if (scale < 1) throw new ArgumentException($"SRVGGNetCompact needs a scale of at least 1, got {scale}");
        this.scale = scale;
        body = new Sequential(new Conv2d(channels, features, 3, padding: 1, rng: rng), new PReLU(features));
        for (int i = 0; i < convs; i++)
        {
            body.Add(new Conv2d(features, features, 3, padding: 1, rng: rng));
            body.Add(new PReLU(features));
        }
        body.Add(new Conv2d(features, channels * scale * scale, 3, padding: 1, rng: rng));
        RegisterModule("body", body);
    }

    public override Tensor Forward(Tensor input)
    {
        var residual = body.Forward(input);
        if (scale > 1) residual = F.PixelShuffle(residual, scale);
        return F.Add(residual, scale > 1 ? F.UpsampleNearest(input, scale) : input);
    }
}
