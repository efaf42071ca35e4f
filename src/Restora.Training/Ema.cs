using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Restora.Core;
using Restora.Core.Nn;

namespace Restora.Training;

/// <summary>
/// An exponential moving average of a network's weights (BasicSR's net_g_ema): after every step
/// ema ← decay·ema + (1 − decay)·weights, buffers copied. The average is usually the better model to ship.
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

    public void Update()
    {
        float d = (float)Decay, keep = (float)(1 - Decay);
        foreach (var (src, avg) in parameters)
        {
            var a = avg.Span;
            TensorPrimitives.Multiply(a, d, a);
            TensorPrimitives.MultiplyAdd(src.ReadOnlySpan, keep, a, a);
        }
        foreach (var (src, avg) in buffers) src.ReadOnlySpan.CopyTo(avg.Span);
    }
}
