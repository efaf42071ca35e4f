using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// RRDBNet (ESRGAN's generator, Wang et al. 2018) in BasicSR's form: residual-in-residual dense blocks, nearest
/// upsampling ×2 twice. Scale 2 and 1 fold the input with pixel-unshuffle first, as BasicSR does. Keys conv_first,
/// body.N.rdb{1,2,3}.conv{1..5}, conv_body, conv_up1, conv_up2, conv_hr, conv_last.
/// </summary>
public sealed class RrdbNet : Module
{
    sealed class ResidualDenseBlock : Module
    {
        readonly Conv2d conv1, conv2, conv3, conv4, conv5;

        public ResidualDenseBlock(int features, int growth, Random rng)
        {
            conv1 = RegisterModule("conv1", new Conv2d(features, growth, 3, padding: 1, rng: rng));
            conv2 = RegisterModule("conv2", new Conv2d(features + growth, growth, 3, padding: 1, rng: rng));
            conv3 = RegisterModule("conv3", new Conv2d(features + 2 * growth, growth, 3, padding: 1, rng: rng));
            conv4 = RegisterModule("conv4", new Conv2d(features + 3 * growth, growth, 3, padding: 1, rng: rng));
            conv5 = RegisterModule("conv5", new Conv2d(features + 4 * growth, features, 3, padding: 1, rng: rng));
            // BasicSR's default_init_weights(scale=0.1): Kaiming normal shrunk so the 0.2-scaled residuals start small.
            foreach (var c in new[] { conv1, conv2, conv3, conv4, conv5 })
            {
                Init.KaimingNormal(c.Weight, rng: rng, nonlinearity: "relu");
                System.Numerics.Tensors.TensorPrimitives.Multiply(c.Weight.ReadOnlySpan, 0.1f, c.Weight.Span);
                c.Bias!.Span.Clear();
            }
        }

        public override Tensor Forward(Tensor x)
        {
            var x1 = F.LeakyRelu(conv1.Forward(x), 0.2f);
            var x2 = F.LeakyRelu(conv2.Forward(F.Cat([x, x1])), 0.2f);
            var x3 = F.LeakyRelu(conv3.Forward(F.Cat([x, x1, x2])), 0.2f);
            var x4 = F.LeakyRelu(conv4.Forward(F.Cat([x, x1, x2, x3])), 0.2f);
            var x5 = conv5.Forward(F.Cat([x, x1, x2, x3, x4]));
            return F.Add(F.Mul(x5, 0.2f), x);
        }
    }

    sealed class Rrdb : Module
    {
        readonly ResidualDenseBlock rdb1, rdb2, rdb3;

        public Rrdb(int features, int growth, Random rng)
        {
            rdb1 = RegisterModule("rdb1", new ResidualDenseBlock(features, growth, rng));
            rdb2 = RegisterModule("rdb2", new ResidualDenseBlock(features, growth, rng));
            rdb3 = RegisterModule("rdb3", new ResidualDenseBlock(features, growth, rng));
        }

        public override Tensor Forward(Tensor x) => F.Add(F.Mul(rdb3.Forward(rdb2.Forward(rdb1.Forward(x))), 0.2f), x);
    }

    readonly Conv2d convFirst, convBody, convUp1, convUp2, convHr, convLast;
    readonly Sequential body;
    readonly int scale;

    public RrdbNet(int channels, int features, int blocks, int growth, int scale, Random rng)
    {
        if (scale is not (1 or 2 or 4)) throw new ArgumentException($"RRDBNet supports scale 1, 2 or 4, got {scale}");
        this.scale = scale;
        int inChannels = scale == 4 ? channels : scale == 2 ? channels * 4 : channels * 16;
        convFirst = RegisterModule("conv_first", new Conv2d(inChannels, features, 3, padding: 1, rng: rng));
        body = new Sequential();
        for (int i = 0; i < blocks; i++) body.Add(new Rrdb(features, growth, rng));
        RegisterModule("body", body);
        convBody = RegisterModule("conv_body", new Conv2d(features, features, 3, padding: 1, rng: rng));
        convUp1 = RegisterModule("conv_up1", new Conv2d(features, features, 3, padding: 1, rng: rng));
        convUp2 = RegisterModule("conv_up2", new Conv2d(features, features, 3, padding: 1, rng: rng));
        convHr = RegisterModule("conv_hr", new Conv2d(features, features, 3, padding: 1, rng: rng));
        convLast = RegisterModule("conv_last", new Conv2d(features, channels, 3, padding: 1, rng: rng));
    }

    public override Tensor Forward(Tensor input)
    {
        var x = scale switch { 2 => F.PixelUnshuffle(input, 2), 1 => F.PixelUnshuffle(input, 4), _ => input };
        var feat = convFirst.Forward(x);
        feat = F.Add(feat, convBody.Forward(body.Forward(feat)));
        feat = F.LeakyRelu(convUp1.Forward(F.UpsampleNearest(feat, 2)), 0.2f);
        feat = F.LeakyRelu(convUp2.Forward(F.UpsampleNearest(feat, 2)), 0.2f);
        return convLast.Forward(F.LeakyRelu(convHr.Forward(feat), 0.2f));
    }
}
