using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// A residual U-Net in the form of KAIR's network_unet.UNetRes (DRUNet's backbone): four scales with features
/// f, 2f, 4f, 8f, residual blocks (conv-ReLU-conv, no bias) at each, 2x2 stride-2 convs down and 2x2 transposed
/// convs up, skip connections by addition. Keys m_head.weight, m_down1.N.res.{0,2}.weight, m_down1.{blocks}.weight,
/// m_body…, m_up3.0.weight, m_up3.N.res…, m_tail.weight. KAIR defaults are features 64, blocks 4; ours are smaller
/// for CPU training. With noise_map the input gets DRUNet's extra noise-level channel. With <c>residual</c> (not in
/// KAIR) the tail predicts the correction and the output is the input plus it, with the tail started near zero so
/// the untrained network is the identity: from scratch on a CPU budget that trains much faster, as DnCNN's residual
/// learning does; the keys do not change. Sizes must be multiples of 8.
/// </summary>
public sealed class UNet : Module, INoiseLevelInput
{
    sealed class ResBlock : Module, IConsumesInput
    {
        readonly Sequential res;

        public ResBlock(int features, Random rng) =>
            res = RegisterModule("res", new Sequential(
                new Conv2d(features, features, 3, padding: 1, bias: false, rng: rng), new ReLU(),
                new Conv2d(features, features, 3, padding: 1, bias: false, rng: rng)));

        public override Tensor Forward(Tensor input) => Forward(input, consumeInput: false);

        /// <summary>conv-ReLU-conv plus the input, with the ReLU and the addition fused into the convs in inference;
        /// with <paramref name="consumeInput"/> the output may be written over the input, which the caller gives up.</summary>
        public Tensor Forward(Tensor input, bool consumeInput)
        {
            var hidden = ((Conv2d)res[0]).Forward(input, ConvEpilogue.Relu);
            var output = ((Conv2d)res[2]).Forward(hidden, ConvEpilogue.None, residual: input, overwriteResidual: consumeInput);
            Inference.Release(hidden);
            if (consumeInput && output != input) Inference.Release(input);
            return output;
        }
    }

    readonly Conv2d head, tail;
    readonly Sequential down1, down2, down3, body, up3, up2, up1;
    readonly bool noiseMap, residual;

    public UNet(int channels, int features, int blocks, bool noiseMap, Random rng, bool residual = false)
    {
        this.noiseMap = noiseMap;
        this.residual = residual;
        int[] nc = [features, features * 2, features * 4, features * 8];
        head = RegisterModule("m_head", new Conv2d(channels + (noiseMap ? 1 : 0), nc[0], 3, padding: 1, bias: false, rng: rng));
        down1 = RegisterModule("m_down1", Down(nc[0], nc[1], blocks, rng));
        down2 = RegisterModule("m_down2", Down(nc[1], nc[2], blocks, rng));
        down3 = RegisterModule("m_down3", Down(nc[2], nc[3], blocks, rng));
        body = new Sequential();
        for (int i = 0; i < blocks; i++) body.Add(new ResBlock(nc[3], rng));
        RegisterModule("m_body", body);
        up3 = RegisterModule("m_up3", Up(nc[3], nc[2], blocks, rng));
        up2 = RegisterModule("m_up2", Up(nc[2], nc[1], blocks, rng));
        up1 = RegisterModule("m_up1", Up(nc[1], nc[0], blocks, rng));
        tail = RegisterModule("m_tail", new Conv2d(nc[0], channels, 3, padding: 1, bias: false, rng: rng));
        if (residual) System.Numerics.Tensors.TensorPrimitives.Multiply(tail.Weight.ReadOnlySpan, 0.01f, tail.Weight.Span);
    }

    static Sequential Down(int from, int to, int blocks, Random rng)
    {
        var s = new Sequential();
        for (int i = 0; i < blocks; i++) s.Add(new ResBlock(from, rng));
        return s.Add(new Conv2d(from, to, 2, stride: 2, bias: false, rng: rng));
    }

    static Sequential Up(int from, int to, int blocks, Random rng)
    {
        var s = new Sequential(new ConvTranspose2d(from, to, 2, stride: 2, bias: false, rng: rng));
        for (int i = 0; i < blocks; i++) s.Add(new ResBlock(to, rng));
        return s;
    }

    public float NoiseLevel { get; set; } = 25f / 255f;

    public override Tensor Forward(Tensor input) =>
        noiseMap ? Forward(input, NoiseMap.Constant(NoiseLevel, input.Dim(0))) : Run(input, input);

    public Tensor Forward(Tensor input, Tensor sigma) =>
        noiseMap ? Run(F.Cat([input, NoiseMap.Expand(sigma, input.Dim(0), input.Dim(2), input.Dim(3))]), input) : Run(input, input);

    Tensor Run(Tensor x0, Tensor image)
    {
        if (x0.Rank != 4 || x0.Dim(2) % 8 != 0 || x0.Dim(3) % 8 != 0)
            throw new ArgumentException($"U-Net needs an NCHW input with height and width multiples of 8, got {x0.ShapeString}");
        var x1 = head.Forward(x0);
        if (x0 != image) Inference.Release(x0);
        var x2 = down1.Forward(x1);
        var x3 = down2.Forward(x2);
        var x4 = down3.Forward(x3);
        var x = body.Forward(x4);
        x = Up(up3, x, x4);
        x = Up(up2, x, x3);
        x = Up(up1, x, x2);
        var sum = Inference.Sum(x, x1);
        var output = tail.Forward(sum, ConvEpilogue.None, residual: residual ? image : null);
        Inference.Release(sum);
        return output;
    }

    /// <summary>The decoder step: the skip connection added, then upsampled; in inference each activation is given
    /// back to the pool as soon as it has been read, so a 2K image needs a few activations' memory, not all of them.</summary>
    static Tensor Up(Sequential up, Tensor x, Tensor skip)
    {
        var sum = Inference.Sum(x, skip);
        var y = up.Forward(sum);
        Inference.Release(sum);
        return y;
    }
}
