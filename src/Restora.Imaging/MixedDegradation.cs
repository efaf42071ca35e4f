namespace Restora.Imaging;

/// <summary>How much mixed damage: RL-Restore's three test groups (its training mix is <see cref="Moderate"/>).</summary>
public enum MixedSeverity { Mild = 1, Moderate = 2, Severe = 3 }

/// <summary>One level (1..10) of each distortion: a band of blur sigma, of noise sigma and of JPEG quality.</summary>
public readonly record struct MixedLevels(int Blur, int Noise, int Jpeg)
{
    /// <summary>The paper's severity measure: b + n + j − 2.</summary>
    public int Sum => Blur + Noise + Jpeg - 2;
}

/// <summary>The strengths drawn for one image: blur sigma in pixels (0 = none), noise sigma on 0..255 (0 = none), JPEG quality.</summary>
public readonly record struct MixedDistortion(double BlurSigma, double NoiseSigma, int JpegQuality)
{
    /// <inheritdoc/>
    public override string ToString() =>
        FormattableString.Invariant($"blur {BlurSigma:0.###}, noise {NoiseSigma:0.###}, JPEG quality {JpegQuality}");
}

/// <summary>
/// RL-Restore's mixed damage (Yu et al., CVPR 2018; its data/train/generate_train.m): a Gaussian blur (21x21 kernel,
/// replicated border) with sigma 0..5, then Gaussian noise with sigma 0..50 (clipped to 0..1 as MATLAB's imnoise
/// does), then a real JPEG round trip at quality 100..10, always in that order. Each distortion has ten levels (bands
/// of 0.5, of 5, and of quality between 100, 80, 60, 50, 40, 35, 30, 25, 20, 15, 10); an image's level triple is drawn
/// uniformly from the ordered triples whose <see cref="MixedLevels.Sum"/> lies in its severity's range, and each
/// strength uniformly inside its band.
/// </summary>
public static class MixedDegradation
{
    /// <summary>Levels per distortion.</summary>
    public const int Levels = 10;

    /// <summary>The fixed blur kernel's radius (21x21), whatever the sigma.</summary>
    public const int BlurRadius = 10;

    /// <summary>Largest blur sigma and noise sigma; smallest JPEG quality.</summary>
    public const double MaxBlur = 5, MaxNoise = 50;
    /// <inheritdoc cref="MaxBlur"/>
    public const int MinQuality = 10;

    static readonly double[] QualityEdges = [100, 80, 60, 50, 40, 35, 30, 25, 20, 15, 10];

    /// <summary>The band [low, high] of blur sigma for <paramref name="level"/> 1..10.</summary>
    public static (double Low, double High) BlurBand(int level) => (0.5 * (Check(level) - 1), 0.5 * level);

    /// <summary>The band of noise sigma (0..255) for <paramref name="level"/> 1..10.</summary>
    public static (double Low, double High) NoiseBand(int level) => (5.0 * (Check(level) - 1), 5.0 * level);

    /// <summary>The band of JPEG quality for <paramref name="level"/> 1..10, from the higher quality down.</summary>
    public static (double High, double Low) QualityBand(int level) => (QualityEdges[Check(level) - 1], QualityEdges[level]);

    static int Check(int level) => level is >= 1 and <= Levels ? level : throw new ArgumentOutOfRangeException(nameof(level), $"level must be 1..{Levels}, got {level}");

    /// <summary>The range of <see cref="MixedLevels.Sum"/> a severity takes: mild 9..11, moderate 12..17, severe 18..20.</summary>
    public static (int Min, int Max) SumRange(MixedSeverity severity) => severity switch
    {
        MixedSeverity.Mild => (9, 11),
        MixedSeverity.Moderate => (12, 17),
        MixedSeverity.Severe => (18, 20),
        _ => throw new ArgumentOutOfRangeException(nameof(severity)),
    };

    /// <summary>Every ordered level triple of a severity, blur-major: the set one is drawn from uniformly.</summary>
    public static IReadOnlyList<MixedLevels> Combinations(MixedSeverity severity)
    {
        var (min, max) = SumRange(severity);
        var list = new List<MixedLevels>();
        for (int b = 1; b <= Levels; b++)
            for (int n = 1; n <= Levels; n++)
                for (int j = 1; j <= Levels; j++)
                    if (new MixedLevels(b, n, j).Sum is var s && s >= min && s <= max) list.Add(new MixedLevels(b, n, j));
        return list;
    }

    /// <summary>Strengths for one image: a level triple of <paramref name="severity"/>, then a value inside each band
    /// (in the order blur, noise, quality, so the draw is fixed by the generator's state).</summary>
    public static MixedDistortion Draw(MixedSeverity severity, SeededRandom rng)
    {
        var all = Combinations(severity);
        var levels = all[rng.NextInt(all.Count)];
        var (b0, b1) = BlurBand(levels.Blur);
        var (n0, n1) = NoiseBand(levels.Noise);
        var (q0, q1) = QualityBand(levels.Jpeg);
        double blur = b0 + (b1 - b0) * rng.NextDouble();
        double noise = n0 + (n1 - n0) * rng.NextDouble();
        double quality = q0 + (q1 - q0) * rng.NextDouble();
        return new MixedDistortion(blur, noise, (int)Math.Round(quality, MidpointRounding.AwayFromZero));
    }

    /// <summary>Blur → noise → JPEG with the given strengths; <paramref name="noiseSeed"/> seeds the noise.</summary>
    public static Image Apply(Image clean, MixedDistortion d, ulong noiseSeed)
    {
        if (d.BlurSigma < 0 || d.NoiseSigma < 0 || d.JpegQuality is < 1 or > 100)
            throw new ArgumentOutOfRangeException(nameof(d), $"bad mixed distortion ({d})");
        var image = Blur(clean, d.BlurSigma);
        if (d.NoiseSigma > 0) image = Degrade.AddGaussianNoise(image, d.NoiseSigma, noiseSeed, clip: true);
        return Degrade.Jpeg(image, d.JpegQuality);
    }

    /// <summary>The blur step alone (the image itself, copied, for sigma 0).</summary>
    public static Image Blur(Image clean, double sigma) =>
        sigma > 0 ? Degrade.GaussianBlur(clean, sigma, BlurRadius, replicate: true) : clean.Clone();
}
