using Restora.Imaging;

namespace Restora.Metrics;

/// <summary>PSNR-B, PSNR penalised by the test image's blocking effect (<see cref="FullReference.PsnrB"/>).</summary>
public sealed class PsnrBMetric : FullReferenceMetric
{
    /// <inheritdoc/>
    public override string Name => "psnr-b";
    /// <inheritdoc/>
    public override IReadOnlyList<string> Aliases => ["psnrb"];
    /// <inheritdoc/>
    public override string Description => "PSNR with the blocking effect factor of Yim and Bovik 2011, in dB (for JPEG artifacts)";
    /// <inheritdoc/>
    protected override double Score(Image reference, Image test, MetricOptions options) => FullReference.PsnrB(reference, test, options);
}
