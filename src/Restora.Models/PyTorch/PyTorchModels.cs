using System.Security.Cryptography;
using Restora.Core;
using Restora.Core.Nn;
using Restora.Models.Architectures;

namespace Restora.Models.PyTorch;

/// <summary>A network rebuilt from a PyTorch checkpoint, weights loaded, in evaluation mode.</summary>
/// <param name="Options">Every option the architecture was built with (defaults included), as a saved model stores them.</param>
/// <param name="Task">The task it does: "sr" for the upscalers, "denoise" for DnCNN and FFDNet.</param>
/// <param name="Scale">Enlargement (1 for same-size networks).</param>
/// <param name="Description">What the file was recognised as, e.g. "ESRGAN (old ESRGAN keys), 64 features, 2 blocks, growth 32, ×4".</param>
public sealed record PyTorchModel(Module Module, ArchitectureInfo Architecture, IReadOnlyDictionary<string, string> Options,
    string Task, int Scale, int Channels, string Description)
{
    /// <summary>What a Restora model file says of this network: architecture, options, task, scale, and how it was made.</summary>
    public ModelMetadata Metadata(string command, IReadOnlyDictionary<string, string>? extra = null) => new()
    {
        Arch = Architecture.Name,
        ArchOptions = Options,
        Task = Task,
        Scale = Scale,
        Command = command,
        Extra = extra ?? new Dictionary<string, string>(),
    };
}

/// <summary>
/// Community super-resolution checkpoints (.pth/.pt) as Restora networks: the checkpoint is read safely
/// (<see cref="PyTorchCheckpoint"/>), its architecture and hyper-parameters are told from its keys and shapes,
/// and the weights are loaded into the Restora architecture that computes the same function. Values are 0..1 RGB
/// in and out, as in PyTorch.
/// </summary>
public static class PyTorchModels
{
    /// <summary>The architectures a checkpoint can be recognised as, for help texts.</summary>
    public static string KnownArchitectures => Recognition.Known;

    /// <summary>Reads, recognises and rebuilds the network in <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a safe state-dict checkpoint, or not of a known architecture.</exception>
    public static PyTorchModel Load(string path, Action<string>? log = null)
    {
        var state = PyTorchCheckpoint.Read(path, log);
        return FromStateDict(state, path, log);
    }

    /// <summary>Recognises and rebuilds a network from a state dict with PyTorch's key names.</summary>
    /// <param name="source">Names the checkpoint in messages.</param>
    public static PyTorchModel FromStateDict(OrderedDictionary<string, Tensor> state, string source, Action<string>? log = null)
    {
        Recognized r;
        try { r = Recognition.Recognize(state); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{source}: {e.Message}", e); }
        log?.Invoke($"{source}: {r.Label}");
        var info = ArchitectureRegistry.Get(r.Arch);
        var options = new ArchitectureOptions(r.Options);
        Module module;
        try
        {
            module = ArchitectureRegistry.Create(r.Arch, options, new Random(0));
            var own = module.StateDict();
            // Checkpoints from before PyTorch 0.4.1 have no batch-norm counters; they change nothing at inference.
            foreach (var key in own.Keys.Where(k => k.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && !r.State.ContainsKey(k)).ToList())
                r.State[key] = Tensor.Persistent(own[key].Shape.ToArray());
            module.LoadStateDict(r.State);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{source}: recognised as {r.Label}, but the weights do not fit Restora's {r.Arch}: {e.Message}", e);
        }
        module.Eval();
        return new PyTorchModel(module, info, options.Resolved, r.Task, r.Scale, r.Channels, r.Label);
    }

    /// <summary>
    /// Converts a checkpoint into a Restora model file (.safetensors with the metadata that rebuilds it), which
    /// `restora upscale --model FILE` and <see cref="TrainedModels.Open"/> then run like a model Restora trained.
    /// </summary>
    /// <returns>The metadata written.</returns>
    public static ModelMetadata ImportToSafeTensors(string pthPath, string safetensorsPath, Action<string>? log = null)
    {
        var model = Load(pthPath, log);
        string name = Path.GetFileName(pthPath);
        string sha256;
        using (var fs = File.OpenRead(pthPath)) sha256 = Convert.ToHexStringLower(SHA256.HashData(fs));
        // Which file the weights came from, so an imported model can be traced back to (and checked against) it.
        var metadata = model.Metadata($"imported from {name}", new Dictionary<string, string>
        {
            ["source_file"] = name,
            ["source_sha256"] = sha256,
            ["source_architecture"] = model.Description,
        });
        string? folder = Path.GetDirectoryName(Path.GetFullPath(safetensorsPath));
        if (folder is not null) Directory.CreateDirectory(folder);
        Restora.Core.Serialization.AtomicFile.Write(safetensorsPath, p => TrainedModel.Save(p, model.Module, metadata));
        log?.Invoke($"{pthPath}: wrote {safetensorsPath} ({model.Architecture.Name}, {model.Task} ×{model.Scale})");
        return metadata;
    }
}
