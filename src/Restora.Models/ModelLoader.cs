using Restora.Models.Formats;
using Restora.Models.Upscaling;
using Restora.Models.Zoo;

namespace Restora.Models;

/// <summary>
/// Opens a model by name or path: the one place commands, evaluation and the library turn "--model X" into a
/// restorer. Names are the catalog's (installed from npm on first use) and the shipped networks'; anything else is a
/// file whose format its extension names (<see cref="ModelFormats"/>).
/// </summary>
public static class ModelLoader
{
    /// <summary>
    /// The model <paramref name="nameOrPath"/>; an unknown name, a missing file or a file no format reads is an
    /// <see cref="ArgumentException"/>, a damaged file an <see cref="InvalidDataException"/>, a failed install a
    /// <see cref="ModelStoreException"/>, each one line naming it.
    /// </summary>
    public static IRestorationModel Open(string nameOrPath, ModelStore? store = null, Action<string>? log = null)
    {
        if (ModelCatalog.Find(nameOrPath) is { } info) return OpenCatalog(info, store ?? ModelStore.Default(), log);
        if (TrainedModels.Locate(nameOrPath) is { } file)
            return Toolchain.AgentModel.IsAgentFile(file) ? Toolchain.ToolchainRestorer.Open(file) : TrainedModels.Open(file);
        if (File.Exists(nameOrPath) || Directory.Exists(nameOrPath))
        {
            var format = ModelFormats.For(nameOrPath)
                ?? throw new ArgumentException($"{nameOrPath}: not a model file Restora reads (known: {ModelFormats.KnownExtensions})");
            return format.Open(nameOrPath, log);
        }
        throw new ArgumentException($"unknown model '{nameOrPath}' (restora models list shows the known ones; or give a model file: {ModelFormats.KnownExtensions})");
    }

    /// <summary>Whether <paramref name="nameOrPath"/> names a model (without loading it).</summary>
    public static bool Exists(string nameOrPath) =>
        ModelCatalog.Find(nameOrPath) is not null || TrainedModels.Locate(nameOrPath) is not null
        || (File.Exists(nameOrPath) || Directory.Exists(nameOrPath)) && ModelFormats.For(nameOrPath) is not null;

    static IRestorationModel OpenCatalog(ModelInfo info, ModelStore store, Action<string>? log)
    {
        var task = TaskRegistry.Get(info.Task);
        if (Ncnn.NcnnModels.Find(info.Name) is { } ncnn)
        {
            var (param, bin) = ncnn.Ensure(store, log);
            return new PipelineModel(new Ncnn.NcnnPipelineNetwork(info.Name, Ncnn.NcnnNetwork.Load(param, bin), ncnn.Family, param), task, info.Description);
        }
        return new PipelineModel(PretrainedNetwork.Open(info.Name, store, log), task, info.Description);
    }
}
