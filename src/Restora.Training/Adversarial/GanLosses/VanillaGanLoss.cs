using Restora.Core;

namespace Restora.Training.Adversarial;

/// <summary>The original GAN (Goodfellow et al. 2014) with the non-saturating generator loss, on logits (SRGAN, pix2pix).</summary>
public sealed class VanillaGanLoss : GanLoss
{
    /// <inheritdoc/>
    public override string Name => "vanilla";
    /// <inheritdoc/>
    public override string Description => "binary cross-entropy on logits, non-saturating generator loss (SRGAN, pix2pix)";
    /// <inheritdoc/>
    public override Tensor Discriminator(Tensor real, Tensor fake) => F.Add(Bce(real, true), Bce(fake, false));
    /// <inheritdoc/>
    public override Tensor Generator(Tensor real, Tensor fake) => Bce(fake, true);
}
