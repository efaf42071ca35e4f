using Restora.Core.Nn;
using Restora.Core.Optim;
using Restora.Core.Serialization;
using Xunit.Abstractions;

namespace Restora.Core.Tests;

/// <summary>
/// The end-to-end check: the tiny net conv(3→16) → ReLU → conv(16→12) → PixelShuffle(2), started from PyTorch's
/// initial weights (loaded through safetensors), trained full-batch with Adam 1e-3 on MSE for the same 200 steps,
/// must follow PyTorch's loss curve (Reference/tiny_curve.safetensors, made by make_reference.py).
/// </summary>
public class TrainingCurveTests(ITestOutputHelper output)
{
    public static Sequential TinyNet() =>
        new(new Conv2d(3, 16, 3, padding: 1), new ReLU(), new Conv2d(16, 12, 3, padding: 1), new PixelShuffle(2));

    [Fact]
    public void AdamLossCurveMatchesPyTorch()
    {
        var net = TinyNet();
        SafeTensors.LoadModule(ReferenceData.PathOf("tiny_init.safetensors"), net);
        var data = SafeTensors.Load(ReferenceData.PathOf("tiny_curve.safetensors")).Tensors;
        var x = data["input"];
        var target = data["target"];
        var expected = data["loss"].ToArray();
        var opt = new Adam(net.Parameters(), lr: 1e-3);

        var losses = new float[expected.Length];
        for (int step = 0; step < losses.Length; step++)
        {
            using var scope = new TensorScope();
            opt.ZeroGrad();
            var loss = F.MseLoss(net.Forward(x), target);
            loss.Backward();
            opt.Step();
            losses[step] = loss.Item();
        }

        double worstEarly = 0, worstLate = 0;
        for (int i = 0; i < losses.Length; i++)
        {
            double rel = Math.Abs(losses[i] - expected[i]) / expected[i];
            if (i < 50) worstEarly = Math.Max(worstEarly, rel);
            else worstLate = Math.Max(worstLate, rel);
        }
        output.WriteLine($"loss {losses[0]} → {losses[^1]} (PyTorch {expected[0]} → {expected[^1]}); " +
            $"max relative difference steps 0-49: {worstEarly:E2}, steps 50-199: {worstLate:E2}");
        Assert.True(expected[^1] < expected[0] * 0.1, "the reference run should have learned something");
        Assert.True(worstEarly < 1e-4, $"steps 0-49 differ from PyTorch by up to {worstEarly:E2} relative");
        Assert.True(worstLate < 1e-3, $"steps 50-199 differ from PyTorch by up to {worstLate:E2} relative");

        foreach (var (name, p) in net.NamedParameters())
            ReferenceData.AssertClose(data["final." + name], p, 1e-4, 1e-3, $"final {name}");
    }
}
