using Restora.Core;
using Restora.Imaging;

namespace Restora.Models.Upscaling;

/// <summary>
/// Upscales an image of any size with a network, tile by tile (Real-ESRGAN's scheme): each tile is cut with a
/// margin of the network's receptive radius, run, and the margin's output dropped, so the result is the same
/// pixels as running the whole image at once, while memory stays at one tile's activations plus the output.
/// Gray images go through the network as RGB and come back gray; alpha is enlarged with bicubic and re-attached.
/// </summary>
public static class TiledUpscaler
{
    /// <summary>Activation memory a tile may use when the caller does not choose the tile size.</summary>
    public const long DefaultTileBudgetBytes = 1L << 30;

    /// <summary>A tile side larger than any image: the whole image in one pass.</summary>
    public const int WholeImage = 1 << 30;

    /// <summary>The image enlarged by <paramref name="net"/>, tile by tile, the same pixels as in one pass.</summary>
    /// <param name="tile">Side of the part of the input each tile produces, in input pixels; 0 picks one from
    /// the memory budget (the whole image when it fits).</param>
    /// <param name="progress">Told (tiles done, tiles in all) after each tile.</param>
    public static Image Upscale(Image image, ISuperResolutionNetwork net, int tile = 0, Action<int, int>? progress = null)
    {
        int s = net.Scale;
        int w = image.Width, h = image.Height;
        var color = image.IsGray ? image.WithoutAlpha().ToRgb() : image.WithoutAlpha();
        if (tile <= 0) tile = AutoTile(net, w, h, DefaultTileBudgetBytes);
        int margin = net.ReceptiveRadius;

        var rgb = new Image(w * s, h * s, PixelLayout.Rgb, image.BitDepth);
        int tilesX = (w + tile - 1) / tile, tilesY = (h + tile - 1) / tile;
        int done = 0;
        for (int ty = 0; ty < tilesY; ty++)
            for (int tx = 0; tx < tilesX; tx++)
            {
                int x0 = tx * tile, y0 = ty * tile;
                int x1 = Math.Min(w, x0 + tile), y1 = Math.Min(h, y0 + tile);
                RunTile(color, rgb, net, x0, y0, x1, y1, margin);
                progress?.Invoke(++done, tilesX * tilesY);
            }

        var result = new Image(w * s, h * s, image.Layout, image.BitDepth);
        if (image.IsGray) ToGray(rgb, result.Plane(0));
        else for (int c = 0; c < 3; c++) rgb.Plane(c).CopyTo(result.Plane(c));
        if (image.HasAlpha)
        {
            var alpha = new Image(w, h, PixelLayout.Gray, image.BitDepth, image.Plane(image.Channels - 1).ToArray());
            Resize.ByFactor(alpha, s, ResizeMethod.Bicubic).Plane(0).CopyTo(result.Plane(result.Channels - 1));
        }
        return result;
    }

    /// <summary>The largest square tile whose padded input fits the budget, or the whole image when it fits.</summary>
    public static int AutoTile(ISuperResolutionNetwork net, int width, int height, long budgetBytes)
    {
        long perPixel = Math.Max(1, net.PeakBytesPerInputPixel);
        long pixels = budgetBytes / perPixel;
        if ((long)width * height <= pixels) return Math.Max(width, height);
        int side = (int)Math.Sqrt(pixels) - 2 * net.ReceptiveRadius;
        return Math.Max(32, side);
    }

    static void RunTile(Image color, Image output, ISuperResolutionNetwork net, int x0, int y0, int x1, int y1, int margin)
    {
        int s = net.Scale;
        int px0 = Math.Max(0, x0 - margin), py0 = Math.Max(0, y0 - margin);
        int px1 = Math.Min(color.Width, x1 + margin), py1 = Math.Min(color.Height, y1 + margin);
        int pw = px1 - px0, ph = py1 - py0;
        float range = net.InputRange;

        using var input = Tensor.Empty(1, 3, ph, pw);
        var dst = input.Span;
        for (int c = 0; c < 3; c++)
        {
            var plane = color.Plane(c);
            for (int y = 0; y < ph; y++)
            {
                var row = plane.Slice((py0 + y) * color.Width + px0, pw);
                var to = dst.Slice((c * ph + y) * pw, pw);
                for (int x = 0; x < pw; x++) to[x] = row[x] * range;
            }
        }
        using var result = net.Forward(input);
        if (result.Rank != 4 || result.Dim(1) != 3 || result.Dim(2) != ph * s || result.Dim(3) != pw * s)
            throw new InvalidOperationException($"{net.Name} returned {result.ShapeString} for a {pw}x{ph} tile at x{s}");

        // Keep only the part of the output that belongs to this tile's core.
        var src = result.ReadOnlySpan;
        int ow = pw * s, oh = ph * s;
        int cx = (x0 - px0) * s, cy = (y0 - py0) * s, cw = (x1 - x0) * s, ch = (y1 - y0) * s;
        float inv = 1f / range;
        for (int c = 0; c < 3; c++)
        {
            var plane = output.Plane(c);
            for (int y = 0; y < ch; y++)
            {
                var from = src.Slice((c * oh + cy + y) * ow + cx, cw);
                var to = plane.Slice((y0 * s + y) * output.Width + x0 * s, cw);
                for (int x = 0; x < cw; x++) to[x] = Math.Clamp(from[x] * inv, 0f, 1f);
            }
        }
    }

    /// <summary>BT.601 luma (MATLAB rgb2gray's weights): a gray input comes back as the network's gray.</summary>
    static void ToGray(Image rgb, Span<float> gray)
    {
        var r = rgb.Plane(0); var g = rgb.Plane(1); var b = rgb.Plane(2);
        for (int i = 0; i < gray.Length; i++) gray[i] = 0.298936f * r[i] + 0.587043f * g[i] + 0.114021f * b[i];
    }
}
