using System.Diagnostics;

namespace Restora.Cli;

/// <summary>
/// A progress bar with ETA on stderr. On a terminal it redraws one line; when stderr is a file or a pipe it
/// prints a plain line per step, so logs stay readable. Silent when there is a single item.
/// </summary>
public sealed class Progress : IDisposable
{
    int total;
    readonly string label;
    readonly Stopwatch clock = Stopwatch.StartNew();
    readonly bool interactive = !Console.IsErrorRedirected;
    readonly bool enabled;
    int lastLength;

    /// <param name="total">Items to come, if known now; <see cref="Report(int, int, string)"/> can give it later.</param>
    public Progress(int total, string label, bool enabled = true)
    {
        this.total = total;
        this.label = label;
        this.enabled = enabled;
    }

    bool Visible => enabled && total > 1 && total != int.MaxValue;

    /// <summary>Reports progress when the total is learned only once work starts (e.g. tiles of an image).</summary>
    public void Report(int done, int total, string current)
    {
        this.total = total;
        Report(done, current);
    }

    /// <summary>Reports that item <paramref name="done"/> (0-based count finished so far) of the total is next.</summary>
    public void Report(int done, string current)
    {
        if (!Visible) return;
        string line = Format(done, total, clock.Elapsed, label, current);
        if (interactive)
        {
            Console.Error.Write("\r" + line.PadRight(lastLength));
            lastLength = line.Length;
        }
        else Console.Error.WriteLine(line);
    }

    public static string Format(int done, int total, TimeSpan elapsed, string label, string current)
    {
        const int width = 24;
        int filled = total == 0 ? width : (int)((long)done * width / total);
        string eta = done == 0 ? "--:--" : Clock(TimeSpan.FromTicks(elapsed.Ticks * (total - done) / done));
        return $"{label} [{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} ETA {eta} {current}";
    }

    static string Clock(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes:00}:{t.Seconds:00}";

    int? stoppedAt;

    /// <summary>The work ended early (interrupted) after <paramref name="done"/> items; the last line says so.</summary>
    public void StopAt(int done) => stoppedAt = done;

    public void Dispose()
    {
        if (!Visible) return;
        string line = stoppedAt is int s && s < total
            ? Format(s, total, clock.Elapsed, label, $"stopped after {clock.Elapsed.TotalSeconds:0.0} s")
            : Format(total, total, clock.Elapsed, label, $"done in {clock.Elapsed.TotalSeconds:0.0} s");
        if (interactive) Console.Error.WriteLine("\r" + line.PadRight(lastLength));
        else Console.Error.WriteLine(line);
    }
}
