using Restora.Imaging;

namespace Restora.Metrics;

/// <summary>Multi-scale SSIM as pytorch_msssim computes it (<see cref="FullReference.MsSsim"/>).</summary>
public sealed class MsSsimMetric : FullReferenceMetric
{
    /// <inheritdoc/>
    public override string Name => "ms-ssim";
    /// <inheritdoc/>
    public override IReadOnlyList<string> Aliases => ["msssim"];
    /// <inheritdoc/>
    public override string Description => "multi-scale SSIM over 5 scales (pytorch_msssim), 0..1; sides of at least 161 pixels";
    /// <inheritdoc/>
    protected override double Score(Image reference, Image test, MetricOptions options) => FullReference.MsSsim(reference, test, options);
}
