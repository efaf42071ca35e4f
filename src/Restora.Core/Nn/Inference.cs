using System.Numerics.Tensors;

namespace Restora.Core.Nn;

/// <summary>
/// Memory discipline for forward passes that record no gradient: an activation can go back to the pool as soon as
/// its last reader has run, so a network on a 2K image holds a few activations at a time instead of every one until
/// its <see cref="TensorScope"/> ends (the U-Net denoiser on 2048x1365: 12 GB). While gradients are recorded these
/// do nothing, since the tape still needs what they would free.
/// </summary>
public static class Inference
{
    /// <summary>Whether activations may be released early: no gradient is being recorded on this thread.</summary>
    public static bool Active => !Autograd.IsEnabled;

    /// <summary>Gives <paramref name="t"/> back to the pool in inference; the caller must not read it again.</summary>
    public static void Release(Tensor t)
    {
        if (Active && t.IsPooled) t.Dispose();
    }

    /// <summary><paramref name="x"/> + <paramref name="skip"/>, for a skip connection read for the last time: in
    /// inference the sum is written over <paramref name="x"/> and <paramref name="skip"/> is released.</summary>
    public static Tensor Sum(Tensor x, Tensor skip)
    {
        if (!Active || !x.IsPooled || ReferenceEquals(x, skip) || !x.SameShape(skip)) return F.Add(x, skip);
        TensorPrimitives.Add(x.ReadOnlySpan, skip.ReadOnlySpan, x.Span);
        Release(skip);
        return x;
    }
}

/// <summary>
/// A module that can write its output over its input (a residual block whose last conv adds the input back, element
/// by element). <see cref="Sequential"/> lets it, in inference, for every input that is its own intermediate, so a
/// stage of such blocks holds one output instead of two.
/// </summary>
public interface IConsumesInput
{
    /// <summary>With <paramref name="consumeInput"/> the caller gives the input up: the output may be written over it,
    /// or the input released.</summary>
    Tensor Forward(Tensor input, bool consumeInput);
}

