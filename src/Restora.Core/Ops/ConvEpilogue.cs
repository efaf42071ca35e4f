using System.Runtime.CompilerServices;

namespace Restora.Core;

/// <summary>
/// What a convolution's forward pass does to each output value after the sum, fused into the pass so that an
/// activation or a residual connection costs no extra trip through memory:
/// <c>out = act(conv + bias) + residual</c>, where act is ReLU (slope 0), a leaky ReLU (slope s) or nothing.
/// </summary>
public readonly struct ConvEpilogue
{
    /// <summary>Whether negative values are scaled by <see cref="NegativeSlope"/>; the default is no activation.</summary>
    public bool HasActivation { get; init; }
    public float NegativeSlope { get; init; }

    public static ConvEpilogue None => default;
    public static ConvEpilogue Relu => new() { HasActivation = true };
    public static ConvEpilogue LeakyRelu(float slope) => new() { HasActivation = true, NegativeSlope = slope };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal float Apply(float v) => !HasActivation || v >= 0 ? v : v * NegativeSlope;
}
