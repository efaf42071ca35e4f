using Restora.Core.Kernels;

namespace Restora.Core;

/// <summary>
/// The single seam between the conv ops (conv2d and transposed conv2d, forward and backward) and the conv
/// kernels: the vectorized <see cref="Conv2d"/> kernels (which pick AVX-512, AVX2 or scalar paths themselves).
/// A GPU backend would slot in here.
/// </summary>
internal static class ConvBackend
{
    /// <summary>
    /// The forward pass training records: Winograd F(4x4, 3x3) for the 3x3 stride-1 convs it takes (the same values as
    /// the direct kernel to float rounding, about 1e-6 of the layer's largest output), else the direct kernel.
    /// </summary>
    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        if (Winograd.Pays(s)) Winograd.Forward(s, input, weight, bias, output);
        else Conv2d.Forward(s, input, weight, bias, output);
    }

    /// <summary>
    /// Inference forward with the epilogue fused: Winograd F(4x4, 3x3) where the shape allows (a quarter of the
    /// multiply-adds), else the direct kernel followed by the epilogue.
    /// </summary>
    public static void ForwardInference(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output, ConvEpilogue epilogue, ReadOnlySpan<float> residual)
    {
        if (Winograd.Pays(s))
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

    /// <summary>
    /// The input gradient. For a 3x3 stride-1 conv it is itself a 3x3 stride-1 conv of the output gradient, with the
    /// weights' in and out swapped and the taps turned 180 degrees, padded 2 − pad: Winograd takes it as it takes a
    /// forward pass.
    /// </summary>
    public static void BackwardInput(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight,
        Span<float> gradInput)
    {
        if (Winograd.Pays(s) && s.PadH <= 2 && s.PadW <= 2)
        {
            var adjoint = new Conv2dShape(s.Batch, s.OutChannels, s.OutHeight, s.OutWidth, s.InChannels, 3, 3,
                PadH: 2 - s.PadH, PadW: 2 - s.PadW);
            if (Winograd.Supports(adjoint))
            {
                var turned = System.Buffers.ArrayPool<float>.Shared.Rent((int)s.WeightLength);
                try
                {
                    TurnAndSwap(weight, s.OutChannels, s.InChannels, turned);
                    Winograd.Forward(adjoint, gradOutput, turned.AsSpan(0, (int)s.WeightLength), default, gradInput);
                }
                finally { System.Buffers.ArrayPool<float>.Shared.Return(turned); }
                return;
            }
        }
        Conv2d.BackwardInput(s, gradOutput, weight, gradInput);
    }

    /// <summary>[out][in][3][3] → [in][out][3][3] with each 3x3 kernel turned 180 degrees.</summary>
    static void TurnAndSwap(ReadOnlySpan<float> weight, int outChannels, int inChannels, Span<float> turned)
    {
        for (int o = 0; o < outChannels; o++)
            for (int i = 0; i < inChannels; i++)
            {
                var from = weight.Slice((o * inChannels + i) * 9, 9);
                var to = turned.Slice((i * outChannels + o) * 9, 9);
                for (int k = 0; k < 9; k++) to[8 - k] = from[k];
            }
    }

    /// <summary>The weight (and bias) gradient: Winograd's adjoint for the wide 3x3 stride-1 convs where it pays, else the direct kernel.</summary>
    public static void BackwardWeight(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        if (WinogradWeightGradient.Pays(s)) WinogradWeightGradient.Compute(s, input, gradOutput, gradWeight, gradBias);
        else Conv2d.BackwardWeight(s, input, gradOutput, gradWeight, gradBias);
    }
}
