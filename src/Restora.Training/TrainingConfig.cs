using System.Text.Json.Serialization;
using Restora.Models;

namespace Restora.Training;

/// <summary>
/// Everything that defines a training run, as plain values: it is written into every checkpoint's JSON state,
/// so `restora train --resume CKPT` rebuilds the same run from the checkpoint alone.
/// </summary>
public sealed record TrainingConfig
{
    // The defaults below are the CLI's too: `restora train` leaves a value unset when its option is not given.

    /// <summary>The EMA decay <c>--ema</c> means (BasicSR's).</summary>
    public const double DefaultEmaDecay = 0.999;

    /// <summary>The target patch side when none is given: 48, or 16 low-resolution pixels for SR.</summary>
    public static int DefaultPatch(int scale) => Math.Max(48, 16 * scale);

    // What to train
    /// <summary>Architecture name (<see cref="Restora.Models.Architectures.ArchitectureRegistry"/>).</summary>
    public required string Arch { get; init; }
    /// <summary>Options given for the architecture ("features": "32"); scale and channels are filled in by the run.</summary>
    public Dictionary<string, string> ArchOptions { get; init; } = [];
    /// <summary>Task name (<see cref="TaskRegistry"/>).</summary>
    public required string Task { get; init; }
    /// <summary>Enlargement for SR; 1 for the other tasks. Also the task's <c>scale</c> parameter.</summary>
    public int Scale { get; init; } = 1;
    /// <summary>The task's parameters as given, by name ("sigma": "0,55"); the task's training defaults fill the rest.</summary>
    public Dictionary<string, string> TaskParameters { get; init; } = [];
    /// <summary>1 (Y) or 3 (RGB) channels.</summary>
    public int Channels { get; init; } = 3;

    // Checkpoints written before the task registry stored the task's strengths in these fields; they are read, folded
    // into TaskParameters, and never written again.
    [JsonPropertyName("noise_sigma"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LegacyNoiseSigma { get; init; }
    [JsonPropertyName("jpeg_quality"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LegacyJpegQuality { get; init; }
    [JsonPropertyName("blur_sigma"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? LegacyBlurSigma { get; init; }
    [JsonPropertyName("deblur_noise_sigma"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? LegacyDeblurNoiseSigma { get; init; }

    // Data
    /// <summary>One folder, or several joined with ':'.</summary>
    public required string Data { get; init; }
    /// <summary>A folder of validation images (training-style images, never a test set), or null.</summary>
    public string? Validation { get; init; }
    /// <summary>A trained network to start from (matching tensors only); recorded, not reapplied on resume.</summary>
    public string? Init { get; init; }
    /// <summary>Images of <see cref="Data"/> kept out of training and used for validation (when no folder is given).</summary>
    public int Holdout { get; init; }
    /// <summary>Target (clean) patch side in pixels.</summary>
    public int Patch { get; init; } = DefaultPatch(1);
    /// <summary>Patches per step.</summary>
    public int Batch { get; init; } = 16;
    /// <summary>Batches prepared ahead of the step on a background thread.</summary>
    public int Prefetch { get; init; } = 4;

    // Optimisation
    /// <summary>Steps in the whole run (the schedule's length).</summary>
    public int Iterations { get; init; } = 1000;
    /// <summary>Adam's peak learning rate.</summary>
    public double LearningRate { get; init; } = 2e-4;
    /// <summary>cosine, step or constant, after a linear warmup of <see cref="Warmup"/> iterations.</summary>
    public string Schedule { get; init; } = "cosine";
    /// <summary>Iterations of linear warmup.</summary>
    public int Warmup { get; init; }
    /// <summary>Where the cosine schedule ends.</summary>
    public double MinLearningRate { get; init; } = 1e-7;
    /// <summary>Step schedule: multiply by <see cref="StepGamma"/> every this many iterations (0: half the run).</summary>
    public int StepSize { get; init; }
    /// <summary>Step schedule's factor.</summary>
    public double StepGamma { get; init; } = 0.5;
    /// <summary>Gradient norm clip; 0 is none.</summary>
    public double ClipGradNorm { get; init; }
    /// <summary>0 disables the weight average; BasicSR uses 0.999.</summary>
    public double EmaDecay { get; init; }
    /// <summary>Loss name (<see cref="Losses"/>).</summary>
    public string Loss { get; init; } = "l1";
    /// <summary>Adversarial (and perceptual) training, or null for a pixel loss alone.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Adversarial.AdversarialConfig? Adversarial { get; init; }
    /// <summary>Seeds the initialisation and every sample.</summary>
    public ulong Seed { get; init; }

    // Bookkeeping
    /// <summary>Validate every this many iterations (and at the end).</summary>
    public int ValidateEvery { get; init; } = 500;
    /// <summary>Checkpoint every this many iterations (and at the end).</summary>
    public int CheckpointEvery { get; init; } = 500;
    /// <summary>Log a line every this many iterations.</summary>
    public int LogEvery { get; init; } = 10;
    /// <summary>The model file; the checkpoint and log sit beside it.</summary>
    public required string Output { get; init; }
    /// <summary>The JSON-lines log (default: the model file's name + .log.jsonl).</summary>
    public string? Log { get; init; }
    /// <summary>The command that started the run, with every resume and <c>--iters</c> change appended (the model's recipe).</summary>
    public string Command { get; init; } = "";

    /// <summary>The task.</summary>
    [JsonIgnore]
    public RestorationTask TaskKind => TaskRegistry.Get(Task);

    /// <summary>The task's parameters as ranges: those given, the legacy fields of older checkpoints, the scale, then defaults.</summary>
    public DegradationSpec Degradation()
    {
        var task = TaskKind;
        var given = new Dictionary<string, StrengthRange>();
        void Add(string name, string? value)
        {
            if (value is not null && task.Parameters.Any(p => p.Name == name)) given[name] = StrengthRange.Parse(value, "--" + name);
        }
        Add("sigma", LegacyNoiseSigma);
        Add("quality", LegacyJpegQuality);
        Add("blur", LegacyBlurSigma);
        Add("deblur-noise", LegacyDeblurNoiseSigma?.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (name, value) in TaskParameters) given[name] = StrengthRange.Parse(value, "--" + name);
        if (task.Enlarges) given["scale"] = StrengthRange.Fixed(Scale);
        return DegradationSpec.For(task, new TaskParameters(given));
    }

    /// <summary>Checks every value; the messages name the option.</summary>
    public void Validate()
    {
        _ = Degradation();
        if (Patch < 4) throw new ArgumentException($"patch size must be at least 4, got {Patch}");
        if (Batch < 1) throw new ArgumentException($"batch size must be at least 1, got {Batch}");
        if (Iterations < 1) throw new ArgumentException($"iterations must be at least 1, got {Iterations}");
        if (!(LearningRate > 0)) throw new ArgumentException($"learning rate must be positive, got {LearningRate}");
        if (Schedule is not ("cosine" or "step" or "constant")) throw new ArgumentException($"schedule must be cosine, step or constant, got '{Schedule}'");
        if (Warmup < 0) throw new ArgumentException($"warmup must be >= 0, got {Warmup}");
        if (ClipGradNorm < 0) throw new ArgumentException($"gradient clipping norm must be >= 0, got {ClipGradNorm}");
        if (EmaDecay != 0 && EmaDecay is <= 0 or >= 1) throw new ArgumentException($"EMA decay must be in (0, 1), got {EmaDecay}");
        if (ValidateEvery < 1 || CheckpointEvery < 1 || LogEvery < 1) throw new ArgumentException("validation, checkpoint and log intervals must be at least 1");
        Losses.Create(Loss);
        Adversarial?.Validate();
        if (Adversarial is { Conditional: true } && TaskKind.Enlarges)
            throw new ArgumentException("a conditional discriminator needs the input at the output's size; super-resolution GANs are unconditional");
    }
}
