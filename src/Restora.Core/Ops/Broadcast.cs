using System.Numerics.Tensors;

namespace Restora.Core;

internal enum BinaryOp { Add, Sub, Mul, Div, TakeB }

/// <summary>
/// NumPy broadcasting for binary ops and its adjoint, summing a gradient back to an input's shape.
/// Adjacent axes that broadcast the same way are merged first, so a per-channel [1,C,1,1] weight on an
/// NCHW tensor becomes rows of H·W elements that each see one scalar: TensorPrimitives does the rows.
/// </summary>
internal static class Broadcast
{
    public static int[] Shape(Tensor a, Tensor b, string op)
    {
        var sa = a.ShapeArray;
        var sb = b.ShapeArray;
        int r = Math.Max(sa.Length, sb.Length);
        var s = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - sa.Length) >= 0 ? sa[i - (r - sa.Length)] : 1;
            int db = i - (r - sb.Length) >= 0 ? sb[i - (r - sb.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op}: shapes {a.ShapeString} and {b.ShapeString} do not broadcast");
            s[i] = da == 1 ? db : da;
        }
        return s;
    }

    /// <summary>Strides of a contiguous tensor of shape <paramref name="src"/> seen as <paramref name="dst"/>-shaped (0 on broadcast axes).</summary>
    static long[] Strides(int[] src, int[] dst)
    {
        var st = new long[dst.Length];
        long s = 1;
        for (int i = dst.Length - 1; i >= 0; i--)
        {
            int j = i - (dst.Length - src.Length);
            int d = j >= 0 ? src[j] : 1;
            st[i] = d == 1 && dst[i] != 1 ? 0 : s;
            s *= d;
        }
        return st;
    }

    /// <summary>Merges adjacent axes that are contiguous in every operand; drops size-1 axes.</summary>
    static (int[] shape, long[] sa, long[] sb) Coalesce(int[] shape, long[] sa, long[] sb)
    {
        var ds = new List<int>();
        var la = new List<long>();
        var lb = new List<long>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] == 1) continue;
            int k = ds.Count - 1;
            if (k >= 0 && la[k] == sa[i] * shape[i] && lb[k] == sb[i] * shape[i])
            {
                ds[k] *= shape[i];
                la[k] = sa[i];
                lb[k] = sb[i];
            }
            else
            {
                ds.Add(shape[i]);
                la.Add(sa[i]);
                lb.Add(sb[i]);
            }
        }
        if (ds.Count == 0) { ds.Add(1); la.Add(0); lb.Add(0); }
        return ([.. ds], [.. la], [.. lb]);
    }

    /// <summary>dst = a op b with broadcasting; dst has the broadcast shape.</summary>
    public static void Binary(BinaryOp op, Tensor a, Tensor b, Tensor dst)
    {
        if (dst.Length == 0) return;
        var ad = a.Data; var bd = b.Data; var dd = dst.Data;
        if (a.SameShape(b) && a.Length == dst.Length)
        {
            Kernels.Elementwise.Chunked(dst.Length, (s, n) => Row(op, ad.AsSpan(s, n), 1, bd.AsSpan(s, n), 1, dd.AsSpan(s, n)));
            return;
        }
        var (shape, sa, sb) = Coalesce(dst.ShapeArray, Strides(a.ShapeArray, dst.ShapeArray), Strides(b.ShapeArray, dst.ShapeArray));
        int r = shape.Length, w = shape[r - 1];
        int rows = dst.Length / w;
        long ia = sa[r - 1], ib = sb[r - 1];
        Kernels.Elementwise.Chunked(rows, (start, count) =>
        {
            for (int row = start; row < start + count; row++)
            {
                long oa = 0, ob = 0;
                int rem = row;
                for (int ax = r - 2; ax >= 0; ax--)
                {
                    int idx = rem % shape[ax];
                    rem /= shape[ax];
                    oa += idx * sa[ax];
                    ob += idx * sb[ax];
                }
                Row(op, ad.AsSpan((int)oa, ia == 0 ? 1 : w), ia, bd.AsSpan((int)ob, ib == 0 ? 1 : w), ib, dd.AsSpan(row * w, w));
            }
        });
    }

    static void Row(BinaryOp op, ReadOnlySpan<float> a, long ia, ReadOnlySpan<float> b, long ib, Span<float> d)
    {
        if (ia != 0 && ib != 0)
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(a, b, d); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, d); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(a, b, d); break;
                case BinaryOp.Div: TensorPrimitives.Divide(a, b, d); break;
                default: b.CopyTo(d); break;
            }
        else if (ib != 0)
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(b, a[0], d); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(a[0], b, d); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(b, a[0], d); break;
                case BinaryOp.Div: TensorPrimitives.Divide(a[0], b, d); break;
                default: b.CopyTo(d); break;
            }
        else if (ia != 0)
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(a, b[0], d); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(a, b[0], d); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(a, b[0], d); break;
                case BinaryOp.Div: TensorPrimitives.Divide(a, b[0], d); break;
                default: d.Fill(b[0]); break;
            }
        else
            d.Fill(op switch
            {
                BinaryOp.Add => a[0] + b[0],
                BinaryOp.Sub => a[0] - b[0],
                BinaryOp.Mul => a[0] * b[0],
                BinaryOp.Div => a[0] / b[0],
                _ => b[0],
            });
    }

    /// <summary>A pooled tensor of <paramref name="shape"/> holding <paramref name="src"/> repeated along broadcast axes.</summary>
    public static Tensor Expand(Tensor src, int[] shape)
    {
        var dst = Tensor.Empty(shape);
        Binary(BinaryOp.TakeB, dst, src, dst);
        return dst;
    }

    /// <summary>
    /// The adjoint of broadcasting: sums <paramref name="src"/> over the axes on which <paramref name="shape"/> is 1
    /// or missing. Single-threaded because different rows add into the same output.
    /// </summary>
    public static Tensor SumTo(Tensor src, int[] shape)
    {
        var dst = Tensor.Zeros(shape);
        if (dst.Length == src.Length)
        {
            src.ReadOnlySpan.CopyTo(dst.Span);
            return dst;
        }
        var srcShape = src.ShapeArray;
        var ds = Strides(shape, srcShape);
        var ss = new long[srcShape.Length];
        long st = 1;
        for (int i = srcShape.Length - 1; i >= 0; i--) { ss[i] = st; st *= srcShape[i]; }
        var (cs, cd, csrc) = Coalesce(srcShape, ds, ss);
        int r = cs.Length, w = cs[r - 1];
        int rows = src.Length / w;
        bool reduceInner = cd[r - 1] == 0;
        var sd = src.ReadOnlySpan;
        var dd = dst.Span;
        for (int row = 0; row < rows; row++)
        {
            long od = 0;
            int rem = row;
            for (int ax = r - 2; ax >= 0; ax--)
            {
                int idx = rem % cs[ax];
                rem /= cs[ax];
                od += idx * cd[ax];
            }
            var srow = sd.Slice(row * w, w);
            if (reduceInner) dd[(int)od] += TensorPrimitives.Sum(srow);
            else TensorPrimitives.Add(dd.Slice((int)od, w), srow, dd.Slice((int)od, w));
        }
        return dst;
    }
}
