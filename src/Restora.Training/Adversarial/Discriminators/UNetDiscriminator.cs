using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Training.Adversarial;

/// <summary>
/// Real-ESRGAN's U-Net discriminator with spectral normalisation (UNetDiscriminatorSN, same keys): three 4x4
/// stride-2 convs down, bilinear upsampling back with skip additions, two more convs, a logit per pixel. Spectral
/// norm keeps it stable against a strong generator.
/// </summary>
public sealed class UNetDiscriminator : Discriminator
{
    /// <summary>Its registry entry.</summary>
    public static DiscriminatorInfo Info { get; } = new("unet", "U-Net with spectral norm, a logit per pixel (Real-ESRGAN)",
        (o, channels, rng) => new UNetDiscriminator(channels, o.Int("features", 64), rng));

    readonly Conv2d conv0, conv9;
    readonly SpectralNormConv2d conv1, conv2, conv3, conv4, conv5, conv6, conv7, conv8;

    public UNetDiscriminator(int channels, int f, Random rng)
    {
        conv0 = RegisterModule("conv0", new Conv2d(channels, f, 3, 1, 1, rng: rng));
        conv1 = RegisterModule("conv1", new SpectralNormConv2d(f, f * 2, 4, 2, 1, bias: false, rng: rng));
        conv2 = RegisterModule("conv2", new SpectralNormConv2d(f * 2, f * 4, 4, 2, 1, bias: false, rng: rng));
        conv3 = RegisterModule("conv3", new SpectralNormConv2d(f * 4, f * 8, 4, 2, 1, bias: false, rng: rng));
        conv4 = RegisterModule("conv4", new SpectralNormConv2d(f * 8, f * 4, 3, 1, 1, bias: false, rng: rng));
        conv5 = RegisterModule("conv5", new SpectralNormConv2d(f * 4, f * 2, 3, 1, 1, bias: false, rng: rng));
        conv6 = RegisterModule("conv6", new SpectralNormConv2d(f * 2, f, 3, 1, 1, bias: false, rng: rng));
        conv7 = RegisterModule("conv7", new SpectralNormConv2d(f, f, 3, 1, 1, bias: false, rng: rng));
        conv8 = RegisterModule("conv8", new SpectralNormConv2d(f, f, 3, 1, 1, bias: false, rng: rng));
        conv9 = RegisterModule("conv9", new Conv2d(f, 1, 3, 1, 1, rng: rng));
    }

    /// <inheritdoc/>
    public override int SizeMultiple => 8;

    /// <inheritdoc/>
    public override DiscriminatorOutput Judge(Tensor images)
    {
        if (images.Dim(2) % 8 != 0 || images.Dim(3) % 8 != 0)
            throw new ArgumentException($"the unet discriminator needs sides that are multiples of 8, got {images.ShapeString}");
        static Tensor Act(Tensor t) => F.LeakyRelu(t, 0.2f);
        var x0 = Act(conv0.Forward(images));
        var x1 = Act(conv1.Forward(x0));
        var x2 = Act(conv2.Forward(x1));
        var x3 = Act(conv3.Forward(x2));
        var x4 = F.Add(Act(conv4.Forward(F.UpsampleBilinear(x3, 2))), x2);
        var x5 = F.Add(Act(conv5.Forward(F.UpsampleBilinear(x4, 2))), x1);
        var x6 = F.Add(Act(conv6.Forward(F.UpsampleBilinear(x5, 2))), x0);
        var o7 = Act(conv7.Forward(x6));
        var o8 = Act(conv8.Forward(o7));
        var logits = conv9.Forward(o8);
        return new DiscriminatorOutput([logits], [[x0, x1, x2, x3, x4, x5, x6, o7, o8]]);
    }
}
