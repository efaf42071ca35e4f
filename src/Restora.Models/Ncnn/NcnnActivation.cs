using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.Intrinsics;
using Restora.Core;

namespace Restora.Models.Ncnn;

/// <summary>
/// The activation a Convolution, Deconvolution or InnerProduct layer applies to its own output (key 9, its
/// parameters in key 10): 0 none, 1 ReLU, 2 leaky ReLU (slope 10[0]), 3 clip (10[0]..10[1]), 4 sigmoid.
/// </summary>
internal readonly struct NcnnActivation
{
    public int Type { get; }
    public float A { get; }
    public float B { get; }

    NcnnActivation(int type, float a, float b)
    {
        Type = type;
        A = a;
        B = b;
    }

    public static NcnnActivation None => default;

    public static NcnnActivation Parse(NcnnParamDict p)
    {
        int type = p.Int(9, 0);
        var args = p.Floats(10);
        float Arg(int i) => i < args.Length ? args[i]
            : throw p.Bad($"activation {type} needs {i + 1} parameter(s) in key 10, the layer gives {args.Length}");
        return type switch
        {
            0 => None,
            1 => new NcnnActivation(1, 0, 0),
            2 => new NcnnActivation(2, Arg(0), 0),
            3 => Arg(0) <= Arg(1) ? new NcnnActivation(3, Arg(0), Arg(1)) : throw p.Bad($"clip activation has min {Arg(0)} above max {Arg(1)}"),
            4 => new NcnnActivation(4, 0, 0),
            _ => throw p.Bad($"activation type {type} is not supported (0 none, 1 ReLU, 2 leaky ReLU, 3 clip, 4 sigmoid)"),
        };
    }

    /// <summary>ReLU and leaky ReLU fuse into a conv's pass; the others are applied afterwards.</summary>
    public bool Fuses => Type is 0 or 1 or 2;

    public ConvEpilogue Epilogue => Type switch
    {
        1 => ConvEpilogue.Relu,
        2 => ConvEpilogue.LeakyRelu(A),
        _ => ConvEpilogue.None,
    };

    /// <summary>Whether c·act(v) = act(c·v) for every c &gt; 0 (so a positive output scale can move into the weights).</summary>
    public bool PositivelyHomogeneous => Type is 0 or 1 or 2;

    /// <summary>Applies the activation in place, in chunks on <see cref="Compute"/>'s threads for large blobs.</summary>
    public void Apply(Tensor t)
    {
        if (Type == 0) return;
        const int Chunk = 1 << 16;
        int n = t.Length;
        if (n <= 2 * Chunk) { Apply(t.Span); return; }
        var self = this;
        Compute.For((n + Chunk - 1) / Chunk, c =>
        {
            int start = c * Chunk;
            self.Apply(t.Span.Slice(start, Math.Min(Chunk, n - start)));
        });
    }

    public void Apply(Span<float> values)
    {
        switch (Type)
        {
            case 0: break;
            case 1: TensorPrimitives.Max(values, 0f, values); break;
            case 2: Leaky(values, A); break;
            case 3: TensorPrimitives.Clamp(values, A, B, values); break;
            case 4: TensorPrimitives.Sigmoid(values, values); break;
        }
    }

    /// <summary>v &lt; 0 ? v·slope : v, in place.</summary>
    static void Leaky(Span<float> values, float slope)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var s = Vector256.Create(slope);
            for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var v = Vector256.Create(values.Slice(i, Vector256<float>.Count));
                Vector256.ConditionalSelect(Vector256.LessThan(v, Vector256<float>.Zero), v * s, v).CopyTo(values.Slice(i));
            }
        }
        for (; i < values.Length; i++) if (values[i] < 0) values[i] *= slope;
    }
}
