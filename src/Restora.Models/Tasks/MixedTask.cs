using Restora.Imaging;

namespace Restora.Models;

/// <summary>
/// Mixed, unknown damage as RL-Restore makes it (<see cref="MixedDegradation"/>): blur, then clipped noise, then a
/// real JPEG round trip, with strengths drawn per image from a severity level (mild, moderate, severe), scored on
/// RGB. The <c>custom</c> level draws the strengths from <c>--blur</c>, <c>--sigma</c> and <c>--quality</c> instead
/// (ranges in training): how the toolbox's expert tools are trained, each on its band of one distortion.
/// </summary>
public sealed class MixedTask : RestorationTask
{
    /// <summary>Values of the level parameter: 0 custom, then <see cref="MixedSeverity"/>'s.</summary>
    public static readonly IReadOnlyList<string> LevelNames = ["custom", "mild", "moderate", "severe"];

    /// <inheritdoc/>
    public override string Name => "mixed";
    /// <summary>`auto` names the task where the web app and API take a task (POST /api/jobs task=auto).</summary>
    public override IReadOnlyList<string> Aliases => ["auto"];
    /// <inheritdoc/>
    public override string? DefaultModel => "restora-agent";
    /// <inheritdoc/>
    public override string Description => "mixed damage (RL-Restore): blur, then noise, then JPEG, strengths drawn per image from a level; scored on RGB";
    /// <inheritdoc/>
    public override IReadOnlyList<TaskParameter> Parameters { get; } =
    [
        new("level", "mixed_level", "severity: mild, moderate (the paper's training mix) or severe; custom takes --blur, --sigma and --quality",
            2, 0, 3) { Integer = true, RangeAllowed = false, Choices = LevelNames },
        new("blur", "mixed_blur_sigma", "custom level: Gaussian blur sigma (21x21 kernel, replicated border)", 0, 0, MixedDegradation.MaxBlur),
        new("sigma", "mixed_noise_sigma", "custom level: noise sigma on 0..255 (clipped)", 0, 0, MixedDegradation.MaxNoise),
        new("quality", "mixed_jpeg_quality", "custom level: JPEG quality", 100, MixedDegradation.MinQuality, 100) { Integer = true },
    ];

    static readonly string[] Strengths = ["blur", "sigma", "quality"];

    /// <inheritdoc/>
    protected override void CheckGiven(TaskParameters given)
    {
        bool custom = given.Has("level") && given["level"].Min == 0;
        // A completed set carries every strength at its default: only a changed one conflicts with a named level.
        var strengths = Strengths.Where(s => given.Has(s) && given[s] != StrengthRange.Fixed(Parameters.First(p => p.Name == s).Default)).ToList();
        if (!custom && strengths.Count > 0)
            throw new ArgumentException($"{string.Join(", ", strengths.Select(s => "--" + s))} set the strengths of --level custom; " +
                "a named level draws its own");
    }

    /// <summary>The severity of a named level, or null for custom.</summary>
    public static MixedSeverity? Severity(TaskParameters p) => (int)p["level"].Min switch
    {
        0 => null,
        int l => (MixedSeverity)l,
    };

    /// <summary>The strengths for one image (drawn from the level's bands, or the custom values/ranges).</summary>
    public static MixedDistortion Draw(TaskParameters p, SeededRandom rng)
    {
        if (Severity(p) is MixedSeverity severity) return MixedDegradation.Draw(severity, rng);
        double blur = p["blur"].Draw(rng), noise = p["sigma"].Draw(rng);
        int quality = (int)Math.Round(p["quality"].Draw(rng), MidpointRounding.AwayFromZero);
        return new MixedDistortion(blur, noise, quality);
    }

    /// <inheritdoc/>
    public override Image Degrade(Image clean, TaskParameters p, ulong seed)
    {
        var rng = new SeededRandom(seed);
        var d = Draw(p, rng);
        return MixedDegradation.Apply(clean, d, rng.NextUInt64());
    }

    /// <inheritdoc/>
    public override int PatchMargin(TaskParameters ranges, bool upsampleInput) =>
        Severity(ranges) is null && ranges["blur"].Max == 0 ? 0 : MixedDegradation.BlurRadius;

    /// <inheritdoc/>
    public override TrainingPair DegradePatch(Image crop, int margin, int patchSize, TaskParameters ranges, SeededRandom rng, bool upsampleInput)
    {
        var d = Draw(ranges, rng);
        ulong noiseSeed = rng.NextUInt64();
        // Blur reads the margin; noise and JPEG work on the patch alone.
        var blurred = Cut(MixedDegradation.Blur(crop, d.BlurSigma), margin, patchSize);
        var input = MixedDegradation.Apply(blurred, d with { BlurSigma = 0 }, noiseSeed);
        return new TrainingPair(input, Cut(crop, margin, patchSize), 0);
    }
}
