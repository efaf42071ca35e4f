namespace Restora.Core;

/// <summary>
/// Counts the multiply-adds of the convolutions run on this thread inside <see cref="Measure"/>: how the toolchain
/// learns what a network of any shape (a U-Net that resamples, a network with a noise map) costs per pixel, by running
/// it once on a probe. Convolutions are nearly all of a restoration network's arithmetic; the rest is not counted.
/// </summary>
public static class MacCounter
{
    [ThreadStatic] static long counted;
    [ThreadStatic] static int depth;

    /// <summary>Runs <paramref name="action"/> and returns the convolution multiply-adds it made on this thread.</summary>
    public static long Measure(Action action)
    {
        long before = counted;
        depth++;
        try { action(); }
        finally { depth--; }
        return counted - before;
    }

    /// <summary>Adds one convolution's work while a measurement is open (a no-op otherwise).</summary>
    internal static void Add(in Kernels.Conv2dShape s)
    {
        if (depth > 0) counted += (long)(s.Flops / 2);
    }
}
