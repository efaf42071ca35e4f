using System.Text;

namespace Restora.Core;

/// <summary>
/// A contiguous float32 tensor (NCHW for images) that knows its shape. Buffers of op results come from
/// <see cref="TensorPool"/> so that a forward pass in a loop reuses memory instead of feeding the GC;
/// disposing a tensor (or the <see cref="TensorScope"/> it was made in) hands its buffer back.
/// Parameters and gradients of leaves are plain arrays: they outlive every scope.
/// </summary>
public sealed class Tensor : IDisposable
{
    readonly int[] shape;
    float[]? data;
    readonly bool pooled;
    internal bool IsPooled => pooled;
    internal TensorScope? Owner;

    /// <summary>Number of elements (product of the shape; 1 for a 0-d scalar).</summary>
    public int Length { get; }

    /// <summary>Whether backward should compute a gradient for this tensor.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>The accumulated gradient of a leaf after <see cref="Backward"/>; null until then.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The tape entry that produced this tensor; null for leaves and for results made under NoGrad.</summary>
    internal Node? GradFn { get; set; }

    public bool IsLeaf => GradFn is null;

    Tensor(int[] shape, float[] data, bool pooled)
    {
        this.shape = shape;
        this.data = data;
        this.pooled = pooled;
        Length = ShapeLength(shape);
        if (pooled) TensorScope.Current?.Adopt(this);
    }

    // ---------- construction ----------

    /// <summary>A pooled tensor whose contents are unspecified: for kernels that overwrite every element.</summary>
    public static Tensor Empty(params int[] shape)
    {
        var s = CheckedShape(shape);
        return new Tensor(s, TensorPool.Rent(ShapeLength(s)), pooled: true);
    }

    public static Tensor Zeros(params int[] shape)
    {
        var t = Empty(shape);
        t.Span.Clear();
        return t;
    }

    public static Tensor Full(float value, params int[] shape)
    {
        var t = Empty(shape);
        t.Span.Fill(value);
        return t;
    }

    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>A pooled copy of <paramref name="values"/> with the given shape.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> values, params int[] shape)
    {
        var t = Empty(shape);
        if (values.Length != t.Length)
            throw new ArgumentException($"{values.Length} values do not fill shape {FormatShape(t.shape)} ({t.Length} elements)");
        values.CopyTo(t.Span);
        return t;
    }

    /// <summary>
    /// A tensor that owns a plain array, never the pool, and belongs to no scope: parameters, optimizer state,
    /// leaf gradients.
    /// </summary>
    public static Tensor Persistent(params int[] shape)
    {
        var s = CheckedShape(shape);
        return new Tensor(s, new float[ShapeLength(s)], pooled: false);
    }

    public static Tensor PersistentFrom(ReadOnlySpan<float> values, params int[] shape)
    {
        var t = Persistent(shape);
        if (values.Length != t.Length)
            throw new ArgumentException($"{values.Length} values do not fill shape {FormatShape(t.shape)} ({t.Length} elements)");
        values.CopyTo(t.Span);
        return t;
    }

    /// <summary>Uniform in [low, high) from a seeded generator, for tests and initialization.</summary>
    public static Tensor Uniform(Random rng, float low, float high, params int[] shape)
    {
        var t = Empty(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = low + (high - low) * (float)rng.NextDouble();
        return t;
    }

    // ---------- shape ----------

    public int Rank => shape.Length;
    public IReadOnlyList<int> Shape => shape;
    public int Dim(int axis) => shape[axis < 0 ? axis + shape.Length : axis];
    internal int[] ShapeArray => shape;
    public string ShapeString => FormatShape(shape);

    public bool SameShape(Tensor other) => shape.AsSpan().SequenceEqual(other.shape);

    // ---------- data ----------

    public Span<float> Span => Data.AsSpan(0, Length);
    public ReadOnlySpan<float> ReadOnlySpan => Data.AsSpan(0, Length);

    /// <summary>The backing array; it may be longer than <see cref="Length"/> (pool buckets are powers of two).</summary>
    internal float[] Data => data ?? throw new ObjectDisposedException(nameof(Tensor),
        $"tensor {FormatShape(shape)} was disposed (its scope ended or it was disposed explicitly) and is still in use");

    public bool IsDisposed => data is null;

    public float[] ToArray() => ReadOnlySpan.ToArray();

    public float Item()
    {
        if (Length != 1) throw new InvalidOperationException($"Item() needs a one-element tensor, got {ShapeString}");
        return Data[0];
    }

    [System.Runtime.CompilerServices.IndexerName("At")]
    public float this[params int[] index]
    {
        get => Data[Offset(index)];
        set => Data[Offset(index)] = value;
    }

    int Offset(int[] index)
    {
        if (index.Length != shape.Length) throw new ArgumentException($"{index.Length} indices for a tensor of shape {ShapeString}");
        int o = 0;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)shape[i]) throw new IndexOutOfRangeException($"index {index[i]} on axis {i} of {ShapeString}");
            o = o * shape[i] + index[i];
        }
        return o;
    }

    /// <summary>A pooled copy with no autograd history.</summary>
    public Tensor Clone()
    {
        var t = Empty(shape);
        ReadOnlySpan.CopyTo(t.Span);
        return t;
    }

    /// <summary>Runs reverse-mode autograd from this tensor; see <see cref="Autograd.Backward"/>.</summary>
    public void Backward(Tensor? gradient = null) => Autograd.Backward(this, gradient);

    public void Dispose()
    {
        var d = data;
        if (d is null) return;
        data = null;
        GradFn = null;
        if (pooled) TensorPool.Return(d);
    }

    public override string ToString()
    {
        var sb = new StringBuilder($"Tensor{ShapeString}");
        if (data is null) return sb.Append(" (disposed)").ToString();
        sb.Append(" [");
        int n = Math.Min(Length, 8);
        for (int i = 0; i < n; i++) sb.Append(i == 0 ? "" : ", ").Append(data[i].ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
        if (Length > n) sb.Append(", …");
        return sb.Append(']').ToString();
    }

    // ---------- helpers ----------

    public static string FormatShape(ReadOnlySpan<int> s)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < s.Length; i++) sb.Append(i == 0 ? "" : ", ").Append(s[i]);
        return sb.Append(']').ToString();
    }

    internal static int ShapeLength(ReadOnlySpan<int> s)
    {
        long n = 1;
        foreach (var d in s) n *= d;
        return checked((int)n);
    }

    static int[] CheckedShape(int[] shape)
    {
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"negative size in shape {FormatShape(shape)}");
        return (int[])shape.Clone();
    }
}
