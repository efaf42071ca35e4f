using Restora.Core.Serialization;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Restora.Core.Nn;
using Restora.Imaging;
using Restora.Models;
using Restora.Models.Architectures;

namespace Restora.Training;

/// <summary>What a run tells its caller (the CLI's progress bar) after each iteration and validation.</summary>
public readonly record struct TrainingProgress(
    int Iteration, int Total, float Loss, double LearningRate, double IterationsPerSecond, double? ValidationPsnr, string? Event);

/// <summary>The JSON training state written next to a checkpoint's tensors.</summary>
public sealed record TrainingState
{
    public const string CurrentFormat = "restora-train-state-1";
    public string Format { get; init; } = CurrentFormat;
    public required TrainingConfig Config { get; init; }
    public int Iteration { get; init; }
    public double Seconds { get; init; }
    public double? LastValidationPsnr { get; init; }
    public double? BestValidationPsnr { get; init; }
    public int? BestIteration { get; init; }
    /// <summary>The tensors file (model, average, optimizer), relative to this JSON file.</summary>
    public required string Tensors { get; init; }
    /// <summary>Names and sizes of the training images, hashed: a resumed run checks it sees the same data.</summary>
    public string? DataFingerprint { get; init; }

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static TrainingState Read(string path)
    {
        try
        {
            var state = JsonSerializer.Deserialize<TrainingState>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"{path}: empty training state");
            if (state.Format != CurrentFormat) throw new InvalidDataException($"{path}: training state format '{state.Format}', expected '{CurrentFormat}'");
            return state;
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not a training state: {e.Message}", e); }
    }
}

/// <summary>
/// A whole training run: builds the network from the registry, streams patches, steps the <see cref="Trainer"/>,
/// validates on a held-out folder with the evaluation protocol, logs JSON lines, and every N iterations writes a
/// checkpoint (tensors + JSON state, <c>OUTPUT.ckpt.safetensors</c> and <c>OUTPUT.ckpt.json</c>) and the model
/// file itself, so a long background run always leaves a usable model and can resume in a later session.
/// </summary>
public sealed class TrainingRun
{
    readonly TrainingConfig config;
    readonly ArchitectureInfo architecture;
    readonly ArchitectureOptions resolvedOptions;
    readonly Trainer trainer;
    readonly PatchSampler sampler;
    readonly List<(string Name, Image Image)> validationImages = [];
    readonly Dictionary<string, Image> validationInputs = [];
    double secondsBefore;
    double? lastPsnr, bestPsnr;
    int? bestIteration;

    public TrainingRun(TrainingConfig config, CleanImages? images = null, DecodeOptions? decode = null, Action<string>? status = null)
    {
        config.Validate();
        this.config = config;
        architecture = ArchitectureRegistry.Get(config.Arch);
        var task = config.TaskKind;
        var options = new Dictionary<string, string>(config.ArchOptions) { ["channels"] = task.NetworkInputChannels(config.Channels).ToString(CultureInfo.InvariantCulture) };
        foreach (var (key, value) in task.RequiredArchitectureOptions)
        {
            if (options.TryGetValue(key, out var given) && !string.Equals(given, value, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"the {task.Name} task needs the architecture option {key}={value}, not {given}");
            options[key] = value;
        }
        if (architecture.ScaleMode == ScaleMode.Upsampling)
        {
            if (!task.Enlarges && architecture.MinScale > 1)
                throw new ArgumentException($"{architecture.Name} is an upsampling network; for {config.Task} use a same-size one (dncnn, ffdnet, unet, vdsr, srcnn) or rrdbnet");
            options["scale"] = (task.Enlarges ? config.Scale : 1).ToString(CultureInfo.InvariantCulture);
        }
        var seedRng = new Random(unchecked((int)config.Seed) ^ (int)(config.Seed >> 32));
        resolvedOptions = new ArchitectureOptions(options);
        var model = ArchitectureRegistry.Create(architecture.Name, resolvedOptions, seedRng);
        var ema = config.EmaDecay > 0 ? ArchitectureRegistry.Create(architecture.Name, new ArchitectureOptions(options), new Random(0)) : null;
        var pixel = Losses.Create(config.Loss);
        if (config.Adversarial is { PixelWeight: not 1 } adv) pixel = new WeightedLoss([(pixel, (float)adv.PixelWeight)]);
        trainer = new Trainer(model, ema, pixel, config);
        if (config.Adversarial is not null) trainer.Hooks = Adversarial = CreateAdversarial(config, task, seedRng);

        int multiple = architecture.SizeMultipleFor(resolvedOptions.Resolved);
        if (config.Patch % multiple != 0 || (task.Enlarges && architecture.ScaleMode == ScaleMode.Upsampling
                && config.Patch / Math.Max(1, config.Scale) % multiple != 0))
            throw new ArgumentException($"{architecture.Name} needs input sizes that are multiples of {multiple}; patch {config.Patch} is not");
        status?.Invoke($"loading training images from {config.Data}");
        images ??= task.UsesPairs ? CleanImages.LoadPairs(config.Data, config.Channels, config.Patch, decode, config.Holdout)
            : CleanImages.Load(config.Data, config.Channels, config.Patch, decode, holdout: config.Holdout);
        if (images.Channels != config.Channels) throw new ArgumentException($"images were prepared for {images.Channels} channels, the network has {config.Channels}");
        Skipped = images.Skipped;
        DataFingerprint = images.Fingerprint();
        sampler = new PatchSampler(images, config.Degradation(), config.Patch, architecture.ScaleMode == ScaleMode.SameSize);
        if (task.UsesPairs)
        {
            // Validation pairs: another INPUTS:TARGETS (--val), or the pairs held out of --data.
            var pairs = Restora.Models.PairedFolders.Pairs(config.Validation ?? config.Data);
            var chosen = config.Validation is not null ? pairs.Select(p => p.Target).ToList()
                : config.Holdout > 0 ? CleanImages.Split(pairs.Select(p => p.Target).ToList(), config.Holdout).Validation : [];
            foreach (var (inputFile, targetFile) in pairs.Where(p => chosen.Contains(p.Target)))
            {
                var (input, target) = Restora.Models.PairedFolders.Load(inputFile, targetFile, decode);
                validationImages.Add((Path.GetFileName(targetFile), target));
                validationInputs[Path.GetFileName(targetFile)] = input;
            }
        }
        else
        {
            var validationFiles = config.Validation is not null ? CleanImages.ListFiles(config.Validation)
                : config.Holdout > 0 ? CleanImages.Split(CleanImages.ListFiles(config.Data), config.Holdout).Validation
                : [];
            foreach (var f in validationFiles)
                validationImages.Add((Path.GetFileName(f), ImageFile.Load(f, decode)));
        }
    }

    /// <summary>The discriminator side of an adversarial run, or null.</summary>
    public Restora.Training.Adversarial.AdversarialTraining? Adversarial { get; }

    Restora.Training.Adversarial.AdversarialTraining CreateAdversarial(TrainingConfig config, RestorationTask task, Random seedRng)
    {
        var adv = config.Adversarial!;
        int inputs = task.NetworkInputChannels(config.Channels);
        int outputs = ArchitectureInfo.OutputChannels(resolvedOptions.Resolved);
        var disc = Restora.Training.Adversarial.Discriminators.Create(adv.Discriminator, new ArchitectureOptions(adv.DiscriminatorOptions),
            adv.Conditional ? inputs + outputs : outputs, new Random(seedRng.Next()));
        if (disc.InputSize is int size && size != config.Patch)
            throw new ArgumentException($"the {adv.Discriminator} discriminator takes {size}x{size} images: use --patch {size}");
        if (config.Patch % disc.SizeMultiple != 0)
            throw new ArgumentException($"the {adv.Discriminator} discriminator needs patch sides that are multiples of {disc.SizeMultiple}");
        Restora.Training.Adversarial.PerceptualLoss? perceptual = null;
        if (adv.Vgg is string vgg)
            perceptual = new Restora.Training.Adversarial.PerceptualLoss(Restora.Training.Adversarial.Vgg19Features.Load(vgg), Restora.Training.Adversarial.PerceptualLoss.ParseLayers(adv.PerceptualLayers),
                adv.PerceptualWeight > 0, adv.StyleWeight > 0);
        return new Restora.Training.Adversarial.AdversarialTraining(adv, disc, config.LearningRate, o => Trainer.Schedule(config, o), perceptual);
    }

    /// <summary>Starts from a trained network's weights where names and shapes match (see
    /// <see cref="Trainer.InitializeFrom"/>); a file that shares nothing with this network is an error.</summary>
    public string InitializeFrom(string path)
    {
        var file = SafeTensors.Load(path);
        try
        {
            var (copied, total) = trainer.InitializeFrom(file.Tensors);
            if (copied == 0) throw new InvalidDataException($"{path}: no tensor matches a {architecture.Name} network with these options by name and shape");
            return $"initialised {copied} of {total} tensors from {path}";
        }
        finally
        {
            foreach (var t in file.Tensors.Values) t.Dispose();
        }
    }

    public Trainer Trainer => trainer;
    public IReadOnlyList<string> Skipped { get; }
    public string DataFingerprint { get; }
    public double? LastValidationPsnr => lastPsnr;
    public double? BestValidationPsnr => bestPsnr;
    public double Seconds { get; private set; }

    public static string StatePath(string output) => output + ".ckpt.json";
    static string TensorsPath(string output) => output + ".ckpt.safetensors";

    /// <summary>The JSON state of a checkpoint given as its .json, its .safetensors or the model path.</summary>
    public static string ResolveCheckpoint(string path)
    {
        if (path.EndsWith(".ckpt.json", StringComparison.Ordinal) && File.Exists(path)) return path;
        if (path.EndsWith(".ckpt.safetensors", StringComparison.Ordinal)) path = path[..^".ckpt.safetensors".Length];
        var json = StatePath(path);
        if (File.Exists(json)) return json;
        throw new FileNotFoundException($"{path}: no checkpoint here (expected {json})");
    }

    /// <summary>Loads a checkpoint's weights, optimizer and counters into this run (built from the same config).</summary>
    /// <returns>A warning when the training images differ from the checkpoint's (the run goes on, but the
    /// batches then differ from those an uninterrupted run would have seen), else null.</returns>
    public string? Resume(TrainingState state, string statePath)
    {
        var tensors = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(statePath))!, state.Tensors);
        trainer.LoadState(tensors, state.Iteration);
        secondsBefore = state.Seconds;
        lastPsnr = state.LastValidationPsnr;
        bestPsnr = state.BestValidationPsnr;
        bestIteration = state.BestIteration;
        return state.DataFingerprint is not null && state.DataFingerprint != DataFingerprint
            ? $"the images in {config.Data} changed since the checkpoint; training goes on, but not on the batches the uninterrupted run would have had"
            : null;
    }

    public void SaveCheckpoint()
    {
        var tensors = TensorsPath(config.Output);
        trainer.SaveState(tensors);
        var state = new TrainingState
        {
            Config = config, Iteration = trainer.Iteration, Seconds = Seconds,
            LastValidationPsnr = lastPsnr, BestValidationPsnr = bestPsnr, BestIteration = bestIteration,
            Tensors = Path.GetFileName(tensors),
            DataFingerprint = DataFingerprint,
        };
        AtomicFile.Write(StatePath(config.Output), p => File.WriteAllText(p, JsonSerializer.Serialize(state, TrainingState.Json)));
        SaveModel();
    }

    public ModelMetadata Metadata() => new()
    {
        Arch = architecture.Name,
        ArchOptions = resolvedOptions.Resolved,
        Task = config.Task,
        Scale = config.TaskKind.Enlarges ? config.Scale : 1,
        Iterations = trainer.Iteration,
        Command = config.Command,
        Extra = new Dictionary<string, string>
        {
            ["loss"] = LossDescription(),
            ["weights"] = trainer.Ema is null ? "trained" : $"ema {config.EmaDecay.ToString(CultureInfo.InvariantCulture)}",
            ["validation_psnr"] = lastPsnr?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "",
        }.Concat(TaskParameterMetadata()).Where(kv => kv.Value != "").ToDictionary(),
    };

    /// <summary>The generator's objective in words: "l1", or "0.01*l1 + 0.005*ragan(vgg128) + 1*perceptual(conv5_4)".</summary>
    string LossDescription()
    {
        if (config.Adversarial is not { } a) return config.Loss;
        var terms = new List<string> { a.PixelWeight == 1 ? config.Loss : $"{a.PixelWeight.ToString(CultureInfo.InvariantCulture)}*{config.Loss}" };
        string W(double w) => w.ToString(CultureInfo.InvariantCulture);
        if (a.Weight > 0) terms.Add($"{W(a.Weight)}*{a.Loss}({a.Discriminator}{(a.Conditional ? ", conditional" : "")})");
        if (a.FeatureMatchingWeight > 0) terms.Add($"{W(a.FeatureMatchingWeight)}*feature_matching");
        if (a.PerceptualWeight > 0) terms.Add($"{W(a.PerceptualWeight)}*perceptual({a.PerceptualLayers})");
        if (a.StyleWeight > 0) terms.Add($"{W(a.StyleWeight)}*style({a.PerceptualLayers})");
        return string.Join(" + ", terms);
    }

    /// <summary>The task's strengths under their file keys ("noise_sigma": "0,55"); the scale has a field of its own.</summary>
    IEnumerable<KeyValuePair<string, string>> TaskParameterMetadata()
    {
        var spec = config.Degradation();
        foreach (var p in spec.Task.Parameters)
            if (p.Name != "scale") yield return new(p.Key, spec.Ranges[p.Name].ToString());
    }

    public void SaveModel() => AtomicFile.Write(config.Output, p => TrainedModel.Save(p, trainer.Best, Metadata()));

    /// <summary>Mean PSNR on the validation folder (the task's evaluation protocol), or null without one.</summary>
    public double? Validate()
    {
        if (validationImages.Count == 0) return null;
        var net = trainer.Best;
        var restorer = new NetworkRestorer(architecture.Name, net, architecture, config.TaskKind.NetworkInputChannels(config.Channels), config.TaskKind, resolvedOptions.Resolved);
        var byName = validationImages.ToDictionary(v => v.Name, v => v.Image);
        try
        {
            var result = Evaluator.Run(validationImages.Select(v => v.Name).ToList(), restorer,
                config.Degradation().ValidationSettings(config.Seed) with { PairedInput = validationInputs.Count > 0 ? (name, _) => validationInputs[name] : null },
                name => byName[name]);
            return result.Psnr;
        }
        finally { trainer.Model.Train(); }
    }

    /// <summary>
    /// Trains up to the configured iteration count, or until <paramref name="cancel"/> fires (then it checkpoints
    /// where it stands). Returns the iteration reached.
    /// </summary>
    public int Run(Action<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        using var log = new TrainingLog(config.Log);
        int start = trainer.Iteration;
        log.Write(start == 0 ? "start" : "resume", start, w =>
        {
            w.WriteString("arch", architecture.Name);
            w.WriteString("task", config.Task);
            w.WriteNumber("iterations", config.Iterations);
            w.WriteString("command", config.Command);
        });
        var clock = Stopwatch.StartNew();
        var window = Stopwatch.StartNew();
        double lossSum = 0;
        int lossCount = 0, windowStart = start;
        using (var data = new PatchDataset(sampler, config.Batch, config.Seed, start, config.Prefetch))
        {
            while (trainer.Iteration < config.Iterations && !cancel.IsCancellationRequested)
            {
                var batch = data.Next();
                var step = trainer.Step(batch);
                data.Recycle(batch);
                Seconds = secondsBefore + clock.Elapsed.TotalSeconds;
                lossSum += step.Loss;
                lossCount++;
                double rate = (step.Iteration - windowStart) / Math.Max(window.Elapsed.TotalSeconds, 1e-9);
                string? evt = null;
                if (step.Iteration % config.LogEvery == 0 || step.Iteration == config.Iterations)
                {
                    double mean = lossSum / lossCount;
                    log.Write("train", step.Iteration, w =>
                    {
                        w.WriteFinite("loss", mean);
                        w.WriteFinite("lr", step.LearningRate);
                        if (!double.IsNaN(step.GradNorm)) w.WriteFinite("grad_norm", step.GradNorm);
                        w.WriteFinite("it_per_s", rate, 4);
                        if (Adversarial is not null)
                        {
                            w.WriteString("phase", Adversarial.Phase(step.Iteration - 1));
                            foreach (var (name, value) in Adversarial.LastLosses) w.WriteFinite(name, value);
                        }
                        w.WriteFinite("seconds", Seconds, 2);
                    });
                    lossSum = 0;
                    lossCount = 0;
                    windowStart = step.Iteration;
                    window.Restart();
                }
                if (step.Iteration % config.ValidateEvery == 0 || step.Iteration == config.Iterations)
                {
                    var psnr = Validate();
                    if (psnr is double p)
                    {
                        lastPsnr = p;
                        if (bestPsnr is null || p > bestPsnr) { bestPsnr = p; bestIteration = step.Iteration; }
                        log.Write("val", step.Iteration, w => w.WriteFinite("psnr", p, 4));
                        evt = "val";
                    }
                }
                if (step.Iteration % config.CheckpointEvery == 0 || step.Iteration == config.Iterations)
                {
                    SaveCheckpoint();
                    log.Write("checkpoint", step.Iteration, w => w.WriteString("path", StatePath(config.Output)));
                    evt = evt is null ? "checkpoint" : evt + "+checkpoint";
                }
                if (evt is not null)
                {
                    // it/s measures training: the clock restarts after a validation or checkpoint pause.
                    windowStart = step.Iteration;
                    window.Restart();
                }
                progress?.Invoke(new TrainingProgress(step.Iteration, config.Iterations, step.Loss, step.LearningRate, rate, lastPsnr, evt));
            }
        }
        if (cancel.IsCancellationRequested && trainer.Iteration % config.CheckpointEvery != 0 && trainer.Iteration < config.Iterations)
        {
            SaveCheckpoint();
            log.Write("checkpoint", trainer.Iteration, w => w.WriteString("path", StatePath(config.Output)));
        }
        log.Write("end", trainer.Iteration, w =>
        {
            w.WriteFinite("seconds", Seconds, 2);
            if (lastPsnr is double p) w.WriteFinite("val_psnr", p, 4);
            w.WriteBoolean("finished", trainer.Iteration >= config.Iterations);
        });
        return trainer.Iteration;
    }
}
