namespace Restora.Fuzz.Tests;

/// <summary>
/// Runs one input through a target in this process, with the limits AFL sets out of process: an answer within
/// <see cref="TimeLimit"/> and at most <see cref="AllocationLimit"/> bytes allocated, besides ending normally or with a
/// documented exception. The limits are far above what any input here needs (milliseconds, a few megabytes), so only
/// a hang or an allocation sized from a lying header trips them.
/// </summary>
static class Harness
{
    public static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(20);
    public const long AllocationLimit = 512L << 20;

    /// <summary>Null when the target read or refused the input as documented; otherwise what went wrong, on one line.</summary>
    public static string? Check(FuzzTarget target, byte[] input)
    {
        bool ok = false;
        Exception? unexpected = null;
        long allocated = 0;
        // Its own thread, so that a hang can be reported (and left behind) instead of stopping the test run.
        var run = Task.Factory.StartNew(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            ok = target.Try(input, out unexpected);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (!run.Wait(TimeLimit)) return $"no answer within {TimeLimit.TotalSeconds:0} s (a hang)";
        if (!ok)
        {
            string where = unexpected!.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("Restora."))?.Trim() ?? "";
            return $"{unexpected.GetType().Name}: {unexpected.Message.ReplaceLineEndings(" ")} {where}";
        }
        return allocated > AllocationLimit ? $"allocated {allocated >> 20} MB for a {input.Length}-byte input" : null;
    }

    /// <summary>The files of one target's folder under the test output (seeds/TARGET, fuzz-regressions/TARGET), sorted.</summary>
    public static string[] Files(string folder, string target)
    {
        string path = Path.Combine(AppContext.BaseDirectory, folder, target);
        return Directory.Exists(path) ? [.. Directory.GetFiles(path).Order(StringComparer.Ordinal)] : [];
    }
}
