using Restora.Core.Kernels;

namespace Restora.Core.Tests;

public class TensorAutogradTests
{
    [Fact]
    public void ShapeMismatchNamesBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => F.Add(Tensor.Zeros(2, 3), Tensor.Zeros(4)));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
        var c = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 3, 5, 5), Tensor.Zeros(4, 2, 3, 3)));
        Assert.Contains("[1, 3, 5, 5]", c.Message);
        Assert.Contains("[4, 2, 3, 3]", c.Message);
    }

    [Fact]
    public void NoGradRecordsNothing()
    {
        var w = GradCheck.Rand(1, 2, 2, 3, 3);
        w.RequiresGrad = true;
        Tensor y;
        using (Autograd.NoGrad()) y = F.Relu(F.Conv2d(GradCheck.Rand(2, 1, 2, 4, 4), w, padding: 1));
        Assert.True(y.IsLeaf);
        Assert.False(y.RequiresGrad);
        var z = F.Relu(F.Conv2d(GradCheck.Rand(2, 1, 2, 4, 4), w, padding: 1));
        Assert.False(z.IsLeaf);
        Assert.True(Autograd.IsEnabled);
    }

    [Fact]
    public void BackwardTwiceThroughTheSameGraphThrows()
    {
        var x = GradCheck.Rand(1, 3);
        x.RequiresGrad = true;
        var loss = F.Sum(F.Mul(x, x));
        loss.Backward();
        Assert.Equal(x.ToArray().Select(v => 2 * v), x.Grad!.ToArray());
        var again = F.Mul(x, x);
        F.Sum(again).Backward();
        Assert.Throws<InvalidOperationException>(() => Autograd.Backward(again, Tensor.Ones(3)));
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCalls()
    {
        var x = GradCheck.Rand(1, 4);
        x.RequiresGrad = true;
        F.Sum(F.Mul(x, 3f)).Backward();
        F.Sum(F.Mul(x, 2f)).Backward();
        Assert.All(x.Grad!.ToArray(), g => Assert.Equal(5f, g));
    }

    [Fact]
    public void ScopeDisposesIntermediatesAndKeepsWhatIsKept()
    {
        Tensor a, kept;
        using (var scope = new TensorScope())
        {
            a = F.Relu(GradCheck.Rand(1, 8));
            kept = scope.Keep(F.Mul(a, 2f));
        }
        Assert.True(a.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => F.Relu(a));
        kept.Dispose();
        kept.Dispose(); // idempotent: a second dispose must not return the buffer twice
    }

    [Fact]
    public void ParametersAndLeafGradientsOutliveScopes()
    {
        var w = Tensor.PersistentFrom([1f, 2f], 2);
        w.RequiresGrad = true;
        using (new TensorScope()) F.Sum(F.Mul(w, w)).Backward();
        Assert.False(w.IsDisposed);
        Assert.Equal([2f, 4f], w.Grad!.ToArray());
    }

    [Fact]
    public void InferenceLoopReusesPooledBuffers()
    {
        var x = Tensor.Persistent(1, 16, 128, 128); // 1 MiB of activations per op
        var w = Tensor.Persistent(16);
        void Step()
        {
            using var _ = Autograd.NoGrad();
            using var scope = new TensorScope();
            var y = F.Add(F.LeakyRelu(F.Mul(x, F.Reshape(w, 1, 16, 1, 1)), 0.1f), x);
            F.Sigmoid(F.PixelShuffle(y, 2));
        }
        for (int i = 0; i < 3; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) Step();
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / 20;
        // Five 1 MiB results per step; only small objects (tensor headers, shapes, closures) may be new.
        Assert.True(perStep < 64 * 1024, $"{perStep} bytes allocated per step");
    }

    [Fact]
    public void ErfMatchesKnownValues()
    {
        (double x, double erf)[] table = [(0, 0), (0.1, 0.1124629160182849), (0.5, 0.5204998778130465), (1, 0.8427007929497149),
            (2, 0.9953222650189527), (3.5, 0.9999992569016276), (5, 0.9999999999984626), (-0.7, -0.6778011938374184)];
        foreach (var (x, e) in table) Assert.Equal(e, Elementwise.Erf(x), 1e-14);
    }

    [Fact]
    public void ThreadCountDoesNotChangeResults()
    {
        // Big enough that every op splits its work across threads.
        (float[] y, float[] gx, float[] gw) Run(int threads)
        {
            int saved = Compute.Threads;
            Compute.Threads = threads;
            try
            {
                var x = GradCheck.Rand(3, 2, 16, 48, 48);
                var w = GradCheck.Rand(4, 64);
                x.RequiresGrad = w.RequiresGrad = true;
                var a = F.Gelu(F.Add(x, F.Reshape(GradCheck.Rand(5, 16), 1, 16, 1, 1)));
                var b = F.UpsampleBilinear(F.PixelShuffle(a, 2), 2);
                var c = F.BatchNorm2d(F.UpsampleNearest(F.PixelUnshuffle(b, 4), 2), null, null, w, null, training: true);
                var d = F.Add(F.InstanceNorm2d(c), F.GlobalAvgPool2d(F.Sigmoid(c)));
                F.Sum(F.Mul(F.Tanh(d), GradCheck.Rand(6, d.ShapeArray))).Backward();
                return (d.ToArray(), x.Grad!.ToArray(), w.Grad!.ToArray());
            }
            finally { Compute.Threads = saved; }
        }
        var one = Run(1);
        var four = Run(4);
        Assert.Equal(one.y, four.y);
        Assert.Equal(one.gx, four.gx);
        Assert.Equal(one.gw, four.gw);
    }
}
