using Restora.Core;
using Restora.Models.Upscaling;

namespace Restora.Models.Formats;

/// <summary>
/// A model opened for use: a restorer for one task at one scale, whatever file format it came from. Every one restores
/// through the same pipeline (<see cref="TiledUpscaler"/>: tiles, gray, alpha, bit depth).
/// </summary>
public interface IRestorationModel : IRestorer
{
    /// <summary>The task the model was made for.</summary>
    RestorationTask Task { get; }

    /// <summary>Its enlargement (1 for same-size tasks).</summary>
    int Scale { get; }

    /// <summary>Tile side in pixels; 0 lets the network choose; <see cref="TiledUpscaler.WholeImage"/> is one pass.</summary>
    int Tile { get; set; }

    /// <summary>The network as the pipeline sees it (for `bench model`), or null where it has none of its own.</summary>
    ISuperResolutionNetwork? Network { get; }

    /// <summary>Told (tiles done, tiles in all) after each tile of a restore.</summary>
    Action<int, int>? TileProgress { get; set; }

    /// <summary>Activation memory a tile may use when <see cref="Tile"/> is 0 (0: the pipeline's default, 1 GB).</summary>
    long TileBudgetBytes { get; set; }
}

/// <summary>
/// A model file format (Keras TF.js, ncnn, PyTorch checkpoint, safetensors): one folder under Formats/ (or its own)
/// and one line in <see cref="ModelFormats"/>. `--model FILE` finds the format by the file's extension.
/// </summary>
public interface IModelFormat : IRegistered
{
    /// <summary>File name endings this format reads (".param", ".pth").</summary>
    IReadOnlyList<string> Extensions { get; }

    /// <summary>Opens <paramref name="path"/>; a damaged or unsupported file is an <see cref="InvalidDataException"/>
    /// with one line naming it.</summary>
    IRestorationModel Open(string path, Action<string>? log);
}

/// <summary>A network of another format restoring through the pipeline: the adapter every foreign format uses.</summary>
/// <param name="Network">The network, with its scale, radius and value range.</param>
/// <param name="Task">What it restores.</param>
/// <param name="Description">One line for listings.</param>
public sealed class PipelineModel(ISuperResolutionNetwork network, RestorationTask task, string description) : IRestorationModel
{
    /// <inheritdoc/>
    public string Name => network.Name;
    /// <inheritdoc/>
    public string Description => description;
    /// <inheritdoc/>
    public RestorationTask Task => task;
    /// <inheritdoc/>
    public int Scale => network.Scale;
    /// <inheritdoc/>
    public int Tile { get; set; }
    /// <inheritdoc/>
    public ISuperResolutionNetwork Network => network;
    /// <inheritdoc/>
    public Action<int, int>? TileProgress { get; set; }
    /// <inheritdoc/>
    public long TileBudgetBytes { get; set; }
    /// <inheritdoc/>
    public bool Supports(RestorationTask t) => t == task;

    /// <inheritdoc/>
    public Imaging.Image Restore(Imaging.Image degraded, TaskSettings settings)
    {
        if (settings.Scale != Scale)
            throw new ArgumentException($"{Name} enlarges x{Scale}, but the task asks for x{settings.Scale}");
        return TiledUpscaler.Upscale(degraded, network, Tile, TileProgress, TileBudgetBytes);
    }
}

/// <summary>Every model file format, one line each.</summary>
public static class ModelFormats
{
    /// <summary>The registry; a path is tried against each format's extensions in this order.</summary>
    public static Registry<IModelFormat> Formats { get; } = new("model format",
    [
        new SafeTensorsFormat(),
        new Keras.KerasFormat(),
        new Ncnn.NcnnFormat(),
        new PyTorch.PyTorchFormat(),
    ]);

    /// <summary>The format that reads <paramref name="path"/>, or null.</summary>
    public static IModelFormat? For(string path) =>
        Formats.All.FirstOrDefault(f => f.Extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
        ?? (Directory.Exists(path) && File.Exists(Path.Combine(path, "model.json")) ? Formats.Get("keras") : null);

    /// <summary>"FILE.safetensors, model.json, …" for messages.</summary>
    public static string KnownExtensions => string.Join(", ", Formats.All.SelectMany(f => f.Extensions));
}
