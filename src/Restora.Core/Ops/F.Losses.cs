namespace Restora.Core;

public static partial class F
{
    /// <summary>
    /// Charbonnier loss, mean of √((x − y)² + ε²): a differentiable L1 that is smooth at zero (Lai et al. 2017).
    /// Written as BasicSR's CharbonnierLoss with eps = ε² (BasicSR's default ε² is 1e-12; restoration papers
    /// commonly use ε = 1e-3).
    /// </summary>
    public static Tensor CharbonnierLoss(Tensor input, Tensor target, float epsilon = 1e-3f)
    {
        if (!input.SameShape(target)) throw new ArgumentException($"charbonnier_loss: input {input.ShapeString} and target {target.ShapeString} differ");
        double eps2 = (double)epsilon * epsilon;
        double acc = 0;
        var a = input.ReadOnlySpan;
        var b = target.ReadOnlySpan;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            acc += Math.Sqrt(d * d + eps2);
        }
        var y = Tensor.Full((float)(acc / a.Length), []);
        if (!Autograd.Needs(input, target)) return y;
        return Autograd.Record(y, "charbonnier_loss", [input, target], g =>
        {
            float k = g.Item() / input.Length;
            float e2 = (float)eps2;
            var gi = Tensor.Empty(input.ShapeArray);
            var s = gi.Span;
            var ia = input.ReadOnlySpan;
            var ta = target.ReadOnlySpan;
            // d/dx √(d² + ε²) = d / √(d² + ε²)
            for (int i = 0; i < s.Length; i++)
            {
                float d = ia[i] - ta[i];
                s[i] = k * d / MathF.Sqrt(d * d + e2);
            }
            AccumulateDifferenceGradient(input, target, gi);
        });
    }

    /// <summary>
    /// Huber loss, mean over all elements (torch.nn.functional.huber_loss): ½d² where |d| &lt; δ, else δ(|d| − ½δ),
    /// d = input − target. Quadratic near zero and linear beyond δ, so a few large errors (a value-learning target
    /// far off early in RL training) pull with a bounded gradient. With δ = 1 it equals smooth_l1_loss (β = 1).
    /// </summary>
    public static Tensor HuberLoss(Tensor input, Tensor target, float delta = 1f)
    {
        if (!input.SameShape(target)) throw new ArgumentException($"huber_loss: input {input.ShapeString} and target {target.ShapeString} differ");
        if (!(delta > 0)) throw new ArgumentException($"huber_loss: delta must be positive, got {delta}");
        double acc = 0;
        var a = input.ReadOnlySpan;
        var b = target.ReadOnlySpan;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i], ad = Math.Abs(d);
            acc += ad < delta ? 0.5 * d * d : delta * (ad - 0.5 * delta);
        }
        var y = Tensor.Full((float)(acc / a.Length), []);
        if (!Autograd.Needs(input, target)) return y;
        return Autograd.Record(y, "huber_loss", [input, target], g =>
        {
            float k = g.Item() / input.Length;
            var gi = Tensor.Empty(input.ShapeArray);
            var s = gi.Span;
            var ia = input.ReadOnlySpan;
            var ta = target.ReadOnlySpan;
            // d/dd: d inside the quadratic part, ±δ outside, i.e. d clamped to [−δ, δ] (PyTorch's backward too).
            for (int i = 0; i < s.Length; i++) s[i] = k * Math.Clamp(ia[i] - ta[i], -delta, delta);
            AccumulateDifferenceGradient(input, target, gi);
        });
    }

    /// <summary>The backward of a loss of d = input − target: <paramref name="gradInput"/> to the input, its negation to
    /// the target when the target takes a gradient (a discriminator's features, a second network's output).</summary>
    static void AccumulateDifferenceGradient(Tensor input, Tensor target, Tensor gradInput)
    {
        if (target.RequiresGrad)
        {
            var gt = Tensor.Empty(target.ShapeArray);
            System.Numerics.Tensors.TensorPrimitives.Negate(gradInput.ReadOnlySpan, gt.Span);
            Autograd.Accumulate(target, gt);
        }
        Autograd.Accumulate(input, gradInput);
    }
}
