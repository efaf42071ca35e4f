using Restora.Core.Kernels;

namespace Restora.Core;

/// <summary>
/// The single seam between the conv ops (conv2d and transposed conv2d, forward and backward) and the conv
/// kernels. It forwards to the scalar <see cref="Conv2dReference"/> until the fast kernels are merged; switching
/// kernels is a change to these three lines only.
/// </summary>
internal static class ConvBackend
{
    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output) =>
        Conv2dReference.Forward(s, input, weight, bias, output);

    public static void BackwardInput(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput) =>
        Conv2dReference.BackwardInput(s, gradOutput, weight, gradInput);

    public static void BackwardWeight(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias) =>
        Conv2dReference.BackwardWeight(s, input, gradOutput, gradWeight, gradBias);
}
