using Restora.Imaging;
using Restora.Metrics;

namespace Restora.Models;

/// <summary>
/// Super-resolution: the input is the clean image shrunk by MATLAB's bicubic imresize (antialiased); scored on
/// MATLAB's Y with the scale shaved from every border, the SR papers' protocol.
/// </summary>
public sealed class SuperResolutionTask : RestorationTask
{
    /// <inheritdoc/>
    public override string Name => "sr";
    /// <inheritdoc/>
    public override IReadOnlyList<string> Aliases => ["super-resolution"];
    /// <inheritdoc/>
    public override string Description => "super-resolution from MATLAB bicubic downscaling; scored on Y, scale shaved";
    /// <inheritdoc/>
    public override IReadOnlyList<TaskParameter> Parameters { get; } =
        [new("scale", "scale", "enlargement factor", 4, 2, 16) { Integer = true, RangeAllowed = false }];
    /// <inheritdoc/>
    public override bool Enlarges => true;
    /// <inheritdoc/>
    public override string BaselineMethod => "bicubic";

    /// <inheritdoc/>
    public override MetricOptions Scoring(TaskParameters p) => new() { OnY = true, Shave = Scale(p) };

    /// <summary>Cropped to a multiple of the scale, top-left anchored.</summary>
    public override Image PrepareTarget(Image clean, TaskParameters p)
    {
        int s = Scale(p);
        int w = clean.Width - clean.Width % s, h = clean.Height - clean.Height % s;
        if (w == 0 || h == 0) throw new ArgumentException($"a {clean.Width}x{clean.Height} image is smaller than the scale {s}");
        return w == clean.Width && h == clean.Height ? clean : clean.Crop(0, 0, w, h);
    }

    /// <inheritdoc/>
    public override Image Degrade(Image clean, TaskParameters p, ulong seed) => Resize.ByFactor(clean, 1.0 / Scale(p), ResizeMethod.Bicubic);

    /// <inheritdoc/>
    public override Image Baseline(Image degraded, TaskParameters p) => Resize.ByFactor(degraded, Scale(p), ResizeMethod.Bicubic);

    /// <inheritdoc/>
    public override int PatchStep(TaskParameters ranges) => Scale(ranges);

    // The bicubic kernel stretched by the scale reaches 2 LR pixels out; upscaling back reaches 2 more.
    /// <inheritdoc/>
    public override int PatchMargin(TaskParameters ranges, bool upsampleInput) => (upsampleInput ? 4 : 2) * Scale(ranges);

    /// <inheritdoc/>
    public override int InputSize(int patchSize, TaskParameters ranges, bool upsampleInput) => upsampleInput ? patchSize : patchSize / Scale(ranges);

    /// <inheritdoc/>
    public override TrainingPair DegradePatch(Image crop, int margin, int patchSize, TaskParameters ranges, SeededRandom rng, bool upsampleInput)
    {
        int s = Scale(ranges);
        var lr = Resize.ByFactor(crop, 1.0 / s, ResizeMethod.Bicubic);
        var input = upsampleInput
            ? Cut(Resize.ByFactor(lr, s, ResizeMethod.Bicubic), margin, patchSize)
            : Cut(lr, margin / s, patchSize / s);
        return new TrainingPair(input, Cut(crop, margin, patchSize), 0);
    }
}
