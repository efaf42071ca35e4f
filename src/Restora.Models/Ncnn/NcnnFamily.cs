using Restora.Core;
using Restora.Imaging;

namespace Restora.Models.Ncnn;

/// <summary>The model families whose ncnn files Restora runs, each with its own padding rules.</summary>
public enum NcnnModelFamily
{
    /// <summary>Real-ESRGAN (x4plus, x4plus-anime, animevideov3, general x4v3).</summary>
    RealEsrgan,
    /// <summary>Real-CUGAN (models-se).</summary>
    RealCugan,
    /// <summary>waifu2x upconv_7 and cunet.</summary>
    Waifu2x,
}

/// <summary>How the border added around an image is filled.</summary>
public enum NcnnPadMode
{
    /// <summary>Mirrored about the edge pixel, which is not repeated (…c b | a b c…).</summary>
    Reflect,
    /// <summary>The edge pixel repeated (…a a | a b c…).</summary>
    Edge,
}

/// <summary>
/// The pre- and post-processing a family's own program wraps around its network for one whole image (one tile):
/// the input is RGB in 0..1 (×1/255 of the 8-bit codes), padded by <see cref="Padding"/> pixels on every side
/// plus extra on the right and bottom up to a multiple of <see cref="Multiple"/>; of the output, the h·s × w·s
/// pixels from <see cref="OutputOffset"/> are kept and quantized as floor(v·255 + 0.5) clamped to 0..255
/// (Real-CUGAN 4x adds the input, nearest ×4, to v·255 first).
/// <para>
/// <see cref="Prepare"/> and <see cref="Finish"/> are pure functions of their arguments, for a tiled pipeline to
/// call per tile; <see cref="Upscale"/> does a whole image.
/// </para>
/// </summary>
public sealed record NcnnFamily
{
    public NcnnModelFamily Kind { get; }
    /// <summary>Output size over input size.</summary>
    public int Scale { get; }
    /// <summary>Pixels added on each side before the network runs.</summary>
    public int Padding { get; }
    /// <summary>The padded size less 2·<see cref="Padding"/> is made a multiple of this by extra rows and columns on the bottom and right.</summary>
    public int Multiple { get; }
    public NcnnPadMode PadMode { get; }
    /// <summary>Whether the output adds the input image, nearest-upscaled (Real-CUGAN 4x).</summary>
    public bool AddsInput { get; }

    NcnnFamily(NcnnModelFamily kind, int scale, int padding, int multiple, NcnnPadMode mode, bool addsInput)
    {
        Kind = kind;
        Scale = scale;
        Padding = padding;
        Multiple = multiple;
        PadMode = mode;
        AddsInput = addsInput;
    }

    /// <summary>Real-ESRGAN: reflect padding 10, the output cropped by 10·scale.</summary>
    public static NcnnFamily RealEsrgan(int scale) =>
        scale is >= 1 and <= 8 ? new(NcnnModelFamily.RealEsrgan, scale, 10, 1, NcnnPadMode.Reflect, false)
            : throw new ArgumentOutOfRangeException(nameof(scale), $"Real-ESRGAN scale {scale} must be 1..8");

    /// <summary>Real-CUGAN: reflect padding 18 (2x), 14 (3x), 19 (4x); sizes made multiples of 2 (2x, 4x) or 4 (3x).</summary>
    public static NcnnFamily RealCugan(int scale) => scale switch
    {
        2 => new(NcnnModelFamily.RealCugan, 2, 18, 2, NcnnPadMode.Reflect, false),
        3 => new(NcnnModelFamily.RealCugan, 3, 14, 4, NcnnPadMode.Reflect, false),
        4 => new(NcnnModelFamily.RealCugan, 4, 19, 2, NcnnPadMode.Reflect, true),
        _ => throw new ArgumentOutOfRangeException(nameof(scale), $"Real-CUGAN scale {scale} must be 2, 3 or 4"),
    };

    /// <summary>waifu2x upconv_7 (2x): edge padding 7, sizes made multiples of 2.</summary>
    public static NcnnFamily Waifu2xUpconv7() => new(NcnnModelFamily.Waifu2x, 2, 7, 2, NcnnPadMode.Edge, false);

    /// <summary>waifu2x cunet: edge padding 18 and multiples of 2 for 2x, 28 and multiples of 4 for 1x (denoise only).</summary>
    public static NcnnFamily Waifu2xCunet(int scale) => scale switch
    {
        1 => new(NcnnModelFamily.Waifu2x, 1, 28, 4, NcnnPadMode.Edge, false),
        2 => new(NcnnModelFamily.Waifu2x, 2, 18, 2, NcnnPadMode.Edge, false),
        _ => throw new ArgumentOutOfRangeException(nameof(scale), $"waifu2x cunet scale {scale} must be 1 or 2"),
    };

    /// <summary>Where the kept output starts (both axes): Real-ESRGAN's network keeps the padding, the others trim it.</summary>
    public int OutputOffset => Kind == NcnnModelFamily.RealEsrgan ? Padding * Scale : 0;

    /// <summary>Extra rows (or columns) added after the image for a size of <paramref name="size"/>.</summary>
    public int Extra(int size) => (Multiple - size % Multiple) % Multiple;

    /// <summary>
    /// The network input for an RGB tensor [1, 3, h, w] in 0..1: [1, 3, h + 2p + extra, w + 2p + extra], a new
    /// pooled tensor.
    /// </summary>
    public Tensor Prepare(Tensor rgb)
    {
        CheckRgb(rgb, nameof(rgb));
        int h = rgb.Dim(2), w = rgb.Dim(3), p = Padding;
        int ph = h + 2 * p + Extra(h), pw = w + 2 * p + Extra(w);
        var cols = new int[pw];
        for (int x = 0; x < pw; x++) cols[x] = Source(x - p, w);
        var y = Tensor.Empty(1, 3, ph, pw);
        var src = rgb.ReadOnlySpan;
        var dst = y.Span;
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < ph; r++)
            {
                var s = src.Slice((c * h + Source(r - p, h)) * w, w);
                var d = dst.Slice((c * ph + r) * pw, pw);
                for (int x = 0; x < pw; x++) d[x] = s[cols[x]];
            }
        return y;
    }

    /// <summary>
    /// The image from the network's output for <paramref name="rgb"/> (the unpadded input [1, 3, h, w]): a new
    /// pooled tensor [1, 3, h·s, w·s] of 8-bit codes / 255.
    /// </summary>
    public Tensor Finish(Tensor output, Tensor rgb)
    {
        CheckRgb(rgb, nameof(rgb));
        int h = rgb.Dim(2), w = rgb.Dim(3), s = Scale, o = OutputOffset;
        if (output.Rank != 4 || output.Dim(0) != 1 || output.Dim(1) != 3 || output.Dim(2) < o + h * s || output.Dim(3) < o + w * s)
            throw new ArgumentException($"ncnn {Kind}: the network output {output.ShapeString} does not hold the {h * s}x{w * s} result at offset {o} for a {h}x{w} input");
        int oh = output.Dim(2), ow = output.Dim(3), th = h * s, tw = w * s;
        var y = Tensor.Empty(1, 3, th, tw);
        var src = output.ReadOnlySpan;
        var inp = rgb.ReadOnlySpan;
        var dst = y.Span;
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < th; r++)
            {
                var srow = src.Slice((c * oh + o + r) * ow + o, tw);
                var drow = dst.Slice((c * th + r) * tw, tw);
                var irow = inp.Slice((c * h + r / s) * w, w);
                for (int x = 0; x < tw; x++)
                {
                    float v = srow[x] * 255f + 0.5f;
                    if (AddsInput) v += irow[x / s] * 255f;
                    drow[x] = Code(v) * (1f / 255f);
                }
            }
        return y;
    }

    /// <summary>
    /// Upscales a whole image in one pass (no tiling): gray is expanded to RGB and alpha is not carried. The
    /// result is an 8-bit RGB image.
    /// </summary>
    public Image Upscale(NcnnNetwork network, Image image)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(image);
        var color = image.IsGray ? image.ToRgb() : image;
        int h = color.Height, w = color.Width;
        using var scope = new TensorScope();
        var rgb = Tensor.FromArray(color.Data.AsSpan(0, 3 * h * w), 1, 3, h, w);
        var input = Prepare(rgb);
        var output = network.Run(input);
        input.Dispose();
        var result = Finish(output, rgb);
        return new Image(w * Scale, h * Scale, PixelLayout.Rgb, 8, result.ToArray());
    }

    /// <summary>floor(v) clamped to 0..255 (NaN gives 0).</summary>
    static float Code(float v) => v >= 255f ? 255f : v > 0 ? MathF.Floor(v) : 0f;

    int Source(int i, int size)
    {
        if (PadMode == NcnnPadMode.Edge || size == 1) return Math.Clamp(i, 0, size - 1);
        int period = 2 * (size - 1);
        int m = ((i % period) + period) % period;
        return m < size ? m : period - m;
    }

    static void CheckRgb(Tensor rgb, string name)
    {
        ArgumentNullException.ThrowIfNull(rgb, name);
        if (rgb.Rank != 4 || rgb.Dim(0) != 1 || rgb.Dim(1) != 3 || rgb.Dim(2) < 1 || rgb.Dim(3) < 1)
            throw new ArgumentException($"ncnn: expected an RGB tensor [1, 3, h, w], got {rgb.ShapeString}", name);
    }
}
