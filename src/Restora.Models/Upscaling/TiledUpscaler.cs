using Restora.Core;
using Restora.Imaging;

namespace Restora.Models.Upscaling;

/// <summary>
/// The one restore pipeline every network goes through, whatever its format: tile by tile (Real-ESRGAN's scheme),
/// each tile cut with a margin of the network's receptive radius, run, and the margin's output dropped, so the result
/// is the same pixels as the whole image at once while memory stays at one tile's activations plus the output.
/// Gray images go through an RGB network as RGB and come back as its luma (MATLAB rgb2gray's weights); alpha, which
/// networks never see, is carried over (enlarged with bicubic when the network enlarges); the bit depth is kept.
/// Networks with a size multiple get the image's right and bottom edges replicated to it, and tiles aligned to it,
/// so tiling changes nothing there either.
/// </summary>
public static class TiledUpscaler
{
    /// <summary>Activation memory a tile may use when the caller does not choose the tile size.</summary>
    public const long DefaultTileBudgetBytes = 1L << 30;

    /// <summary>A tile side larger than any image: the whole image in one pass.</summary>
    public const int WholeImage = 1 << 30;

    /// <summary>The image restored (and enlarged) by <paramref name="net"/>, tile by tile, the same pixels as in one pass.</summary>
    /// <param name="tile">Side of the part of the input each tile produces, in input pixels; 0 lets the network choose
    /// (<see cref="ISuperResolutionNetwork.AutoTile"/>: by default the whole image when it fits the memory budget).</param>
    /// <param name="progress">Told (tiles done, tiles in all) after each tile.</param>
    /// <param name="budgetBytes">Activation memory a tile may use when the tile is chosen here (0: <see cref="DefaultTileBudgetBytes"/>).</param>
    public static Image Upscale(Image image, ISuperResolutionNetwork net, int tile = 0, Action<int, int>? progress = null, long budgetBytes = 0)
    {
        int s = net.Scale, m = Math.Max(1, net.SizeMultiple), align = Math.Max(m, net.TileAlignment);
        int w = image.Width, h = image.Height;
        if (net.Channels is not (1 or 3)) throw new ArgumentException($"{net.Name}: networks take 1 or 3 channels, not {net.Channels}");
        if (net.OutputChannels is not (1 or 3)) throw new ArgumentException($"{net.Name}: networks return 1 or 3 channels, not {net.OutputChannels}");
        if (net.Channels == 1 && !image.IsGray) throw new ArgumentException($"{net.Name} is a one-channel network: give it a gray (or Y) image");
        var color = net.Channels == 3 && image.IsGray ? image.WithoutAlpha().ToRgb() : image.WithoutAlpha();
        if (tile <= 0) tile = net.AutoTile(w, h, budgetBytes > 0 ? budgetBytes : DefaultTileBudgetBytes);
        if (net.ReceptiveRadius < 0) tile = WholeImage;
        bool staged = net is IStagedNetwork { Stages: > 0 } && (long)tile < Math.Max(w, h);
        // Tiles and margins start on multiples of the size multiple, so inner tiles need no padding and the last
        // ones are padded exactly as the whole image would be.
        tile = (int)Math.Min(WholeImage, ((long)Math.Max(tile, 1) + align - 1) / align * align);
        int margin = (Math.Max(0, net.ReceptiveRadius) + align - 1) / align * align;

        var restored = new Image(w * s, h * s, net.OutputChannels == 1 ? PixelLayout.Gray : PixelLayout.Rgb, image.BitDepth);
        var tiles = new List<(int X0, int Y0, int X1, int Y1)>();
        for (long y0 = 0; y0 < h; y0 += tile)
            for (long x0 = 0; x0 < w; x0 += tile)
                tiles.Add(((int)x0, (int)y0, (int)Math.Min(w, x0 + tile), (int)Math.Min(h, y0 + tile)));
        // Largest padded tile first: its activations are then big enough for every later tile to reuse, where a
        // small corner tile first made each larger one allocate (and the kernel clear) a new set of buffers.
        long Area((int X0, int Y0, int X1, int Y1) t) =>
            (long)(Math.Min(w, t.X1 + margin) - Math.Max(0, t.X0 - margin)) * (Math.Min(h, t.Y1 + margin) - Math.Max(0, t.Y0 - margin));
        var order = tiles.OrderByDescending(Area).ToList();
        // Global poolings: each stage's whole-image means are gathered over all tiles before the next stage.
        var means = staged ? GatherMeans(color, (IStagedNetwork)net, order, margin, m) : null;
        int done = 0;
        foreach (var t in order)
        {
            RunTile(color, restored, net, t.X0, t.Y0, t.X1, t.Y1, margin, m, means);
            progress?.Invoke(++done, tiles.Count);
        }

        if (image.IsGray && net.Channels == 3 && net.OutputChannels == 3)
        {
            var gray = new Image(w * s, h * s, PixelLayout.Gray, image.BitDepth);
            ToGray(restored, gray.Plane(0));
            restored = gray;
        }
        return WithAlphaOf(image, restored);
    }

    /// <summary>
    /// <paramref name="restored"/> (the color planes a network gave for <paramref name="source"/>) with the source's
    /// alpha carried over, enlarged with bicubic when the network enlarged, and the source's bit depth.
    /// </summary>
    public static Image WithAlphaOf(Image source, Image restored)
    {
        restored.BitDepth = source.BitDepth;
        if (!source.HasAlpha) return restored;
        var result = new Image(restored.Width, restored.Height, restored.IsGray ? PixelLayout.GrayAlpha : PixelLayout.Rgba, source.BitDepth);
        restored.Data.AsSpan(0, restored.Data.Length).CopyTo(result.Data);
        var alpha = new Image(source.Width, source.Height, PixelLayout.Gray, source.BitDepth, source.Plane(source.Channels - 1).ToArray());
        if (restored.Width != source.Width) alpha = Resize.ByFactor(alpha, restored.Width / source.Width, ResizeMethod.Bicubic);
        alpha.Plane(0).CopyTo(result.Plane(result.Channels - 1));
        return result;
    }

    /// <summary>The largest square tile whose padded input fits the budget, or the whole image when it fits.</summary>
    public static int AutoTile(ISuperResolutionNetwork net, int width, int height, long budgetBytes)
    {
        long perPixel = Math.Max(1, net.PeakBytesPerInputPixel);
        long pixels = budgetBytes / perPixel;
        if ((long)width * height <= pixels) return Math.Max(width, height);
        int side = (int)Math.Sqrt(pixels) - 2 * Math.Max(0, net.ReceptiveRadius);
        return Math.Max(32, side);
    }

    /// <summary>
    /// The whole-image mean of every global pooling of <paramref name="net"/>, stage by stage: each tile computes the
    /// stage's feature map (earlier stages given their means) and adds the positions it owns, those sitting over its
    /// core (clamped into the image, so the border tiles own what lies over the padding).
    /// </summary>
    static List<float[]> GatherMeans(Image color, IStagedNetwork net, List<(int X0, int Y0, int X1, int Y1)> tiles, int margin, int multiple)
    {
        var means = new List<float[]>();
        for (int stage = 0; stage < net.Stages; stage++)
        {
            var (perPixel, offset) = net.StageGeometry(stage);
            double[]? sums = null;
            long count = 0;
            foreach (var (x0, y0, x1, y1) in tiles)
            {
                int px0 = Math.Max(0, x0 - margin), py0 = Math.Max(0, y0 - margin);
                using var input = TileInput(color, net, px0, py0, Math.Min(color.Width, x1 + margin), Math.Min(color.Height, y1 + margin), multiple);
                using var features = net.StageFeatures(input, means, stage);
                int c = features.Dim(1), fh = features.Dim(2), fw = features.Dim(3);
                sums ??= new double[c];
                // Which feature columns and rows this tile owns.
                bool Owns(int f, int origin, int lo, int hi, int size)
                {
                    int at = Math.Clamp((int)Math.Floor((f + offset) / perPixel) + origin, 0, size - 1);
                    return at >= lo && at < hi;
                }
                var cols = Enumerable.Range(0, fw).Where(f => Owns(f, px0, x0, x1, color.Width)).ToArray();
                var rows = Enumerable.Range(0, fh).Where(f => Owns(f, py0, y0, y1, color.Height)).ToArray();
                var data = features.ReadOnlySpan;
                for (int ch = 0; ch < c; ch++)
                {
                    double sum = 0;
                    foreach (int y in rows)
                    {
                        var row = data.Slice((ch * fh + y) * fw, fw);
                        foreach (int x in cols) sum += row[x];
                    }
                    sums[ch] += sum;
                }
                count += (long)rows.Length * cols.Length;
            }
            means.Add(sums!.Select(v => (float)(v / count)).ToArray());
        }
        return means;
    }

    /// <summary>The tile [px0, px1) x [py0, py1) as the network's input: scaled to its range, the right and bottom
    /// edges repeated up to the size multiple (only tiles at the image's edges need it; inner ones are aligned).</summary>
    static Tensor TileInput(Image color, ISuperResolutionNetwork net, int px0, int py0, int px1, int py1, int multiple)
    {
        int channels = color.Channels, pw = px1 - px0, ph = py1 - py0;
        int fw = (pw + multiple - 1) / multiple * multiple, fh = (ph + multiple - 1) / multiple * multiple;
        float range = net.InputRange;
        var input = Tensor.Empty(1, channels, fh, fw);
        var dst = input.Span;
        for (int c = 0; c < channels; c++)
        {
            var plane = color.Plane(c);
            for (int y = 0; y < fh; y++)
            {
                var row = plane.Slice((py0 + Math.Min(y, ph - 1)) * color.Width + px0, pw);
                var to = dst.Slice((c * fh + y) * fw, fw);
                for (int x = 0; x < pw; x++) to[x] = row[x] * range;
                to[pw..].Fill(row[pw - 1] * range);
            }
        }
        return input;
    }

    static void RunTile(Image color, Image output, ISuperResolutionNetwork net, int x0, int y0, int x1, int y1, int margin, int multiple,
        IReadOnlyList<float[]>? means)
    {
        int s = net.Scale, channels = net.OutputChannels;
        int px0 = Math.Max(0, x0 - margin), py0 = Math.Max(0, y0 - margin);
        int px1 = Math.Min(color.Width, x1 + margin), py1 = Math.Min(color.Height, y1 + margin);
        using var input = TileInput(color, net, px0, py0, px1, py1, multiple);
        int fh = input.Dim(2), fw = input.Dim(3);
        float range = net.InputRange;
        using var result = means is null ? net.Forward(input) : ((IStagedNetwork)net).Forward(input, means);
        if (result.Rank != 4 || result.Dim(1) != channels || result.Dim(2) != fh * s || result.Dim(3) != fw * s)
            throw new InvalidOperationException($"{net.Name} returned {result.ShapeString} for a {fw}x{fh} tile at x{s}");

        // Keep only the part of the output that belongs to this tile's core.
        var src = result.ReadOnlySpan;
        int ow = fw * s, oh = fh * s;
        int cx = (x0 - px0) * s, cy = (y0 - py0) * s, cw = (x1 - x0) * s, ch = (y1 - y0) * s;
        float inv = 1f / range;
        for (int c = 0; c < channels; c++)
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
