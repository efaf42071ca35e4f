using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// pix2pix's U-Net generator (Isola et al. 2017; junyanz/pytorch-CycleGAN-and-pix2pix UnetGenerator): <c>depth</c>
/// 4x4 stride-2 convolutions down (LeakyReLU 0.2, normalisation after all but the outermost and innermost) and
/// 4x4 stride-2 transposed convolutions up (ReLU, normalisation, dropout as the generator's noise in the three
/// decoder blocks next to the innermost at 8f features), each decoder output concatenated with its encoder's input;
/// tanh at the end. Keys follow the reference's recursive blocks (model.model.0.weight, model.model.1.model.1.weight…),
/// so its checkpoints load. Values are 0..1 outside and -1..1 inside, as the reference trains.
/// With <c>keep_luminance</c> (not in the reference; Restora's colorizer) the input is one luminance channel, the
/// network predicts the two chroma channels of full-range YCbCr (JPEG's: Y = 0.299 R + 0.587 G + 0.114 B), and the
/// output is the RGB image with exactly the input's luminance: chroma adds colour and never changes detail. In eval
/// mode the chroma of out-of-gamut pixels is shrunk towards gray until the pixel fits in 0..1, which keeps Y exact
/// where clamping each channel would not.
/// </summary>
public sealed class Pix2PixUNet : Module, IStochasticModule
{
    // Full-range YCbCr → RGB for chroma offsets: R = Y + 1.402 Cr, B = Y + 1.772 Cb and G from Y's definition, so
    // the offsets' luminance is zero to float precision.
    const float WR = 0.299f, WG = 0.587f, WB = 0.114f;
    const float RCr = 2 * (1 - WR), BCb = 2 * (1 - WB);
    const float GCb = -WB * BCb / WG, GCr = -WR * RCr / WG;

    readonly Block model;
    readonly List<Dropout> dropouts = [];
    readonly bool keepLuminance;

    public Pix2PixUNet(int inChannels, int outChannels, int features, int depth, float dropout, string norm, bool keepLuminance, Random rng)
    {
        if (depth < 5) throw new ArgumentException($"pix2pix-unet needs depth >= 5 (the reference's five levels), got {depth}");
        if (keepLuminance && (inChannels != 1 || outChannels != 3))
            throw new ArgumentException($"keep_luminance takes 1 input channel (luminance) and gives 3 (RGB), not {inChannels} and {outChannels}");
        this.keepLuminance = keepLuminance;
        int predicted = keepLuminance ? 2 : outChannels;
        // As the reference, block L (0 outermost .. depth-1 innermost) maps W(L-1) features to W(L) and back, with
        // W(L) = f·2^min(L, 3); the 8f blocks between level 4 and the innermost carry dropout (three at depth 8).
        int Width(int level) => features * (1 << Math.Min(level, 3));
        var block = new Block(Width(depth - 2), Width(depth - 1), null, BlockRole.Innermost, 0, norm, rng, dropouts);
        for (int level = depth - 2; level >= 1; level--)
            block = new Block(Width(level - 1), Width(level), block, BlockRole.Middle, level >= 4 ? dropout : 0, norm, rng, dropouts);
        model = RegisterModule("model", new Block(predicted, features, block, BlockRole.Outermost, 0, norm, rng, dropouts, inChannels));
        SizeMultiple = 1 << depth;
    }

    /// <summary>Input sides must be multiples of 2^depth.</summary>
    public int SizeMultiple { get; }

    /// <inheritdoc/>
    public void SetNoiseSeed(ulong seed)
    {
        for (int i = 0; i < dropouts.Count; i++) dropouts[i].Seed = seed ^ ((ulong)i * 0xD1B54A32D192ED03UL);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Rank != 4 || input.Dim(2) % SizeMultiple != 0 || input.Dim(3) % SizeMultiple != 0)
            throw new ArgumentException($"pix2pix-unet needs an NCHW input with sides multiples of {SizeMultiple}, got {input.ShapeString}");
        var y = model.Forward(F.Add(F.Mul(input, 2f), -1f));
        if (!keepLuminance) return F.Add(F.Mul(y, 0.5f), 0.5f);
        // tanh's -1..1 halved is the chroma range -0.5..0.5.
        var cb = F.Mul(F.Narrow(y, 0, 1), 0.5f);
        var cr = F.Mul(F.Narrow(y, 1, 1), 0.5f);
        var rgb = F.Cat([F.Add(input, F.Mul(cr, RCr)), F.Add(input, F.Add(F.Mul(cb, GCb), F.Mul(cr, GCr))), F.Add(input, F.Mul(cb, BCb))]);
        if (!Training && !Autograd.IsEnabled) IntoGamut(input, rgb);
        return rgb;
    }

    /// <summary>Per pixel, the largest t in [0, 1] with Y + t·(chroma offsets) inside 0..1 on every channel.</summary>
    static void IntoGamut(Tensor luminance, Tensor rgb)
    {
        int n = rgb.Dim(0), plane = rgb.Dim(2) * rgb.Dim(3);
        var ys = luminance.ReadOnlySpan;
        var d = rgb.Span;
        for (int b = 0; b < n; b++)
        {
            var yb = ys.Slice(b * plane, plane);
            var r = d.Slice(b * 3 * plane, plane);
            var g = d.Slice((b * 3 + 1) * plane, plane);
            var bl = d.Slice((b * 3 + 2) * plane, plane);
            for (int i = 0; i < plane; i++)
            {
                float y = Math.Clamp(yb[i], 0f, 1f), t = 1;
                t = Limit(t, y, r[i] - y);
                t = Limit(t, y, g[i] - y);
                t = Limit(t, y, bl[i] - y);
                if (t < 1)
                {
                    r[i] = y + t * (r[i] - y);
                    g[i] = y + t * (g[i] - y);
                    bl[i] = y + t * (bl[i] - y);
                }
            }
        }

        static float Limit(float t, float y, float offset) =>
            offset > 0 && y + offset > 1 ? Math.Min(t, (1 - y) / offset)
            : offset < 0 && y + offset < 0 ? Math.Min(t, y / -offset)
            : t;
    }

    enum BlockRole { Outermost, Middle, Innermost }

    /// <summary>The reference's UnetSkipConnectionBlock: down, the inner block, up; the input concatenated to the
    /// output except at the outermost level.</summary>
    sealed class Block : Module
    {
        readonly Sequential body;
        readonly bool outermost;

        public Block(int outer, int inner, Block? submodule, BlockRole role, float dropout, string norm, Random rng, List<Dropout> dropouts, int? inputChannels = null)
        {
            outermost = role == BlockRole.Outermost;
            int input = inputChannels ?? outer;
            // The reference drops the convolutions' bias where a batch norm follows (it would be cancelled).
            bool bias = norm != "batch";
            var s = new Sequential();
            switch (role)
            {
                case BlockRole.Outermost:
                    s.Add(new Conv2d(input, inner, 4, stride: 2, padding: 1, bias: bias, rng: rng));
                    s.Add(submodule!);
                    s.Add(new ReLU());
                    s.Add(new ConvTranspose2d(inner * 2, outer, 4, stride: 2, padding: 1, rng: rng));
                    s.Add(new Tanh());
                    break;
                case BlockRole.Innermost:
                    s.Add(new LeakyReLU(0.2f));
                    s.Add(new Conv2d(input, inner, 4, stride: 2, padding: 1, bias: bias, rng: rng));
                    s.Add(new ReLU());
                    s.Add(new ConvTranspose2d(inner, outer, 4, stride: 2, padding: 1, bias: bias, rng: rng));
                    AddNorm(s, outer, norm);
                    break;
                default:
                    s.Add(new LeakyReLU(0.2f));
                    s.Add(new Conv2d(input, inner, 4, stride: 2, padding: 1, bias: bias, rng: rng));
                    AddNorm(s, inner, norm);
                    s.Add(submodule!);
                    s.Add(new ReLU());
                    s.Add(new ConvTranspose2d(inner * 2, outer, 4, stride: 2, padding: 1, bias: bias, rng: rng));
                    AddNorm(s, outer, norm);
                    if (dropout > 0)
                    {
                        var d = new Dropout(dropout);
                        dropouts.Add(d);
                        s.Add(d);
                    }
                    break;
            }
            body = RegisterModule("model", s);
        }

        static void AddNorm(Sequential s, int channels, string norm)
        {
            if (norm == "batch") s.Add(new BatchNorm2d(channels));
            else if (norm == "instance") s.Add(new InstanceNorm2d(channels));
        }

        public override Tensor Forward(Tensor input)
        {
            // Not through Sequential's in-place release: the input is still needed for the skip concatenation.
            var x = input;
            for (int i = 0; i < body.Count; i++) x = body[i].Forward(x);
            return outermost ? x : F.Cat([input, x]);
        }
    }
}

/// <summary>A network with random noise in training (dropout): the trainer seeds it per step so runs resume exactly.</summary>
public interface IStochasticModule
{
    /// <summary>Seeds every noise source for the next forward pass.</summary>
    void SetNoiseSeed(ulong seed);
}
