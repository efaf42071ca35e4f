using Restora.Core;
using Restora.Core.Nn;
using Restora.Core.Optim;
using Restora.Core.Serialization;
using Restora.Models.Architectures;

namespace Restora.Training;

public readonly record struct StepResult(int Iteration, float Loss, double LearningRate, double GradNorm);

/// <summary>
/// What adversarial training adds to a step of the pixel trainer: whether the network learns at this iteration
/// (NoGAN's critic phase freezes it), loss terms on its output, a discriminator step after it, and the extra state a
/// checkpoint must carry (the discriminator and its optimizer).
/// </summary>
public interface IStepHooks
{
    /// <summary>Whether the network's weights change at <paramref name="iteration"/>.</summary>
    bool UpdatesModel(int iteration);

    /// <summary>Loss terms added to the pixel loss (already weighted), or null for none at this iteration.</summary>
    Tensor? ExtraLoss(int iteration, Tensor input, Tensor output, Tensor target);

    /// <summary>Runs after the network's step with its output, detached (a discriminator learns here).</summary>
    void AfterStep(int iteration, Tensor input, Tensor output, Tensor target);

    /// <summary>Losses of the last step to log beside the total ("d_loss": …).</summary>
    IReadOnlyDictionary<string, double> LastLosses { get; }

    /// <summary>Adds the hooks' own tensors to a checkpoint (keys under their own prefixes).</summary>
    void SaveState(List<KeyValuePair<string, Tensor>> tensors, HashSet<string> integerKeys);

    /// <summary>Restores the hooks' tensors from a checkpoint's, at <paramref name="iteration"/>.</summary>
    void LoadState(IReadOnlyDictionary<string, Tensor> tensors, int iteration, string path);
}

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
        Optimizer = new Adam(model.Parameters(), config.LearningRate, config.Adversarial?.Beta1 ?? 0.9, config.Adversarial?.Beta2 ?? 0.999);
        scheduler = CreateScheduler();
        if (config.EmaDecay > 0)
            Ema = new Ema(model, emaModel ?? throw new ArgumentException("an EMA decay needs a second network to hold the average"), config.EmaDecay);
    }

    public Module Model { get; }
    public Ema? Ema { get; }
    /// <summary>Adversarial training's additions to each step, or null for pixel-loss training.</summary>
    public IStepHooks? Hooks { get; set; }
    public Adam Optimizer { get; }
    public int Iteration { get; private set; }

    /// <summary>The network to validate and ship: the weight average when there is one.</summary>
    public Module Best => Ema?.Average ?? Model;

    LrScheduler CreateScheduler() => Schedule(config, Optimizer);

    /// <summary>The run's learning-rate schedule for <paramref name="optimizer"/> (a discriminator follows the same shape).</summary>
    public static LrScheduler Schedule(TrainingConfig config, Optimizer optimizer) => config.Schedule switch
    {
        "cosine" => new CosineAnnealingLR(optimizer, config.Iterations, config.MinLearningRate, config.Warmup),
        "step" => new StepLR(optimizer, config.StepSize > 0 ? config.StepSize : Math.Max(1, config.Iterations / 2), config.StepGamma, config.Warmup),
        _ => new StepLR(optimizer, int.MaxValue, 1, config.Warmup),
    };

    public StepResult Step(PatchBatch batch)
    {
        if (batch.Iteration != Iteration)
            throw new InvalidOperationException($"batch for iteration {batch.Iteration} given at iteration {Iteration}");
        double lr = Optimizer.LearningRate;
        float lossValue;
        double norm = double.NaN;
        bool update = Hooks?.UpdatesModel(Iteration) ?? true;
        using (new TensorScope())
        {
            Optimizer.ZeroGrad();
            var x = Tensor.FromArray(batch.Input, batch.InputShape);
            var y = Tensor.FromArray(batch.Target, batch.TargetShape);
            // Dropout masks follow (seed, iteration) alone, so a resumed run draws what the uninterrupted one would.
            if (Model is IStochasticModule stochastic) stochastic.SetNoiseSeed(NoiseSeed(config.Seed, Iteration));
            Tensor output;
            using (update ? null : Autograd.NoGrad())
            {
                if (Model is INoiseLevelInput noisy) output = noisy.Forward(x, Tensor.FromArray(batch.NoiseLevels, batch.InputShape[0], 1, 1, 1));
                else output = Model.Forward(x);
            }
            var l = loss.Compute(output, y);
            if (update && Hooks?.ExtraLoss(Iteration, x, output, y) is { } extra) l = F.Add(l, extra);
            lossValue = l.Item();
            if (!float.IsFinite(lossValue))
                throw new TrainingDivergedException($"the loss became {lossValue} at iteration {Iteration}: lower the learning rate or clip gradients (the last checkpoint is intact)");
            if (update)
            {
                l.Backward();
                if (config.ClipGradNorm > 0) norm = GradClip.ClipGradNorm(Model.Parameters(), config.ClipGradNorm);
                Optimizer.Step();
            }
            // The hooks get the output detached (a copy off the tape); pixel training copies nothing.
            if (Hooks is not null) Hooks.AfterStep(Iteration, x, Tensor.FromArray(output.ReadOnlySpan, [.. output.Shape]), y);
        }
        scheduler.Step();
        Ema?.Update(Iteration + 1);
        Iteration++;
        return new StepResult(Iteration, lossValue, lr, norm);
    }

    /// <summary>The seed of a network's dropout at one iteration.</summary>
    public static ulong NoiseSeed(ulong seed, int iteration) => (seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)iteration * 0xC2B2AE3D27D4EB4FUL) ^ 0x5851F42D4C957F2DUL;

    // ---------- checkpoints ----------

    public void SaveState(string path)
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        var integer = new HashSet<string>();
        Add("model.", Model);
        if (Ema is not null) Add("ema.", Ema.Average);
        foreach (var (k, t) in Optimizer.StateDict()) tensors.Add(new("optim." + k, t));
        integer.Add("optim.step");
        Hooks?.SaveState(tensors, integer);
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
            Hooks?.LoadState(ck.Tensors, iteration, path);
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

    static Dictionary<string, Tensor> Section(SafeTensors.Checkpoint ck, string prefix) => Section(ck.Tensors, prefix);

    /// <summary>The tensors under <paramref name="prefix"/>, with the prefix taken off their keys.</summary>
    public static Dictionary<string, Tensor> Section(IReadOnlyDictionary<string, Tensor> tensors, string prefix) =>
        tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
}

/// <summary>The loss stopped being a number: the run cannot go on from here (a user-facing condition, not a bug).</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);
