using Restora.Core;

namespace Restora.Training;

/// <summary>Mean squared error, the loss PSNR measures (SRCNN, VDSR, DnCNN).</summary>
public sealed class MseLoss : ILoss
{
    /// <summary>Its registry entry; <c>l2</c> is the same loss.</summary>
    public static LossInfo Info { get; } = new("mse", "mean squared error (SRCNN, VDSR, DnCNN)", () => new MseLoss(), ["l2"]);
    /// <inheritdoc/>
    public string Name => "mse";
    /// <inheritdoc/>
    public Tensor Compute(Tensor output, Tensor target) => F.MseLoss(output, target);
}
