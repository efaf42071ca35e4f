using System.Globalization;
using System.Text.Json;
using Restora.Core.Nn;
using Restora.Core.Serialization;
using Restora.Models.Architectures;

namespace Restora.Models;

/// <summary>
/// What a trained .safetensors file says about itself in its <c>__metadata__</c> (all strings, as the format
/// requires): enough to rebuild the network without any other file. <see cref="Extra"/> keeps keys this version
/// does not know (e.g. the noise sigma range a model was trained on) so they survive a load and save.
/// </summary>
public sealed record ModelMetadata
{
    /// <summary>Architecture name in <see cref="ArchitectureRegistry"/>.</summary>
    public required string Arch { get; init; }
    /// <summary>Every option the architecture was built with (resolved, defaults included).</summary>
    public required IReadOnlyDictionary<string, string> ArchOptions { get; init; }
    /// <summary>Task name in <see cref="TaskRegistry"/>.</summary>
    public required string Task { get; init; }
    /// <summary>Enlargement (1 for same-size tasks).</summary>
    public int Scale { get; init; } = 1;
    /// <summary>Training iterations the weights had.</summary>
    public long Iterations { get; init; }
    /// <summary>The command that made the model, resumes that changed the run's length included.</summary>
    public string Command { get; init; } = "";
    /// <summary>Other keys: the task's strengths ("noise_sigma"), loss, weights, validation PSNR.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    const string FormatKey = "format", FormatValue = "restora-model-1";

    /// <summary>The metadata as the file stores it.</summary>
    public Dictionary<string, string> ToDictionary()
    {
        var d = new Dictionary<string, string>(Extra, StringComparer.Ordinal)
        {
            [FormatKey] = FormatValue,
            ["arch"] = Arch,
            ["arch_options"] = JsonSerializer.Serialize(new SortedDictionary<string, string>(
                ArchOptions.ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal)),
            ["task"] = Task,
            ["scale"] = Scale.ToString(CultureInfo.InvariantCulture),
            ["iterations"] = Iterations.ToString(CultureInfo.InvariantCulture),
            ["command"] = Command,
        };
        return d;
    }

    /// <summary>Reads a file's metadata; <paramref name="source"/> names the file in errors.</summary>
    public static ModelMetadata FromDictionary(IReadOnlyDictionary<string, string> d, string source)
    {
        string Need(string key) => d.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"{source}: metadata has no '{key}' (not a model saved by restora train)");
        Dictionary<string, string> options;
        try { options = JsonSerializer.Deserialize<Dictionary<string, string>>(Need("arch_options")) ?? []; }
        catch (JsonException e) { throw new InvalidDataException($"{source}: metadata 'arch_options' is not a JSON object of strings: {e.Message}"); }
        var known = new HashSet<string> { FormatKey, "arch", "arch_options", "task", "scale", "iterations", "command" };
        return new ModelMetadata
        {
            Arch = Need("arch"),
            ArchOptions = options,
            Task = Need("task"),
            Scale = int.TryParse(d.GetValueOrDefault("scale"), CultureInfo.InvariantCulture, out int s) ? s : 1,
            Iterations = long.TryParse(d.GetValueOrDefault("iterations"), CultureInfo.InvariantCulture, out long i) ? i : 0,
            Command = d.GetValueOrDefault("command") ?? "",
            Extra = d.Where(kv => !known.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value),
        };
    }
}

/// <summary>Saves and rebuilds networks trained by Restora: weights plus the metadata that names the architecture.</summary>
public static class TrainedModel
{
    /// <summary>Writes <paramref name="module"/>'s weights with <paramref name="metadata"/> as a .safetensors file.</summary>
    public static void Save(string path, Module module, ModelMetadata metadata) =>
        SafeTensors.SaveModule(path, module, metadata.ToDictionary());

    /// <summary>Only what the file says of the network, without building it.</summary>
    public static ModelMetadata ReadMetadata(string path)
    {
        var checkpoint = SafeTensors.Load(path);
        foreach (var t in checkpoint.Tensors.Values) t.Dispose();
        return ModelMetadata.FromDictionary(checkpoint.Metadata, path);
    }

    /// <summary>Rebuilds the architecture named in the file's metadata with its options and loads the weights (strict).</summary>
    public static (Module Module, ModelMetadata Metadata) Load(string path)
    {
        var checkpoint = SafeTensors.Load(path);
        try
        {
            var metadata = ModelMetadata.FromDictionary(checkpoint.Metadata, path);
            Module module;
            try
            {
                module = ArchitectureRegistry.Create(metadata.Arch, new ArchitectureOptions(metadata.ArchOptions), new Random(0));
                module.LoadStateDict(checkpoint.Tensors);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
            module.Eval();
            return (module, metadata);
        }
        finally
        {
            foreach (var t in checkpoint.Tensors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// ESRGAN's network interpolation: every weight (and batch-norm statistic) of two models of the same architecture
    /// and options mixed as (1 - alpha)·A + alpha·B, saved as a new model. From a PSNR-trained A and an adversarially
    /// fine-tuned B it moves along the perception-distortion curve without training. Integer buffers (batch counts)
    /// come from A. Returns the new model's metadata.
    /// </summary>
    public static ModelMetadata Interpolate(string pathA, string pathB, double alpha, string output)
    {
        if (alpha is < 0 or > 1 || double.IsNaN(alpha)) throw new ArgumentException($"alpha must be in 0..1, got {alpha}");
        var (a, ma) = Load(pathA);
        var (b, mb) = Load(pathB);
        if (ma.Arch != mb.Arch || ma.Task != mb.Task || ma.Scale != mb.Scale
            || !ma.ArchOptions.OrderBy(kv => kv.Key).SequenceEqual(mb.ArchOptions.OrderBy(kv => kv.Key)))
            throw new ArgumentException($"{pathB}: a {mb.Arch} {mb.Task} network with other options than {pathA}'s; only the same network interpolates");
        var integer = a.IntegerStateKeys();
        var sb = b.StateDict();
        foreach (var (key, t) in a.StateDict())
        {
            if (integer.Contains(key)) continue;
            var ta = t.Span;
            var tb = sb[key].ReadOnlySpan;
            for (int i = 0; i < ta.Length; i++) ta[i] = (float)((1 - alpha) * ta[i] + alpha * tb[i]);
        }
        string A(string p) => Path.GetFileName(p);
        var extra = new Dictionary<string, string>(ma.Extra);
        // A's validation score does not describe the mixture.
        extra.Remove("validation_psnr");
        var metadata = ma with
        {
            Iterations = Math.Max(ma.Iterations, mb.Iterations),
            Command = $"restora models interpolate {A(pathA)} {A(pathB)} --alpha {alpha.ToString(CultureInfo.InvariantCulture)}" +
                $" (of: {ma.Command} || {mb.Command})",
            Extra = new Dictionary<string, string>(extra)
            {
                ["loss"] = $"interpolation: {(1 - alpha).ToString("0.###", CultureInfo.InvariantCulture)} x ({ma.Extra.GetValueOrDefault("loss")}) + " +
                    $"{alpha.ToString("0.###", CultureInfo.InvariantCulture)} x ({mb.Extra.GetValueOrDefault("loss")})",
                ["interpolation_alpha"] = alpha.ToString(CultureInfo.InvariantCulture),
            },
        };
        Restora.Core.Serialization.AtomicFile.Write(output, p => Save(p, a, metadata));
        return metadata;
    }
}
