namespace Restora.Core;

/// <summary>
/// The one place that owns how many threads Restora's kernels use (the CLI's <c>--threads</c>).
/// Kernels split work into chunks whose results do not depend on the thread count, so any setting
/// gives the same output bits.
/// </summary>
public static class Compute
{
    static int threads = Environment.ProcessorCount;

    public static int Threads
    {
        get => threads;
        set => threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), $"threads must be at least 1, got {value}");
    }

    /// <summary>Runs body(i) for i in [0, count) on up to <see cref="Threads"/> threads.</summary>
    public static void For(int count, Action<int> body)
    {
        if (count <= 0) return;
        if (Threads == 1 || count == 1)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Threads }, body);
    }
}
