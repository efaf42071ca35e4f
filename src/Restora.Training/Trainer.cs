using Restora.Core;
using Restora.Core.Nn;
using Restora.Core.Optim;
using Restora.Core.Serialization;
using Restora.Models.Architectures;

namespace Restora.Training;

public readonly record struct StepResult(int Iteration, float Loss, double LearningRate, double GradNorm);

/// <summary>
/// One network, its Adam optimizer, learning-rate schedule, gradient clipping and optional weight average, stepped
/// one batch at a time. Its whole state (weights, average, Adam moments and step, iteration) saves to one
/// safetensors file and loads back so that training continues bit for bit as if never stopped.
/// </summary>
public sealed class Trainer
{
    readonly ILoss loss;
    readonly TrainingConfig config;
    LrScheduler scheduler;

    public Trainer(Module model, Module? emaModel, ILoss loss, TrainingConfig config)
    {
        Model = model;
        this.loss = loss;
        this.config = config;
        Optimizer = new Adam(model.Parameters(), config.LearningRate);
        scheduler = CreateScheduler();
        if (config.EmaDecay > 0)
            Ema = new Ema(model, emaModel ?? throw new ArgumentException("an EMA decay needs a second network to hold the average"), config.EmaDecay);
    }

    public Module Model { get; }
    public Ema? Ema { get; }
    public Adam Optimizer { get; }
    public int Iteration { get; private set; }

    /// <summary>The network to validate and ship: the weight average when there is one.</summary>
    public Module Best => Ema?.Average ?? Model;

    LrScheduler CreateScheduler() => config.Schedule switch
    {
        "cosine" => new CosineAnnealingLR(Optimizer, config.Iterations, config.MinLearningRate, config.Warmup),
        "step" => new StepLR(Optimizer, config.StepSize > 0 ? config.StepSize : Math.Max(1, config.Iterations / 2), config.StepGamma, config.Warmup),
        _ => new StepLR(Optimizer, int.MaxValue, 1, config.Warmup),
    };

    public StepResult Step(PatchBatch batch)
    {
        if (batch.Iteration != Iteration)
            throw new InvalidOperationException($"batch for iteration {batch.Iteration} given at iteration {Iteration}");
        double lr = Optimizer.LearningRate;
        float lossValue;
        double norm = double.NaN;
        using (new TensorScope())
        {
            Optimizer.ZeroGrad();
            var x = Tensor.FromArray(batch.Input, batch.InputShape);
            var y = Tensor.FromArray(batch.Target, batch.TargetShape);
            Tensor output;
            if (Model is INoiseLevelInput noisy) output = noisy.Forward(x, Tensor.FromArray(batch.NoiseLevels, batch.InputShape[0], 1, 1, 1));
            else output = Model.Forward(x);
            var l = loss.Compute(output, y);
            lossValue = l.Item();
            if (!float.IsFinite(lossValue))
                throw new TrainingDivergedException($"the loss became {lossValue} at iteration {Iteration}: lower the learning rate or clip gradients (the last checkpoint is intact)");
            l.Backward();
            if (config.ClipGradNorm > 0) norm = GradClip.ClipGradNorm(Model.Parameters(), config.ClipGradNorm);
            Optimizer.Step();
        }
        scheduler.Step();
        Ema?.Update(Iteration + 1);
        Iteration++;
        return new StepResult(Iteration, lossValue, lr, norm);
    }

    // ---------- checkpoints ----------

    public void SaveState(string path)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        var integer = new HashSet<string>();
        Add("model.", Model);
        if (Ema is not null) Add("ema.", Ema.Average);
        foreach (var (k, t) in Optimizer.StateDict()) tensors.Add(new("optim." + k, t));
        integer.Add("optim.step");
        AtomicFile.Write(path, p => SafeTensors.Save(p, tensors, new Dictionary<string, string> { ["iteration"] = Iteration.ToString(System.Globalization.CultureInfo.InvariantCulture) }, integer));

        void Add(string prefix, Module m)
        {
            foreach (var (k, t) in m.StateDict()) tensors.Add(new(prefix + k, t));
            foreach (var k in m.IntegerStateKeys()) integer.Add(prefix + k);
        }
    }

    /// <summary>
    /// Warm start (EDSR's trick of starting x3/x4 from a trained x2 network, or fine-tuning): copies every tensor of
    /// a trained network whose name and shape match this one's, into the weights and their average. Others keep
    /// their fresh initialisation. Returns (copied, total) so the caller can say how much was carried over.
    /// </summary>
    public (int Copied, int Total) InitializeFrom(IReadOnlyDictionary<string, Tensor> trained)
    {
        var own = Model.StateDict();
        int copied = 0;
        foreach (var (key, t) in own)
            if (trained.TryGetValue(key, out var src) && src.SameShape(t))
            {
                src.ReadOnlySpan.CopyTo(t.Span);
                copied++;
            }
        Ema?.Average.LoadStateDict(Model.StateDict());
        return (copied, own.Count);
    }

    public void LoadState(string path, int iteration)
    {
        var ck = SafeTensors.Load(path);
        try
        {
            if (!ck.Metadata.TryGetValue("iteration", out var saved) || saved != iteration.ToString(System.Globalization.CultureInfo.InvariantCulture))
                throw new InvalidDataException($"{path}: holds iteration {saved ?? "?"}, the training state says {iteration}");
            Model.LoadStateDict(Section(ck, "model."));
            if (Ema is not null)
            {
                var ema = Section(ck, "ema.");
                if (ema.Count == 0) throw new InvalidDataException($"{path}: has no weight average, but the run uses one");
                Ema.Average.LoadStateDict(ema);
            }
            Optimizer.LoadStateDict(Section(ck, "optim."));
            Iteration = iteration;
            // Schedules are pure functions of the step count: replaying the steps restores the exact rate.
            scheduler = CreateScheduler();
            for (int i = 0; i < iteration; i++) scheduler.Step();
        }
        finally
        {
            foreach (var t in ck.Tensors.Values) t.Dispose();
        }
    }

    static Dictionary<string, Tensor> Section(SafeTensors.Checkpoint ck, string prefix) =>
        ck.Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}

/// <summary>The loss stopped being a number: the run cannot go on from here (a user-facing condition, not a bug).</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
