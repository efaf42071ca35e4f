using Restora.Core;

namespace Restora.Training.Adversarial;

/// <summary>Hinge loss (Lim and Ye 2017; SAGAN, BigGAN): relu(1 - D(real)) + relu(1 + D(fake)); generator -D(fake).</summary>
public sealed class HingeGanLoss : GanLoss
{
    /// <inheritdoc/>
    public override string Name => "hinge";
    /// <inheritdoc/>
    public override string Description => "hinge: relu(1-D(real)) + relu(1+D(fake)); generator -D(fake) (SAGAN, BigGAN)";
    /// <inheritdoc/>
    public override Tensor Discriminator(Tensor real, Tensor fake) =>
        F.Add(F.Mean(F.Relu(F.Add(F.Mul(real, -1f), 1f))), F.Mean(F.Relu(F.Add(fake, 1f))));
    /// <inheritdoc/>
    public override Tensor Generator(Tensor real, Tensor fake) => F.Mul(F.Mean(fake), -1f);
}
