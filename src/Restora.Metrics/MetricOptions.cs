namespace Restora.Metrics;

/// <summary>How two images are prepared before a full-reference metric scores them.</summary>
public sealed record MetricOptions
{
    /// <summary>
    /// Score the Y plane of MATLAB's <c>rgb2ycbcr</c> (BT.601 studio range, unrounded double), as the SR
    /// literature does. A gray image is scored on its own plane whether or not this is set.
    /// </summary>
    public bool OnY { get; init; }

    /// <summary>Pixels cut from every border before scoring (the SR protocol shaves the scale factor).</summary>
    public int Shave { get; init; }

    internal static readonly MetricOptions Default = new();
}
