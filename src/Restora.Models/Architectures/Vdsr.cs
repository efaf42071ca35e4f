using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// VDSR (Kim et al. 2016) as in twtygqyy/pytorch-vdsr: 20 bias-free 3x3 layers learning the residual over the
/// bicubic-upscaled input (keys residual_layer.N.conv.weight, input.weight, output.weight).
/// </summary>
public sealed class Vdsr : Module
{
    sealed class ConvReluBlock : Module
    {
        readonly Conv2d conv;
        public ConvReluBlock(int features, Random rng) =>
            conv = RegisterModule("conv", new Conv2d(features, features, 3, padding: 1, bias: false, rng: rng));
        public override Tensor Forward(Tensor input) => F.Relu(conv.Forward(input));
    }

    readonly Sequential residualLayer;
    readonly Conv2d inputConv, outputConv;

    /// <param name="depth">All conv layers, input and output included (20 in the paper).</param>
    public Vdsr(int channels, int features, int depth, Random rng)
    {
        if (depth < 3) throw new ArgumentException($"VDSR needs at least 3 layers, got {depth}");
        residualLayer = new Sequential();
        for (int i = 0; i < depth - 2; i++) residualLayer.Add(new ConvReluBlock(features, rng));
        RegisterModule("residual_layer", residualLayer);
        inputConv = RegisterModule("input", new Conv2d(channels, features, 3, padding: 1, bias: false, rng: rng));
        outputConv = RegisterModule("output", new Conv2d(features, channels, 3, padding: 1, bias: false, rng: rng));
        // The reference draws N(0, sqrt(2 / (k·k·out))): He init on fan-out, which lets 20 plain layers train.
        foreach (var p in Parameters()) Init.KaimingNormal(p, mode: "fan_out", nonlinearity: "relu", rng: rng);
    }

    public override Tensor Forward(Tensor input) =>
        F.Add(outputConv.Forward(residualLayer.Forward(F.Relu(inputConv.Forward(input)))), input);
}
