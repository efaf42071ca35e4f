using System.Text.Json;
using Restora.Core;
using Restora.Models;

namespace Restora.Training.Tests;

/// <summary>
/// The CI smoke test of training: tens of iterations of a tiny network on tiny patches must lower the loss, and a
/// run interrupted by a checkpoint must continue exactly as the uninterrupted run.
/// </summary>
public class TrainerTests
{
    static TrainingConfig Config(string output, int iterations, string task = "denoise", string arch = "dncnn", double ema = 0) => new()
    {
        Arch = arch,
        ArchOptions = arch == "dncnn" ? new() { ["depth"] = "4", ["features"] = "8" } : new() { ["features"] = "8", ["blocks"] = "1" },
        Task = task,
        Scale = task == "sr" ? 2 : 1,
        TaskParameters = task == "denoise" ? new() { ["sigma"] = "15,35" } : [],
        Data = "(in memory)",
        Output = output,
        Patch = 16,
        Batch = 4,
        Iterations = iterations,
        LearningRate = 1e-3,
        Loss = "mse",
        EmaDecay = ema,
        Warmup = 3,
        ClipGradNorm = 1.0,
        Seed = 11,
        ValidateEvery = 1000,
        CheckpointEvery = 1000,
        Log = output + ".log.jsonl",
    };

    [Theory]
    [InlineData("denoise", "dncnn", 0.85)]
    [InlineData("sr", "edsr", 0.5)]
    public void LossFallsOverTheFirstIterationsOfATinyNetwork(string task, string arch, double factor)
    {
        using var dir = new TestData.Folder(0, 0);
        var losses = new List<float>();
        var run = new TrainingRun(Config(dir.File("m.safetensors"), 80, task, arch) with { TaskParameters = task == "denoise" ? new() { ["sigma"] = "25" } : [] }, TestData.Images(3, 48));
        run.Run(p => losses.Add(p.Loss));
        Assert.Equal(80, losses.Count);
        double first = losses.Take(10).Average(), last = losses.TakeLast(10).Average();
        Assert.True(last < factor * first, $"loss went from {first} to {last}");
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.9)]
    public void ResumingFromACheckpointContinuesBitIdentically(double ema)
    {
        const int n = 7, m = 6;
        var images = TestData.Images(3, 48);
        using var dir = new TestData.Folder(0, 0);

        var straight = new TrainingRun(Config(dir.File("straight.safetensors"), n + m, ema: ema), images);
        straight.Run();

        var cfg = Config(dir.File("split.safetensors"), n + m, ema: ema);
        var first = new TrainingRun(cfg with { CheckpointEvery = n }, images);
        using var stop = new CancellationTokenSource();
        // Stopping as a Ctrl+C would: the run ends after iteration n, checkpointed there.
        first.Run(p => { if (p.Iteration == n) stop.Cancel(); }, stop.Token);
        Assert.Equal(n, first.Trainer.Iteration);
        string statePath = TrainingRun.ResolveCheckpoint(cfg.Output);
        var state = TrainingState.Read(statePath);
        Assert.Equal(n, state.Iteration);
        var second = new TrainingRun(state.Config, images);
        Assert.Null(second.Resume(state, statePath));
        second.Run();

        AssertSameTensors(straight.Trainer.Model.StateDict(), second.Trainer.Model.StateDict());
        AssertSameTensors(straight.Trainer.Optimizer.StateDict(), second.Trainer.Optimizer.StateDict());
        Assert.Equal(straight.Trainer.Optimizer.LearningRate, second.Trainer.Optimizer.LearningRate);
        if (ema > 0) AssertSameTensors(straight.Trainer.Ema!.Average.StateDict(), second.Trainer.Ema!.Average.StateDict());
        var shipped = TrainedModel.Load(dir.File("straight.safetensors")).Module.StateDict();
        AssertSameTensors(ema > 0 ? straight.Trainer.Ema!.Average.StateDict() : straight.Trainer.Model.StateDict(), shipped);
    }

    static void AssertSameTensors(OrderedDictionary<string, Tensor> expected, OrderedDictionary<string, Tensor> actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (k, t) in expected)
            Assert.True(t.ReadOnlySpan.SequenceEqual(actual[k].ReadOnlySpan), $"{k} differs after resuming");
    }

    [Fact]
    public void ValidationCheckpointAndLogLeaveAModelThatRebuildsFromItsMetadata()
    {
        using var val = new TestData.Folder(2, 32, seedOffset: 20);
        using var dir = new TestData.Folder(0, 0);
        var cfg = Config(dir.File("sr.safetensors"), 8, task: "sr", arch: "edsr") with
        {
            Validation = val.Path, ValidateEvery = 4, CheckpointEvery = 4, LogEvery = 2, Command = "restora train (test)",
        };
        var run = new TrainingRun(cfg, TestData.Images(2, 48));
        var events = new List<string?>();
        run.Run(p => events.Add(p.Event));
        Assert.Equal(["val+checkpoint", "val+checkpoint"], events.Where(e => e is not null));
        Assert.NotNull(run.LastValidationPsnr);
        Assert.InRange(run.LastValidationPsnr!.Value, 5, 60);

        var (module, meta) = TrainedModel.Load(cfg.Output);
        Assert.Equal("edsr", meta.Arch);
        Assert.Equal("2", meta.ArchOptions["scale"]);
        Assert.Equal(8, meta.Iterations);
        Assert.Equal("restora train (test)", meta.Command);
        using (var scope = new TensorScope())
        using (Autograd.NoGrad())
            Assert.Equal(new[] { 1, 3, 16, 16 }, module.Forward(Tensor.Zeros(1, 3, 8, 8)).Shape);

        var lines = File.ReadAllLines(cfg.Log!).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal("start", lines[0].GetProperty("event").GetString());
        Assert.Equal([2, 4, 6, 8], lines.Where(l => l.GetProperty("event").GetString() == "train").Select(l => l.GetProperty("iter").GetInt32()));
        Assert.Equal(2, lines.Count(l => l.GetProperty("event").GetString() == "val"));
        Assert.Equal("end", lines[^1].GetProperty("event").GetString());
    }

    [Fact]
    public void NoiseLevelNetworksReceiveEachSamplesSigma()
    {
        using var dir = new TestData.Folder(0, 0);
        var cfg = Config(dir.File("ffd.safetensors"), 3, arch: "ffdnet") with { ArchOptions = new() { ["features"] = "8", ["depth"] = "3" } };
        var run = new TrainingRun(cfg, TestData.Images(2, 48));
        Assert.Equal(3, run.Run());
    }

    [Fact]
    public void UpsamplingArchitectureForDenoisingIsRefusedWithAlternatives()
    {
        using var dir = new TestData.Folder(0, 0);
        var e = Assert.Throws<ArgumentException>(() => new TrainingRun(Config(dir.File("x.safetensors"), 3, arch: "edsr"), TestData.Images(1, 48)));
        Assert.Contains("dncnn", e.Message);
    }

    [Fact]
    public void ADivergingRunStopsWithAMessageInsteadOfTrainingOnNaN()
    {
        using var dir = new TestData.Folder(0, 0);
        var cfg = Config(dir.File("nan.safetensors"), 50) with { LearningRate = 1e6, ClipGradNorm = 0, Warmup = 0 };
        var run = new TrainingRun(cfg, TestData.Images(2, 48));
        var e = Assert.Throws<TrainingDivergedException>(() => run.Run());
        Assert.Contains("learning rate", e.Message);
    }

    [Fact]
    public void ResumingOnDifferentImagesWarnsThatTheBatchesDiffer()
    {
        using var dir = new TestData.Folder(0, 0);
        var cfg = Config(dir.File("fp.safetensors"), 4) with { CheckpointEvery = 2 };
        var first = new TrainingRun(cfg, TestData.Images(2, 48));
        using var stop = new CancellationTokenSource();
        first.Run(p => { if (p.Iteration == 2) stop.Cancel(); }, stop.Token);
        var statePath = TrainingRun.ResolveCheckpoint(cfg.Output);
        var other = new TrainingRun(cfg, TestData.Images(3, 48));
        Assert.Contains("changed", other.Resume(TrainingState.Read(statePath), statePath));
    }
}
