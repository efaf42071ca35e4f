using System.Diagnostics;
using Restora.Core;
using Restora.Models.Architectures;

namespace Restora.Training;

/// <summary>
/// Seconds per training iteration (forward, loss, backward, Adam step) of a network on random data, timed as
/// the PyTorch comparison script times it (tests/Restora.Training.Tests/Reference/time_pytorch.py): a few
/// warm-up iterations, then the median.
/// </summary>
public static class StepBenchmark
{
    /// <param name="Profile">With profiling: per op, seconds per step forward and backward and times recorded per step.</param>
    public sealed record Result(double MedianSeconds, double MinSeconds, IReadOnlyList<double> Seconds,
        IReadOnlyList<(string Name, double Forward, double Backward, long Count)>? Profile = null);

    /// <param name="profile">After the timed steps, as many again with <see cref="Autograd.Profile"/> on (kept apart
    /// so the timer's own cost stays out of the timed figure).</param>
    public static Result Measure(string arch, ArchitectureOptions options, int batch, int inputSize, int targetSize, string loss,
        int iterations, int warmup = 3, bool profile = false)
    {
        var model = ArchitectureRegistry.Create(arch, options, new Random(0));
        int channels = int.Parse(options.Resolved["channels"]);
        var config = new TrainingConfig { Arch = arch, Task = "denoise", Data = "", Output = "", Loss = loss, Schedule = "constant", LearningRate = 1e-4, Iterations = int.MaxValue };
        var trainer = new Trainer(model, null, Losses.Create(loss), config);
        var data = new PatchBatch(0, batch, channels, inputSize, targetSize);
        var rng = new Random(1);
        for (int i = 0; i < data.Input.Length; i++) data.Input[i] = (float)rng.NextDouble();
        for (int i = 0; i < data.Target.Length; i++) data.Target[i] = (float)rng.NextDouble();
        var times = new List<double>();
        for (int i = 0; i < warmup + iterations; i++)
        {
            data.Iteration = trainer.Iteration;
            var clock = Stopwatch.StartNew();
            trainer.Step(data);
            if (i >= warmup) times.Add(clock.Elapsed.TotalSeconds);
        }
        IReadOnlyList<(string, double, double, long)>? ops = null;
        if (profile)
        {
            var p = new OpProfile();
            Autograd.Profile = p;
            try
            {
                for (int i = 0; i < iterations; i++)
                {
                    data.Iteration = trainer.Iteration;
                    p.Mark();
                    trainer.Step(data);
                }
            }
            finally { Autograd.Profile = null; }
            ops = p.Entries().Select(e => (e.Name, e.Forward / iterations, e.Backward / iterations, e.Count / iterations)).ToList();
        }
        var sorted = times.Order().ToList();
        double median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return new Result(median, sorted[0], times, ops);
    }
}
