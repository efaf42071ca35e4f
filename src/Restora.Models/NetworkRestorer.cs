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
public sealed class NetworkRestorer : Formats.IRestorationModel
{
    readonly Module network;
    readonly ArchitectureInfo architecture;
    readonly int channels;
    readonly RestorationTask task;
    readonly int? radius;
    readonly int multiple, outputChannels;

    /// <param name="options">The network's options (from its file's metadata); they give the receptive radius
    /// that lets large images be processed in tiles.</param>
    public NetworkRestorer(string name, Module network, ArchitectureInfo architecture, int channels, RestorationTask task,
        IReadOnlyDictionary<string, string>? options = null)
    {
        Name = name;
        radius = options is not null ? architecture.Radius?.Invoke(options) : null;
        multiple = architecture.SizeMultipleFor(options ?? new Dictionary<string, string>());
        outputChannels = options is not null ? ArchitectureInfo.OutputChannels(options) : channels;
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

    /// <summary>Its enlargement, from its file (1 for same-size tasks).</summary>
    public int Scale => task.Enlarges ? Metadata?.Scale ?? 1 : 1;

    /// <summary>The network module itself (fine-tuning it, as the toolchain's joint training does).</summary>
    public Module Module => network;

    /// <summary>
    /// Multiply-adds per output pixel for a network whose every layer works at the image's own resolution (stride-1
    /// convolutions, nothing resampled: the toolchain's tools, DnCNN): the sum of its convolution weights. Null for
    /// any other network, whose cost depends on more than the pixel count.
    /// </summary>
    public long? SameSizeMacsPerPixel
    {
        get
        {
            if (architecture.ScaleMode != ScaleMode.SameSize || multiple != 1) return null;
            long macs = 0;
            var pending = new Stack<Module>([network]);
            while (pending.Count > 0)
            {
                var m = pending.Pop();
                if (m is Conv2d conv)
                {
                    if (conv.Stride != (1, 1)) return null;
                    macs += conv.Weight.Length;
                }
                else if (m is ConvTranspose2d) return null;
                foreach (var (_, child) in m.NamedChildren()) pending.Push(child);
            }
            return macs;
        }
    }

    long? measuredMacs;

    /// <summary>
    /// Multiply-adds per pixel of a same-size network of any shape: <see cref="SameSizeMacsPerPixel"/> where the sum
    /// of weights gives it, else counted (<see cref="MacCounter"/>) over one forward pass on a 64x64 probe (a U-Net's
    /// coarser scales cost less per pixel than its full-resolution ones). Null for networks that enlarge.
    /// </summary>
    public long? MacsPerPixel
    {
        get
        {
            if (task.Enlarges || architecture.ScaleMode != ScaleMode.SameSize) return null;
            if (measuredMacs is long known) return known;
            if (SameSizeMacsPerPixel is long direct) return measuredMacs = direct;
            int side = 64 % multiple == 0 ? 64 : multiple * (int)Math.Ceiling(64.0 / multiple);
            using var _ = Autograd.NoGrad();
            network.Eval();
            if (network is INoiseLevelInput noisy) noisy.NoiseLevel = 0.1f;
            using var probe = Tensor.Zeros(1, channels, side, side);
            long macs = MacCounter.Measure(() => network.Forward(probe).Dispose());
            return measuredMacs = macs / ((long)side * side);
        }
    }

    /// <summary>Whether the network is told a noise level (a denoiser with a noise map).</summary>
    public bool TakesNoiseLevel => network is INoiseLevelInput;

    /// <summary>Input sides must be multiples of this (the pipeline pads to it).</summary>
    public int SizeMultiple => multiple;

    /// <summary>The network as the pipeline sees it, for upsampling RGB networks (`bench model`); else null.</summary>
    public Upscaling.ISuperResolutionNetwork? Network => AsSuperResolutionNetwork(Scale);

    /// <summary>Side of the tiles large images are cut into, in pixels; 0 picks one (whole images up to
    /// <see cref="WholeImagePixels"/>). Tiles overlap by the receptive radius, so the pixels do not change.</summary>
    public int Tile { get; set; }

    /// <summary>Told (tiles done, tiles in all) after each tile of a restore.</summary>
    public Action<int, int>? TileProgress { get; set; }

    /// <summary>Activation memory a tile may use when <see cref="Tile"/> is 0 (0: the pipeline's default).</summary>
    public long TileBudgetBytes { get; set; }

    public const long WholeImagePixels = 4_000_000;
    // Measured on a 2048x1365 photo with the U-Net denoiser (2 cores): the whole image 6.6-7.8 s and 2.6 GB, 1400-px
    // tiles 7.4 s, 1024-px tiles 8.3 s, 512-px tiles 13.4 s: since inference releases each activation once read and
    // 3x3 convs run as Winograd, the tiles' overlap (the U-Net's 112-px radius) costs more than the memory saves,
    // and every new GB the kernel must clear costs about a second here. Larger images go in tiles of this side.
    const int AutoTile = 1536;

    /// <inheritdoc/>
    public string Description => $"{architecture.Name} network ({architecture.Description})";
    /// <inheritdoc/>
    /// <remarks>Mixed, unknown damage takes any same-size restorer (how one full restorer alone compares with a toolchain).</remarks>
    public bool Supports(RestorationTask t) => t == task || t is MixedTask && !task.Enlarges && !task.UsesPairs && task is not ColorizeTask;

    /// <summary>
    /// Restores through the one pipeline (<see cref="Upscaling.TiledUpscaler"/>: tiles, gray, alpha, bit depth).
    /// A one-channel network restores MATLAB's Y of a color image (Cb and Cr bicubic-upscaled for SR); a same-size
    /// network doing SR is given the bicubic-upscaled image.
    /// </summary>
    public Image Restore(Image degraded, TaskSettings settings)
    {
        int scale = task.Enlarges ? settings.Scale : 1;
        if (network is INoiseLevelInput noisy) noisy.NoiseLevel = (float)(settings.NoiseSigma / 255);
        if (scale > 1 && architecture.ScaleMode == ScaleMode.SameSize)
        {
            degraded = Resize.ByFactor(degraded, scale, ResizeMethod.Bicubic);
            scale = 1;
        }
        // A network that makes colour from one channel (a colorizer) reads a colour image's luminance.
        if (channels == 1 && outputChannels == 3)
            return Upscaling.TiledUpscaler.WithAlphaOf(degraded, Run(degraded.IsGray ? degraded.WithoutAlpha() : Imaging.Color.Luminance(degraded), scale));
        if (channels == 3 || degraded.IsGray) return Run(degraded, scale);
        var color = degraded.WithoutAlpha();
        var ycc = Color.RgbToYCbCr(color);
        var y = new Image(ycc.Width, ycc.Height, PixelLayout.Gray, ycc.BitDepth);
        ycc.Plane(0).CopyTo(y.Plane(0));
        var yOut = Run(y, scale);
        var full = scale == 1 ? ycc : Resize.Apply(ycc, ycc.Width * scale, ycc.Height * scale, scale, scale, ResizeMethod.Bicubic, roundToDepth: false);
        yOut.Plane(0).CopyTo(full.Plane(0));
        return Upscaling.TiledUpscaler.WithAlphaOf(degraded, Color.YCbCrToRgb(full));
    }

    Image Run(Image image, int scale)
    {
        network.Eval();
        return Upscaling.TiledUpscaler.Upscale(image, new PipelineNetwork(this, scale), Tile, TileProgress, TileBudgetBytes);
    }

    /// <summary>An RGB upsampling network as the tiler and `bench model` see the pretrained ones (values 0..1); null
    /// for same-size or 1-channel networks.</summary>
    public Upscaling.ISuperResolutionNetwork? AsSuperResolutionNetwork(int scale) =>
        architecture.ScaleMode == ScaleMode.Upsampling && channels == 3 && task.Enlarges
            ? new PipelineNetwork(this, scale) : null;

    /// <summary>This network as the pipeline sees every network: values 0..1, its channels, radius and size multiple.</summary>
    sealed class PipelineNetwork(NetworkRestorer owner, int scale) : Upscaling.ISuperResolutionNetwork
    {
        public string Name => owner.Name;
        public int Scale => scale;
        // An unknown radius (global pooling, or an architecture that does not say) means the whole image at once.
        public int ReceptiveRadius => owner.radius ?? -1;
        public float InputRange => 1;
        public int SizeMultiple => owner.multiple;
        public int Channels => owner.channels;
        public int OutputChannels => owner.outputChannels;

        // The widest activation is the sub-pixel upsampler's last conv: its M output channels (the most any layer
        // has) at (scale/2)² pixels per input pixel, 4 bytes each; three such alive at once is a safe bound.
        public long PeakBytesPerInputPixel => 3L * scale * scale * owner.network.Parameters().Max(p => p.Dim(0));

        public double Flops(int height, int width) => double.NaN;

        /// <summary>Same-size networks: whole images up to <see cref="WholeImagePixels"/>, then tiles of 1536 px (the
        /// measurements above); upsampling ones by the memory budget, as the pretrained upscalers.</summary>
        public int AutoTile(int width, int height, long budgetBytes) => scale > 1
            ? Upscaling.TiledUpscaler.AutoTile(this, width, height, budgetBytes)
            : (long)width * height <= WholeImagePixels ? Math.Max(width, height) : NetworkRestorer.AutoTile;

        public Tensor Forward(Tensor input)
        {
            using (Autograd.NoGrad())
            {
                var y = owner.network.Forward(input);
                if (y.Dim(1) != OutputChannels || y.Dim(2) != input.Dim(2) * scale || y.Dim(3) != input.Dim(3) * scale)
                    throw new InvalidOperationException($"{owner.architecture.Name} returned {y.ShapeString} for a {input.ShapeString} input at scale {scale}");
                return y;
            }
        }
    }
}
