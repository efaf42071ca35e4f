using System.Diagnostics;

namespace Restora.Core;

/// <summary>
/// Where a training step's time goes, by op: while <see cref="Autograd.Profile"/> is set, each recorded op is charged
/// the time since the previous one was recorded (its forward, and whatever ran between the two), and each backward
/// closure its own time. Meant for `restora train --benchmark N --profile`; off, it costs one null check per op.
/// </summary>
public sealed class OpProfile
{
    readonly Dictionary<string, (double Forward, double Backward, long Count)> ops = new(StringComparer.Ordinal);
    long last = Stopwatch.GetTimestamp();

    /// <summary>Starts the clock for the next op (call at the start of a step, so the step's setup is not charged).</summary>
    public void Mark() => last = Stopwatch.GetTimestamp();

    internal void Forward(string name)
    {
        long now = Stopwatch.GetTimestamp();
        var e = ops.GetValueOrDefault(name);
        ops[name] = (e.Forward + Stopwatch.GetElapsedTime(last, now).TotalSeconds, e.Backward, e.Count + 1);
        last = now;
    }

    internal void Backward(string name, long start)
    {
        var e = ops.GetValueOrDefault(name);
        ops[name] = (e.Forward, e.Backward + Stopwatch.GetElapsedTime(start).TotalSeconds, e.Count);
    }

    /// <summary>Op name, seconds forward, seconds backward, times recorded; the most expensive first.</summary>
    public IReadOnlyList<(string Name, double Forward, double Backward, long Count)> Entries() =>
        ops.Select(kv => (kv.Key, kv.Value.Forward, kv.Value.Backward, kv.Value.Count))
           .OrderByDescending(e => e.Forward + e.Backward).ToList();
}
