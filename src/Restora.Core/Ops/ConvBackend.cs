using Restora.Core.Kernels;

namespace Restora.Core;

/// <summary>
/// The single seam between the conv ops (conv2d and transposed conv2d, forward and backward) and the conv
/// kernels: the vectorized <see cref="Conv2d"/> kernels (which pick AVX-512, AVX2 or scalar paths themselves).
/// A GPU backend would slot in here.
/// </summary>
internal static class ConvBackend
{
    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) =>
        Conv2d.Forward(s, input, weight, bias, output);

    public static void BackwardInput(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput) =>
        Conv2d.BackwardInput(s, gradOutput, weight, gradInput);

    public static void BackwardWeight(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias) =>
        Conv2d.BackwardWeight(s, input, gradOutput, gradWeight, gradBias);
}
