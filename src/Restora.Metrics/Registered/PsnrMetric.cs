using Restora.Imaging;

namespace Restora.Metrics;

/// <summary>PSNR, peak 255, one MSE over every channel (<see cref="FullReference.Psnr"/>).</summary>
public sealed class PsnrMetric : FullReferenceMetric
{
    /// <inheritdoc/>
    public override string Name => "psnr";
    /// <inheritdoc/>
    public override string Description => "peak signal-to-noise ratio in dB, one MSE over all channels (higher is better)";
    /// <inheritdoc/>
    protected override double Score(Image reference, Image test, MetricOptions options) => FullReference.Psnr(reference, test, options);
}
