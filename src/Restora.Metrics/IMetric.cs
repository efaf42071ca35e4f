using Restora.Core;
using Restora.Imaging;

namespace Restora.Metrics;

/// <summary>Whether a metric compares a result with its reference or judges one image alone.</summary>
public enum MetricKind
{
    /// <summary>Scores a test image against its reference (PSNR, SSIM).</summary>
    FullReference,
    /// <summary>Scores one image on its own (NIQE, colorfulness).</summary>
    NoReference,
}

/// <summary>
/// One quality metric, found by name in <see cref="MetricRegistry"/>. Adding a metric is one file implementing this
/// and one line in the registry; `restora metrics`, `restora eval --metrics`, `restora list metrics` and their help
/// texts then know it.
/// </summary>
public interface IMetric : IRegistered
{
    /// <summary>Full-reference or no-reference.</summary>
    MetricKind Kind { get; }

    /// <summary>Whether a larger value means a better image (false for NIQE).</summary>
    bool HigherIsBetter { get; }

    /// <summary>The field name in JSON output: the name with '-' written '_' (psnr_b, ms_ssim), usable as an identifier.</summary>
    string JsonName => Name.Replace('-', '_');

    /// <summary>Scores <paramref name="test"/>; <paramref name="reference"/> is required for full-reference metrics and
    /// ignored by no-reference ones. Throws <see cref="ArgumentException"/> for images the metric cannot score.</summary>
    double Compute(Image? reference, Image test, MetricOptions options);
}

/// <summary>Base of the full-reference metrics: checks that a reference was given.</summary>
public abstract class FullReferenceMetric : IMetric
{
    /// <inheritdoc/>
    public abstract string Name { get; }
    /// <inheritdoc/>
    public virtual IReadOnlyList<string> Aliases => [];
    /// <inheritdoc/>
    public abstract string Description { get; }
    /// <inheritdoc/>
    public MetricKind Kind => MetricKind.FullReference;
    /// <inheritdoc/>
    public virtual bool HigherIsBetter => true;

    /// <inheritdoc/>
    public double Compute(Image? reference, Image test, MetricOptions options) =>
        Score(reference ?? throw new ArgumentException($"{Name} compares two images: give the reference too"), test, options);

    /// <summary>The score of <paramref name="test"/> against <paramref name="reference"/>.</summary>
    protected abstract double Score(Image reference, Image test, MetricOptions options);
}

/// <summary>Base of the no-reference metrics: they read the test image alone, on its own channels or Y.</summary>
public abstract class NoReferenceMetric : IMetric
{
    /// <inheritdoc/>
    public abstract string Name { get; }
    /// <inheritdoc/>
    public virtual IReadOnlyList<string> Aliases => [];
    /// <inheritdoc/>
    public abstract string Description { get; }
    /// <inheritdoc/>
    public MetricKind Kind => MetricKind.NoReference;
    /// <inheritdoc/>
    public abstract bool HigherIsBetter { get; }

    /// <inheritdoc/>
    public double Compute(Image? reference, Image test, MetricOptions options) => Score(test, options);

    /// <summary>The score of <paramref name="image"/> (a metric may honour the options' shave).</summary>
    protected abstract double Score(Image image, MetricOptions options);
}

/// <summary>Every metric Restora computes, by name: one line per metric.</summary>
public static class MetricRegistry
{
    /// <summary>The registry; listing order is this order.</summary>
    public static Registry<IMetric> Metrics { get; } = new("metric",
    [
        new PsnrMetric(),
        new SsimMetric(),
        new MsSsimMetric(),
        new PsnrBMetric(),
        new ColorfulnessMetric(),
        new NiqeMetric(),
    ]);

    /// <summary>The metric called <paramref name="name"/> (or an alias); an <see cref="ArgumentException"/> listing the known ones otherwise.</summary>
    public static IMetric Get(string name) => Metrics.Get(name);

    /// <summary>
    /// Several metrics by name, each once in the order given, every name checked before anything is computed; an
    /// empty list is an error.
    /// </summary>
    public static IReadOnlyList<IMetric> Parse(IEnumerable<string> names)
    {
        var result = new List<IMetric>();
        foreach (var name in names)
        {
            var metric = Get(name);
            if (!result.Contains(metric)) result.Add(metric);
        }
        if (result.Count == 0) throw new ArgumentException($"name at least one metric (known: {string.Join(", ", Metrics.Names)})");
        return result;
    }

    /// <summary>"psnr,ssim" → the metrics, as <see cref="Parse(IEnumerable{string})"/>.</summary>
    public static IReadOnlyList<IMetric> Parse(string commaSeparated) =>
        Parse(commaSeparated.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
