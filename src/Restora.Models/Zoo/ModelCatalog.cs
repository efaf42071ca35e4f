namespace Restora.Models.Zoo;

/// <summary>Where a pretrained model comes from: an npm package, pinned by version and SHA-512 integrity.</summary>
public sealed record ModelPackage(string Name, string Version, string Integrity, string License)
{
    public string Spec => $"{Name}@{Version}";
    /// <summary>The folder name the package is kept under in the model cache.</summary>
    public string FolderName => $"{Name.TrimStart('@').Replace('/', '-')}-{Version}";
}

/// <summary>A pretrained network Restora knows by name.</summary>
/// <param name="Task">The task name (<see cref="TaskRegistry"/>).</param>
/// <param name="Folder">The model's folder inside the package (holding model.json, or the ncnn files).</param>
/// <param name="InputRange">The value range the network reads and writes: 255 (0..255) or 1 (0..1).</param>
/// <param name="Format">The file format (<see cref="Formats.ModelFormats"/>): keras or ncnn.</param>
/// <param name="WeightsLicense">The licence of the weights where it differs from the package's.</param>
public sealed record ModelInfo(string Name, string Task, int Scale, ModelPackage Package, string Folder, float InputRange,
    string Architecture, string Description, string Format = "keras", string? WeightsLicense = null)
{
    /// <summary>The licence the weights come under.</summary>
    public string License => WeightsLicense ?? Package.License;
}

/// <summary>Every model known to Restora, installed or not.</summary>
public static class ModelCatalog
{
    // Integrity strings are npm's own (sha512 of the package tarball), checked after every pull.
    static readonly ModelPackage Slim = new("@upscalerjs/esrgan-slim", "1.0.0",
        "sha512-DXtwn5SE71+pZKluN/hGeLaZv6ZylyFQYSvMqU08kKCEA5Y9Q1cIIk4EvPTPZw8VqGi2C6F02c8OjhtId4BK2w==", "MIT");
    static readonly ModelPackage Medium = new("@upscalerjs/esrgan-medium", "1.0.0",
        "sha512-Z8JnR87sgetPABKevasXST3FdnXhaoTu9zpXnu3KLaHYpYStVt0FD1VZS9c6jhSGMBC0H929gN9RbWl+MeisKA==", "MIT");
    static readonly ModelPackage Thick = new("@upscalerjs/esrgan-thick", "1.0.0",
        "sha512-Xt7LAEa1WYVdU8teye1A2J3T2ylb3ihlU/x01x1ieM7zZh5FzTll6fwmeUC82mkztWloGZM65KdSEWOmhlXOdw==", "MIT");
    static readonly ModelPackage Default = new("@upscalerjs/default-model", "1.0.0",
        "sha512-D17cokQBpciTBrlFuY5WtS7TH0WE3h5m44PYiPPCSq1jlWjG9BvH5/rnm9AhQPV6TT3Bqbg5GAPV8/qpR47/hQ==", "MIT");

    /// <summary>Every model: UpscalerJS's Keras models, then the ncnn ones (<see cref="Ncnn.NcnnModels"/>).</summary>
    public static IReadOnlyList<ModelInfo> All { get; } = [.. Build(), .. Ncnn.NcnnModels.All.Select(m => m.Info)];

    static List<ModelInfo> Build()
    {
        var list = new List<ModelInfo>();
        foreach (int s in new[] { 2, 3, 4, 8 })
        {
            list.Add(new($"esrgan-slim-x{s}", "sr", s, Slim, $"models/x{s}", 255, "RDN",
                "UpscalerJS ESRGAN slim (RDN, DIV2K): fastest, modest gain over bicubic"));
            list.Add(new($"esrgan-medium-x{s}", "sr", s, Medium, $"models/x{s}", 255, "RDN",
                "UpscalerJS ESRGAN medium (RDN, DIV2K)"));
            list.Add(new($"esrgan-thick-x{s}", "sr", s, Thick, $"models/x{s}", 1, "RRDN",
                "UpscalerJS ESRGAN thick (RRDN, DIV2K): best quality, slowest"));
        }
        list.Add(new("default-x2", "sr", 2, Default, "models", 255, "RDN", "UpscalerJS default model (RDN, DIV2K), x2"));
        return list;
    }

    /// <summary>The model called <paramref name="name"/>, or null.</summary>
    public static ModelInfo? Find(string name) =>
        All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The model called <paramref name="name"/>; an <see cref="ArgumentException"/> listing the known ones otherwise.</summary>
    public static ModelInfo Get(string name) => Find(name)
        ?? throw new ArgumentException($"unknown model '{name}' (known: {string.Join(", ", All.Select(m => m.Name))})");
}
