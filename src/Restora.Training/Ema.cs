using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Training;

/// <summary>
/// An exponential moving average of a network's weights (BasicSR's net_g_ema): after step n
/// ema ← d·ema + (1 − d)·weights with d = min(decay, (1 + n) / (10 + n)), buffers copied. The ramp (TensorFlow's
/// ExponentialMovingAverage with num_updates) matters for CPU-length runs: with a flat 0.999 the average still holds
/// 0.999^n of the random initial weights, 13% after 2,000 steps, and scores far below the network it averages.
/// </summary>
public sealed class Ema
{
    readonly (Tensor Source, Tensor Average)[] parameters;
    readonly (Tensor Source, Tensor Average)[] buffers;

    public Ema(Module source, Module average, double decay)
    {
        if (decay is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(decay), $"EMA decay must be in (0, 1), got {decay}");
        Decay = decay;
        Average = average;
        parameters = Pair(source.NamedParameters().Select(p => (p.Name, p.Parameter)), average.NamedParameters().Select(p => (p.Name, p.Parameter)));
        buffers = Pair(source.NamedBuffers().Select(b => (b.Name, b.Buffer)), average.NamedBuffers().Select(b => (b.Name, b.Buffer)));
        average.LoadStateDict(source.StateDict());
        average.Eval();
    }

    public double Decay { get; }
    public Module Average { get; }

    static (Tensor, Tensor)[] Pair(IEnumerable<(string Name, Tensor T)> a, IEnumerable<(string Name, Tensor T)> b)
    {
        var bs = b.ToDictionary(x => x.Name, x => x.T);
        return a.Select(x => (x.T, bs.TryGetValue(x.Name, out var t) && t.Length == x.T.Length ? t
            : throw new ArgumentException($"EMA network has no tensor '{x.Name}' of the right size"))).ToArray();
    }

    /// <summary>The decay used after step <paramref name="step"/> (1-based).</summary>
    public double DecayAt(int step) => Math.Min(Decay, (1.0 + step) / (10.0 + step));

    /// <param name="step">The step just taken, 1-based; the ramp depends on it, so a resumed run averages alike.</param>
    public void Update(int step)
    {
        double decay = DecayAt(step);
        float d = (float)decay, keep = (float)(1 - decay);
        foreach (var (src, avg) in parameters)
        {
            var a = avg.Span;
            TensorPrimitives.Multiply(a, d, a);
            TensorPrimitives.MultiplyAdd(src.ReadOnlySpan, keep, a, a);
        }
        foreach (var (src, avg) in buffers) src.ReadOnlySpan.CopyTo(avg.Span);
    }
}
