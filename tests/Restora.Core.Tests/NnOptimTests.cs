using Restora.Core.Nn;
using Restora.Core.Optim;

namespace Restora.Core.Tests;

public class NnTests
{
    sealed class Block : Module
    {
        public Block()
        {
            RegisterModule("body", new Sequential(new Conv2d(2, 4, 3, padding: 1), new BatchNorm2d(4), new PReLU(4)));
            RegisterModule("up", new ConvTranspose2d(4, 2, 2, stride: 2, bias: false));
            Scale = RegisterParameter("scale", Tensor.Persistent(1));
        }

        public Tensor Scale { get; }
        public override Tensor Forward(Tensor input) => throw new NotSupportedException();
    }

    [Fact]
    public void StateDictHasPyTorchKeysInPyTorchOrder()
    {
        Assert.Equal(["scale", "body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "body.1.running_mean",
            "body.1.running_var", "body.1.num_batches_tracked", "body.2.weight", "up.weight"], new Block().StateDict().Keys);
        Assert.Equal(["scale", "body.0.weight", "body.0.bias", "body.1.weight", "body.1.bias", "body.2.weight", "up.weight"],
            new Block().NamedParameters().Select(p => p.Name));
        Assert.Equal([4, 2, 2, 2], new Block().StateDict()["up.weight"].Shape); // [in, out/groups, kh, kw]
    }

    [Fact]
    public void LoadStateDictReportsMissingUnexpectedAndMisshapenKeys()
    {
        var net = new Sequential(new Conv2d(1, 2, 3));
        var bad = new Dictionary<string, Tensor> { ["0.weight"] = Tensor.Zeros(2, 1, 2, 2), ["extra"] = Tensor.Zeros(1) };
        var e = Assert.Throws<InvalidOperationException>(() => net.LoadStateDict(bad));
        Assert.Contains("missing key '0.bias'", e.Message);
        Assert.Contains("unexpected key 'extra'", e.Message);
        Assert.Contains("[2, 1, 2, 2]", e.Message);
        Assert.Contains("[2, 1, 3, 3]", e.Message);
        var partial = new Dictionary<string, Tensor> { ["0.bias"] = Tensor.FromArray([5f, 6f], 2) };
        net.LoadStateDict(partial, strict: false);
        Assert.Equal([5f, 6f], ((Conv2d)net[0]).Bias!.ToArray());
    }

    [Fact]
    public void BatchNormUsesRunningStatisticsInEval()
    {
        var bn = new BatchNorm2d(2);
        var x = GradCheck.Rand(1, 4, 2, 3, 3);
        bn.Forward(x);
        Assert.Equal(1f, bn.NumBatchesTracked!.Item());
        Assert.NotEqual(0f, bn.RunningMean!.Span[0]);
        bn.Eval();
        var y = bn.Forward(x);
        float expected = (x[0, 1, 2, 0] - bn.RunningMean.Span[1]) / MathF.Sqrt(bn.RunningVar!.Span[1] + 1e-5f);
        Assert.Equal(expected, y[0, 1, 2, 0], 1e-5f);
        Assert.Equal(1f, bn.NumBatchesTracked.Item());
    }

    [Theory]
    [InlineData("kaiming_uniform")]
    [InlineData("kaiming_normal")]
    [InlineData("xavier_uniform")]
    [InlineData("xavier_normal")]
    public void InitializersHaveTheirStandardDeviation(string kind)
    {
        var t = Tensor.Persistent(64, 32, 3, 3); // fan_in 288, fan_out 576
        var rng = new Random(11);
        double expected;
        switch (kind)
        {
            case "kaiming_uniform": Init.KaimingUniform(t, nonlinearity: "relu", rng: rng); expected = Math.Sqrt(2.0 / 288); break;
            case "kaiming_normal": Init.KaimingNormal(t, nonlinearity: "relu", rng: rng); expected = Math.Sqrt(2.0 / 288); break;
            case "xavier_uniform": Init.XavierUniform(t, rng: rng); expected = Math.Sqrt(2.0 / (288 + 576)); break;
            default: Init.XavierNormal(t, rng: rng); expected = Math.Sqrt(2.0 / (288 + 576)); break;
        }
        var v = t.ToArray();
        double mean = v.Average(), std = Math.Sqrt(v.Select(a => (a - mean) * (a - mean)).Average());
        Assert.InRange(mean, -0.05 * expected, 0.05 * expected);
        Assert.InRange(std, 0.97 * expected, 1.03 * expected);
    }
}

public class OptimTests
{
    static Tensor Param(params float[] v)
    {
        var p = Tensor.PersistentFrom(v, v.Length);
        p.RequiresGrad = true;
        return p;
    }

    static void SetGrad(Tensor p, params float[] g) => p.Grad = Tensor.PersistentFrom(g, g.Length);

    [Fact]
    public void SgdMomentumNesterovAndWeightDecayFollowPyTorch()
    {
        // Hand-computed from torch.optim.SGD's update rule.
        var p = Param(1f);
        var sgd = new SGD([p], lr: 0.1, momentum: 0.9, weightDecay: 0.5);
        SetGrad(p, 2f);
        sgd.Step(); // d = 2 + 0.5 = 2.5, buf = 2.5, p = 1 - 0.25 = 0.75
        Assert.Equal(0.75f, p.Item(), 1e-6f);
        sgd.Step(); // d = 2 + 0.375 = 2.375, buf = 2.25 + 2.375 = 4.625, p = 0.75 - 0.4625
        Assert.Equal(0.2875f, p.Item(), 1e-6f);

        var q = Param(1f);
        var nest = new SGD([q], lr: 0.1, momentum: 0.5, nesterov: true);
        SetGrad(q, 1f);
        nest.Step(); // buf = 1, d = 1 + 0.5 = 1.5
        Assert.Equal(0.85f, q.Item(), 1e-6f);
    }

    [Fact]
    public void AdamFirstStepIsLearningRateTimesSign()
    {
        var p = Param(1f, -2f, 3f);
        var adam = new Adam([p], lr: 0.01);
        SetGrad(p, 0.5f, -3f, 1e-3f);
        adam.Step();
        Assert.Equal([0.99f, -1.99f, 2.99f], p.ToArray().Select(v => MathF.Round(v, 5)));
    }

    [Fact]
    public void AdamWDecaysWeightsAndAdamDoesL2()
    {
        var p = Param(2f);
        var adamw = new AdamW([p], lr: 0.1, weightDecay: 0.5);
        SetGrad(p, 0f);
        adamw.Step(); // zero gradient: only the decoupled decay moves the weight
        Assert.Equal(2f * (1 - 0.05f), p.Item(), 1e-6f);

        var q = Param(2f);
        var adam = new Adam([q], lr: 0.1, weightDecay: 0.5);
        SetGrad(q, 0f);
        adam.Step(); // L2: the gradient becomes 1, so the first step is -lr
        Assert.Equal(1.9f, q.Item(), 1e-5f);
    }

    [Fact]
    public void SchedulesWithWarmup()
    {
        var opt = new SGD([Param(0f)], lr: 1.0);
        var cos = new CosineAnnealingLR(opt, totalSteps: 110, minLr: 0.1, warmupSteps: 10);
        Assert.Equal(0.1, opt.LearningRate, 12);
        Assert.Equal(0.5, cos.LearningRateAt(4), 12);
        Assert.Equal(1.0, cos.LearningRateAt(10), 12);
        Assert.Equal(0.55, cos.LearningRateAt(60), 12);
        Assert.Equal(0.1, cos.LearningRateAt(110), 12);
        Assert.Equal(0.1, cos.LearningRateAt(500), 12);
        for (int i = 0; i < 60; i++) cos.Step();
        Assert.Equal(0.55, opt.LearningRate, 12);

        var opt2 = new SGD([Param(0f)], lr: 0.8);
        var step = new StepLR(opt2, stepSize: 30, gamma: 0.5, warmupSteps: 2);
        Assert.Equal(0.4, step.LearningRateAt(0), 12);
        Assert.Equal(0.8, step.LearningRateAt(31), 12);
        Assert.Equal(0.4, step.LearningRateAt(32), 12);
        Assert.Equal(0.2, step.LearningRateAt(62), 12);
    }

    [Fact]
    public void ClipGradNormScalesAllGradientsTogether()
    {
        var a = Param(0f, 0f);
        var b = Param(0f);
        SetGrad(a, 3f, 0f);
        SetGrad(b, 4f);
        double norm = GradClip.ClipGradNorm([a, b], 1.0);
        Assert.Equal(5.0, norm, 6);
        Assert.Equal(0.6f, a.Grad!.Span[0], 1e-5f);
        Assert.Equal(0.8f, b.Grad!.Span[0], 1e-5f);
        Assert.Equal(1.0, GradClip.ClipGradNorm([a, b], 10.0), 4); // below the limit: untouched
        Assert.Equal(0.8f, b.Grad!.Span[0], 1e-5f);
        GradClip.ClipGradValue([a, b], 0.7f);
        Assert.Equal(0.6f, a.Grad!.Span[0], 1e-5f);
        Assert.Equal(0f, a.Grad!.Span[1]);
        Assert.Equal(0.7f, b.Grad!.Span[0]);
    }

    [Fact]
    public void SgdTrainsASmallConvNetDownhill()
    {
        var net = new Sequential(new Conv2d(1, 4, 3, padding: 1, rng: new Random(1)), new GELU(), new Conv2d(4, 1, 3, padding: 1, rng: new Random(2)));
        var x = GradCheck.Rand(3, 2, 1, 6, 6);
        var target = F.Mul(x, -1f);
        var opt = new SGD(net.Parameters(), lr: 0.1, momentum: 0.9);
        var sched = new CosineAnnealingLR(opt, 60, warmupSteps: 5);
        float first = 0, last = 0;
        for (int i = 0; i < 60; i++)
        {
            using var scope = new TensorScope();
            opt.ZeroGrad();
            var loss = F.MseLoss(net.Forward(x), target);
            loss.Backward();
            GradClip.ClipGradNorm(net.Parameters(), 1.0);
            opt.Step();
            sched.Step();
            if (i == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < 0.2f * first, $"loss {first} → {last}");
    }
}

/// <summary>30 steps of each optimizer on the loss Σ tanh(p·c)·d, against PyTorch's trajectories (Reference/optim.safetensors).</summary>
public class OptimizerTrajectoryTests
{
    static readonly Dictionary<string, Func<Tensor, Optimizer>> Make = new()
    {
        ["sgd_momentum_wd"] = p => new SGD([p], lr: 0.1, momentum: 0.9, weightDecay: 0.01),
        ["sgd_nesterov_dampening0"] = p => new SGD([p], lr: 0.05, momentum: 0.8, nesterov: true),
        ["sgd_dampening"] = p => new SGD([p], lr: 0.05, momentum: 0.8, dampening: 0.3),
        ["adam"] = p => new Adam([p], lr: 0.05),
        ["adam_l2"] = p => new Adam([p], lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1),
        ["adamw"] = p => new AdamW([p], lr: 0.05, weightDecay: 0.1),
    };

    public static TheoryData<string> Names => [.. Make.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void FollowsPyTorch(string name)
    {
        var refs = Serialization.SafeTensors.Load(ReferenceData.PathOf("optim.safetensors")).Tensors;
        var p = Tensor.PersistentFrom(refs["p0"].ReadOnlySpan, 12);
        p.RequiresGrad = true;
        var opt = Make[name](p);
        var expected = refs[name];
        for (int step = 0; step < expected.Dim(0); step++)
        {
            using (new TensorScope())
            {
                opt.ZeroGrad();
                F.Sum(F.Mul(F.Tanh(F.Mul(p, refs["c"])), refs["d"])).Backward();
                opt.Step();
            }
            for (int i = 0; i < 12; i++)
                Assert.True(Math.Abs(expected[step, i] - p.Span[i]) <= 1e-5 + 1e-5 * Math.Abs(expected[step, i]),
                    $"{name} step {step} element {i}: PyTorch {expected[step, i]:G9}, Restora {p.Span[i]:G9}");
        }
    }
}
