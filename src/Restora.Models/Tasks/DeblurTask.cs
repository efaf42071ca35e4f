using Restora.Imaging;

namespace Restora.Models;

/// <summary>
/// Deblurring: a Gaussian blur, then (if set) Gaussian noise. The evaluation protocol blurs only; training adds one
/// level of noise by default, so the network does not learn to amplify the noise every real photo has.
/// </summary>
public sealed class DeblurTask : RestorationTask
{
    /// <inheritdoc/>
    public override string Name => "deblur";
    /// <inheritdoc/>
    public override string Description => "Gaussian blur, optionally followed by noise, scored on RGB";
    /// <inheritdoc/>
    public override IReadOnlyList<TaskParameter> Parameters { get; } =
    [
        new("blur", "blur_sigma", "Gaussian blur sigma in pixels", 2, 0.01, 100),
        new("deblur-noise", "deblur_noise_sigma", "noise sigma (0..255) added after the blur (evaluation 0, training 1)", 0, 0, 255)
            { TrainingDefault = 1, RangeAllowed = false, OptionAliases = ["--sigma"] },
    ];
    /// <inheritdoc/>
    public override string? DefaultModel => "restora-deblur";

    /// <inheritdoc/>
    public override double NoiseSigma(TaskParameters p) => p.Value("deblur-noise");

    /// <inheritdoc/>
    public override Image Degrade(Image clean, TaskParameters p, ulong seed)
    {
        var blurred = Imaging.Degrade.GaussianBlur(clean, p.Value("blur"));
        double noise = p.Value("deblur-noise");
        return noise > 0 ? Imaging.Degrade.AddGaussianNoise(blurred, noise, seed, clip: false) : blurred;
    }

    /// <inheritdoc/>
    public override int PatchMargin(TaskParameters ranges, bool upsampleInput) => Imaging.Degrade.BlurRadius(ranges["blur"].Max);

    /// <inheritdoc/>
    public override TrainingPair DegradePatch(Image crop, int margin, int patchSize, TaskParameters ranges, SeededRandom rng, bool upsampleInput)
    {
        var blurred = Cut(Imaging.Degrade.GaussianBlur(crop, ranges["blur"].Draw(rng)), margin, patchSize);
        ulong seed = rng.NextUInt64();
        double noise = ranges["deblur-noise"].Min;
        var input = noise > 0 ? Imaging.Degrade.AddGaussianNoise(blurred, noise, seed, clip: false) : blurred;
        return new TrainingPair(input, Cut(crop, margin, patchSize), (float)(noise / 255));
    }
}
