using Restora.Core;
using Restora.Core.Nn;
using Restora.Core.Optim;
using Restora.Models;
using Restora.Training.Adversarial;

namespace Restora.Training.Tests;

/// <summary>
/// The GAN machinery end to end: a toy GAN learns a 1-D Gaussian with every loss, an adversarial run (NoGAN phases,
/// dropout, a conditional PatchGAN) resumes bit-identically, and the registries build every discriminator.
/// </summary>
public class AdversarialTrainingTests
{
    /// <summary>A two-layer perceptron judging 1-D samples ([N, 1]).</summary>
    sealed class MlpDiscriminator : Discriminator
    {
        readonly Linear a, b;

        public MlpDiscriminator(Random rng)
        {
            a = RegisterModule("a", new Linear(1, 32, rng: rng));
            b = RegisterModule("b", new Linear(32, 1, rng: rng));
        }

        public override DiscriminatorOutput Judge(Tensor x)
        {
            var h = F.LeakyRelu(a.Forward(x), 0.2f);
            return new DiscriminatorOutput([b.Forward(h)], [[h]]);
        }
    }

    sealed class MlpGenerator : Module
    {
        readonly Linear a, b;

        public MlpGenerator(Random rng)
        {
            a = RegisterModule("a", new Linear(4, 32, rng: rng));
            b = RegisterModule("b", new Linear(32, 1, rng: rng));
        }

        public override Tensor Forward(Tensor z) => b.Forward(F.LeakyRelu(a.Forward(z), 0.2f));
    }

    [Theory]
    [InlineData("vanilla")]
    [InlineData("lsgan")]
    [InlineData("hinge")]
    [InlineData("ragan")]
    public void AToyGanLearnsAGaussianItHasNeverSeen(string lossName)
    {
        // Real samples ~ N(2, 0.5²); the generator starts near 0 and only ever sees the discriminator's verdicts.
        const int batch = 64, steps = 700;
        var rng = new Random(5);
        var g = new MlpGenerator(rng);
        var d = new MlpDiscriminator(rng);
        var loss = GanLosses.Get(lossName);
        var optG = new Adam(g.Parameters(), 2e-3, 0.5, 0.999);
        var optD = new Adam(d.Parameters(), 2e-3, 0.5, 0.999);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        Tensor Noise() => Tensor.FromArray(Enumerable.Range(0, batch * 4).Select(_ => (float)Normal()).ToArray(), batch, 4);
        var last = new List<float>();
        for (int step = 0; step < steps; step++)
        {
            using var scope = new TensorScope();
            var real = Tensor.FromArray(Enumerable.Range(0, batch).Select(_ => (float)(2 + 0.5 * Normal())).ToArray(), batch, 1);
            Tensor fake;
            using (Autograd.NoGrad()) fake = g.Forward(Noise());
            optD.ZeroGrad();
            loss.Discriminator(d.Forward(real), d.Forward(fake)).Backward();
            optD.Step();

            optG.ZeroGrad();
            var generated = g.Forward(Noise());
            Tensor realLogits;
            using (Autograd.NoGrad()) realLogits = d.Forward(real);
            loss.Generator(realLogits, d.Forward(generated)).Backward();
            optG.Step();
            // GANs circle their equilibrium: judge the last 200 steps' samples together.
            if (step >= steps - 200) last.AddRange(generated.ReadOnlySpan.ToArray());
        }
        double mean = last.Average(), sd = Math.Sqrt(last.Average(v => (v - mean) * (v - mean)));
        Assert.True(mean is > 1.75 and < 2.25 && sd is > 0.1 and < 1.0, $"{lossName}: generated mean {mean:0.000}, sd {sd:0.000}");
    }

    static TrainingConfig ColorizeConfig(string output, int iterations) => new()
    {
        Arch = "pix2pix-unet",
        // Depth 6 has a dropout block (level 4): its masks must replay on resume too.
        ArchOptions = new() { ["features"] = "4", ["depth"] = "6" },
        Task = "colorize",
        Data = "(in memory)",
        Output = output,
        Patch = 64,
        Batch = 2,
        Iterations = iterations,
        LearningRate = 1e-3,
        Schedule = "cosine",
        EmaDecay = 0.9,
        Seed = 3,
        ValidateEvery = 1000,
        CheckpointEvery = 1000,
        LogEvery = 1,
        Log = output + ".log.jsonl",
        Adversarial = new AdversarialConfig
        {
            Discriminator = "patchgan", DiscriminatorOptions = new() { ["features"] = "4", ["layers"] = "2" },
            Loss = "vanilla", Weight = 1, PixelWeight = 10, FeatureMatchingWeight = 2, Conditional = true,
            DiscriminatorLearningRate = 4e-4, Beta1 = 0.5, Beta2 = 0.999, PretrainIterations = 3, CriticIterations = 3,
        },
    };

    [Fact]
    public void AnAdversarialRunThroughEveryPhaseResumesBitIdentically()
    {
        const int n = 5, total = 10;
        var images = TestData.Images(3, 64);
        using var dir = new TestData.Folder(0, 0);
        var straight = new TrainingRun(ColorizeConfig(dir.File("straight.safetensors"), total), images);
        straight.Run();

        var cfg = ColorizeConfig(dir.File("split.safetensors"), total);
        var first = new TrainingRun(cfg with { CheckpointEvery = n }, images);
        using var stop = new CancellationTokenSource();
        first.Run(p => { if (p.Iteration == n) stop.Cancel(); }, stop.Token);
        string statePath = TrainingRun.ResolveCheckpoint(cfg.Output);
        var state = TrainingState.Read(statePath);
        Assert.Equal("patchgan", state.Config.Adversarial!.Discriminator);
        var second = new TrainingRun(state.Config, images);
        Assert.Null(second.Resume(state, statePath));
        second.Run();

        Same(straight.Trainer.Model.StateDict(), second.Trainer.Model.StateDict());
        Same(straight.Trainer.Ema!.Average.StateDict(), second.Trainer.Ema!.Average.StateDict());
        Same(straight.Adversarial!.Discriminator.StateDict(), second.Adversarial!.Discriminator.StateDict());
        Same(straight.Adversarial.Optimizer.StateDict(), second.Adversarial.Optimizer.StateDict());
        Assert.Equal(straight.Adversarial.Optimizer.LearningRate, second.Adversarial.Optimizer.LearningRate);

        // The log shows the three NoGAN phases, with the discriminator's loss once it learns.
        var log = File.ReadAllLines(cfg.Log!).Where(l => l.Contains("\"train\"")).ToList();
        Assert.Contains(log, l => l.Contains("\"phase\":\"generator\"") && !l.Contains("d_loss"));
        Assert.Contains(log, l => l.Contains("\"phase\":\"critic\"") && l.Contains("d_loss"));
        Assert.Contains(log, l => l.Contains("\"phase\":\"gan\"") && l.Contains("g_gan") && l.Contains("feature_matching"));
        Assert.Contains("10*l1 + 1*vanilla(patchgan, conditional) + 2*feature_matching", TrainedModel.ReadMetadata(cfg.Output).Extra["loss"]);
    }

    [Fact]
    public void TheCriticPhaseLeavesTheGeneratorUntouched()
    {
        var images = TestData.Images(2, 64);
        using var dir = new TestData.Folder(0, 0);
        var cfg = ColorizeConfig(dir.File("m.safetensors"), 6);
        var run = new TrainingRun(cfg, images);
        using var stop = new CancellationTokenSource();
        Dictionary<string, float[]>? atCriticStart = null;
        run.Run(p =>
        {
            if (p.Iteration == 3) atCriticStart = run.Trainer.Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ReadOnlySpan.ToArray());
        });
        // Iterations 3, 4, 5 are the critic's: the generator's parameters are where iteration 3 left them
        // (batch-norm statistics are buffers and do move).
        foreach (var (name, p) in run.Trainer.Model.NamedParameters())
            Assert.True(p.ReadOnlySpan.SequenceEqual(atCriticStart![name]), $"{name} changed in the critic phase");
    }

    [Theory]
    [InlineData("vgg128", 128, 3)]
    [InlineData("patchgan", 64, 4)]
    [InlineData("multiscale", 128, 3)]
    [InlineData("unet", 64, 3)]
    public void EveryDiscriminatorJudgesABatchAndPassesGradientsBack(string name, int size, int channels)
    {
        var d = Discriminators.Create(name, new Models.Architectures.ArchitectureOptions(new Dictionary<string, string> { ["features"] = "8" }), channels, new Random(1));
        using var scope = new TensorScope();
        var x = Tensor.Full(0.5f, 2, channels, size, size);
        x.RequiresGrad = true;
        var output = d.Judge(x);
        Assert.All(output.Logits, l => Assert.Equal(2, l.Dim(0)));
        Assert.Equal(output.Logits.Count, output.Features.Count);
        Tensor total = F.Sum(output.Logits[0]);
        for (int i = 1; i < output.Logits.Count; i++) total = F.Add(total, F.Sum(output.Logits[i]));
        total.Backward();
        Assert.NotNull(x.Grad);
        Assert.All(d.Parameters(), p => Assert.NotNull(p.Grad));
    }

    [Fact]
    public void AnUnknownDiscriminatorOrGanLossIsNamedWithTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => new AdversarialConfig { Discriminator = "nope" }.Validate());
        Assert.Contains("patchgan", e.Message);
        e = Assert.Throws<ArgumentException>(() => new AdversarialConfig { Loss = "wgan" }.Validate());
        Assert.Contains("ragan", e.Message);
        e = Assert.Throws<ArgumentException>(() => new AdversarialConfig { PerceptualWeight = 1 }.Validate());
        Assert.Contains("--vgg", e.Message);
    }

    static void Same(OrderedDictionary<string, Tensor> expected, OrderedDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (k, t) in expected)
            Assert.True(t.ReadOnlySpan.SequenceEqual(actual[k].ReadOnlySpan), $"{k} differs after resuming");
    }
}
