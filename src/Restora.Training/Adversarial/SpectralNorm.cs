using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Training.Adversarial;

/// <summary>
/// A convolution whose weight is divided by its largest singular value (Miyato et al. 2018), as
/// torch.nn.utils.spectral_norm computes it: the weight viewed as [out, in·kh·kw], one power iteration per training
/// forward (v = normalize(Wᵀu), u = normalize(Wv), outside the gradient), σ = uᵀWv with the gradient flowing through
/// W, weight = W/σ. Eval mode reuses the stored u and v. State keys are PyTorch's: weight_orig, weight_u, weight_v.
/// </summary>
public sealed class SpectralNormConv2d : Module
{
    const float Eps = 1e-12f;
    readonly Tensor weightOrig, u, v;
    readonly Tensor? bias;
    readonly int stride, padding;

    public SpectralNormConv2d(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true, Random? rng = null)
    {
        var conv = new Conv2d(inChannels, outChannels, kernel, stride, padding, bias: bias, rng: rng);
        weightOrig = RegisterParameter("weight_orig", conv.Weight);
        if (conv.Bias is not null) this.bias = RegisterParameter("bias", conv.Bias);
        this.stride = stride;
        this.padding = padding;
        int cols = inChannels * kernel * kernel;
        // PyTorch starts u and v as normalised standard normal draws.
        u = RegisterBuffer("weight_u", Tensor.Persistent(outChannels));
        v = RegisterBuffer("weight_v", Tensor.Persistent(cols));
        rng ??= new Random(0);
        FillNormal(u.Span, rng);
        FillNormal(v.Span, rng);
        Normalize(u.Span);
        Normalize(v.Span);
    }

    /// <summary>The normalised weight, W/σ (on the autograd tape when training).</summary>
    public Tensor Weight()
    {
        int rows = u.Length, cols = v.Length;
        var w = weightOrig.ReadOnlySpan;
        if (Training)
        {
            // v = normalize(Wᵀu), u = normalize(Wv)
            var us = u.Span;
            var vs = v.Span;
            vs.Clear();
            for (int r = 0; r < rows; r++)
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w.Slice(r * cols, cols), us[r], vs, vs);
            Normalize(vs);
            for (int r = 0; r < rows; r++) us[r] = System.Numerics.Tensors.TensorPrimitives.Dot(w.Slice(r * cols, cols), vs);
            Normalize(us);
        }
        // σ = Σ W ⊙ (u vᵀ): u and v are constants, so the gradient reaches W alone, as in PyTorch.
        var outer = Tensor.Empty([.. weightOrig.Shape]);
        var os = outer.Span;
        var uu = u.ReadOnlySpan;
        var vv = v.ReadOnlySpan;
        for (int r = 0; r < rows; r++)
            System.Numerics.Tensors.TensorPrimitives.Multiply(vv, uu[r], os.Slice(r * cols, cols));
        var sigma = F.Sum(F.Mul(weightOrig, outer));
        return F.Mul(weightOrig, F.Reciprocal(sigma));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => F.Conv2d(input, Weight(), bias, (stride, stride), (padding, padding), (1, 1), 1);

    static void Normalize(Span<float> x)
    {
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(x);
        System.Numerics.Tensors.TensorPrimitives.Divide(x, Math.Max(norm, Eps), x);
    }

    static void FillNormal(Span<float> x, Random rng)
    {
        for (int i = 0; i < x.Length; i++)
            x[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
    }
}
