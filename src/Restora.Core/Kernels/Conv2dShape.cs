namespace Restora.Core.Kernels;

/// <summary>
/// The geometry of one 2-D convolution in NCHW with weights [OutChannels, InChannels/Groups, KernelH, KernelW]
/// (PyTorch's layout). Every conv kernel — reference, vectorized, or a later GPU one — takes this.
/// </summary>
public readonly record struct Conv2dShape(
    int Batch, int InChannels, int InHeight, int InWidth,
    int OutChannels, int KernelH, int KernelW,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0,
    int DilationH = 1, int DilationW = 1, int Groups = 1)
{
    public int OutHeight => (InHeight + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;
    public int OutWidth => (InWidth + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;
    public int InPerGroup => InChannels / Groups;
    public int OutPerGroup => OutChannels / Groups;
    public long InputLength => (long)Batch * InChannels * InHeight * InWidth;
    public long OutputLength => (long)Batch * OutChannels * OutHeight * OutWidth;
    public long WeightLength => (long)OutChannels * InPerGroup * KernelH * KernelW;

    /// <summary>Multiply-adds times two, for GFLOP/s figures.</summary>
    public double Flops => 2.0 * Batch * OutChannels * OutHeight * OutWidth * InPerGroup * KernelH * KernelW;

    public void Validate()
    {
        if (Batch <= 0 || InChannels <= 0 || InHeight <= 0 || InWidth <= 0 || OutChannels <= 0 || KernelH <= 0 || KernelW <= 0)
            throw new ArgumentException($"conv2d: every size must be positive: {this}");
        if (StrideH <= 0 || StrideW <= 0 || DilationH <= 0 || DilationW <= 0 || PadH < 0 || PadW < 0 || Groups <= 0)
            throw new ArgumentException($"conv2d: bad stride, padding, dilation or groups: {this}");
        if (InChannels % Groups != 0 || OutChannels % Groups != 0)
            throw new ArgumentException($"conv2d: {InChannels} in and {OutChannels} out channels are not divisible by {Groups} groups");
        if (OutHeight <= 0 || OutWidth <= 0)
            throw new ArgumentException($"conv2d: a {KernelH}x{KernelW} kernel does not fit a {InHeight}x{InWidth} input: {this}");
    }
}
