using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Training.Adversarial;

/// <summary>
/// pix2pix's PatchGAN (junyanz NLayerDiscriminator, same keys model.N…): 4x4 convs, stride 2 for the first
/// <c>layers</c>, LeakyReLU 0.2, batch norm after all but the first; one logit per 70x70 patch at 3 layers.
/// </summary>
public sealed class PatchGanDiscriminator : Discriminator
{
    /// <summary>Its registry entry.</summary>
    public static DiscriminatorInfo Info { get; } = new("patchgan", "PatchGAN 70x70: a logit per overlapping patch (pix2pix)",
        (o, channels, rng) => new PatchGanDiscriminator(channels, o.Int("features", 64), o.Int("layers", 3, 1, 6),
            o.Choice("norm", "batch", "batch", "instance", "none"), rng));

    readonly Sequential model;

    public PatchGanDiscriminator(int channels, int features, int layers, string norm, Random rng)
    {
        bool bias = norm != "batch";
        var s = new Sequential(new Conv2d(channels, features, 4, 2, 1, rng: rng), new LeakyReLU(0.2f));
        int mult = 1;
        for (int n = 1; n <= layers; n++)
        {
            int previous = mult;
            mult = Math.Min(1 << n, 8);
            s.Add(new Conv2d(features * previous, features * mult, 4, n < layers ? 2 : 1, 1, bias: bias, rng: rng));
            if (norm == "batch") s.Add(new BatchNorm2d(features * mult));
            else if (norm == "instance") s.Add(new InstanceNorm2d(features * mult));
            s.Add(new LeakyReLU(0.2f));
        }
        s.Add(new Conv2d(features * mult, 1, 4, 1, 1, rng: rng));
        model = RegisterModule("model", s);
    }

    /// <inheritdoc/>
    public override DiscriminatorOutput Judge(Tensor images)
    {
        var features = new List<Tensor>();
        var x = images;
        for (int i = 0; i < model.Count; i++)
        {
            x = model[i].Forward(x);
            if (model[i] is LeakyReLU) features.Add(x);
        }
        return new DiscriminatorOutput([x], [features]);
    }
}
