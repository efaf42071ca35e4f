using Restora.Imaging;

namespace Restora.Models;

/// <summary>JPEG artifact removal: a real libjpeg-turbo round trip at the given quality.</summary>
public sealed class DeblockTask : RestorationTask
{
    /// <inheritdoc/>
    public override string Name => "deblock";
    /// <inheritdoc/>
    public override string Description => "JPEG compression artifacts (libjpeg-turbo round trip), scored on RGB";
    /// <inheritdoc/>
    public override IReadOnlyList<TaskParameter> Parameters { get; } =
        [new("quality", "jpeg_quality", "JPEG quality 1..100", 10, 1, 100) { Integer = true }];
    /// <inheritdoc/>
    public override string? DefaultModel => "restora-deblock";

    /// <inheritdoc/>
    public override Image Degrade(Image clean, TaskParameters p, ulong seed) => Imaging.Degrade.Jpeg(clean, (int)p.Value("quality"));

    /// <inheritdoc/>
    public override TrainingPair DegradePatch(Image crop, int margin, int patchSize, TaskParameters ranges, SeededRandom rng, bool upsampleInput)
    {
        int quality = (int)Math.Round(ranges["quality"].Draw(rng));
        return new TrainingPair(Imaging.Degrade.Jpeg(crop, quality), crop, 0);
    }
}
