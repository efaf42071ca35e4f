using Restora.Core;

namespace Restora.Training.Adversarial;

/// <summary>
/// pix2pixHD's multi-scale discriminator: <c>scales</c> PatchGANs of the same shape, the k-th judging the images
/// average-pooled k times (3x3, stride 2, padding not counted), so coarse ones see global structure and fine ones detail.
/// </summary>
public sealed class MultiScaleDiscriminator : Discriminator
{
    /// <summary>Its registry entry.</summary>
    public static DiscriminatorInfo Info { get; } = new("multiscale", "PatchGANs at 1x, 1/2 and 1/4 scale (pix2pixHD)",
        (o, channels, rng) => new MultiScaleDiscriminator(channels, o.Int("scales", 3, 1, 5), o.Int("features", 64), o.Int("layers", 3, 1, 6),
            o.Choice("norm", "instance", "batch", "instance", "none"), rng));

    readonly List<PatchGanDiscriminator> scales = [];

    public MultiScaleDiscriminator(int channels, int count, int features, int layers, string norm, Random rng)
    {
        for (int i = 0; i < count; i++)
            scales.Add(RegisterModule($"scale{i}", new PatchGanDiscriminator(channels, features, layers, norm, rng)));
    }

    /// <inheritdoc/>
    public override int SizeMultiple => 1 << (scales.Count - 1);

    /// <inheritdoc/>
    public override DiscriminatorOutput Judge(Tensor images)
    {
        var logits = new List<Tensor>();
        var features = new List<IReadOnlyList<Tensor>>();
        var x = images;
        for (int i = 0; i < scales.Count; i++)
        {
            if (i > 0) x = F.AvgPool2d(x, 3, 2, 1, countIncludePad: false);
            var o = scales[i].Judge(x);
            logits.Add(o.Logits[0]);
            features.Add(o.Features[0]);
        }
        return new DiscriminatorOutput(logits, features);
    }
}
