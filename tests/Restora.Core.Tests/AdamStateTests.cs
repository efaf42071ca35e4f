using Restora.Core.Optim;

namespace Restora.Core.Tests;

public class AdamStateTests
{
    static Tensor Param(float[] values)
    {
        var p = Tensor.PersistentFrom(values, values.Length);
        p.RequiresGrad = true;
        return p;
    }

    static void Step(Adam opt, Tensor p, float[] grad)
    {
        p.Grad = Tensor.PersistentFrom(grad, grad.Length);
        opt.Step();
    }

    [Fact]
    public void AdamRestoredFromItsStateDictTakesTheSameNextStep()
    {
        var a = Param([0.5f, -1f, 2f]);
        var adam = new Adam([a], lr: 0.1);
        Step(adam, a, [0.3f, -0.2f, 1f]);
        Step(adam, a, [0.1f, 0.4f, -2f]);

        var b = Param(a.ToArray());
        var restored = new Adam([b], lr: 0.1);
        restored.LoadStateDict(adam.StateDict());
        Assert.Equal(2, restored.StepCount);

        Step(adam, a, [-0.7f, 0.05f, 0.5f]);
        Step(restored, b, [-0.7f, 0.05f, 0.5f]);
        Assert.Equal(a.ToArray(), b.ToArray());
    }

    [Fact]
    public void AdamStateOfAnotherParameterListIsRejected()
    {
        var a = Param([1f, 2f, 3f]);
        var adam = new Adam([a]);
        Step(adam, a, [1f, 1f, 1f]);
        var other = new Adam([Param([1f, 2f])]);
        Assert.Throws<InvalidOperationException>(() => other.LoadStateDict(adam.StateDict()));
    }
}
