using Restora.Imaging;

namespace Restora.Models;

/// <summary>
/// Colorization: the input is a photo's luminance as an 8-bit gray image, round(0.299 R + 0.587 G + 0.114 B); the
/// network returns colour with that luminance kept (<c>keep_luminance</c>: it predicts chroma only). Scored on RGB
/// against the original; doing nothing (the gray image as three equal channels) is the floor.
/// </summary>
public sealed class ColorizeTask : RestorationTask
{
    /// <inheritdoc/>
    public override string Name => "colorize";
    /// <inheritdoc/>
    public override string Description => "black-and-white photos to colour (input: luminance 0.299R+0.587G+0.114B), scored on RGB";
    /// <inheritdoc/>
    public override string? DefaultModel => "restora-colorize";

    /// <inheritdoc/>
    public override int NetworkInputChannels(int imageChannels) => 1;

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string> RequiredArchitectureOptions { get; } =
        new Dictionary<string, string> { ["out_channels"] = "3", ["keep_luminance"] = "true" };

    /// <inheritdoc/>
    public override Image Degrade(Image clean, TaskParameters p, ulong seed) => Color.Luminance(clean);

    /// <inheritdoc/>
    public override Image Baseline(Image degraded, TaskParameters p) => degraded.WithoutAlpha().ToRgb();

    /// <inheritdoc/>
    public override TrainingPair DegradePatch(Image crop, int margin, int patchSize, TaskParameters ranges, SeededRandom rng, bool upsampleInput) =>
        new(Color.Luminance(crop), crop, 0);
}
