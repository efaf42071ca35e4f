using Restora.Core;

namespace Restora.Training;

/// <summary>
/// A training objective on (network output, clean target). Pixel losses are stateless; the seam for perceptual
/// losses is another <see cref="ILoss"/> (a frozen feature network inside Compute), and for adversarial losses
/// <see cref="IAdversarialLoss"/>, whose discriminator the trainer steps after each generator step.
/// </summary>
public interface ILoss
{
    string Name { get; }
    Tensor Compute(Tensor output, Tensor target);
}

/// <summary>A loss that trains a network of its own (a GAN discriminator) alongside the restoration network.</summary>
public interface IAdversarialLoss : ILoss
{
    /// <summary>One discriminator update on a detached output (no gradient reaches the generator).</summary>
    void StepDiscriminator(Tensor output, Tensor target);

    /// <summary>Discriminator weights and optimizer state, saved in checkpoints under the loss's name.</summary>
    IReadOnlyDictionary<string, Tensor> State();

    void LoadState(IReadOnlyDictionary<string, Tensor> state);
}

public sealed class L1Loss : ILoss
{
    public string Name => "l1";
    public Tensor Compute(Tensor output, Tensor target) => F.L1Loss(output, target);
}

public sealed class MseLoss : ILoss
{
    public string Name => "mse";
    public Tensor Compute(Tensor output, Tensor target) => F.MseLoss(output, target);
}

public sealed class CharbonnierLoss(float epsilon = 1e-3f) : ILoss
{
    public string Name => "charbonnier";
    public Tensor Compute(Tensor output, Tensor target) => F.CharbonnierLoss(output, target, epsilon);
}

/// <summary>A weighted sum of losses, e.g. 1·L1 + 0.01·perceptual + 0.005·adversarial (ESRGAN's recipe).</summary>
public sealed class WeightedLoss(IReadOnlyList<(ILoss Loss, float Weight)> terms) : ILoss
{
    public IReadOnlyList<(ILoss Loss, float Weight)> Terms { get; } = terms.Count > 0 ? terms : throw new ArgumentException("a weighted loss needs at least one term");

    public string Name => string.Join("+", Terms.Select(t => t.Weight == 1 ? t.Loss.Name : $"{t.Weight}*{t.Loss.Name}"));

    public Tensor Compute(Tensor output, Tensor target)
    {
        Tensor? total = null;
        foreach (var (loss, weight) in Terms)
        {
            var term = loss.Compute(output, target);
            if (weight != 1) term = F.Mul(term, weight);
            total = total is null ? term : F.Add(total, term);
        }
        return total!;
    }
}

public static class Losses
{
    public static readonly string[] Names = ["l1", "mse", "charbonnier"];

    public static ILoss Create(string name) => name.ToLowerInvariant() switch
    {
        "l1" => new L1Loss(),
        "mse" or "l2" => new MseLoss(),
        "charbonnier" => new CharbonnierLoss(),
        _ => throw new ArgumentException($"unknown loss '{name}' (use {string.Join(", ", Names)})"),
    };
}
