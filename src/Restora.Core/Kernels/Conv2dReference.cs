namespace Restora.Core.Kernels;

/// <summary>
/// Plain scalar loops for conv2d forward and both backward passes, accumulated in double: the definition
/// every fast kernel is tested against. Slow on purpose; never on a hot path.
/// </summary>
public static class Conv2dReference
{
    /// <summary>output = conv(input, weight) + bias; bias may be empty. Overwrites output.</summary>
    public static void Forward(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, Span<float> output)
    {
        var acc = new double[s.OutputLength];
        int plane = s.OutHeight * s.OutWidth;
        if (!bias.IsEmpty)
            for (int i = 0; i < acc.Length; i++) acc[i] = bias[i / plane % s.OutChannels];
        foreach (var (o, i, w) in Taps(s)) acc[o] += (double)input[i] * weight[w];
        for (int k = 0; k < acc.Length; k++) output[k] = (float)acc[k];
    }

    /// <summary>gradInput = d(sum(output * gradOutput)) / d(input). Overwrites gradInput.</summary>
    public static void BackwardInput(in Conv2dShape s, ReadOnlySpan<float> gradOutput, ReadOnlySpan<float> weight, Span<float> gradInput)
    {
        var acc = new double[s.InputLength];
        foreach (var (o, i, w) in Taps(s)) acc[i] += (double)gradOutput[o] * weight[w];
        for (int k = 0; k < acc.Length; k++) gradInput[k] = (float)acc[k];
    }

    /// <summary>gradWeight and gradBias (bias may be empty) of sum(output * gradOutput). Overwrites both.</summary>
    public static void BackwardWeight(in Conv2dShape s, ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput,
        Span<float> gradWeight, Span<float> gradBias)
    {
        var acc = new double[s.WeightLength];
        foreach (var (o, i, w) in Taps(s)) acc[w] += (double)gradOutput[o] * input[i];
        for (int k = 0; k < acc.Length; k++) gradWeight[k] = (float)acc[k];
        if (gradBias.IsEmpty) return;
        int plane = s.OutHeight * s.OutWidth;
        var b = new double[s.OutChannels];
        for (int k = 0; k < gradOutput.Length; k++) b[k / plane % s.OutChannels] += gradOutput[k];
        for (int oc = 0; oc < b.Length; oc++) gradBias[oc] = (float)b[oc];
    }

    /// <summary>Every (output index, input index, weight index) triple that the convolution multiplies together.</summary>
    static IEnumerable<(int Output, int Input, int Weight)> Taps(Conv2dShape s)
    {
        s.Validate();
        int oh = s.OutHeight, ow = s.OutWidth, icg = s.InPerGroup, ocg = s.OutPerGroup;
        for (int n = 0; n < s.Batch; n++)
        for (int oc = 0; oc < s.OutChannels; oc++)
        {
            int g = oc / ocg;
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                int o = ((n * s.OutChannels + oc) * oh + oy) * ow + ox;
                for (int ic = 0; ic < icg; ic++)
                for (int ky = 0; ky < s.KernelH; ky++)
                {
                    int iy = oy * s.StrideH - s.PadH + ky * s.DilationH;
                    if ((uint)iy >= (uint)s.InHeight) continue;
                    for (int kx = 0; kx < s.KernelW; kx++)
                    {
                        int ix = ox * s.StrideW - s.PadW + kx * s.DilationW;
                        if ((uint)ix >= (uint)s.InWidth) continue;
                        int i = ((n * s.InChannels + g * icg + ic) * s.InHeight + iy) * s.InWidth + ix;
                        yield return (o, i, ((oc * icg + ic) * s.KernelH + ky) * s.KernelW + kx);
                    }
                }
            }
        }
    }
}
