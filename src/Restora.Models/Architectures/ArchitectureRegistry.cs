using Restora.Core.Nn;

namespace Restora.Models.Architectures;

/// <summary>
/// How a network relates input and output sizes. <see cref="Upsampling"/> networks take the low-resolution image
/// and return it ×scale; <see cref="SameSize"/> networks return the size they are given, so for super-resolution
/// they are fed the bicubic-upscaled image (SRCNN, VDSR) and for the other tasks the degraded image itself.
/// </summary>
public enum ScaleMode { Upsampling, SameSize }

/// <param name="Mirrors">The reference implementation whose module names (state-dict keys) this network uses.</param>
/// <param name="SizeMultiple">Input height and width must be multiples of this (pixel-unshuffle, strided convs).</param>
/// <param name="MinScale">The smallest scale an upsampling network takes; 1 means it also works at the input size.</param>
/// <param name="Radius">How many input pixels around a pixel can change its output (for upsampling networks, in
/// input pixels too), from the options; tiles overlap by this much. Null where it is unknown or unbounded (global
/// pooling): run whole.</param>
/// <param name="Multiple">The size multiple when it depends on the options (a U-Net's depth); else <paramref name="SizeMultiple"/>.</param>
public sealed record ArchitectureInfo(
    string Name, string Description, string Mirrors, ScaleMode ScaleMode, int SizeMultiple,
    Func<ArchitectureOptions, Random, Module> Factory, int MinScale = 2, Func<IReadOnlyDictionary<string, string>, int?>? Radius = null,
    Func<IReadOnlyDictionary<string, string>, int>? Multiple = null) : Restora.Core.IRegistered
{
    /// <summary>The size multiple of a network built with <paramref name="options"/>.</summary>
    public int SizeMultipleFor(IReadOnlyDictionary<string, string> options) => Multiple?.Invoke(options) ?? SizeMultiple;

    /// <summary>Channels a network built with <paramref name="options"/> returns: <c>out_channels</c> where the
    /// architecture has it (translation, colorization), else as many as it takes.</summary>
    public static int OutputChannels(IReadOnlyDictionary<string, string> options) =>
        int.TryParse(options.GetValueOrDefault("out_channels"), System.Globalization.CultureInfo.InvariantCulture, out int o) ? o
        : int.TryParse(options.GetValueOrDefault("channels"), System.Globalization.CultureInfo.InvariantCulture, out int c) ? c : 3;
}

/// <summary>
/// Networks by name (`restora train --arch NAME`), in the manner of BasicSR's ARCH_REGISTRY. Each factory reads
/// its options (defaults are the reference implementation's unless noted) and rejects options it does not know.
/// </summary>
public static class ArchitectureRegistry
{
    static readonly List<ArchitectureInfo> all =
    [
        new("srcnn", "SRCNN 9-5-5, on the bicubic-upscaled image", "yjn870/SRCNN-pytorch", ScaleMode.SameSize, 1,
            (o, r) => new Srcnn(Channels(o), r), Radius: _ => 4 + 2 + 2),
        new("fsrcnn", "FSRCNN d=56 s=12 m=4, transposed-conv upsampling", "yjn870/FSRCNN-pytorch", ScaleMode.Upsampling, 1,
            (o, r) => new Fsrcnn(Channels(o), Scale(o), o.Int("d", 56), o.Int("s", 12), o.Int("m", 4, 0), r)),
        new("espcn", "ESPCN, sub-pixel convolution", "yjn870/ESPCN-pytorch", ScaleMode.Upsampling, 1,
            (o, r) => new Espcn(Channels(o), Scale(o), r)),
        new("vdsr", "VDSR, 20 layers, residual over the bicubic-upscaled image", "twtygqyy/pytorch-vdsr", ScaleMode.SameSize, 1,
            (o, r) => new Vdsr(Channels(o), o.Int("features", 64), o.Int("depth", 20, 3), r), Radius: o => Option(o, "depth", 20)),
        new("srresnet", "SRResNet (MSRResNet: no batch norm)", "BasicSR MSRResNet", ScaleMode.Upsampling, 1,
            (o, r) => new SrResNet(Channels(o), o.Int("features", 64), o.Int("blocks", 16, 0), Scale(o), r)),
        new("edsr", "EDSR baseline: 64 features, 16 residual blocks", "BasicSR EDSR", ScaleMode.Upsampling, 1,
            (o, r) => new Edsr(Channels(o), o.Int("features", 64), o.Int("blocks", 16, 0), Scale(o), (float)o.Double("res_scale", 1), r),
            // In low-resolution pixels: head, two convs per block, the body's last conv, the upsampler's convs, tail.
            Radius: o => 2 * Option(o, "blocks", 16) + 6),
        new("rcan", "RCAN: residual groups of channel-attention blocks", "BasicSR RCAN", ScaleMode.Upsampling, 1,
            (o, r) => new Rcan(Channels(o), o.Int("features", 64), o.Int("groups", 10), o.Int("blocks", 16), o.Int("squeeze", 16),
                Scale(o), (float)o.Double("res_scale", 1), r)),
        new("rrdbnet", "RRDBNet (ESRGAN generator), 23 RRDB blocks", "BasicSR RRDBNet", ScaleMode.Upsampling, 1,
            (o, r) => new RrdbNet(Channels(o), o.Int("features", 64), o.Int("blocks", 23), o.Int("growth", 32), Scale(o, allowOne: true), r),
            MinScale: 1),
        new("srvgg", "SRVGGNetCompact (Real-ESRGAN compact): conv+PReLU stack, pixel shuffle, plus the nearest-upscaled input", "Real-ESRGAN SRVGGNetCompact", ScaleMode.Upsampling, 1,
            (o, r) => new SrVgg(Channels(o), o.Int("features", 64), o.Int("convs", 16, 0), Scale(o, allowOne: true), r), MinScale: 1, Radius: o => Option(o, "convs", 16) + 2),
        new("dncnn", "DnCNN, 17 layers, residual (noise) learning", "KAIR DnCNN", ScaleMode.SameSize, 1,
            (o, r) => new DnCnn(Channels(o), o.Int("features", 64), o.Int("depth", 17, 3), o.Bool("batch_norm", false), r),
            Radius: o => Option(o, "depth", 17)),
        new("ffdnet", "FFDNet: noise-level map input at half resolution", "KAIR FFDNet", ScaleMode.SameSize, 2,
            (o, r) =>
            {
                int c = Channels(o);
                return new FfdNet(c, o.Int("features", c == 1 ? 64 : 96), o.Int("depth", c == 1 ? 15 : 12, 3), r, o.Bool("residual", false));
            },
            // Each 3x3 conv at half resolution reaches 2 pixels.
            Radius: o => 2 * Option(o, "depth", Option(o, "channels", 3) == 1 ? 15 : 12)),
        new("unet", "residual U-Net (DRUNet backbone), 4 scales", "KAIR UNetRes", ScaleMode.SameSize, 8,
            (o, r) => new UNet(Channels(o), o.Int("features", 32), o.Int("blocks", 2, 0), o.Bool("noise_map", false), r, o.Bool("residual", false)),
            // 3x3 convs reach 1 pixel at their scale: 2 per residual block at scales 1, 2, 4 on both sides and 8 in the
            // body, plus the head, tail and 2x2 resampling convs; 8 more covers rounding down to the coarser grids.
            Radius: o => 24 + 44 * Option(o, "blocks", 2)),
        new("rl-tool", "RL-Restore toolbox expert: 3 layers (mild bands) or 8 (severe), residual", "yuke93/RL-Restore toolbox", ScaleMode.SameSize, 1,
            (o, r) => new RlTool(Channels(o), o.Int("layers", 3, 3, 8), r), Radius: o => RlTool.ReceptiveRadius(Option(o, "layers", 3))),
        new("pix2pix-unet", "pix2pix U-Net generator: 4x4 stride-2 convs down, transposed up, skips by concatenation, dropout", "junyanz pix2pix UnetGenerator", ScaleMode.SameSize, 1,
            (o, r) => new Pix2PixUNet(Channels(o), o.Int("out_channels", 3, 1, 4), o.Int("features", 64), o.Int("depth", 8, 5, 12),
                (float)o.Double("dropout", 0.5), o.Choice("norm", "batch", "batch", "instance", "none"), o.Bool("keep_luminance", false), r),
            // Each 4x4 stride-2 conv at level L reaches 2·2^L input pixels and its transposed twin as far: about 4·2^depth
            // in all. Instance norm takes whole-image statistics: no finite radius.
            Radius: o => o.GetValueOrDefault("norm") == "instance" ? null : 4 << Option(o, "depth", 8),
            Multiple: o => 1 << Option(o, "depth", 8)),
    ];

    public static IReadOnlyList<ArchitectureInfo> All => all;

    static int Option(IReadOnlyDictionary<string, string> options, string key, int fallback) =>
        options.TryGetValue(key, out var v) && int.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n : fallback;

    public static ArchitectureInfo Get(string name) =>
        all.FirstOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown architecture '{name}' (known: {string.Join(", ", all.Select(a => a.Name))})");

    /// <summary>Builds a network; <paramref name="options"/>.Resolved then holds every option it used.</summary>
    public static Module Create(string name, ArchitectureOptions options, Random rng)
    {
        var info = Get(name);
        var module = info.Factory(options, rng);
        options.RejectUnused(info.Name);
        return module;
    }

    static int Channels(ArchitectureOptions o) => o.Int("channels", 3, 1, 4);

    static int Scale(ArchitectureOptions o, bool allowOne = false) => o.Int("scale", 4, allowOne ? 1 : 2, 16);
}
