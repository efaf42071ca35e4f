using Restora.Imaging;

namespace Restora.Models;

/// <summary>
/// Image-to-image translation learned from pairs (pix2pix): the inputs and targets are two folders whose files
/// match by name (<c>--data INPUTS:TARGETS</c>), nothing is degraded on the fly. Scored on RGB against the targets;
/// the floor is the input itself.
/// </summary>
public sealed class PairedTask : RestorationTask
{
    /// <inheritdoc/>
    public override string Name => "paired";
    /// <inheritdoc/>
    public override IReadOnlyList<string> Aliases => ["translate"];
    /// <inheritdoc/>
    public override string Description => "image-to-image translation from pairs: --data INPUTS_DIR:TARGETS_DIR, files matched by name, scored on RGB";

    /// <inheritdoc/>
    public override bool UsesPairs => true;

    /// <inheritdoc/>
    public override Image Degrade(Image clean, TaskParameters p, ulong seed) =>
        throw new InvalidOperationException("the paired task degrades nothing: its inputs are files (--data INPUTS_DIR:TARGETS_DIR)");

    /// <inheritdoc/>
    public override TrainingPair DegradePatch(Image crop, int margin, int patchSize, TaskParameters ranges, SeededRandom rng, bool upsampleInput) =>
        throw new InvalidOperationException("the paired task degrades nothing: its inputs are files (--data INPUTS_DIR:TARGETS_DIR)");
}

/// <summary>Two folders of images paired by file name (without extension): pix2pix's aligned dataset.</summary>
public static class PairedFolders
{
    /// <summary>Splits <c>INPUTS_DIR:TARGETS_DIR</c>; anything else is an error that says so.</summary>
    public static (string Inputs, string Targets) Parse(string data)
    {
        var parts = data.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2) throw new ArgumentException($"'{data}': the paired task takes --data INPUTS_DIR{Path.PathSeparator}TARGETS_DIR (two folders)");
        foreach (var p in parts)
            if (!Directory.Exists(p)) throw new DirectoryNotFoundException($"{p}: no such folder");
        return (parts[0], parts[1]);
    }

    /// <summary>The pairs of <c>INPUTS_DIR:TARGETS_DIR</c> (<see cref="Parse"/>, then <see cref="Match"/>).</summary>
    public static IReadOnlyList<(string Input, string Target)> Pairs(string data)
    {
        var (inputs, targets) = Parse(data);
        return Match(inputs, targets);
    }

    /// <summary>Every target with its input, sorted by name; a target without an input (or the reverse) is an error naming the file.</summary>
    public static IReadOnlyList<(string Input, string Target)> Match(string inputs, string targets)
    {
        static Dictionary<string, string> ByStem(string folder)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var f in Directory.EnumerateFiles(folder).Where(ImageFile.HasImageExtension).Order(StringComparer.Ordinal))
                if (!map.TryAdd(Path.GetFileNameWithoutExtension(f), f))
                    throw new ArgumentException($"{f}: two images named {Path.GetFileNameWithoutExtension(f)} in {folder}; pairs match by name");
            return map;
        }
        var inputFiles = ByStem(inputs);
        var targetFiles = ByStem(targets);
        if (targetFiles.Count == 0) throw new ArgumentException($"{targets}: no images in this folder");
        foreach (var (stem, file) in targetFiles)
            if (!inputFiles.ContainsKey(stem)) throw new ArgumentException($"{file}: no input named {stem} in {inputs}");
        foreach (var (stem, file) in inputFiles)
            if (!targetFiles.ContainsKey(stem)) throw new ArgumentException($"{file}: no target named {stem} in {targets}");
        return targetFiles.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (inputFiles[kv.Key], kv.Value)).ToList();
    }

    /// <summary>Loads a pair and checks the sizes agree; a mismatch names the input file.</summary>
    public static (Image Input, Image Target) Load(string input, string target, DecodeOptions? decode = null)
    {
        var t = ImageFile.Load(target, decode);
        return (LoadInput(input, t, Path.GetFileName(target), decode), t);
    }

    /// <summary>Loads the input of an already loaded target and checks the sizes agree; a mismatch names the input file.</summary>
    public static Image LoadInput(string input, Image target, string targetName, DecodeOptions? decode = null)
    {
        var i = ImageFile.Load(input, decode);
        if (i.Width != target.Width || i.Height != target.Height)
            throw new ArgumentException($"{input}: {i.Width}x{i.Height}, but its target {targetName} is {target.Width}x{target.Height}; pairs must be the same size");
        return i;
    }
}
