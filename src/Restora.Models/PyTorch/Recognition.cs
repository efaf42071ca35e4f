using System.Globalization;
using System.Text.RegularExpressions;
using Restora.Core;

namespace Restora.Models.PyTorch;

/// <summary>
/// What a state dict was recognised as: the Restora architecture and options that rebuild it, and the tensors
/// renamed to that architecture's keys.
/// </summary>
/// <param name="Label">What the file is, for people ("ESRGAN (old keys), 64 features, 2 blocks, ×4").</param>
internal sealed record Recognized(string Arch, string Label, Dictionary<string, string> Options, string Task, int Scale,
    int Channels, Dictionary<string, Tensor> State);

/// <summary>
/// Tells a network's architecture and hyper-parameters from its state-dict keys and tensor shapes alone (the way
/// the spandrel library does it; only the published key layouts are used here), and renames the keys onto the
/// Restora architecture that computes the same function.
/// </summary>
internal static partial class Recognition
{
    public const string Known = "ESRGAN/RRDBNet (BasicSR, ESRGAN-repository and old-ESRGAN keys), SRVGGNetCompact (Real-ESRGAN), " +
        "EDSR, RCAN, MSRResNet (BasicSR keys), DnCNN, FFDNet (KAIR keys)";

    // Architectures Restora does not implement, by a key only they have, so the refusal can say what the file is.
    static readonly (string Key, string Name)[] Unsupported =
    [
        ("residual_layer.0.residual_layer.0.layer.0.fn.0.weight", "OmniSR"),
        ("layers.0.residual_group.blocks.0.attn.relative_position_bias_table", "SwinIR/HAT-style Swin transformer"),
        ("f_HR_conv1.0.weight", "SPSR"),
        ("unet1.conv1.conv.0.weight", "Real-CUGAN"),
    ];

    public static Recognized Recognize(OrderedDictionary<string, Tensor> sd)
    {
        if (sd.Keys.Any(k => k.Contains("conv1x1", StringComparison.Ordinal)) && sd.Keys.Any(k => k.Contains("RDB", StringComparison.OrdinalIgnoreCase)))
            throw new InvalidDataException("looks like ESRGAN+ (RRDB blocks with extra 1x1 convs), which Restora does not implement");
        return Esrgan(sd) ?? SrVgg(sd) ?? Rcan(sd) ?? Edsr(sd) ?? MsrResNet(sd) ?? DnCnn(sd) ?? FfdNet(sd)
            ?? throw Unrecognized(sd);
    }

    static InvalidDataException Unrecognized(OrderedDictionary<string, Tensor> sd)
    {
        var hint = Unsupported.FirstOrDefault(u => sd.ContainsKey(u.Key)).Name;
        string first = string.Join(", ", sd.Take(4).Select(kv => $"{kv.Key} {kv.Value.ShapeString}"));
        return new InvalidDataException((hint is null ? "not an architecture Restora knows" : $"looks like {hint}, which Restora does not implement")
            + $" (known: {Known}); first keys: {first}");
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    static IReadOnlyList<int>? Shape(IReadOnlyDictionary<string, Tensor> sd, string key) => sd.TryGetValue(key, out var t) ? t.Shape : null;

    static IReadOnlyList<int> Need(IReadOnlyDictionary<string, Tensor> sd, string key, int rank, string arch)
    {
        var s = Shape(sd, key) ?? throw new InvalidDataException($"recognised as {arch}, but '{key}' is missing");
        if (s.Count != rank) throw new InvalidDataException($"recognised as {arch}, but '{key}' is {Tensor.FormatShape(s.ToArray())}");
        return s;
    }

    /// <summary>The distinct N of keys "PREFIX.N.…" (list indices), ascending.</summary>
    static List<int> Indices(IEnumerable<string> keys, string prefix)
    {
        var set = new SortedSet<int>();
        foreach (var k in keys)
        {
            if (!k.StartsWith(prefix, StringComparison.Ordinal)) continue;
            int dot = k.IndexOf('.', prefix.Length);
            if (dot > prefix.Length && int.TryParse(k.AsSpan(prefix.Length, dot - prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out int n)) set.Add(n);
        }
        return [.. set];
    }

    static string S(int v) => v.ToString(CultureInfo.InvariantCulture);

    static Dictionary<string, Tensor> Same(IReadOnlyDictionary<string, Tensor> sd) => sd.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);

    // ---- ESRGAN / RRDBNet ------------------------------------------------------------------------------------------

    [GeneratedRegex(@"^model\.1\.sub\.(\d+)\.RDB(\d)\.conv(\d)\.0\.(weight|bias)$")]
    private static partial Regex OldRdb();

    [GeneratedRegex(@"^RRDB_trunk\.(\d+)\.RDB(\d)\.conv(\d)\.(weight|bias)$")]
    private static partial Regex TrunkRdb();

    [GeneratedRegex(@"^model\.(\d+)\.(weight|bias)$")]
    private static partial Regex ModelIndex();

    static Recognized? Esrgan(OrderedDictionary<string, Tensor> sd)
    {
        Dictionary<string, Tensor> basic;
        string style;
        if (sd.ContainsKey("conv_first.weight") && sd.ContainsKey("body.0.rdb1.conv1.weight"))
        {
            style = "BasicSR keys";
            basic = Same(sd);
        }
        else if (sd.ContainsKey("conv_first.weight") && sd.ContainsKey("RRDB_trunk.0.RDB1.conv1.weight"))
        {
            // The ESRGAN repository's second layout: RRDB_trunk, trunk_conv, upconvN, HRconv.
            style = "ESRGAN-repository keys";
            basic = new(StringComparer.Ordinal);
            foreach (var (k, v) in sd)
            {
                var m = TrunkRdb().Match(k);
                string name = m.Success ? $"body.{m.Groups[1].Value}.rdb{m.Groups[2].Value}.conv{m.Groups[3].Value}.{m.Groups[4].Value}"
                    : k.StartsWith("trunk_conv.", StringComparison.Ordinal) ? "conv_body." + k["trunk_conv.".Length..]
                    : k.StartsWith("upconv", StringComparison.Ordinal) ? "conv_up" + k["upconv".Length..]
                    : k.StartsWith("HRconv.", StringComparison.Ordinal) ? "conv_hr." + k["HRconv.".Length..]
                    : k;
                basic[name] = v;
            }
        }
        else if (sd.ContainsKey("model.0.weight") && sd.ContainsKey("model.1.sub.0.RDB1.conv1.0.weight"))
        {
            // The original ESRGAN layout, one flat Sequential: model.0 first conv, model.1 the shortcut block (its
            // sub.N the RRDBs, sub.{blocks} the trunk conv), then per ×2 an upsample, conv, activation (the convs at
            // model.3, model.6, …), and the last two convs (HR conv, activation, output conv).
            style = "old ESRGAN keys";
            basic = new(StringComparer.Ordinal);
            var tail = new SortedDictionary<int, List<(string Param, Tensor Value)>>();
            int blocks = Indices(sd.Keys, "model.1.sub.").Count(i => sd.ContainsKey($"model.1.sub.{i}.RDB1.conv1.0.weight"));
            foreach (var (k, v) in sd)
            {
                Match m;
                if ((m = OldRdb().Match(k)).Success)
                    basic[$"body.{m.Groups[1].Value}.rdb{m.Groups[2].Value}.conv{m.Groups[3].Value}.{m.Groups[4].Value}"] = v;
                else if (k == $"model.1.sub.{blocks}.weight" || k == $"model.1.sub.{blocks}.bias")
                    basic["conv_body." + k[(k.LastIndexOf('.') + 1)..]] = v;
                else if ((m = ModelIndex().Match(k)).Success)
                {
                    int index = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                    if (index == 0) basic["conv_first." + m.Groups[2].Value] = v;
                    else
                    {
                        if (!tail.TryGetValue(index, out var list)) tail[index] = list = [];
                        list.Add((m.Groups[2].Value, v));
                    }
                }
                else basic[k] = v; // left for the strict load to name as unexpected
            }
            var convs = tail.Keys.ToList();
            if (convs.Count < 2) throw new InvalidDataException($"recognised as ESRGAN ({style}), but it has {convs.Count} convs after the trunk, not at least 2");
            for (int i = 0; i < convs.Count; i++)
            {
                string name = i == convs.Count - 1 ? "conv_last" : i == convs.Count - 2 ? "conv_hr" : $"conv_up{i + 1}";
                foreach (var (param, v) in tail[convs[i]]) basic[$"{name}.{param}"] = v;
            }
        }
        else return null;

        const string arch = "ESRGAN";
        var first = Need(basic, "conv_first.weight", 4, arch);
        var last = Need(basic, "conv_last.weight", 4, arch);
        int features = first[0], inChannels = first[1], channels = last[0];
        int growth = Need(basic, "body.0.rdb1.conv1.weight", 4, arch)[0];
        int blockCount = Indices(basic.Keys, "body.").Count;
        int ups = 0;
        while (basic.ContainsKey($"conv_up{ups + 1}.weight")) ups++;
        for (int i = 1; i <= ups; i++)
            if (Need(basic, $"conv_up{i}.weight", 4, arch) is var s && (s[0] != features || s[1] != features))
                throw new InvalidDataException($"recognised as ESRGAN ({style}), but upsampling conv {i} is {Tensor.FormatShape(s.ToArray())}: " +
                    "pixel-shuffle upsampling is not implemented (Restora's rrdbnet upsamples by nearest neighbour)");
        // Real-ESRGAN's ×2 and ×1 models fold the input with pixel-unshuffle first: 4 or 16 times the channels.
        int unshuffle = inChannels == channels ? 1 : inChannels == 4 * channels ? 2 : inChannels == 16 * channels ? 4
            : throw new InvalidDataException($"recognised as ESRGAN ({style}), but it takes {inChannels} channels and gives {channels}");
        int scale = (1 << ups) / unshuffle;
        string label = $"ESRGAN ({style}), {features} features, {blockCount} blocks, growth {growth}, ×{(ups == 0 ? "1" : S((1 << ups) / unshuffle))}";
        if (ups != 2)
            throw new InvalidDataException($"recognised as {label} with {ups} ×2 upsampling convs, but Restora's rrdbnet has exactly two " +
                "(×4, or ×2 and ×1 after pixel-unshuffle)");
        return new Recognized("rrdbnet", label,
            new() { ["channels"] = S(channels), ["features"] = S(features), ["blocks"] = S(blockCount), ["growth"] = S(growth), ["scale"] = S(scale) },
            "sr", scale, channels, basic);
    }

    // ---- SRVGGNetCompact -------------------------------------------------------------------------------------------

    [GeneratedRegex(@"^body\.(\d+)\.(weight|bias)$")]
    private static partial Regex BodyIndex();

    static Recognized? SrVgg(OrderedDictionary<string, Tensor> sd)
    {
        if (!sd.ContainsKey("body.0.weight") || !sd.Keys.All(k => BodyIndex().IsMatch(k))) return null;
        const string arch = "SRVGGNetCompact";
        var first = Need(sd, "body.0.weight", 4, arch);
        if (first[2] != 3 || first[3] != 3) return null;
        int lastIndex = Indices(sd.Keys, "body.").Max();
        if (Shape(sd, "body.1.weight") is not { Count: 1 })
            throw new InvalidDataException("recognised as SRVGGNetCompact, but body.1 has no PReLU slopes: the activation (ReLU or leaky ReLU) " +
                "cannot be told from the file, and Restora's srvgg uses PReLU");
        if (lastIndex < 2 || lastIndex % 2 != 0) throw new InvalidDataException($"recognised as {arch}, but its last layer is body.{lastIndex}");
        int features = first[0], channels = first[1], convs = (lastIndex - 2) / 2;
        int outChannels = Need(sd, $"body.{lastIndex}.weight", 4, arch)[0];
        // The last conv makes channels·scale² planes for the pixel shuffle; the output has the input's channels.
        int scale = (int)Math.Round(Math.Sqrt(outChannels / (double)channels));
        if (scale < 1 || scale * scale * channels != outChannels)
            throw new InvalidDataException($"recognised as {arch}, but its last conv's {outChannels} outputs are not {channels} channels × scale²");
        return new Recognized("srvgg", $"{arch}, {features} features, {convs} convs, ×{scale}",
            new() { ["channels"] = S(channels), ["features"] = S(features), ["convs"] = S(convs), ["scale"] = S(scale) },
            "sr", scale, channels, Same(sd));
    }

    // ---- BasicSR EDSR, RCAN, MSRResNet -----------------------------------------------------------------------------

    /// <summary>BasicSR's sub-pixel upsampler: one conv to 9F (×3) or one to 4F per ×2, at upsample.0, .2, ….</summary>
    static int SubPixelScale(IReadOnlyDictionary<string, Tensor> sd, int features, string arch)
    {
        var convs = Indices(sd.Keys, "upsample.");
        if (convs.Count == 1 && Need(sd, "upsample.0.weight", 4, arch)[0] == 9 * features) return 3;
        foreach (var i in convs)
            if (Need(sd, $"upsample.{i}.weight", 4, arch)[0] != 4 * features)
                throw new InvalidDataException($"recognised as {arch}, but upsample.{i} is not a ×2 sub-pixel conv");
        return convs.Count > 0 ? 1 << convs.Count : throw new InvalidDataException($"recognised as {arch}, but it has no upsample convs");
    }

    static Recognized? Rcan(OrderedDictionary<string, Tensor> sd)
    {
        if (!sd.ContainsKey("conv_first.weight") || !sd.ContainsKey("body.0.residual_group.0.rcab.0.weight") || !sd.ContainsKey("conv_after_body.weight")) return null;
        const string arch = "RCAN";
        var first = Need(sd, "conv_first.weight", 4, arch);
        int features = first[0], channels = first[1];
        int groups = Indices(sd.Keys, "body.").Count;
        int blocks = Indices(sd.Keys, "body.0.residual_group.").Count;
        int squeezed = Need(sd, "body.0.residual_group.0.rcab.3.attention.1.weight", 4, arch)[0];
        if (squeezed <= 0 || features % squeezed != 0) throw new InvalidDataException($"recognised as {arch}, but its attention squeezes {features} to {squeezed}");
        int scale = SubPixelScale(sd, features, arch);
        return new Recognized("rcan", $"RCAN (BasicSR keys), {features} features, {groups} groups of {blocks} blocks, ×{scale}",
            new() { ["channels"] = S(channels), ["features"] = S(features), ["groups"] = S(groups), ["blocks"] = S(blocks),
                ["squeeze"] = S(features / squeezed), ["scale"] = S(scale) },
            "sr", scale, channels, Same(sd));
    }

    static Recognized? Edsr(OrderedDictionary<string, Tensor> sd)
    {
        if (!sd.ContainsKey("conv_first.weight") || !sd.ContainsKey("conv_after_body.weight") || !sd.ContainsKey("upsample.0.weight")) return null;
        const string arch = "EDSR";
        var first = Need(sd, "conv_first.weight", 4, arch);
        int features = first[0], channels = first[1];
        int blocks = Indices(sd.Keys, "body.").Count;
        int scale = SubPixelScale(sd, features, arch);
        // The residual scaling is not in the weights. EDSR's paper scales by 0.1 only in its large model (256
        // features), as BasicSR's EDSR-L configurations do; the baseline uses 1.
        string resScale = features >= 256 ? "0.1" : "1";
        return new Recognized("edsr", $"EDSR (BasicSR keys), {features} features, {blocks} blocks, res_scale {resScale} (assumed), ×{scale}",
            new() { ["channels"] = S(channels), ["features"] = S(features), ["blocks"] = S(blocks), ["scale"] = S(scale), ["res_scale"] = resScale },
            "sr", scale, channels, Same(sd));
    }

    static Recognized? MsrResNet(OrderedDictionary<string, Tensor> sd)
    {
        if (!sd.ContainsKey("conv_first.weight") || !sd.ContainsKey("upconv1.weight") || !sd.ContainsKey("conv_hr.weight")) return null;
        const string arch = "MSRResNet";
        var first = Need(sd, "conv_first.weight", 4, arch);
        int features = first[0], channels = first[1];
        int blocks = Indices(sd.Keys, "body.").Count;
        int up1 = Need(sd, "upconv1.weight", 4, arch)[0];
        int scale = sd.ContainsKey("upconv2.weight") ? 4 : up1 == 4 * features ? 2 : up1 == 9 * features ? 3
            : throw new InvalidDataException($"recognised as {arch}, but upconv1 makes {up1} planes from {features} features");
        return new Recognized("srresnet", $"MSRResNet (BasicSR keys), {features} features, {blocks} blocks, ×{scale}",
            new() { ["channels"] = S(channels), ["features"] = S(features), ["blocks"] = S(blocks), ["scale"] = S(scale) },
            "sr", scale, channels, Same(sd));
    }

    // ---- KAIR DnCNN, FFDNet ----------------------------------------------------------------------------------------

    [GeneratedRegex(@"^model\.(\d+)\.(weight|bias|running_mean|running_var|num_batches_tracked)$")]
    private static partial Regex KairKey();

    /// <summary>KAIR's flat model.N Sequential: the conv indices, whether batch norms sit between them.</summary>
    static (List<int> Convs, bool BatchNorm)? KairStack(OrderedDictionary<string, Tensor> sd)
    {
        if (!sd.ContainsKey("model.0.weight") || !sd.Keys.All(k => KairKey().IsMatch(k))) return null;
        var convs = Indices(sd.Keys, "model.").Where(i => Shape(sd, $"model.{i}.weight") is { Count: 4 }).ToList();
        bool bn = sd.Keys.Any(k => k.EndsWith(".running_mean", StringComparison.Ordinal));
        return convs.Count >= 3 ? (convs, bn) : null;
    }

    static Recognized? DnCnn(OrderedDictionary<string, Tensor> sd)
    {
        if (KairStack(sd) is not var (convs, bn)) return null;
        var first = Shape(sd, "model.0.weight")!;
        var last = Shape(sd, $"model.{convs[^1]}.weight")!;
        if (first[1] != last[0]) return null; // FFDNet's stack, whose input has a noise map and folded pixels
        int channels = first[1], features = first[0], depth = convs.Count;
        // KAIR's IRCNN has the same keys and seven convs, but dilated ones; reading it as DnCNN would be wrong.
        if (depth == 7 && !bn)
            throw new InvalidDataException("a KAIR model.N stack of 7 convs: IRCNN (dilated convs, not implemented) rather than DnCNN");
        var state = Same(sd);
        return new Recognized("dncnn", $"DnCNN (KAIR keys), {depth} layers, {features} features{(bn ? ", batch norm" : "")}",
            new() { ["channels"] = S(channels), ["features"] = S(features), ["depth"] = S(depth), ["batch_norm"] = bn ? "true" : "false" },
            "denoise", 1, channels, state);
    }

    static Recognized? FfdNet(OrderedDictionary<string, Tensor> sd)
    {
        if (KairStack(sd) is not var (convs, bn) || bn) return null;
        var first = Shape(sd, "model.0.weight")!;
        var last = Shape(sd, $"model.{convs[^1]}.weight")!;
        // KAIR's FFDNet works on 2x2 pixel-unshuffled input plus a noise-level plane: 4C+1 in, 4C out.
        int channels = last[0] / 4;
        if (last[0] % 4 != 0 || first[1] != 4 * channels + 1) return null;
        return new Recognized("ffdnet", $"FFDNet (KAIR keys), {convs.Count} layers, {first[0]} features",
            new() { ["channels"] = S(channels), ["features"] = S(first[0]), ["depth"] = S(convs.Count) },
            "denoise", 1, channels, Same(sd));
    }
}
