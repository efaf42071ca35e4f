using Restora.Models;

namespace Restora.Training;

/// <summary>
/// How training inputs are made from clean patches: a task and the ranges its strengths are drawn from (completed
/// with the task's training defaults and checked). The task itself does the degrading
/// (<see cref="RestorationTask.DegradePatch"/>).
/// </summary>
/// <param name="Task">The task.</param>
/// <param name="Ranges">Every parameter of the task, as a range (a fixed value is a range of one).</param>
public sealed record DegradationSpec(RestorationTask Task, TaskParameters Ranges)
{
    /// <summary>The spec for <paramref name="task"/> with <paramref name="given"/> values and training defaults for the rest.</summary>
    public static DegradationSpec For(RestorationTask task, TaskParameters? given = null) =>
        new(task, task.Complete(given ?? TaskParameters.Empty, training: true));

    /// <summary>The spec for <paramref name="task"/> with the values given by name ("sigma" → "0,55").</summary>
    public static DegradationSpec For(RestorationTask task, params (string Name, string Value)[] given) =>
        For(task, new TaskParameters(given.ToDictionary(g => g.Name, g => StrengthRange.Parse(g.Value, "--" + g.Name))));

    /// <summary>The enlargement (1 unless the task enlarges).</summary>
    public int Scale => Task.Scale(Ranges);

    /// <summary>
    /// The evaluation settings validation uses: the middle of every range (whole numbers rounded), so a model trained
    /// for a range is scored at one representative strength.
    /// </summary>
    public TaskSettings ValidationSettings(ulong seed) => new() { Task = Task, Parameters = Task.MidValues(Ranges), Seed = seed };
}
