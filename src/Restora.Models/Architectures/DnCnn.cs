using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// DnCNN (Zhang et al. 2017) as in KAIR's network_dncnn.DnCNN: conv+ReLU, (depth−2)× conv(+BN)+ReLU, conv,
/// predicting the noise that is subtracted from the input. Keys model.0.weight, model.2.weight, … (a flat
/// Sequential; with batch norm the body layers are conv, BN, ReLU). Batch norm is off by default: KAIR's
/// act_mode 'R', which trains better at small batch sizes on a CPU.
/// </summary>
public sealed class DnCnn : Module
{
    readonly Sequential model;

    public DnCnn(int channels, int features, int depth, bool batchNorm, Random rng)
    {
        if (depth < 3) throw new ArgumentException($"DnCNN needs at least 3 layers, got {depth}");
        model = new Sequential(new Conv2d(channels, features, 3, padding: 1, rng: rng), new ReLU());
        for (int i = 0; i < depth - 2; i++)
        {
            model.Add(new Conv2d(features, features, 3, padding: 1, rng: rng));
            if (batchNorm) model.Add(new BatchNorm2d(features, eps: 1e-4f, momentum: 0.9f));
            model.Add(new ReLU());
        }
        model.Add(new Conv2d(features, channels, 3, padding: 1, rng: rng));
        RegisterModule("model", model);
        PlainStackInit.Apply(model, rng, residual: true);
    }

    public override Tensor Forward(Tensor input) => F.Sub(input, model.Forward(input));
}

/// <summary>
/// He initialisation for plain conv+ReLU stacks (DnCNN, FFDNet): PyTorch's default init leaves deep plain stacks
/// with shrinking activations, and training from it starts slower. For residual stacks (DnCNN predicts the noise)
/// the last layer is scaled near zero so the untrained network starts close to the identity.
/// </summary>
static class PlainStackInit
{
    public static void Apply(Sequential model, Random rng, bool residual)
    {
        var convs = Enumerable.Range(0, model.Count).Select(i => model[i]).OfType<Conv2d>().ToList();
        foreach (var c in convs)
        {
            Init.KaimingNormal(c.Weight, nonlinearity: "relu", rng: rng);
            c.Bias?.Span.Clear();
        }
        if (!residual) return;
        var last = convs[^1].Weight;
        System.Numerics.Tensors.TensorPrimitives.Multiply(last.ReadOnlySpan, 0.01f, last.Span);
    }
}
