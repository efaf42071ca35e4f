using Restora.Core;
using Restora.Imaging;
using Restora.Metrics;

namespace Restora.Models;

/// <summary>One training pair: the degraded input, the clean target and the noise level (0..1 scale) applied.</summary>
public sealed record TrainingPair(Image Input, Image Target, float NoiseLevel);

/// <summary>
/// A restoration task (super-resolution, denoising…): its parameters, how it degrades a clean image for evaluation
/// and a clean patch for training, how results are scored, and its baseline and default model. Each task is one file
/// deriving from this and one line in <see cref="TaskRegistry"/>; `restora eval --task`, `restora train --task`, their
/// options and help, and the trainer then know it.
/// </summary>
public abstract class RestorationTask : IRegistered
{
    /// <summary>Super-resolution by MATLAB bicubic downscaling.</summary>
    public static RestorationTask SuperResolution => TaskRegistry.Get("sr");
    /// <summary>Additive Gaussian noise.</summary>
    public static RestorationTask Denoise => TaskRegistry.Get("denoise");
    /// <summary>JPEG compression artifacts.</summary>
    public static RestorationTask Deblock => TaskRegistry.Get("deblock");
    /// <summary>Gaussian blur.</summary>
    public static RestorationTask Deblur => TaskRegistry.Get("deblur");
    /// <summary>Black-and-white to colour.</summary>
    public static RestorationTask Colorize => TaskRegistry.Get("colorize");

    /// <inheritdoc/>
    public abstract string Name { get; }
    /// <inheritdoc/>
    public virtual IReadOnlyList<string> Aliases => [];
    /// <inheritdoc/>
    public abstract string Description { get; }

    /// <summary>The settings this task takes (none for a task with no strength to choose).</summary>
    public virtual IReadOnlyList<TaskParameter> Parameters => [];

    /// <summary>Whether the output is larger than the input (by the <c>scale</c> parameter).</summary>
    public virtual bool Enlarges => false;

    /// <summary>Whether inputs come from files paired with the targets (<c>--data INPUTS:TARGETS</c>) instead of degrading them.</summary>
    public virtual bool UsesPairs => false;

    /// <summary>Channels the network reads for images of <paramref name="imageChannels"/> channels (a colorizer: 1).</summary>
    public virtual int NetworkInputChannels(int imageChannels) => imageChannels;

    /// <summary>Architecture options the task needs (a colorizer's <c>keep_luminance</c>); a network without them
    /// cannot do the task.</summary>
    public virtual IReadOnlyDictionary<string, string> RequiredArchitectureOptions { get; } = new Dictionary<string, string>();

    /// <summary>The method `eval` scores when none is named: the floor a model has to beat.</summary>
    public virtual string BaselineMethod => "identity";

    /// <summary>The shipped model that restores this task by default, if any.</summary>
    public virtual string? DefaultModel => null;

    /// <summary>
    /// <paramref name="given"/> completed with the defaults of the parameters not given, every value checked;
    /// a value for a parameter this task does not have is an error naming its option.
    /// </summary>
    /// <param name="training">Use the training defaults and allow ranges.</param>
    public TaskParameters Complete(TaskParameters given, bool training = false)
    {
        foreach (var name in given.All.Keys)
            if (!Parameters.Any(p => p.Name == name))
                throw new ArgumentException($"--{name} does not apply to the {Name} task" +
                    (Parameters.Count == 0 ? "" : $" (it takes {string.Join(", ", Parameters.Select(p => p.Option))})"));
        CheckGiven(given);
        var values = new Dictionary<string, StrengthRange>();
        foreach (var p in Parameters)
        {
            var v = given.Has(p.Name) ? given[p.Name] : StrengthRange.Fixed(training ? p.TrainingDefault ?? p.Default : p.Default);
            if (!training && !v.IsFixed) throw new ArgumentException($"{p.Option} takes one value here, not a range ({v})");
            p.Validate(v);
            values[p.Name] = v;
        }
        return new TaskParameters(values);
    }

    /// <summary>Rules across parameters, on the values given before defaults fill the rest (mixed: strengths only
    /// with the custom level); throws an <see cref="ArgumentException"/> naming the options.</summary>
    protected virtual void CheckGiven(TaskParameters given) { }

    /// <summary>The fixed values validation scores a range-trained model at: the middle of every range, whole numbers rounded.</summary>
    public TaskParameters MidValues(TaskParameters ranges) => new(Parameters.ToDictionary(p => p.Name,
        p => StrengthRange.Fixed(p.Integer ? Math.Round(ranges[p.Name].Mid) : ranges[p.Name].Mid)));

    /// <summary>How much the output is enlarged: the <c>scale</c> parameter for <see cref="Enlarges"/> tasks, else 1.</summary>
    public int Scale(TaskParameters p) => Enlarges ? (int)p.Value("scale") : 1;

    /// <summary>The noise sigma (0..255) a network with a noise-level input is told for these settings.</summary>
    public virtual double NoiseSigma(TaskParameters p) => 0;

    /// <summary>How results are scored (the literature's protocol for the task): RGB, no shave, unless overridden.</summary>
    public virtual MetricOptions Scoring(TaskParameters p) => new();

    /// <summary>The clean image as the protocol uses it (SR crops to a multiple of the scale).</summary>
    public virtual Image PrepareTarget(Image clean, TaskParameters p) => clean;

    /// <summary>The degraded input for one clean image; <paramref name="seed"/> is the image's own random stream.</summary>
    public abstract Image Degrade(Image clean, TaskParameters p, ulong seed);

    /// <summary>What doing nothing gives, at the target's size (SR: bicubic upscaling): the input PSNR reported beside a result.</summary>
    public virtual Image Baseline(Image degraded, TaskParameters p) => degraded.Clone();

    // ---------- training ----------

    /// <summary>Patch origins are multiples of this (SR: the scale, so patches sit on the low-resolution grid).</summary>
    public virtual int PatchStep(TaskParameters ranges) => 1;

    /// <summary>Pixels around a patch that its degradation reads (resampling, blur): cut with the patch and cut away after.</summary>
    public virtual int PatchMargin(TaskParameters ranges, bool upsampleInput) => 0;

    /// <summary>The network's input side for a target patch side.</summary>
    public virtual int InputSize(int patchSize, TaskParameters ranges, bool upsampleInput) => patchSize;

    /// <summary>
    /// One training pair from a clean crop that carries <paramref name="margin"/> extra pixels on every side:
    /// strengths drawn from <paramref name="ranges"/> with <paramref name="rng"/> (in a fixed order, so a sample is
    /// fixed by its seed), the margin cut away after degrading.
    /// </summary>
    /// <param name="upsampleInput">SR for same-size networks (SRCNN, VDSR): the input is the bicubic-upscaled patch.</param>
    public abstract TrainingPair DegradePatch(Image crop, int margin, int patchSize, TaskParameters ranges, SeededRandom rng, bool upsampleInput);

    /// <summary>The centre <paramref name="size"/>² of <paramref name="image"/>, <paramref name="offset"/> pixels in.</summary>
    protected static Image Cut(Image image, int offset, int size) =>
        offset == 0 && image.Width == size && image.Height == size ? image : image.Crop(offset, offset, size, size);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>Every restoration task by name: one line per task.</summary>
public static class TaskRegistry
{
    /// <summary>The registry; listing order is this order.</summary>
    public static Registry<RestorationTask> Tasks { get; } = new("task",
    [
        new SuperResolutionTask(),
        new DenoiseTask(),
        new DeblockTask(),
        new DeblurTask(),
        new ColorizeTask(),
        new PairedTask(),
        new MixedTask(),
    ]);

    /// <summary>The task called <paramref name="name"/>; an <see cref="ArgumentException"/> listing the known ones otherwise.</summary>
    public static RestorationTask Get(string name) => Tasks.Get(name);

    /// <summary>Every parameter of every task, each name once (the first declaration), for building options.</summary>
    public static IReadOnlyList<TaskParameter> AllParameters =>
        Tasks.All.SelectMany(t => t.Parameters).DistinctBy(p => p.Name).ToList();
}

/// <summary>A task and its parameter values, as evaluation and restorers take them.</summary>
public sealed record TaskSettings
{
    readonly TaskParameters given = TaskParameters.Empty;
    TaskParameters? completed;

    /// <summary>The task.</summary>
    public required RestorationTask Task { get; init; }

    /// <summary>The parameter values, completed with the task's defaults (fixed values).</summary>
    public TaskParameters Parameters
    {
        get => completed ??= Task.Complete(given);
        init { given = value; completed = null; }
    }

    /// <summary>Evaluation only: denoisers are told the noisy image's estimated sigma rather than the true one.</summary>
    public bool Blind { get; init; }

    /// <summary>Seed of the degradation's random numbers (each image also mixes in its name).</summary>
    public ulong Seed { get; init; }

    /// <summary>A noise sigma to tell the restorer instead of the task's own (the estimate, in blind evaluation or use).</summary>
    public double? ToldNoiseSigma { get; init; }

    /// <summary>The output's enlargement (1 unless the task enlarges).</summary>
    public int Scale => Task.Scale(Parameters);

    /// <summary>The noise sigma (0..255) a restorer with a noise-level input is told.</summary>
    public double NoiseSigma => ToldNoiseSigma ?? Task.NoiseSigma(Parameters);

    /// <summary>For paired tasks: the input image for a target (its file name and its image), read from the inputs folder.</summary>
    public Func<string, Image, Image>? PairedInput { get; init; }

    /// <summary>Checks the parameters (completing them does).</summary>
    public void Validate() => _ = Parameters;

    /// <summary>
    /// The degraded input for one clean image. Each image draws noise from its own stream of the seed, keyed
    /// by its name, so a result does not depend on which other files are in the folder or their order.
    /// </summary>
    public Image Degrade(Image clean, string name) =>
        PairedInput?.Invoke(name, clean) ?? Task.Degrade(clean, Parameters, Seed ^ SeededRandom.StableHash(name));

    /// <summary>The clean image cropped as the protocol says.</summary>
    public Image PrepareTarget(Image clean) => Task.PrepareTarget(clean, Parameters);
}
