using Restora.Models;

namespace Restora.Cli;

/// <summary>Opens a network Restora trained, by shipped name or file, for one task: the one place commands do it.</summary>
public static class TrainedModelLoader
{
    /// <summary>
    /// The model <paramref name="name"/> (or the task's default when null) as a restorer for <paramref name="task"/>;
    /// a missing, damaged or wrong-task model is a <see cref="UserError"/> naming it.
    /// </summary>
    public static NetworkRestorer Open(string command, string? name, RestorationTask task)
    {
        string wanted = name ?? task.DefaultModel
            ?? throw new UserError($"{command}: Restora ships no {task.Name} model yet; train one (restora train --task {task.Name} ...) and pass --model FILE");
        string file = TrainedModels.Locate(wanted) ?? throw new UserError(
            $"{command}: no model '{wanted}' (shipped: {(TrainedModels.Shipped.Count == 0 ? "none yet" : string.Join(", ", TrainedModels.Shipped))}; or give a .safetensors file from restora train)");
        NetworkRestorer network;
        try { network = TrainedModels.Open(file); }
        catch (InvalidDataException e) { throw new UserError(e.Message); }
        if (network.Task != task)
            throw new UserError($"{command}: {file} is a {network.Task.Name} model");
        return network;
    }
}
