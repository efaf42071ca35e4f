using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Training.Adversarial;

/// <summary>
/// SRGAN/ESRGAN's VGG-style discriminator for 128x128 images (BasicSR VGGStyleDiscriminator, same keys): five stages
/// of a 3x3 conv and a 4x4 stride-2 conv with batch norm and LeakyReLU 0.2, channels f, 2f, 4f, 8f, 8f, then dense
/// layers 8f·4·4 → 100 → 1.
/// </summary>
public sealed class VggDiscriminator : Discriminator
{
    /// <summary>Its registry entry.</summary>
    public static DiscriminatorInfo Info { get; } = new("vgg128", "VGG-style, 128x128 input, dense head (SRGAN, ESRGAN)",
        (o, channels, rng) => new VggDiscriminator(channels, o.Int("features", 64), rng));

    readonly List<(Conv2d Conv, BatchNorm2d? Norm)> layers = [];
    readonly Linear linear1, linear2;

    public VggDiscriminator(int channels, int features, Random rng)
    {
        int[] widths = [features, features * 2, features * 4, features * 8, features * 8];
        int input = channels;
        for (int stage = 0; stage < 5; stage++)
        {
            int w = widths[stage];
            var conv0 = RegisterModule($"conv{stage}_0", new Conv2d(input, w, 3, 1, 1, bias: stage == 0, rng: rng));
            var bn0 = stage == 0 ? null : RegisterModule($"bn{stage}_0", new BatchNorm2d(w));
            layers.Add((conv0, bn0));
            var conv1 = RegisterModule($"conv{stage}_1", new Conv2d(w, w, 4, 2, 1, bias: false, rng: rng));
            layers.Add((conv1, RegisterModule($"bn{stage}_1", new BatchNorm2d(w))));
            input = w;
        }
        linear1 = RegisterModule("linear1", new Linear(features * 8 * 4 * 4, 100, rng: rng));
        linear2 = RegisterModule("linear2", new Linear(100, 1, rng: rng));
    }

    /// <inheritdoc/>
    public override int? InputSize => 128;

    /// <inheritdoc/>
    public override DiscriminatorOutput Judge(Tensor images)
    {
        if (images.Dim(2) != 128 || images.Dim(3) != 128)
            throw new ArgumentException($"the vgg128 discriminator takes 128x128 images, got {images.Dim(3)}x{images.Dim(2)} (use --patch 128)");
        var features = new List<Tensor>();
        var x = images;
        foreach (var (conv, norm) in layers)
        {
            x = conv.Forward(x);
            if (norm is not null) x = norm.Forward(x);
            x = F.LeakyRelu(x, 0.2f);
            features.Add(x);
        }
        var logits = linear2.Forward(F.LeakyRelu(linear1.Forward(x), 0.2f));
        return new DiscriminatorOutput([logits], [features]);
    }
}
