using Restora.Imaging;

namespace Restora.Metrics;

/// <summary>Colorfulness (<see cref="Colorfulness.Compute"/>): the no-reference score colorizers are judged by.</summary>
public sealed class ColorfulnessMetric : NoReferenceMetric
{
    /// <inheritdoc/>
    public override string Name => "colorfulness";
    /// <inheritdoc/>
    public override string Description => "Hasler & Süsstrunk 2003 colorfulness on 0..255 (no reference; 0 for gray)";
    /// <inheritdoc/>
    public override bool HigherIsBetter => true;
    /// <inheritdoc/>
    protected override double Score(Image image, MetricOptions options) => Colorfulness.Compute(image);
}
