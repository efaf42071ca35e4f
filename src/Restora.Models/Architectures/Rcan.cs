using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// RCAN (Zhang et al. 2018) in BasicSR's form: residual groups of residual channel-attention blocks. Keys
/// conv_first, body.G.residual_group.B.rcab.{0,2,3.attention.1,3.attention.3}, body.G.conv, conv_after_body,
/// upsample, conv_last.
/// </summary>
public sealed class Rcan : ResidualBodyNetwork
{
    /// <summary>Squeeze-and-excitation over channels: a per-channel gate from the global mean of each plane.</summary>
    sealed class ChannelAttention : Module
    {
        readonly Sequential attention;

        public ChannelAttention(int features, int squeeze, Random rng) =>
            attention = RegisterModule("attention", new Sequential(
                new GlobalAvgPool2d(),
                new Conv2d(features, features / squeeze, 1, rng: rng), new ReLU(),
                new Conv2d(features / squeeze, features, 1, rng: rng), new Sigmoid()));

        public override Tensor Forward(Tensor input) => F.Mul(input, attention.Forward(input));
    }

    sealed class Rcab : Module
    {
        readonly Sequential rcab;
        readonly float resScale;

        public Rcab(int features, int squeeze, float resScale, Random rng)
        {
            rcab = RegisterModule("rcab", new Sequential(
                new Conv2d(features, features, 3, padding: 1, rng: rng), new ReLU(),
                new Conv2d(features, features, 3, padding: 1, rng: rng), new ChannelAttention(features, squeeze, rng)));
            this.resScale = resScale;
        }

        public override Tensor Forward(Tensor input)
        {
            var res = rcab.Forward(input);
            return F.Add(resScale == 1f ? res : F.Mul(res, resScale), input);
        }
    }

    sealed class ResidualGroup : Module
    {
        readonly Sequential residualGroup;
        readonly Conv2d conv;

        public ResidualGroup(int features, int blocks, int squeeze, float resScale, Random rng)
        {
            residualGroup = new Sequential();
            for (int i = 0; i < blocks; i++) residualGroup.Add(new Rcab(features, squeeze, resScale, rng));
            RegisterModule("residual_group", residualGroup);
            conv = RegisterModule("conv", new Conv2d(features, features, 3, padding: 1, rng: rng));
        }

        public override Tensor Forward(Tensor input) => F.Add(conv.Forward(residualGroup.Forward(input)), input);
    }

    public Rcan(int channels, int features, int groups, int blocks, int squeeze, int scale, float resScale, Random rng)
        : base(channels, Checked(features, squeeze), scale, rng,
            () => Enumerable.Range(0, groups).Select(_ => (Module)new ResidualGroup(features, blocks, squeeze, resScale, rng)).ToList())
    {
    }

    static int Checked(int features, int squeeze) => features % squeeze == 0 ? features
        : throw new ArgumentException($"RCAN: {features} features are not divisible by squeeze {squeeze}");
}
