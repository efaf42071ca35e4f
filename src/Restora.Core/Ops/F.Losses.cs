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
            if (target.RequiresGrad)
            {
                var gt = Tensor.Empty(target.ShapeArray);
                System.Numerics.Tensors.TensorPrimitives.Negate(gi.ReadOnlySpan, gt.Span);
                Autograd.Accumulate(target, gt);
            }
            Autograd.Accumulate(input, gi);
        });
    }
}
