using Restora.Core;

namespace Restora.TestSupport;

/// <summary>
/// The deterministic tensors the PyTorch reference scripts (gan_reference.py, pix2pix_reference.py) build: value i is
/// sin(0.37 i + offset)·scale. Linked into each test project that compares against those scripts.
/// </summary>
static class SineFill
{
    public static Tensor Make(double offset, double scale, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)(Math.Sin(0.37 * i + offset) * scale);
        return t;
    }
}
