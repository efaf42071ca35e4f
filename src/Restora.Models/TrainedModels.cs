using Restora.Models.Architectures;

namespace Restora.Models;

/// <summary>
/// Networks trained with `restora train`: the ones Restora ships (the repository's models/ folder, copied beside
/// the program) by name, or any .safetensors file by path. Each rebuilds itself from its file's metadata.
/// </summary>
public static class TrainedModels
{
    public static string ShippedFolder => Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>Names of the shipped models (file names without .safetensors).</summary>
    public static IReadOnlyList<string> Shipped =>
        Directory.Exists(ShippedFolder)
            ? Directory.EnumerateFiles(ShippedFolder, "*.safetensors").Select(Path.GetFileNameWithoutExtension)
                // A training checkpoint left beside a model is not a model.
                .Where(n => !n!.EndsWith(".ckpt", StringComparison.Ordinal)).Order().ToList()!
            : [];

    /// <summary>The file for a shipped name or a path, or null when neither exists.</summary>
    public static string? Locate(string nameOrPath)
    {
        if (nameOrPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && File.Exists(nameOrPath)) return nameOrPath;
        var shipped = Path.Combine(ShippedFolder, nameOrPath + ".safetensors");
        return File.Exists(shipped) ? shipped : null;
    }

    public static NetworkRestorer Open(string path)
    {
        var (module, metadata) = TrainedModel.Load(path);
        var architecture = ArchitectureRegistry.Get(metadata.Arch);
        int channels = metadata.ArchOptions.TryGetValue("channels", out var c) && int.TryParse(c, out int n) ? n : 3;
        string name = Path.GetFileNameWithoutExtension(path);
        return new NetworkRestorer(name, module, architecture, channels, TaskRegistry.Get(metadata.Task), metadata.ArchOptions)
        {
            Metadata = metadata,
        };
    }
}
