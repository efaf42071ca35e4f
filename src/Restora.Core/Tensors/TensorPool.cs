using System.Buffers;

namespace Restora.Core;

/// <summary>
/// Where op results get their buffers. A private <see cref="ArrayPool{T}"/> rather than the shared one:
/// the shared pool keeps only a few arrays per size per core, too few for the dozens of same-sized
/// activations of one forward pass, so a loop would still allocate.
///
/// Arrays of 16 MB and more (the activations of large images) are pooled apart, best fit and exact size: a
/// power-of-two bucket kept a 2K image's half-resolution activations from reusing the full-resolution ones the
/// encoder had just released, and every new array is memory the kernel must clear on first touch (on the test
/// machine about 1 s per GB, as long as the network itself took on a 2K denoise).
/// </summary>
public static class TensorPool
{
    // 2^28 floats (1 GiB) is the largest array we pool; bigger ones are allocated and dropped. A training step of a
    // deep network holds a few hundred same-sized activations and gradients at its peak; the pool only ever keeps
    // arrays that were live at once, so a generous per-size limit costs no memory beyond that peak.
    static readonly ArrayPool<float> pool = ArrayPool<float>.Create(maxArrayLength: 1 << 28, maxArraysPerBucket: 1024);

    /// <summary>Arrays longer than this come from the best-fit list; shorter ones from the power-of-two buckets, whose
    /// largest bucket is exactly this long. The two ranges must not overlap: a bucket array returned to the large
    /// list (as when the split was on the requested length) never comes back to its bucket, and every training step
    /// then allocated its 2.56M-float activations afresh (DnCNN 17x64, batch 16 of 50x50: 1.9 s a step, not 0.8).</summary>
    internal const int LargeLength = HugePages.MinLength;
    const int MaxFreeLarge = 64;
    static readonly List<float[]> freeLarge = [];

    internal static float[] Rent(int length)
    {
        if (length == 0) return [];
        if (length <= LargeLength) return pool.Rent(length);
        lock (freeLarge)
        {
            int best = -1;
            for (int i = 0; i < freeLarge.Count; i++)
                if (freeLarge[i].Length >= length && (best < 0 || freeLarge[i].Length < freeLarge[best].Length)) best = i;
            if (best >= 0)
            {
                var found = freeLarge[best];
                freeLarge.RemoveAt(best);
                return found;
            }
        }
        // Uninitialized: op results overwrite every element, and a fresh array's pages are zero anyway.
        var array = GC.AllocateUninitializedArray<float>(length);
        HugePages.Advise(array);
        return array;
    }

    internal static void Return(float[] array)
    {
        if (array.Length == 0) return;
        if (array.Length <= LargeLength) { pool.Return(array); return; }
        lock (freeLarge)
        {
            freeLarge.Add(array);
            if (freeLarge.Count > MaxFreeLarge) freeLarge.Remove(freeLarge.MinBy(a => a.Length)!);
        }
    }
}

/// <summary>
/// Collects every pooled tensor made on this thread while it is the innermost scope and disposes them when it
/// ends, so that a training step or an inference call returns all its intermediates in one place:
/// <code>using (var scope = new TensorScope()) { var y = net.Forward(x); result = scope.Keep(y); }</code>
/// Scopes nest; <see cref="Keep"/> moves a tensor to the enclosing scope (or to none).
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] static TensorScope? current;
    readonly TensorScope? parent;
    readonly List<Tensor> owned = [];
    bool disposed;

    public TensorScope()
    {
        parent = current;
        current = this;
    }

    internal static TensorScope? Current => current;

    internal void Adopt(Tensor t)
    {
        t.Owner = this;
        owned.Add(t);
    }

    /// <summary>Lets <paramref name="t"/> outlive this scope; returns it for chaining.</summary>
    public Tensor Keep(Tensor t)
    {
        if (t.Owner != this) return t;
        if (parent is null) t.Owner = null;
        else parent.Adopt(t);
        return t;
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (current != this)
            throw new InvalidOperationException("TensorScopes must be disposed innermost first, on the thread that made them");
        current = parent;
        foreach (var t in owned)
            if (t.Owner == this) t.Dispose();
        owned.Clear();
    }
}
