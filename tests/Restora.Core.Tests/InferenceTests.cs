using Restora.Core.Nn;

namespace Restora.Core.Tests;

[CollectionDefinition("TensorPool", DisableParallelization = true)]
public class TensorPoolCollection;

// Alone: the pool test rents and returns shared large buffers.
[Collection("TensorPool")]
public class InferenceTests
{
    static Tensor Random(int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var t = Tensor.Empty(shape);
        var s = t.Span;
        for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 2 - 1);
        return t;
    }

    [Theory]
    [InlineData(16, 3)]   // Winograd
    [InlineData(3, 5)]    // direct kernel, then the epilogue
    public void Fused_conv_equals_conv_then_activation_then_residual(int channels, int kernel)
    {
        var x = Random(1, 2, channels, 13, 19);
        var w = Random(2, 8, channels, kernel, kernel);
        var b = Random(3, 8);
        var residual = Random(4, 2, 8, 13, 19);
        var pad = (kernel / 2, kernel / 2);
        foreach (var (epilogue, slope) in new[] { (ConvEpilogue.Relu, 0f), (ConvEpilogue.LeakyRelu(0.1f), 0.1f) })
        {
            var expected = F.Add(F.LeakyRelu(F.Conv2d(x, w, b, 1, kernel / 2), slope), residual).ToArray();
            float[] fused;
            using (Autograd.NoGrad()) fused = F.Conv2d(x, w, b, (1, 1), pad, (1, 1), 1, epilogue, residual).ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - fused[i]) < 1e-4, $"element {i}: {fused[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Fused_conv_records_the_unfused_ops_while_training()
    {
        Tensor Leaf(int seed, params int[] shape) { var t = Random(seed, shape); t.RequiresGrad = true; return t; }
        var x = Leaf(1, 1, 8, 9, 9);
        var w = Leaf(2, 8, 8, 3, 3);
        var residual = Leaf(3, 1, 8, 9, 9);
        F.Sum(F.Conv2d(x, w, null, (1, 1), (1, 1), (1, 1), 1, ConvEpilogue.Relu, residual)).Backward();
        var fused = (x.Grad!.ToArray(), w.Grad!.ToArray(), residual.Grad!.ToArray());
        x.Grad = null; w.Grad = null; residual.Grad = null;
        F.Sum(F.Add(F.Relu(F.Conv2d(x, w, null, 1, 1)), residual)).Backward();
        Assert.Equal(x.Grad!.ToArray(), fused.Item1);
        Assert.Equal(w.Grad!.ToArray(), fused.Item2);
        Assert.Equal(residual.Grad!.ToArray(), fused.Item3);
    }

    [Fact]
    public void Sequential_releases_its_intermediates_only_in_inference()
    {
        var x = Random(5, 1, 1, 4, 4);
        var seen = new List<Tensor>();
        var spy = new Sequential(new Spy(seen), new ReLU(), new Spy(seen), new ReLU());
        using (Autograd.NoGrad())
        {
            var y = spy.Forward(x);
            Assert.False(y.IsDisposed);
            Assert.False(x.IsDisposed);
            Assert.True(seen[1].IsDisposed);   // the first ReLU's output, read by the second Spy and the second ReLU
        }
        seen.Clear();
        spy.Forward(x);
        Assert.All(seen, t => Assert.False(t.IsDisposed));
    }

    /// <summary>Passes its input through unchanged and remembers it.</summary>
    sealed class Spy(List<Tensor> seen) : Module
    {
        public override Tensor Forward(Tensor input)
        {
            seen.Add(input);
            return input;
        }
    }

    [Fact]
    public void Sum_writes_over_its_first_operand_in_inference_and_leaves_both_alone_in_training()
    {
        var a = Random(6, 1, 2, 3, 3);
        var b = Random(7, 1, 2, 3, 3);
        var expected = F.Add(a, b).ToArray();
        var training = Inference.Sum(a, b);
        Assert.NotSame(a, training);
        Assert.False(b.IsDisposed);
        using (Autograd.NoGrad())
        {
            var sum = Inference.Sum(a, b);
            Assert.Same(a, sum);
            Assert.True(b.IsDisposed);
            Assert.Equal(expected, sum.ToArray());
        }
    }

    [Fact]
    public void Large_buffers_are_reused_best_fit_at_their_exact_size()
    {
        int n = TensorPool.LargeLength;
        var big = TensorPool.Rent(3 * n);
        var middle = TensorPool.Rent(2 * n);
        Assert.Equal(3 * n, big.Length);
        Assert.Equal(2 * n, middle.Length);
        TensorPool.Return(big);
        TensorPool.Return(middle);
        var again = TensorPool.Rent(2 * n - 5);
        Assert.Same(middle, again);
        var larger = TensorPool.Rent(2 * n + 1);
        Assert.Same(big, larger);
        TensorPool.Return(again);
        TensorPool.Return(larger);
    }
}
