using Restora.Core;

namespace Restora.Training.Adversarial;

/// <summary>Least-squares GAN (Mao et al. 2017): mean squared distance of the logits to 1 (real) and 0 (fake) (pix2pixHD, CycleGAN).</summary>
public sealed class LsGanLoss : GanLoss
{
    /// <inheritdoc/>
    public override string Name => "lsgan";
    /// <inheritdoc/>
    public override string Description => "least squares: (D(real)-1)^2 + D(fake)^2; generator (D(fake)-1)^2 (pix2pixHD, CycleGAN)";
    /// <inheritdoc/>
    public override Tensor Discriminator(Tensor real, Tensor fake) =>
        F.Add(F.Mean(F.Mul(F.Add(real, -1f), F.Add(real, -1f))), F.Mean(F.Mul(fake, fake)));
    /// <inheritdoc/>
    public override Tensor Generator(Tensor real, Tensor fake) => F.Mean(F.Mul(F.Add(fake, -1f), F.Add(fake, -1f)));
}
