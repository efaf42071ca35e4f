namespace Restora.Models.Formats;

/// <summary>Networks Restora trained (`restora train`): safetensors whose metadata names the architecture and task.</summary>
public sealed class SafeTensorsFormat : IModelFormat
{
    /// <inheritdoc/>
    public string Name => "safetensors";
    /// <inheritdoc/>
    public string Description => "networks trained by restora train (weights + metadata naming architecture, options and task)";
    /// <inheritdoc/>
    public IReadOnlyList<string> Extensions => [".safetensors"];
    /// <inheritdoc/>
    public IRestorationModel Open(string path, Action<string>? log) => TrainedModels.Open(path);
}
