using Restora.Imaging;
using Restora.Models.Zoo;

namespace Restora.Models.Upscaling;

/// <summary>A catalog SR model as an evaluation method: loaded (and installed) on first use.</summary>
public sealed class PretrainedRestorer(ModelInfo info) : IRestorer
{
    PretrainedNetwork? network;

    public string Name => info.Name;
    public string Description => info.Description;
    public bool Supports(RestorationTask task) => task.Enlarges;

    public Image Restore(Image degraded, TaskSettings settings)
    {
        if (settings.Scale != info.Scale)
            throw new ArgumentException($"{info.Name} enlarges x{info.Scale}, but the task asks for x{settings.Scale}");
        network ??= PretrainedNetwork.Open(info.Name, log: m => Console.Error.WriteLine($"restora: {m}"));
        return TiledUpscaler.Upscale(degraded, network);
    }
}
