using Restora.Core;

namespace Restora.Training;

/// <summary>Mean absolute error: the loss EDSR and most restoration networks train with (sharper than MSE).</summary>
public sealed class L1Loss : ILoss
{
    /// <summary>Its registry entry.</summary>
    public static LossInfo Info { get; } = new("l1", "mean absolute error (EDSR, DRUNet; the default)", () => new L1Loss());
    /// <inheritdoc/>
    public string Name => "l1";
    /// <inheritdoc/>
    public Tensor Compute(Tensor output, Tensor target) => F.L1Loss(output, target);
}
