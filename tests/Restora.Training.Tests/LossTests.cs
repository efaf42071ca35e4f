using Restora.Core;

namespace Restora.Training.Tests;

public class LossTests
{
    [Fact]
    public void CharbonnierIsTheMeanOfSqrtOfSquaredDifferencePlusEpsilonSquared()
    {
        using var scope = new TensorScope();
        var x = Tensor.FromArray([0.1f, 0.5f, -0.2f, 0.9f], 4);
        var y = Tensor.FromArray([0.1f, 0.2f, 0.3f, 1.0f], 4);
        double eps = 1e-3;
        double expected = new[] { 0.0, 0.3, -0.5, -0.1 }.Average(d => Math.Sqrt(d * d + eps * eps));
        Assert.Equal(expected, new CharbonnierLoss((float)eps).Compute(x, y).Item(), 5);
    }

    [Fact]
    public void CharbonnierGradientMatchesFiniteDifferences()
    {
        var values = new[] { 0.3f, -0.25f, 0.0004f, 0.8f, -0.6f, 0.05f };
        var target = new[] { 0.1f, 0.1f, 0f, 0.8f, 0.2f, -0.3f };
        using var scope = new TensorScope();
        var x = Tensor.FromArray(values, 2, 3);
        x.RequiresGrad = true;
        var t = Tensor.FromArray(target, 2, 3);
        var loss = new CharbonnierLoss(1e-2f).Compute(x, t);
        loss.Backward();
        var grad = x.Grad!.ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            const double h = 1e-3;
            double Eval(double v)
            {
                double s = 0;
                for (int j = 0; j < values.Length; j++)
                {
                    double d = (j == i ? v : values[j]) - target[j];
                    s += Math.Sqrt(d * d + 1e-4);
                }
                return s / values.Length;
            }
            double numeric = (Eval(values[i] + h) - Eval(values[i] - h)) / (2 * h);
            Assert.Equal(numeric, grad[i], 3);
        }
    }

    [Fact]
    public void WeightedLossAddsItsTermsTimesTheirWeights()
    {
        using var scope = new TensorScope();
        var x = Tensor.FromArray([0.5f, 0.0f], 2);
        var y = Tensor.FromArray([0.0f, 0.0f], 2);
        var loss = new WeightedLoss([(new L1Loss(), 1f), (new MseLoss(), 4f)]);
        Assert.Equal(0.25 + 4 * 0.125, loss.Compute(x, y).Item(), 6);
        Assert.Equal("l1+4*mse", loss.Name);
    }

    [Fact]
    public void UnknownLossNamesTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => Losses.Create("perceptual"));
        Assert.Contains("charbonnier", e.Message);
    }
}
