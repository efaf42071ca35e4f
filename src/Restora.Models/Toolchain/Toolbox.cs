using Restora.Core.Nn;
using Restora.Imaging;
using Restora.Models;

namespace Restora.Models.Toolchain;

/// <summary>One tool: a trained same-size network, by name, with what it costs per pixel.</summary>
public sealed record Tool(string Name, NetworkRestorer Restorer, long MacsPerPixel)
{
    /// <summary>The network itself (for training on patches).</summary>
    public Module Module => Restorer.Module;

    /// <summary>GFLOPs (two per multiply-add) of running it on <paramref name="pixels"/> pixels.</summary>
    public double Gflops(long pixels) => 2.0 * MacsPerPixel * pixels / 1e9;

    /// <summary>Whether a batch of the agent's 63x63 patches can go straight through the network (a plain
    /// convolutional tool); else each patch goes through the restore pipeline (padding, a noise level).</summary>
    public bool TakesPatches => Restorer.SizeMultiple == 1 && !Restorer.TakesNoiseLevel;

    /// <summary>Restores a whole image; a network told a noise level is told the image's own estimate (the damage is
    /// unknown), as `restora denoise` does without --sigma.</summary>
    public Image Restore(Image image, TaskSettings settings) =>
        Restorer.Restore(image, Restorer.TakesNoiseLevel ? settings with { ToldNoiseSigma = NoiseEstimate.Sigma(image) } : settings);
}

/// <summary>The tools an agent chooses among, in its action order: shipped names or model files.</summary>
public sealed class Toolbox
{
    /// <summary>RL-Restore's twelve experts, in the order the shipped agent's actions use.</summary>
    public static readonly IReadOnlyList<string> StandardNames =
    [
        "restora-tool-blur1", "restora-tool-blur2", "restora-tool-blur3", "restora-tool-blur4",
        "restora-tool-noise1", "restora-tool-noise2", "restora-tool-noise3", "restora-tool-noise4",
        "restora-tool-jpeg1", "restora-tool-jpeg2", "restora-tool-jpeg3", "restora-tool-jpeg4",
    ];

    /// <summary>The tools, in action order.</summary>
    public IReadOnlyList<Tool> Tools { get; }

    public Toolbox(IReadOnlyList<Tool> tools)
    {
        if (tools.Count == 0) throw new ArgumentException("a toolbox needs at least one tool");
        Tools = tools;
    }

    /// <summary>Opens each tool by shipped name or path, looking in <paramref name="folders"/> first, in order
    /// (FOLDER/NAME.safetensors: beside an agent, a toolbox training run's outputs).</summary>
    public static Toolbox Open(IReadOnlyList<string> names, params string?[] folders)
    {
        var tools = new List<Tool>();
        foreach (var name in names)
        {
            string? local = folders.Where(f => f is not null).Select(f => Path.Combine(f!, name + ".safetensors")).FirstOrDefault(File.Exists);
            string path = local ?? TrainedModels.Locate(name)
                ?? throw new ArgumentException($"tool '{name}' not found (a shipped model name or a .safetensors file)");
            var restorer = TrainedModels.Open(path);
            long macs = restorer.MacsPerPixel
                ?? throw new ArgumentException($"tool '{name}' ({restorer.Description}) enlarges: a tool returns the size it is given");
            tools.Add(new Tool(Path.GetFileNameWithoutExtension(path), restorer, macs));
        }
        return new Toolbox(tools);
    }

    /// <summary>Up to <paramref name="grid"/>² crops of the agent's size on an even grid over the image (edge-padded
    /// when the image is smaller), as a [K, channels, 63, 63] batch: what the agent looks at on a whole image.</summary>
    public static Restora.Core.Tensor Crops(Image image, int channels, int grid)
    {
        int size = AgentNetwork.CropSize;
        var xs = Origins(image.Width, size, grid);
        var ys = Origins(image.Height, size, grid);
        var batch = Restora.Core.Tensor.Empty(xs.Count * ys.Count, channels, size, size);
        var dst = batch.Span;
        int k = 0;
        foreach (int y0 in ys)
            foreach (int x0 in xs)
            {
                for (int c = 0; c < channels; c++)
                {
                    var plane = image.Plane(image.IsGray ? 0 : Math.Min(c, image.ColorChannels - 1));
                    for (int y = 0; y < size; y++)
                    {
                        int sy = Math.Min(y0 + y, image.Height - 1);
                        for (int x = 0; x < size; x++)
                            dst[((k * channels + c) * size + y) * size + x] = plane[sy * image.Width + Math.Min(x0 + x, image.Width - 1)];
                    }
                }
                k++;
            }
        return batch;
    }

    static List<int> Origins(int length, int size, int grid)
    {
        if (length <= size) return [0];
        int n = Math.Min(grid, (length + size - 1) / size);
        return Enumerable.Range(0, n).Select(i => n == 1 ? (length - size) / 2 : (int)Math.Round((double)i * (length - size) / (n - 1))).Distinct().ToList();
    }
}
