using Restora.Core.Kernels;

namespace Restora.Core.Tests;

/// <summary>
/// The vector kernels against plain scalar formulas. Lengths are chosen so that the Vector512 body, the Vector256
/// loop (8..15 left over) and the scalar tail all run.
/// </summary>
public class ElementwiseKernelTests
{
    static float[] Values(int n, int seed)
    {
        var r = new Random(seed);
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(r.NextDouble() * 4 - 2);
        if (n > 3) v[3] = 0f; // the kink itself: 0 is not > 0
        return v;
    }

    public static TheoryData<int> Lengths => [0, 1, 7, 8, 15, 16, 17, 24, 31, 32, 33, 47, 100];

    [Theory]
    [MemberData(nameof(Lengths))]
    public void VectorPathsMatchScalarFormulas(int n)
    {
        var x = Values(n, 1);
        var g = Values(n, 2);
        var y = Values(n, 3).Select(v => v / 2).ToArray();
        var d = new float[n];

        Elementwise.LeakyRelu(x, 0.2f, d);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] > 0 ? x[i] : x[i] * 0.2f, d[i]);
        Elementwise.LeakyReluBackward(x, g, 0.2f, d);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] > 0 ? g[i] : g[i] * 0.2f, d[i]);
        Elementwise.LeakyReluBackward(x, g, 0f, d);
        for (int i = 0; i < n; i++) Assert.Equal(x[i] > 0 ? g[i] : 0f, d[i]);
        Elementwise.SigmoidBackward(y, g, d);
        for (int i = 0; i < n; i++) Assert.Equal(g[i] * y[i] * (1 - y[i]), d[i]);
        Elementwise.TanhBackward(y, g, d);
        for (int i = 0; i < n; i++) Assert.Equal(g[i] * (1 - y[i] * y[i]), d[i]);
        Elementwise.Relu(x, d);
        for (int i = 0; i < n; i++) Assert.Equal(Math.Max(x[i], 0f), d[i]);
    }
}
