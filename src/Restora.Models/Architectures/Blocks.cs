using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>BasicSR's ResidualBlockNoBN: x + res_scale · conv2(relu(conv1(x))); keys conv1.*, conv2.*.</summary>
public sealed class ResidualBlockNoBN : Module
{
    readonly Conv2d conv1, conv2;
    readonly float resScale;

    public ResidualBlockNoBN(int features, float resScale, Random rng)
    {
        conv1 = RegisterModule("conv1", new Conv2d(features, features, 3, padding: 1, rng: rng));
        conv2 = RegisterModule("conv2", new Conv2d(features, features, 3, padding: 1, rng: rng));
        this.resScale = resScale;
    }

    public override Tensor Forward(Tensor input)
    {
        var res = conv2.Forward(F.Relu(conv1.Forward(input)));
        if (resScale != 1f) res = F.Mul(res, resScale);
        return F.Add(input, res);
    }
}

/// <summary>
/// BasicSR's Upsample: conv(nf → 4nf) + PixelShuffle(2) per factor of two, or conv(nf → 9nf) + PixelShuffle(3);
/// a Sequential, so the convs are keys 0, 2, ….
/// </summary>
public static class SubPixelUpsample
{
    public static Sequential Create(int scale, int features, Random rng)
    {
        var m = new Sequential();
        if ((scale & (scale - 1)) == 0)
            for (int s = scale; s > 1; s /= 2)
            {
                m.Add(new Conv2d(features, 4 * features, 3, padding: 1, rng: rng));
                m.Add(new PixelShuffle(2));
            }
        else if (scale == 3)
        {
            m.Add(new Conv2d(features, 9 * features, 3, padding: 1, rng: rng));
            m.Add(new PixelShuffle(3));
        }
        else throw new ArgumentException($"scale {scale} is not supported: use 2, 3, 4, 8 or another power of two");
        return m;
    }
}

/// <summary>
/// BasicSR's EDSR/RCAN input normalisation: (x − mean) · range in, x / range + mean out. The mean is a constant,
/// not a buffer, so it is not in the state dict (as in BasicSR). Gray networks use 0.5.
/// </summary>
public sealed class MeanShift
{
    static readonly float[] DivRgbMean = [0.4488f, 0.4371f, 0.4040f];
    readonly Tensor mean;
    readonly float range;

    public MeanShift(int channels, float range)
    {
        mean = Tensor.Persistent(1, channels, 1, 1);
        for (int c = 0; c < channels; c++) mean.Span[c] = channels == 3 ? DivRgbMean[c] : 0.5f;
        this.range = range;
    }

    public Tensor Normalize(Tensor x) => F.Mul(F.Sub(x, mean), range);
    public Tensor Denormalize(Tensor x) => F.Add(F.Mul(x, 1f / range), mean);
}

/// <summary>A network whose input includes a noise-level map (FFDNet, DRUNet-style U-Net).</summary>
public interface INoiseLevelInput
{
    /// <summary>Noise level on the 0..1 scale (sigma / 255) used by <see cref="Module.Forward"/>.</summary>
    float NoiseLevel { get; set; }

    /// <summary><paramref name="sigma"/> is [N, 1, 1, 1] on the 0..1 scale, one level per sample.</summary>
    Tensor Forward(Tensor input, Tensor sigma);
}

static class NoiseMap
{
    /// <summary>[N,1,1,1] levels spread to [N,1,H,W]; a plain tensor (the map needs no gradient).</summary>
    public static Tensor Expand(Tensor sigma, int n, int h, int w)
    {
        if (sigma.Length != n) throw new ArgumentException($"noise level {sigma.ShapeString} needs one value per sample of {n}");
        var map = Tensor.Empty(n, 1, h, w);
        for (int i = 0; i < n; i++) map.Span.Slice(i * h * w, h * w).Fill(sigma.ReadOnlySpan[i]);
        return map;
    }

    public static Tensor Constant(float level, int n)
    {
        var t = Tensor.Empty(n, 1, 1, 1);
        t.Span.Fill(level);
        return t;
    }
}

/// <summary>
/// The skeleton EDSR and RCAN share in BasicSR: mean shift, conv_first, a body of blocks with conv_after_body and a
/// long skip, sub-pixel upsample, conv_last. The subclasses differ only in the blocks their body holds.
/// </summary>
public abstract class ResidualBodyNetwork : Module
{
    readonly Conv2d convFirst, convAfterBody, convLast;
    readonly Sequential body, upsample;
    readonly MeanShift shift;

    /// <param name="blocks">Makes the body's blocks; called after conv_first so weights draw from rng in
    /// BasicSR's construction order.</param>
    protected ResidualBodyNetwork(int channels, int features, int scale, Random rng, Func<IEnumerable<Module>> blocks)
    {
        shift = new MeanShift(channels, 255f);
        convFirst = RegisterModule("conv_first", new Conv2d(channels, features, 3, padding: 1, rng: rng));
        body = new Sequential();
        foreach (var block in blocks()) body.Add(block);
        RegisterModule("body", body);
        convAfterBody = RegisterModule("conv_after_body", new Conv2d(features, features, 3, padding: 1, rng: rng));
        upsample = RegisterModule("upsample", SubPixelUpsample.Create(scale, features, rng));
        convLast = RegisterModule("conv_last", new Conv2d(features, channels, 3, padding: 1, rng: rng));
    }

    public override Tensor Forward(Tensor input)
    {
        var x = convFirst.Forward(shift.Normalize(input));
        var res = F.Add(convAfterBody.Forward(body.Forward(x)), x);
        return shift.Denormalize(convLast.Forward(upsample.Forward(res)));
    }
}
