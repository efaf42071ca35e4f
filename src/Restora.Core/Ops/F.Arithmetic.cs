using System.Numerics.Tensors;

namespace Restora.Core;

/// <summary>
/// Differentiable ops on <see cref="Tensor"/>s, in the spirit of <c>torch.nn.functional</c>. Every op checks
/// shapes at its boundary, writes a fresh pooled result, and records a tape entry only when a gradient is needed.
/// </summary>
public static partial class F
{
    static Tensor Binary(BinaryOp op, string name, Tensor a, Tensor b)
    {
        var y = Tensor.Empty(Broadcast.Shape(a, b, name));
        Broadcast.Binary(op, a, b, y);
        return y;
    }

    /// <summary>a + b with NumPy broadcasting.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        var y = Binary(BinaryOp.Add, "add", a, b);
        if (!Autograd.Needs(a, b)) return y;
        return Autograd.Record(y, "add", [a, b], g =>
        {
            if (a.RequiresGrad) Autograd.Accumulate(a, Broadcast.SumTo(g, a.ShapeArray));
            if (b.RequiresGrad) Autograd.Accumulate(b, Broadcast.SumTo(g, b.ShapeArray));
        });
    }

    /// <summary>a - b with NumPy broadcasting.</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        var y = Binary(BinaryOp.Sub, "sub", a, b);
        if (!Autograd.Needs(a, b)) return y;
        return Autograd.Record(y, "sub", [a, b], g =>
        {
            if (a.RequiresGrad) Autograd.Accumulate(a, Broadcast.SumTo(g, a.ShapeArray));
            if (b.RequiresGrad)
            {
                var gb = Broadcast.SumTo(g, b.ShapeArray);
                TensorPrimitives.Negate(gb.ReadOnlySpan, gb.Span);
                Autograd.Accumulate(b, gb);
            }
        });
    }

    /// <summary>a * b with NumPy broadcasting, e.g. an NCHW tensor times per-channel weights of shape [1,C,1,1].</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        var y = Binary(BinaryOp.Mul, "mul", a, b);
        if (!Autograd.Needs(a, b)) return y;
        return Autograd.Record(y, "mul", [a, b], g =>
        {
            if (a.RequiresGrad) Autograd.Accumulate(a, ProductSummedTo(g, b, a.ShapeArray));
            if (b.RequiresGrad) Autograd.Accumulate(b, ProductSummedTo(g, a, b.ShapeArray));
        });
    }

    static Tensor ProductSummedTo(Tensor g, Tensor other, int[] shape)
    {
        var full = Tensor.Empty(g.ShapeArray);
        Broadcast.Binary(BinaryOp.Mul, g, other, full);
        if (full.Length == Tensor.ShapeLength(shape) && shape.Length == full.Rank) return full;
        var r = Broadcast.SumTo(full, shape);
        full.Dispose();
        return r;
    }

    /// <summary>x * scale.</summary>
    public static Tensor Mul(Tensor x, float scale)
    {
        var y = Tensor.Empty(x.ShapeArray);
        TensorPrimitives.Multiply(x.ReadOnlySpan, scale, y.Span);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "mul_scalar", [x], g =>
        {
            var gx = Tensor.Empty(x.ShapeArray);
            TensorPrimitives.Multiply(g.ReadOnlySpan, scale, gx.Span);
            Autograd.Accumulate(x, gx);
        });
    }

    /// <summary>x + value.</summary>
    public static Tensor Add(Tensor x, float value)
    {
        var y = Tensor.Empty(x.ShapeArray);
        TensorPrimitives.Add(x.ReadOnlySpan, value, y.Span);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "add_scalar", [x], g => Autograd.Accumulate(x, g.Clone()));
    }

    /// <summary>The same data under a new shape (one axis may be -1). Copies, so the result owns its buffer.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var s = (int[])shape.Clone();
        int infer = Array.IndexOf(s, -1);
        if (infer >= 0)
        {
            int known = 1;
            for (int i = 0; i < s.Length; i++) if (i != infer) known *= s[i];
            s[infer] = known == 0 ? 0 : x.Length / known;
        }
        if (Tensor.ShapeLength(s) != x.Length)
            throw new ArgumentException($"reshape: cannot view {x.ShapeString} as {Tensor.FormatShape(shape)}");
        var y = Tensor.FromArray(x.ReadOnlySpan, s);
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, "reshape", [x], g => Autograd.Accumulate(x, Tensor.FromArray(g.ReadOnlySpan, x.ShapeArray)));
    }

    /// <summary>Sum of all elements, as a 0-d tensor.</summary>
    public static Tensor Sum(Tensor x) => Reduce(x, null, keepDim: false, mean: false);

    /// <summary>Mean of all elements, as a 0-d tensor.</summary>
    public static Tensor Mean(Tensor x) => Reduce(x, null, keepDim: false, mean: true);

    /// <summary>Sum over <paramref name="dims"/> (negative counts from the end), keeping them as size 1 if asked.</summary>
    public static Tensor Sum(Tensor x, int[] dims, bool keepDim = false) => Reduce(x, dims, keepDim, mean: false);

    public static Tensor Mean(Tensor x, int[] dims, bool keepDim = false) => Reduce(x, dims, keepDim, mean: true);

    static Tensor Reduce(Tensor x, int[]? dims, bool keepDim, bool mean)
    {
        int rank = x.Rank;
        var reduced = new bool[rank];
        if (dims is null) Array.Fill(reduced, true);
        else
            foreach (var d0 in dims)
            {
                int d = d0 < 0 ? d0 + rank : d0;
                if ((uint)d >= (uint)rank) throw new ArgumentException($"{(mean ? "mean" : "sum")}: axis {d0} out of range for {x.ShapeString}");
                reduced[d] = true;
            }
        var kept = new int[rank];
        var outShape = new List<int>();
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            kept[i] = reduced[i] ? 1 : x.Dim(i);
            if (reduced[i]) count *= x.Dim(i);
            if (!reduced[i] || keepDim) outShape.Add(kept[i]);
        }
        var s = Broadcast.SumTo(x, kept);
        float scale = mean ? 1f / count : 1f;
        if (mean) TensorPrimitives.Multiply(s.ReadOnlySpan, scale, s.Span);
        var y = Tensor.FromArray(s.ReadOnlySpan, [.. outShape]);
        s.Dispose();
        if (!Autograd.Needs(x)) return y;
        return Autograd.Record(y, mean ? "mean" : "sum", [x], g =>
        {
            using var gk = Tensor.FromArray(g.ReadOnlySpan, kept);
            var gx = Broadcast.Expand(gk, x.ShapeArray);
            if (mean) TensorPrimitives.Multiply(gx.ReadOnlySpan, scale, gx.Span);
            Autograd.Accumulate(x, gx);
        });
    }

    /// <summary>Mean squared error, mean over all elements (PyTorch's default reduction).</summary>
    public static Tensor MseLoss(Tensor input, Tensor target)
    {
        if (!input.SameShape(target)) throw new ArgumentException($"mse_loss: input {input.ShapeString} and target {target.ShapeString} differ");
        double acc = 0;
        var a = input.ReadOnlySpan;
        var b = target.ReadOnlySpan;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            acc += d * d;
        }
        var y = Tensor.Full((float)(acc / a.Length), []);
        if (!Autograd.Needs(input, target)) return y;
        return Autograd.Record(y, "mse_loss", [input, target], g =>
        {
            float k = 2f * g.Item() / input.Length;
            var gi = Tensor.Empty(input.ShapeArray);
            TensorPrimitives.Subtract(input.ReadOnlySpan, target.ReadOnlySpan, gi.Span);
            TensorPrimitives.Multiply(gi.ReadOnlySpan, k, gi.Span);
            AccumulateDifferenceGradient(input, target, gi);
        });
    }

    /// <summary>Mean absolute error; the gradient at a tie is 0, as PyTorch's sign().</summary>
    public static Tensor L1Loss(Tensor input, Tensor target)
    {
        if (!input.SameShape(target)) throw new ArgumentException($"l1_loss: input {input.ShapeString} and target {target.ShapeString} differ");
        double acc = 0;
        var a = input.ReadOnlySpan;
        var b = target.ReadOnlySpan;
        for (int i = 0; i < a.Length; i++) acc += Math.Abs(a[i] - b[i]);
        var y = Tensor.Full((float)(acc / a.Length), []);
        if (!Autograd.Needs(input, target)) return y;
        return Autograd.Record(y, "l1_loss", [input, target], g =>
        {
            float k = g.Item() / input.Length;
            var gi = Tensor.Empty(input.ShapeArray);
            var s = gi.Span;
            var ia = input.ReadOnlySpan;
            var ta = target.ReadOnlySpan;
            for (int i = 0; i < s.Length; i++) s[i] = ia[i] > ta[i] ? k : ia[i] < ta[i] ? -k : 0;
            AccumulateDifferenceGradient(input, target, gi);
        });
    }
}
