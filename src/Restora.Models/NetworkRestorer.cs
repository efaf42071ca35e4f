using Restora.Core;
using Restora.Core.Nn;
using Restora.Imaging;
using Restora.Models.Architectures;

namespace Restora.Models;

/// <summary>
/// Runs a network on a whole image as an <see cref="IRestorer"/>: 1-channel networks work on MATLAB's Y (Cb and
/// Cr bicubic-upscaled for SR), 3-channel ones on RGB; same-size networks get the bicubic-upscaled image for SR;
/// the image is edge-padded to the network's size multiple and cropped back. Noise-level networks are told the
/// task's sigma. Alpha is dropped (restorers return color planes).
/// </summary>
public sealed class NetworkRestorer : IRestorer
{
    readonly Module network;
    readonly ArchitectureInfo architecture;
    readonly int channels;
    readonly RestorationTask task;
    readonly int? radius;

    /// <param name="options">The network's options (from its file's metadata); they give the receptive radius
    /// that lets large images be processed in tiles.</param>
    public NetworkRestorer(string name, Module network, ArchitectureInfo architecture, int channels, RestorationTask task,
        IReadOnlyDictionary<string, string>? options = null)
    {
        Name = name;
        radius = options is not null ? architecture.Radius?.Invoke(options) : null;
        this.network = network;
        this.architecture = architecture;
        this.channels = channels is 1 or 3 ? channels : throw new ArgumentException($"networks take 1 or 3 channels, not {channels}");
        this.task = task;
    }

    public string Name { get; }

    /// <summary>What the network's file says of it, when it was loaded from one.</summary>
    public ModelMetadata? Metadata { get; init; }

    /// <summary>The task this network was trained for.</summary>
    public RestorationTask Task => task;

    /// <summary>Side of the tiles large images are cut into, in pixels; 0 picks one (whole images up to
    /// <see cref="WholeImagePixels"/>). Tiles overlap by the receptive radius, so the pixels do not change.</summary>
    public int Tile { get; set; }

    public const long WholeImagePixels = 4_000_000;
    // Measured on a 2048x1365 photo with the U-Net denoiser (2 cores): the whole image 6.6-7.8 s and 2.6 GB, 1400-px
    // tiles 7.4 s, 1024-px tiles 8.3 s, 512-px tiles 13.4 s: since inference releases each activation once read and
    // 3x3 convs run as Winograd, the tiles' overlap (the U-Net's 112-px radius) costs more than the memory saves,
    // and every new GB the kernel must clear costs about a second here. Larger images go in tiles of this side.
    const int AutoTile = 1536;
    public string Description => $"{architecture.Name} network ({architecture.Description})";
    public bool Supports(RestorationTask t) => t == task;

    public Image Restore(Image degraded, TaskSettings settings)
    {
        int scale = task.Enlarges ? settings.Scale : 1;
        var color = degraded.WithoutAlpha();
        if (channels == 3)
        {
            var rgbOut = Run(color.ToRgb(), scale, settings);
            return color.IsGray ? AverageToGray(rgbOut) : rgbOut;
        }
        if (color.IsGray) return Run(color, scale, settings);
        var ycc = Color.RgbToYCbCr(color);
        var y = new Image(ycc.Width, ycc.Height, PixelLayout.Gray, ycc.BitDepth);
        ycc.Plane(0).CopyTo(y.Plane(0));
        var yOut = Run(y, scale, settings);
        var full = scale == 1 ? ycc : Resize.Apply(ycc, ycc.Width * scale, ycc.Height * scale, scale, scale, ResizeMethod.Bicubic, roundToDepth: false);
        yOut.Plane(0).CopyTo(full.Plane(0));
        return Color.YCbCrToRgb(full);
    }

    Image Run(Image image, int scale, TaskSettings settings)
    {
        if (scale > 1 && architecture.ScaleMode == ScaleMode.SameSize)
        {
            image = Resize.ByFactor(image, scale, ResizeMethod.Bicubic);
            scale = 1;
        }
        if (network is INoiseLevelInput noisy) noisy.NoiseLevel = (float)(settings.NoiseSigma / 255);
        // An upsampling RGB network with a known radius goes through the same tiler as the pretrained upscalers:
        // its activations at x4 run to several GB for a 2K input.
        if (scale > 1 && image.Channels == 3 && radius is int lowRadius && architecture.SizeMultiple == 1)
        {
            network.Eval();
            return Upscaling.TiledUpscaler.Upscale(image, new TiledNetwork(Name, network, scale, lowRadius, architecture), Tile);
        }
        int m = architecture.SizeMultiple;
        int tile = Tile > 0 ? Tile : (long)image.Width * image.Height <= WholeImagePixels ? 0 : AutoTile;
        if (scale != 1 || radius is not int r || tile <= 0 || tile >= Math.Max(image.Width, image.Height))
            return RunWhole(image, scale);
        // Tiles and margins start on multiples of the size multiple, so inner tiles need no padding and the last
        // ones are padded exactly as the whole image would be.
        tile = (tile + m - 1) / m * m;
        int margin = (r + m - 1) / m * m;
        var result = new Image(image.Width, image.Height, image.Layout, image.BitDepth);
        var tiles = new List<(int X0, int Y0, int X1, int Y1, int Px0, int Py0, int Px1, int Py1)>();
        for (int y0 = 0; y0 < image.Height; y0 += tile)
            for (int x0 = 0; x0 < image.Width; x0 += tile)
            {
                int x1 = Math.Min(image.Width, x0 + tile), y1 = Math.Min(image.Height, y0 + tile);
                tiles.Add((x0, y0, x1, y1, Math.Max(0, x0 - margin), Math.Max(0, y0 - margin),
                    Math.Min(image.Width, x1 + margin), Math.Min(image.Height, y1 + margin)));
            }
        // Largest padded tile first: its activations are then big enough for every later tile to reuse, where a
        // small corner tile first made each larger one allocate (and the kernel clear) a new set of buffers.
        foreach (var (x0, y0, x1, y1, px0, py0, px1, py1) in tiles.OrderByDescending(t => (long)(t.Px1 - t.Px0) * (t.Py1 - t.Py0)))
        {
            var part = RunWhole(image.Crop(px0, py0, px1 - px0, py1 - py0), 1);
            for (int c = 0; c < image.Channels; c++)
            {
                var src = part.Plane(c);
                var dst = result.Plane(c);
                for (int y = y0; y < y1; y++)
                    src.Slice((y - py0) * part.Width + (x0 - px0), x1 - x0).CopyTo(dst.Slice(y * image.Width + x0, x1 - x0));
            }
        }
        return result;
    }

    /// <summary>The whole image in one pass, edge-padded to the size multiple and cropped back.</summary>
    Image RunWhole(Image image, int scale)
    {
        int m = architecture.SizeMultiple;
        int w = image.Width, h = image.Height, pw = (w + m - 1) / m * m, ph = (h + m - 1) / m * m;
        int c = image.Channels;
        var result = new Image(w * scale, h * scale, image.Layout, image.BitDepth);
        using (Autograd.NoGrad())
        using (new TensorScope())
        {
            var x = Tensor.Empty(1, c, ph, pw);
            var xs = x.Span;
            for (int ch = 0; ch < c; ch++)
            {
                var plane = image.Plane(ch);
                for (int yy = 0; yy < ph; yy++)
                {
                    var src = plane.Slice(Math.Min(yy, h - 1) * w, w);
                    var dst = xs.Slice((ch * ph + yy) * pw, pw);
                    src.CopyTo(dst);
                    dst[w..].Fill(src[w - 1]);
                }
            }
            network.Eval();
            var y = network.Forward(x);
            int ow = pw * scale, oh = ph * scale;
            if (y.Dim(1) != c || y.Dim(2) != oh || y.Dim(3) != ow)
                throw new InvalidOperationException($"{architecture.Name} returned {y.ShapeString} for a {x.ShapeString} input at scale {scale}");
            var ys = y.ReadOnlySpan;
            for (int ch = 0; ch < c; ch++)
            {
                var plane = result.Plane(ch);
                for (int yy = 0; yy < result.Height; yy++)
                    ys.Slice((ch * oh + yy) * ow, result.Width).CopyTo(plane.Slice(yy * result.Width, result.Width));
            }
        }
        return result;
    }

    /// <summary>An RGB upsampling network as the tiler and `bench model` see the pretrained ones (values 0..1); null
    /// for same-size or 1-channel networks.</summary>
    public Upscaling.ISuperResolutionNetwork? AsSuperResolutionNetwork(int scale) =>
        architecture.ScaleMode == ScaleMode.Upsampling && channels == 3 && task.Enlarges
            ? new TiledNetwork(Name, network.Eval(), scale, radius ?? 0, architecture) : null;

    /// <summary>A trained upsampling network seen as the tiler sees pretrained ones: input and output on 0..1.</summary>
    sealed class TiledNetwork(string name, Module network, int scale, int radius, ArchitectureInfo architecture)
        : Upscaling.ISuperResolutionNetwork
    {
        public string Name => name;
        public int Scale => scale;
        public int ReceptiveRadius => radius;
        public float InputRange => 1;

        // The widest activation is the sub-pixel upsampler's last conv: its M output channels (the most any layer
        // has) at (scale/2)² pixels per input pixel, 4 bytes each; three such alive at once is a safe bound.
        public long PeakBytesPerInputPixel => 3L * scale * scale * network.Parameters().Max(p => p.Dim(0));

        public double Flops(int height, int width) => double.NaN;

        public Tensor Forward(Tensor input)
        {
            using (Autograd.NoGrad()) return network.Forward(input);
        }
    }

    static Image AverageToGray(Image rgb)
    {
        var gray = new Image(rgb.Width, rgb.Height, PixelLayout.Gray, rgb.BitDepth);
        var g = gray.Plane(0);
        var r = rgb.Plane(0); var gg = rgb.Plane(1); var b = rgb.Plane(2);
        for (int i = 0; i < g.Length; i++) g[i] = (r[i] + gg[i] + b[i]) / 3f;
        return gray;
    }
}
