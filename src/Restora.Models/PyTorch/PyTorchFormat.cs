using Restora.Models.Formats;

namespace Restora.Models.PyTorch;

/// <summary>
/// PyTorch checkpoints (.pth, .pt; zip and legacy layouts) of the architectures <see cref="PyTorchModels"/>
/// recognises, read by Restora's own restricted unpickler: a checkpoint can only ever give tensors and plain
/// containers, never run code.
/// </summary>
public sealed class PyTorchFormat : IModelFormat
{
    /// <inheritdoc/>
    public string Name => "pytorch";
    /// <inheritdoc/>
    public string Description => "PyTorch checkpoints (.pth/.pt) of ESRGAN, SRVGGNetCompact, EDSR, RCAN, SRResNet, DnCNN…; no code ever runs";
    /// <inheritdoc/>
    public IReadOnlyList<string> Extensions => [".pth", ".pt"];

    /// <inheritdoc/>
    public IRestorationModel Open(string path, Action<string>? log)
    {
        var model = PyTorchModels.Load(path, log);
        return new NetworkRestorer(Path.GetFileNameWithoutExtension(path), model.Module, model.Architecture, model.Channels,
            TaskRegistry.Get(model.Task), model.Options) { Metadata = model.Metadata($"loaded from {Path.GetFileName(path)}") };
    }
}
