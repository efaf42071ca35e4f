using Restora.Core;

namespace Restora.Core.Tests;

/// <summary>
/// Compares the tape's gradients with central finite differences. The scalar being differentiated is
/// Σ f(x)ᵢ·rᵢ for a fixed random r, summed in double, so every output element and every input element is checked.
/// </summary>
public static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-2, double atol = 3e-3, double rtol = 1e-2, int seed = 7)
    {
        foreach (var x in inputs)
        {
            x.RequiresGrad = true;
            x.Grad = null;
        }
        var y = f(inputs);
        var rng = new Random(seed);
        var r = new double[y.Length];
        for (int i = 0; i < r.Length; i++) r[i] = rng.NextDouble() * 2 - 1;
        var rt = Tensor.Empty(y.ShapeArray);
        for (int i = 0; i < r.Length; i++) rt.Span[i] = (float)r[i];
        y.Backward(rt);

        double Loss()
        {
            using var _ = Autograd.NoGrad();
            using var yy = f(inputs);
            Assert.True(yy.IsLeaf, "an op recorded a tape entry under NoGrad");
            double s = 0;
            var ys = yy.ReadOnlySpan;
            for (int i = 0; i < ys.Length; i++) s += ys[i] * (double)(float)r[i];
            return s;
        }

        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            Assert.True(x.Grad is not null, $"input {k} {x.ShapeString} got no gradient");
            var analytic = x.Grad!.ToArray();
            var xs = x.Data;
            for (int i = 0; i < x.Length; i++)
            {
                float orig = xs[i];
                xs[i] = (float)(orig + eps);
                double plus = Loss();
                xs[i] = (float)(orig - eps);
                double minus = Loss();
                xs[i] = orig;
                double numeric = (plus - minus) / ((double)(float)(orig + eps) - (float)(orig - eps));
                double err = Math.Abs(analytic[i] - numeric);
                Assert.True(err <= atol + rtol * Math.Abs(numeric),
                    $"input {k} {x.ShapeString} element {i}: backward {analytic[i]:G6}, finite difference {numeric:G6}");
            }
        }
    }

    public static Tensor Rand(int seed, params int[] shape) => Tensor.Uniform(new Random(seed), -1, 1, shape);

    /// <summary>Random values at least <paramref name="gap"/> away from 0, so a finite-difference step never crosses a kink.</summary>
    public static Tensor RandAwayFromZero(int seed, float gap, params int[] shape)
    {
        var t = Rand(seed, shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = MathF.CopySign(gap + Math.Abs(s[i]), s[i]);
        return t;
    }
}
