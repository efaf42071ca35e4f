using Restora.Models;
using Restora.Models.Formats;
using Restora.Models.Keras;
using Restora.Models.Zoo;

namespace Restora.Cli;

/// <summary>Opens a model for a command: the one place a model's failures become one-line user errors.</summary>
public static class ModelOpener
{
    /// <summary>Logs the library's model messages (installs, unwrapping) on stderr.</summary>
    public static void Log(string message) => Console.Error.WriteLine($"restora: {message}");

    /// <summary>
    /// The model <paramref name="name"/> (or <paramref name="task"/>'s default when null), checked to do
    /// <paramref name="task"/>; an unknown, damaged or wrong-task model is a <see cref="UserError"/> naming it.
    /// </summary>
    public static IRestorationModel Open(string command, string? name, RestorationTask task)
    {
        string wanted = name ?? task.DefaultModel
            ?? throw new UserError($"{command}: Restora ships no {task.Name} model yet; train one (restora train --task {task.Name} ...) and pass --model FILE");
        var model = Guard(command, () => ModelLoader.Open(wanted, log: Log));
        if (model.Task != task)
            throw new UserError($"{command}: {wanted} is a {model.Task.Name} model, not a {task.Name} one (restora models list)");
        return model;
    }

    /// <summary>Runs <paramref name="action"/>, turning the failures a user can fix (unknown names, damaged files,
    /// failed installs) into <see cref="UserError"/>s.</summary>
    public static T Guard<T>(string command, Func<T> action)
    {
        try { return action(); }
        catch (ArgumentException e) { throw new UserError($"{command}: {e.Message}"); }
        catch (InvalidDataException e) { throw new UserError(e.Message); }
        catch (ModelStoreException e) { throw new UserError(e.Message); }
        catch (KerasFormatException e) { throw new UserError(e.Message); }
    }
}
