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

    /// <summary>
    /// Inference forward with the epilogue fused: Winograd F(4x4, 3x3) where the shape allows (a quarter of the
    /// multiply-adds), else the direct kernel followed by the epilogue. Training keeps <see cref="Forward"/>, the
    /// pass the gradients are checked against.
    /// </summary>
    public static void ForwardInference(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, ConvEpilogue epilogue, ReadOnlySpan<float> residual)
    {
        if (Winograd.Supports(s))
        {
            Winograd.Forward(s, input, weight, bias, output, epilogue, residual);
            return;
        }
        Conv2d.Forward(s, input, weight, bias, output);
        if (epilogue.HasActivation)
        {
            if (epilogue.NegativeSlope == 0) System.Numerics.Tensors.TensorPrimitives.Max(output, 0f, output);
            else for (int i = 0; i < output.Length; i++) output[i] = epilogue.Apply(output[i]);
        }
        if (!residual.IsEmpty) System.Numerics.Tensors.TensorPrimitives.Add(output, residual, output);
    }

    public static void BackwardInput(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput) =>
        Conv2d.BackwardInput(s, gradOutput, weight, gradInput);

    public static void BackwardWeight(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias) =>
        Conv2d.BackwardWeight(s, input, gradOutput, gradWeight, gradBias);
}
