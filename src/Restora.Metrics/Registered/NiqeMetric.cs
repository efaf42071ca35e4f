using Restora.Imaging;

namespace Restora.Metrics;

/// <summary>NIQE as MATLAB's niqe_release computes it (<see cref="Niqe.Compute"/>): lower looks more natural.</summary>
public sealed class NiqeMetric : NoReferenceMetric
{
    /// <inheritdoc/>
    public override string Name => "niqe";
    /// <inheritdoc/>
    public override string Description => "natural image quality evaluator (Mittal et al. 2013, MATLAB's pristine model), no reference; lower is better";
    /// <inheritdoc/>
    public override bool HigherIsBetter => false;
    /// <inheritdoc/>
    protected override double Score(Image image, MetricOptions options) => Niqe.Compute(image, options);
}
