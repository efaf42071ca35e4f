using Restora.Imaging;

namespace Restora.Metrics;

/// <summary>SSIM as Wang et al.'s ssim_index.m computes it (<see cref="FullReference.Ssim"/>).</summary>
public sealed class SsimMetric : FullReferenceMetric
{
    /// <inheritdoc/>
    public override string Name => "ssim";
    /// <inheritdoc/>
    public override string Description => "structural similarity (Wang et al. 2004, 11x11 Gaussian window), mean over channels, 0..1";
    /// <inheritdoc/>
    protected override double Score(Image reference, Image test, MetricOptions options) => FullReference.Ssim(reference, test, options);
}
