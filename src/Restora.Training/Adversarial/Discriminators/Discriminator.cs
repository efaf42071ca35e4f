using Restora.Core;
using Restora.Core.Nn;
using Restora.Models.Architectures;

namespace Restora.Training.Adversarial;

/// <summary>What a discriminator says of a batch: logits per scale (one for single-scale ones) and, per scale, the
/// intermediate feature maps that feature matching compares.</summary>
public sealed record DiscriminatorOutput(IReadOnlyList<Tensor> Logits, IReadOnlyList<IReadOnlyList<Tensor>> Features);

/// <summary>A network that scores images as real or generated (logits: higher is "real").</summary>
public abstract class Discriminator : Module
{
    /// <summary>Logits and features for a batch of images (NCHW, values 0..1).</summary>
    public abstract DiscriminatorOutput Judge(Tensor images);

    /// <summary>Images must have this side exactly (the VGG-style discriminator's dense layers), or null for any size.</summary>
    public virtual int? InputSize => null;

    /// <summary>Image sides must be multiples of this.</summary>
    public virtual int SizeMultiple => 1;

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Judge(input).Logits[0];
}

/// <summary>A discriminator as the registry knows it.</summary>
/// <param name="Name">The name <c>restora train --disc</c> takes.</param>
/// <param name="Description">One line for help and listings.</param>
/// <param name="Create">Builds one for images of the given channels from its options.</param>
public sealed record DiscriminatorInfo(string Name, string Description, Func<ArchitectureOptions, int, Random, Discriminator> Create) : Restora.Core.IRegistered
{
    IReadOnlyList<string> Restora.Core.IRegistered.Aliases => [];
}

/// <summary>Every discriminator by name: one line each.</summary>
public static class Discriminators
{
    /// <summary>The registry; listing order is this order.</summary>
    public static Registry<DiscriminatorInfo> Registry { get; } = new("discriminator",
    [
        VggDiscriminator.Info,
        PatchGanDiscriminator.Info,
        MultiScaleDiscriminator.Info,
        UNetDiscriminator.Info,
    ]);

    /// <summary>Builds the discriminator called <paramref name="name"/> for images of <paramref name="channels"/>
    /// channels; options it does not read are errors.</summary>
    public static Discriminator Create(string name, ArchitectureOptions options, int channels, Random rng)
    {
        var info = Registry.Get(name);
        var d = info.Create(options, channels, rng);
        options.RejectUnused(info.Name + " discriminator");
        return d;
    }
}
