using System.Globalization;
using Restora.Models;

namespace Restora.Training;

/// <summary>A closed range [Min, Max] to draw a degradation strength from; Min == Max is a fixed value.</summary>
public readonly record struct StrengthRange(double Min, double Max)
{
    public static StrengthRange Fixed(double v) => new(v, v);

    public double Mid => (Min + Max) / 2;

    public double Draw(Imaging.SeededRandom rng) => Min == Max ? Min : Min + (Max - Min) * rng.NextDouble();

    /// <summary>"a,b" or a single number.</summary>
    public static StrengthRange Parse(string text, string what)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2 || !parts.All(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
            throw new ArgumentException($"{what} needs a number or a range 'a,b', got '{text}'");
        double a = double.Parse(parts[0], CultureInfo.InvariantCulture), b = parts.Length == 2 ? double.Parse(parts[1], CultureInfo.InvariantCulture) : a;
        if (!(a <= b)) throw new ArgumentException($"{what} range '{text}' must be low,high");
        return new StrengthRange(a, b);
    }

    public override string ToString() => Min == Max
        ? Min.ToString("R", CultureInfo.InvariantCulture)
        : $"{Min.ToString("R", CultureInfo.InvariantCulture)},{Max.ToString("R", CultureInfo.InvariantCulture)}";
}

/// <summary>
/// How training inputs are made from clean patches, per task: <c>sr</c> MATLAB bicubic downscaling by
/// <see cref="Scale"/>; <c>denoise</c> unclipped Gaussian noise with sigma (0..255 scale) drawn from
/// <see cref="NoiseSigma"/>; <c>deblock</c> a libjpeg-turbo round trip at a quality drawn from
/// <see cref="JpegQuality"/>; <c>deblur</c> Gaussian blur with sigma from <see cref="BlurSigma"/> plus
/// <see cref="DeblurNoiseSigma"/> of noise. Defaults are the evaluation protocol's settings.
/// </summary>
public sealed record DegradationSpec
{
    public RestorationTask Task { get; init; }
    public int Scale { get; init; } = 1;
    public StrengthRange NoiseSigma { get; init; } = StrengthRange.Fixed(25);
    public StrengthRange JpegQuality { get; init; } = StrengthRange.Fixed(10);
    public StrengthRange BlurSigma { get; init; } = StrengthRange.Fixed(2);
    public double DeblurNoiseSigma { get; init; } = 1;

    public void Validate()
    {
        if (Task == RestorationTask.SuperResolution && Scale is < 2 or > 16) throw new ArgumentException($"scale must be 2..16, got {Scale}");
        if (Task != RestorationTask.SuperResolution && Scale != 1) throw new ArgumentException($"scale {Scale} only applies to sr");
        // A blind range may start at 0 (clean inputs teach the network to leave them alone); a fixed sigma may not.
        if (Task == RestorationTask.Denoise && (NoiseSigma.Min < 0 || !(NoiseSigma.Max > 0))) throw new ArgumentException($"noise sigma must be > 0 (a range may start at 0), got {NoiseSigma}");
        if (Task == RestorationTask.Deblock && (JpegQuality.Min < 1 || JpegQuality.Max > 100)) throw new ArgumentException($"JPEG quality must be 1..100, got {JpegQuality}");
        if (Task == RestorationTask.Deblur && !(BlurSigma.Min > 0)) throw new ArgumentException($"blur sigma must be > 0, got {BlurSigma}");
        if (DeblurNoiseSigma < 0) throw new ArgumentException($"deblur noise sigma must be >= 0, got {DeblurNoiseSigma}");
    }

    /// <summary>
    /// The evaluation settings validation uses: the middle of every range (the quality rounded), so a model trained
    /// for a range is scored at one representative strength.
    /// </summary>
    public TaskSettings ValidationSettings(ulong seed) => new()
    {
        Task = Task,
        Scale = Task == RestorationTask.SuperResolution ? Scale : 4,
        NoiseSigma = Task switch
        {
            RestorationTask.Denoise => NoiseSigma.Mid,
            RestorationTask.Deblur => DeblurNoiseSigma,
            _ => 0,
        },
        Quality = (int)Math.Round(JpegQuality.Mid),
        BlurSigma = BlurSigma.Mid,
        Seed = seed,
    };
}
