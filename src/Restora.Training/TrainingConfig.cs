using System.Text.Json.Serialization;
using Restora.Models;

namespace Restora.Training;

/// <summary>
/// Everything that defines a training run, as plain values: it is written into every checkpoint's JSON state,
/// so `restora train --resume CKPT` rebuilds the same run from the checkpoint alone.
/// </summary>
public sealed record TrainingConfig
{
    // What to train
    public required string Arch { get; init; }
    /// <summary>Options given for the architecture ("features": "32"); scale and channels are filled in by the run.</summary>
    public Dictionary<string, string> ArchOptions { get; init; } = [];
    public required string Task { get; init; }
    public int Scale { get; init; } = 1;
    public string NoiseSigma { get; init; } = "25";
    public string JpegQuality { get; init; } = "10";
    public string BlurSigma { get; init; } = "2";
    public double DeblurNoiseSigma { get; init; } = 1;
    public int Channels { get; init; } = 3;

    // Data
    /// <summary>One folder, or several joined with ':'.</summary>
    public required string Data { get; init; }
    public string? Validation { get; init; }
    /// <summary>Images of <see cref="Data"/> kept out of training and used for validation (when no folder is given).</summary>
    /// <summary>A trained network to start from (matching tensors only); recorded, not reapplied on resume.</summary>
    public string? Init { get; init; }
    public int Holdout { get; init; }
    public int Patch { get; init; } = 64;
    public int Batch { get; init; } = 16;
    public int Prefetch { get; init; } = 4;

    // Optimisation
    public int Iterations { get; init; } = 1000;
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>cosine, step or constant, after a linear warmup of <see cref="Warmup"/> iterations.</summary>
    public string Schedule { get; init; } = "cosine";
    public int Warmup { get; init; }
    public double MinLearningRate { get; init; } = 1e-7;
    /// <summary>Step schedule: multiply by <see cref="StepGamma"/> every this many iterations (0: half the run).</summary>
    public int StepSize { get; init; }
    public double StepGamma { get; init; } = 0.5;
    public double ClipGradNorm { get; init; }
    /// <summary>0 disables the weight average; BasicSR uses 0.999.</summary>
    public double EmaDecay { get; init; }
    public string Loss { get; init; } = "l1";
    public ulong Seed { get; init; }

    // Bookkeeping
    public int ValidateEvery { get; init; } = 1000;
    public int CheckpointEvery { get; init; } = 1000;
    public int LogEvery { get; init; } = 10;
    public required string Output { get; init; }
    public string? Log { get; init; }
    public string Command { get; init; } = "";

    [JsonIgnore]
    public RestorationTask TaskKind => TaskSettings.ParseTask(Task);

    public DegradationSpec Degradation() => new()
    {
        Task = TaskKind,
        Scale = TaskKind == RestorationTask.SuperResolution ? Scale : 1,
        NoiseSigma = StrengthRange.Parse(NoiseSigma, "noise sigma"),
        JpegQuality = StrengthRange.Parse(JpegQuality, "JPEG quality"),
        BlurSigma = StrengthRange.Parse(BlurSigma, "blur sigma"),
        DeblurNoiseSigma = DeblurNoiseSigma,
    };

    public void Validate()
    {
        Degradation().Validate();
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
    }
}
