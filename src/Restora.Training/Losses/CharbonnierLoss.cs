using Restora.Core;

namespace Restora.Training;

/// <summary>Charbonnier: a smooth L1, sqrt(d² + ε²), as LapSRN and many deblurring networks use.</summary>
public sealed class CharbonnierLoss(float epsilon = 1e-3f) : ILoss
{
    /// <summary>Its registry entry (ε = 1e-3).</summary>
    public static LossInfo Info { get; } = new("charbonnier", "smooth L1, sqrt(d^2 + 1e-6) (LapSRN)", () => new CharbonnierLoss());
    /// <inheritdoc/>
    public string Name => "charbonnier";
    /// <inheritdoc/>
    public Tensor Compute(Tensor output, Tensor target) => F.CharbonnierLoss(output, target, epsilon);
}
