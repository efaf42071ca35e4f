using Restora.Imaging;

namespace Restora.Models;

/// <summary>Denoising: additive white Gaussian noise on the 0..255 scale, unclipped and unrounded, as in the denoising papers.</summary>
public sealed class DenoiseTask : RestorationTask
{
    /// <inheritdoc/>
    public override string Name => "denoise";
    /// <inheritdoc/>
    public override string Description => "additive Gaussian noise (unclipped), scored on RGB";
    /// <inheritdoc/>
    public override IReadOnlyList<TaskParameter> Parameters { get; } =
        [new("sigma", "noise_sigma", "noise standard deviation on 0..255", 25, 0, 255) { FixedAboveMin = true }];
    /// <inheritdoc/>
    public override string? DefaultModel => "restora-denoise";

    /// <inheritdoc/>
    public override double NoiseSigma(TaskParameters p) => p.Value("sigma");

    /// <inheritdoc/>
    public override Image Degrade(Image clean, TaskParameters p, ulong seed) =>
        Imaging.Degrade.AddGaussianNoise(clean, p.Value("sigma"), seed, clip: false);

    /// <inheritdoc/>
    public override TrainingPair DegradePatch(Image crop, int margin, int patchSize, TaskParameters ranges, SeededRandom rng, bool upsampleInput)
    {
        double sigma = ranges["sigma"].Draw(rng);
        var noisy = Imaging.Degrade.AddGaussianNoise(crop, sigma, rng.NextUInt64(), clip: false);
        return new TrainingPair(noisy, crop, (float)(sigma / 255));
    }
}
