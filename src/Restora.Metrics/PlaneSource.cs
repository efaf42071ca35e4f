using Restora.Imaging;

namespace Restora.Metrics;

/// <summary>
/// One plane to be scored, read a row at a time as double 0..1: a color channel, the MATLAB Y of an RGB
/// image, or a plain array (MS-SSIM's downsampled scales), with the shave already applied. Reading rows on
/// demand keeps SSIM from materializing full double copies of large images.
/// </summary>
internal abstract class PlaneSource(int width, int height)
{
    public int Width { get; } = width;
    public int Height { get; } = height;

    /// <summary>Writes row <paramref name="y"/> (0-based, after shaving) into the first Width elements of <paramref name="destination"/>.</summary>
    public abstract void ReadRow(int y, Span<double> destination);
}

/// <summary>One stored channel of an image, cropped by the shave.</summary>
internal sealed class ChannelPlane(Image image, int channel, int shave)
    : PlaneSource(image.Width - 2 * shave, image.Height - 2 * shave)
{
    readonly float[] data = image.Data;
    readonly int origin = channel * image.PixelCount + shave * image.Width + shave;
    readonly int stride = image.Width;

    public override void ReadRow(int y, Span<double> destination) =>
        Simd.Widen(data.AsSpan(origin + y * stride, Width), destination);
}

/// <summary>MATLAB rgb2ycbcr Y of an RGB(A) image (a gray one read as R = G = B), cropped by the shave;
/// the same values <see cref="Color.Luma"/> gives.</summary>
internal sealed class LumaPlane(Image image, int shave)
    : PlaneSource(image.Width - 2 * shave, image.Height - 2 * shave)
{
    readonly float[] data = image.Data;
    readonly int origin = shave * image.Width + shave;
    readonly int stride = image.Width;
    readonly int planeSize = image.IsGray ? 0 : image.PixelCount;

    public override void ReadRow(int y, Span<double> destination)
    {
        var r = data.AsSpan(origin + y * stride, Width);
        var g = data.AsSpan(planeSize + origin + y * stride, Width);
        var b = data.AsSpan(2 * planeSize + origin + y * stride, Width);
        for (int x = 0; x < r.Length; x++) destination[x] = Color.LumaOf(r[x], g[x], b[x]);
    }
}

/// <summary>A plane already held as doubles (row-major, width*height).</summary>
internal sealed class ArrayPlane(double[] data, int width, int height) : PlaneSource(width, height)
{
    public double[] Data { get; } = data;

    public override void ReadRow(int y, Span<double> destination) => Data.AsSpan(y * Width, Width).CopyTo(destination);
}
