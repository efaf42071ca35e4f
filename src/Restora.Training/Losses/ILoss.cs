using Restora.Core;

namespace Restora.Training;

/// <summary>A training objective on (network output, clean target). Pixel losses are stateless functions.</summary>
public interface ILoss
{
    /// <summary>The name the loss was made by, or a description of a combination ("l1+4*mse").</summary>
    string Name { get; }

    /// <summary>The scalar loss, recorded on the autograd tape when the output requires a gradient.</summary>
    Tensor Compute(Tensor output, Tensor target);
}

/// <summary>A loss as the registry knows it: its name, what it is, and how to make one.</summary>
/// <param name="Name">The name <c>restora train --loss</c> takes.</param>
/// <param name="Description">One line for help and listings.</param>
/// <param name="Create">Makes a fresh instance (losses with state get their own).</param>
/// <param name="Aliases">Other accepted spellings.</param>
public sealed record LossInfo(string Name, string Description, Func<ILoss> Create, IReadOnlyList<string>? Aliases = null) : IRegistered
{
    IReadOnlyList<string> IRegistered.Aliases => Aliases ?? [];
}

/// <summary>A weighted sum of losses, e.g. 1·L1 + 0.01·perceptual + 0.005·adversarial (ESRGAN's recipe).</summary>
public sealed class WeightedLoss(IReadOnlyList<(ILoss Loss, float Weight)> terms) : ILoss
{
    /// <summary>The terms and their weights, in the order they are summed.</summary>
    public IReadOnlyList<(ILoss Loss, float Weight)> Terms { get; } = terms.Count > 0 ? terms : throw new ArgumentException("a weighted loss needs at least one term");

    /// <inheritdoc/>
    public string Name => string.Join("+", Terms.Select(t => t.Weight == 1 ? t.Loss.Name : $"{t.Weight}*{t.Loss.Name}"));

    /// <inheritdoc/>
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

/// <summary>Every training loss by name: one line per loss.</summary>
public static class Losses
{
    /// <summary>The registry; listing order is this order.</summary>
    public static Registry<LossInfo> Registry { get; } = new("loss",
    [
        L1Loss.Info,
        MseLoss.Info,
        CharbonnierLoss.Info,
    ]);

    /// <summary>The loss called <paramref name="name"/>; an <see cref="ArgumentException"/> naming the known ones otherwise.</summary>
    public static ILoss Create(string name) => Registry.Get(name).Create();
}
