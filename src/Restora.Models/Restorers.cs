using Restora.Imaging;
using Restora.Models.Upscaling;
using Restora.Models.Zoo;

namespace Restora.Models;

/// <summary>Anything that turns a degraded image into a restored one: a classic method or a network.</summary>
public interface IRestorer
{
    string Name { get; }
    string Description { get; }
    bool Supports(RestorationTask task);
    Image Restore(Image degraded, TaskSettings settings);
}

/// <summary>MATLAB bicubic upscaling: the baseline every SR paper reports.</summary>
public sealed class BicubicRestorer : IRestorer
{
    public string Name => "bicubic";
    public string Description => "MATLAB imresize bicubic upscaling (SR baseline)";
    public bool Supports(RestorationTask task) => task.Enlarges;
    public Image Restore(Image degraded, TaskSettings settings) => Resize.ByFactor(degraded, settings.Scale, ResizeMethod.Bicubic);
}

/// <summary>Returns the input unchanged: the score of doing nothing, the floor a model must beat.</summary>
public sealed class IdentityRestorer : IRestorer
{
    public string Name => "identity";
    public string Description => "the degraded input itself (baseline for denoise, deblock, deblur; colorize: the gray image as RGB)";
    public bool Supports(RestorationTask task) => !task.Enlarges;
    // The task's baseline is the input as the task scores it (the same image, or a gray one as three channels).
    public Image Restore(Image degraded, TaskSettings settings) => settings.Task.Baseline(degraded, settings.Parameters);
}

/// <summary>Methods by name; models register here as they arrive, so `eval --method NAME` finds them.</summary>
public static class Restorers
{
    static readonly List<IRestorer> all = [new BicubicRestorer(), new IdentityRestorer()];

    /// <summary>The method name of the shipped toolchain agent, and the model it opens.</summary>
    public const string Auto = "auto", AutoModel = "restora-agent";

    /// <summary>The classic methods (bicubic, identity).</summary>
    public static IReadOnlyList<IRestorer> All => all;

    /// <summary>Classic methods first, then any model <see cref="ModelLoader"/> opens (catalog, shipped, or a file).</summary>
    public static IRestorer Get(string name, RestorationTask task, Action<string>? log = null)
    {
        // `auto` is the shipped toolchain agent (RL-Restore).
        if (string.Equals(name, Auto, StringComparison.OrdinalIgnoreCase)) name = AutoModel;
        var classic = all.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
        string known() => string.Join(", ", all.Where(r => r.Supports(task)).Select(r => r.Name)
            .Concat(ModelCatalog.All.Where(m => m.Task == task.Name).Select(m => m.Name)).Concat(TrainedModels.Shipped).Append("a model file"));
        IRestorer found = classic ?? (ModelLoader.Exists(name) ? ModelLoader.Open(name, log: log)
            : throw new ArgumentException($"unknown method '{name}' for {task.Name} (known: {known()})"));
        if (!found.Supports(task)) throw new ArgumentException($"method '{name}' does not do {task.Name} (use: {known()})");
        return found;
    }
}
