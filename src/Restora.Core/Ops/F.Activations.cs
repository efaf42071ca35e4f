using System.Numerics.Tensors;
using Restora.Core.Kernels;

namespace Restora.Core;

public static partial class F
{
    public static Tensor Relu(Tensor x)
    {
        var y = Tensor.Empty(x.ShapeArray);
        float[] xd = x.Data, yd = y.Data;
        Elementwise.Chunked(x.Length, (s, n) => Elementwise.Relu(xd.AsSpan(s, n), yd.AsSpan(s, n)));
        if (!Autograd.Needs(x)) return y;
        // The output is enough to know where x > 0, so x itself need not stay alive.
        return Autograd.Record(y, "relu", [x], g => Autograd.Accumulate(x, LeakyGrad(y, g, 0f)));
    }

    public static Tensor LeakyRelu(Tensor x, float negativeSlope = 0.01f)
    {
        var y = Tensor.Empty(x.ShapeArray);
        float[] xd = x.Data, yd = y.Data;
        Elementwise.Chunked(x.Length, (s, n) => Elementwise.LeakyRelu(xd.AsSpan(s, n), negativeSlope, yd.AsSpan(s, n)));
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "leaky_relu", [x], g => Autograd.Accumulate(x, LeakyGrad(x, g, negativeSlope)));
    }

    static Tensor LeakyGrad(Tensor x, Tensor g, float slope)
    {
        var gx = Tensor.Empty(x.ShapeArray);
        float[] xd = x.Data, gd = g.Data, od = gx.Data;
        Elementwise.Chunked(x.Length, (s, n) => Elementwise.LeakyReluBackward(xd.AsSpan(s, n), gd.AsSpan(s, n), slope, od.AsSpan(s, n)));
        return gx;
    }

    /// <summary>
    /// PReLU: x for x &gt; 0, a·x otherwise, with one learned slope per channel (weight of shape [C]) or one
    /// shared slope (shape [1]). Channels are axis 1.
    /// </summary>
    public static Tensor Prelu(Tensor x, Tensor weight)
    {
        if (weight.Rank != 1 || (weight.Length != 1 && (x.Rank < 2 || weight.Length != x.Dim(1))))
            throw new ArgumentException($"prelu: weight {weight.ShapeString} must be [1] or [channels] for input {x.ShapeString}");
        int channels = weight.Length == 1 ? 1 : x.Dim(1);
        int inner = x.Rank <= 2 ? 1 : x.Length / (x.Dim(0) * x.Dim(1));
        var y = Tensor.Empty(x.ShapeArray);
        var xs = x.ReadOnlySpan;
        var ys = y.Span;
        var ws = weight.ReadOnlySpan;
        int planes = x.Length / inner;
        for (int p = 0; p < planes; p++)
        {
            float a = ws[channels == 1 ? 0 : p % x.Dim(1)];
            Elementwise.LeakyRelu(xs.Slice(p * inner, inner), a, ys.Slice(p * inner, inner));
        }
        if (!Autograd.Needs(x, weight)) return y;
        return Autograd.Record(y, "prelu", [x, weight], g =>
        {
            var gs = g.ReadOnlySpan;
            var xs = x.ReadOnlySpan;
            var ws = weight.ReadOnlySpan;
            if (x.RequiresGrad)
            {
                var gx = Tensor.Empty(x.ShapeArray);
                var gxs = gx.Span;
                for (int p = 0; p < planes; p++)
                {
                    float a = ws[channels == 1 ? 0 : p % x.Dim(1)];
                    Elementwise.LeakyReluBackward(xs.Slice(p * inner, inner), gs.Slice(p * inner, inner), a, gxs.Slice(p * inner, inner));
                }
                Autograd.Accumulate(x, gx);
            }
            if (weight.RequiresGrad)
            {
                var acc = new double[weight.Length];
                for (int p = 0; p < planes; p++)
                {
                    int c = channels == 1 ? 0 : p % x.Dim(1);
                    var xp = xs.Slice(p * inner, inner);
                    var gp = gs.Slice(p * inner, inner);
                    double sum = 0;
                    for (int i = 0; i < inner; i++) if (xp[i] <= 0) sum += (double)xp[i] * gp[i];
                    acc[c] += sum;
                }
                var gw = Tensor.Empty(weight.ShapeArray);
                for (int c = 0; c < acc.Length; c++) gw.Span[c] = (float)acc[c];
                Autograd.Accumulate(weight, gw);
            }
        });
    }

    /// <summary>GELU; <paramref name="approximate"/> "tanh" selects the tanh form, as in PyTorch.</summary>
    public static Tensor Gelu(Tensor x, string approximate = "none")
    {
        bool tanh = approximate switch
        {
            "none" => false,
            "tanh" => true,
            _ => throw new ArgumentException($"gelu: approximate must be 'none' or 'tanh', got '{approximate}'"),
        };
        var y = Tensor.Empty(x.ShapeArray);
        float[] xd = x.Data, yd = y.Data;
        Elementwise.Chunked(x.Length, (s, n) => Elementwise.Gelu(xd.AsSpan(s, n), tanh, yd.AsSpan(s, n)));
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "gelu", [x], g =>
        {
            var gx = Tensor.Empty(x.ShapeArray);
            float[] xs = x.Data, gd = g.Data, od = gx.Data;
            Elementwise.Chunked(x.Length, (s, n) => Elementwise.GeluBackward(xs.AsSpan(s, n), gd.AsSpan(s, n), tanh, od.AsSpan(s, n)));
            Autograd.Accumulate(x, gx);
        });
    }

    public static Tensor Sigmoid(Tensor x)
    {
        var y = Tensor.Empty(x.ShapeArray);
        float[] xd = x.Data, yd = y.Data;
        Elementwise.Chunked(x.Length, (s, n) => TensorPrimitives.Sigmoid(xd.AsSpan(s, n), yd.AsSpan(s, n)));
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "sigmoid", [x], g =>
        {
            var gx = Tensor.Empty(x.ShapeArray);
            float[] ys = y.Data, gd = g.Data, od = gx.Data;
            Elementwise.Chunked(x.Length, (s, n) => Elementwise.SigmoidBackward(ys.AsSpan(s, n), gd.AsSpan(s, n), od.AsSpan(s, n)));
            Autograd.Accumulate(x, gx);
        });
    }

    /// <summary>
    /// softplus(x) = log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) so it neither overflows nor loses small
    /// values: binary cross-entropy on logits is softplus(-x) for "real" and softplus(x) for "fake".
    /// </summary>
    public static Tensor Softplus(Tensor x)
    {
        var y = Tensor.Empty(x.ShapeArray);
        var xs = x.ReadOnlySpan;
        var ys = y.Span;
        for (int i = 0; i < ys.Length; i++)
        {
            float v = xs[i];
            ys[i] = (float)(Math.Max(v, 0.0) + Math.Log(1 + Math.Exp(-Math.Abs((double)v))));
        }
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "softplus", [x], g =>
        {
            var gx = Tensor.Empty(x.ShapeArray);
            var xs = x.ReadOnlySpan;
            var gs = g.ReadOnlySpan;
            var gxs = gx.Span;
            for (int i = 0; i < gxs.Length; i++) gxs[i] = gs[i] / (1 + MathF.Exp(-xs[i]));
            Autograd.Accumulate(x, gx);
        });
    }

    /// <summary>1/x elementwise (spectral normalisation divides a weight by its largest singular value).</summary>
    public static Tensor Reciprocal(Tensor x)
    {
        var y = Tensor.Empty(x.ShapeArray);
        var xs = x.ReadOnlySpan;
        var ys = y.Span;
        for (int i = 0; i < ys.Length; i++) ys[i] = 1 / xs[i];
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "reciprocal", [x], g =>
        {
            var gx = Tensor.Empty(x.ShapeArray);
            var ys = y.ReadOnlySpan;
            var gs = g.ReadOnlySpan;
            var gxs = gx.Span;
            for (int i = 0; i < gxs.Length; i++) gxs[i] = -gs[i] * ys[i] * ys[i];
            Autograd.Accumulate(x, gx);
        });
    }

    public static Tensor Tanh(Tensor x)
    {
        var y = Tensor.Empty(x.ShapeArray);
        float[] xd = x.Data, yd = y.Data;
        Elementwise.Chunked(x.Length, (s, n) => TensorPrimitives.Tanh(xd.AsSpan(s, n), yd.AsSpan(s, n)));
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "tanh", [x], g =>
        {
            var gx = Tensor.Empty(x.ShapeArray);
            float[] ys = y.Data, gd = g.Data, od = gx.Data;
            Elementwise.Chunked(x.Length, (s, n) => Elementwise.TanhBackward(ys.AsSpan(s, n), gd.AsSpan(s, n), od.AsSpan(s, n)));
            Autograd.Accumulate(x, gx);
        });
    }
}
