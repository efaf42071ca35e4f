using Restora.Core;

namespace Restora.Training.Adversarial;

/// <summary>
/// Relativistic average GAN (Jolicoeur-Martineau 2018) as ESRGAN trains with it: the discriminator judges whether a
/// real image is more realistic than the average fake and the reverse; each side's loss is the mean of the two
/// cross-entropies (BasicSR's ESRGANModel).
/// </summary>
public sealed class RelativisticGanLoss : GanLoss
{
    /// <inheritdoc/>
    public override string Name => "ragan";
    /// <inheritdoc/>
    public override IReadOnlyList<string> Aliases => ["relativistic"];
    /// <inheritdoc/>
    public override string Description => "relativistic average: real vs the mean fake and fake vs the mean real (ESRGAN)";

    /// <inheritdoc/>
    public override Tensor Discriminator(Tensor real, Tensor fake) =>
        F.Mul(F.Add(Bce(F.Sub(real, F.Mean(Detached(fake))), true), Bce(F.Sub(fake, F.Mean(Detached(real))), false)), 0.5f);

    /// <inheritdoc/>
    public override Tensor Generator(Tensor real, Tensor fake) =>
        F.Mul(F.Add(Bce(F.Sub(real, F.Mean(fake)), false), Bce(F.Sub(fake, F.Mean(real)), true)), 0.5f);

    // BasicSR detaches the other side's mean in each term of the discriminator's loss: each term trains one side.
    static Tensor Detached(Tensor t) => Tensor.FromArray(t.ReadOnlySpan, [.. t.Shape]);
}
