using Restora.Models;

namespace Restora.Cli;

/// <summary>
/// The command-line options of the tasks' parameters (<c>--sigma</c>, <c>--quality-range</c>…), built from the task
/// registry: a new task's parameters become options of `eval` and `train` without touching either command.
/// </summary>
public static class TaskOptions
{
    /// <summary>One option per parameter name (and alias), with every task's use of it in the help line;
    /// <paramref name="training"/> adds the <c>--NAME-range</c> forms.</summary>
    public static IReadOnlyList<OptionSpec> Specs(bool training)
    {
        var specs = new List<OptionSpec>();
        foreach (var option in OptionNames(training))
        {
            var uses = TaskRegistry.Tasks.All.SelectMany(t => t.Parameters.Where(p => Matches(p, option)).Select(p => (Task: t, Parameter: p))).ToList();
            bool range = option.EndsWith("-range") && uses.All(u => u.Parameter.RangeOption == option);
            string text = string.Join("; ", uses.Select(u =>
                $"{u.Task.Name}: {u.Parameter.Description}, default {Default(u.Parameter, training)}"));
            specs.Add(new OptionSpec(option, (range ? "a range A,B to draw from. " : "") + text, range ? "A,B" : "X"));
        }
        return specs;
    }

    static IEnumerable<string> OptionNames(bool training) =>
        TaskRegistry.Tasks.All.SelectMany(t => t.Parameters)
            .SelectMany(p => new[] { p.Option }.Concat(p.OptionAliases).Concat(training && p.RangeAllowed ? [p.RangeOption] : []))
            .Distinct();

    static bool Matches(TaskParameter p, string option) => p.Option == option || p.RangeOption == option || p.OptionAliases.Contains(option);

    static string Default(TaskParameter p, bool training) =>
        (training ? p.TrainingDefault ?? p.Default : p.Default).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The parameter values given on the command line for <paramref name="task"/>; an option that belongs to no
    /// parameter of this task, or a value and a range for one parameter, is a <see cref="UserError"/>.
    /// </summary>
    public static TaskParameters Read(Arguments args, RestorationTask task, bool training)
    {
        var values = new Dictionary<string, StrengthRange>();
        foreach (var option in OptionNames(training).Where(args.IsSet))
        {
            var parameter = task.Parameters.FirstOrDefault(p => Matches(p, option))
                ?? throw new UserError($"{args.Command}: {option} does not apply to --task {task.Name}" +
                    (task.Parameters.Count == 0 ? "" : $" (it takes {string.Join(", ", task.Parameters.Select(p => p.Option))})"));
            if (values.ContainsKey(parameter.Name))
                throw new UserError($"{args.Command}: give {parameter.Option} or {parameter.RangeOption}, not both");
            try { values[parameter.Name] = parameter.Parse(args.Get(option)!, option); }
            catch (ArgumentException e) { throw new UserError($"{args.Command}: {e.Message}"); }
        }
        return new TaskParameters(values);
    }
}
