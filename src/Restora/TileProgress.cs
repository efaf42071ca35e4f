namespace Restora;

/// <summary>How far one restore has got: tiles finished out of the tiles in the image.</summary>
/// <param name="Done">Tiles finished so far (1 after the first).</param>
/// <param name="Total">Tiles in the whole image (1 when it is restored in one pass).</param>
public readonly record struct TileProgress(int Done, int Total)
{
    /// <summary>The fraction done, 0..1.</summary>
    public double Fraction => Total == 0 ? 1 : (double)Done / Total;
}
