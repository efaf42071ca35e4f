using Restora.Core;

namespace Restora.Training.Adversarial;

/// <summary>
/// An adversarial objective on the discriminator's logits. Discriminator losses are the sum of the real and fake
/// terms (as BasicSR backpropagates them); generator losses see the discriminator's logits on real images too
/// (detached), which only the relativistic loss uses.
/// </summary>
public abstract class GanLoss : Restora.Core.IRegistered
{
    /// <inheritdoc/>
    public abstract string Name { get; }
    /// <inheritdoc/>
    public virtual IReadOnlyList<string> Aliases => [];
    /// <inheritdoc/>
    public abstract string Description { get; }

    /// <summary>The discriminator's loss for its logits on real and on generated images.</summary>
    public abstract Tensor Discriminator(Tensor real, Tensor fake);

    /// <summary>The generator's loss for the discriminator's logits on its images (and, detached, on real ones).</summary>
    public abstract Tensor Generator(Tensor real, Tensor fake);

    /// <summary>Binary cross-entropy on logits against an all-true or all-false label: softplus(∓x), averaged.</summary>
    protected static Tensor Bce(Tensor logits, bool target) => F.Mean(F.Softplus(target ? F.Mul(logits, -1f) : logits));
}

/// <summary>Every GAN loss by name: one line per loss.</summary>
public static class GanLosses
{
    /// <summary>The registry; listing order is this order.</summary>
    public static Registry<GanLoss> Registry { get; } = new("GAN loss",
    [
        new VanillaGanLoss(),
        new LsGanLoss(),
        new HingeGanLoss(),
        new RelativisticGanLoss(),
    ]);

    /// <summary>The loss called <paramref name="name"/>; an <see cref="ArgumentException"/> naming the known ones otherwise.</summary>
    public static GanLoss Get(string name) => Registry.Get(name);
}
