namespace Restora.Core.Tests;

/// <summary>
/// Pooling and Gram matrices against PyTorch 1.13 (tests/Restora.Training.Tests/Reference/gan_reference.py prints
/// these values): input value i is sin(0.37 i + offset).
/// </summary>
public class PoolingReferenceTests
{
    static Tensor Fill(float offset, params int[] shape) => Restora.TestSupport.SineFill.Make(offset, 1, shape);

    static void Near(float[] expected, ReadOnlySpan<float> actual, double tolerance = 2e-6)
    {
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"[{i}] {actual[i]} vs PyTorch {expected[i]}");
    }

    [Fact]
    public void MaxAndAveragePoolingMatchPyTorchForwardAndBackward()
    {
        var x = Fill(0.3f, 1, 2, 5, 6);
        x.RequiresGrad = true;
        var max = F.MaxPool2d(x, 2);
        var avg = F.AvgPool2d(x, 3, 2, 1, countIncludePad: false);
        Near([0.620986f, 0.9871f, 0.978197f, 0.865834f, 0.988168f, 0.833149f, 0.98919f, 0.975275f, 0.631611f, -0.131653f, 0.314988f, 0.872572f], max.ReadOnlySpan);
        Near([0.436946f, 0.355348f, 0.105703f, 0.066969f, 0.047892f, 0.004203f, 0.402398f, 0.2449f, -0.05303f, 0.056066f, 0.268182f,
            0.420011f, 0.021359f, 0.050959f, 0.0665f, 0.211629f, 0.370495f, 0.413453f], avg.ReadOnlySpan);
        F.Add(F.Sum(max), F.Sum(F.Mul(avg, Fill(0.9f, 1, 2, 3, 3)))).Backward();
        Near([0.195832f, 1.355015f, 0.159183f, 1.325451f, 1.166268f, 0.166268f, 0.34668f, 0.582539f, 0.235858f, 0.444533f, 0.208675f, 0.208675f],
            x.Grad!.ReadOnlySpan);
    }

    [Fact]
    public void GramMatricesMatchPyTorchForwardAndBackward()
    {
        var f = Fill(0.5f, 1, 3, 4, 4);
        f.RequiresGrad = true;
        var g = F.Gram(f);
        Near([0.176538f, 0.165981f, 0.13377f, 0.165981f, 0.175838f, 0.162756f, 0.13377f, 0.162756f, 0.170509f], g.ReadOnlySpan);
        F.Sum(F.Mul(g, Fill(0.8f, 1, 3, 3))).Backward();
        Near([0.014385f, 0.045035f, 0.06959f, 0.084726f, 0.088395f, 0.0801f, 0.060964f, 0.033577f], f.Grad!.ReadOnlySpan);
    }
}
