using Restora.Models.Formats;
using Restora.Models.Upscaling;

namespace Restora.Models.Keras;

/// <summary>TensorFlow.js layers-models (model.json and its weight shards), as UpscalerJS ships them.</summary>
public sealed class KerasFormat : IModelFormat
{
    /// <inheritdoc/>
    public string Name => "keras";
    /// <inheritdoc/>
    public string Description => "TensorFlow.js layers-model: model.json beside its weight shards (UpscalerJS)";
    /// <inheritdoc/>
    public IReadOnlyList<string> Extensions => ["model.json"];

    /// <inheritdoc/>
    public IRestorationModel Open(string path, Action<string>? log)
    {
        string folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        KerasModel model;
        try { model = KerasModel.Load(folder); }
        catch (KerasFormatException e) { throw new InvalidDataException(e.Message, e); }
        // A file of unknown provenance is assumed to read 0..255, as UpscalerJS's RDN models do.
        var network = new PretrainedNetwork(Path.GetFileName(folder), model, 255);
        return new PipelineModel(network, model.Scale > 1 ? RestorationTask.SuperResolution : RestorationTask.Denoise, $"Keras model from {folder}");
    }
}
