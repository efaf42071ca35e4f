using System.CommandLine;
using System.CommandLine.Parsing;

namespace Restora.Cli;

/// <summary>
/// Builds System.CommandLine's tree from the command definitions and turns a parse into <see cref="Arguments"/>:
/// System.CommandLine gives tokenizing, per-command help, typo suggestions and shell completion (the [suggest]
/// directive); the commands keep their typed accessors and one-line errors.
/// </summary>
public sealed class CommandLineParser
{
    readonly RootCommand root;
    readonly Func<CliCommand, Arguments, int> run;
    string[] current = [];

    /// <param name="commands">The registered commands.</param>
    /// <param name="run">Runs a command with its parsed arguments; returns the exit code.</param>
    /// <param name="only">When set, only this command gets its options and arguments; the others are listed by name
    /// and description. Building every command's options loads every registry (tasks, metrics, architectures…) and
    /// took `restora --help` from 0.03 to 0.2 s; a run needs only its own command.</param>
    public CommandLineParser(IEnumerable<CliCommand> commands, Func<CliCommand, Arguments, int> run, string? only = null)
    {
        this.run = run;
        root = new RootCommand("Restora: restore, measure and train image restoration networks.");
        foreach (var c in commands)
            root.Add(only is null || c.Name == only || c.Aliases.Contains(only) ? Build(c, c.Name) : new Command(c.Name, c.Description));
    }

    /// <summary>The root of the tree (for help texts in tests).</summary>
    public RootCommand Root => root;

    /// <summary>
    /// Parses and runs <paramref name="args"/>: help, completion and the command itself. A parse error is a
    /// <see cref="UserError"/> of one line naming the command; exceptions from the command propagate.
    /// </summary>
    public int Invoke(string[] args)
    {
        var result = root.Parse(args);
        if (Error(result) is string error) throw new UserError(error);
        current = args;
        return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    /// <summary>The arguments <paramref name="args"/> give <paramref name="command"/> (typed after its name), without
    /// running it: what the command would see. Parse errors are <see cref="UserError"/>s as in a real run.</summary>
    internal static Arguments ParseArguments(CliCommand command, params string[] args)
    {
        Arguments? parsed = null;
        new CommandLineParser([command], (_, a) => { parsed = a; return 0; }).Invoke([command.Name, .. args]);
        return parsed ?? throw new InvalidOperationException($"{command.Name} did not run (help asked for?)");
    }

    Command Build(CliCommand definition, string fullName)
    {
        var command = new Command(definition.Name, definition.Description);
        foreach (var alias in definition.Aliases) command.Aliases.Add(alias);
        foreach (var sub in definition.Subcommands) command.Add(Build(sub, $"{fullName} {sub.Name}"));
        var positionals = new List<Argument<string>>();
        foreach (var p in definition.Positionals)
        {
            var argument = new Argument<string>(p.Name) { Description = p.Description, Arity = p.Optional ? ArgumentArity.ZeroOrOne : ArgumentArity.ExactlyOne };
            positionals.Add(argument);
            command.Add(argument);
        }
        var options = new List<(OptionSpec Spec, Option Option)>();
        foreach (var spec in definition.AllOptions)
        {
            // Values as arrays, one per occurrence, so that a repeated option takes its last value (scripts append
            // overrides to a base command line); flags likewise may repeat.
            Option option = spec.TakesValue
                ? new Option<string[]>(spec.Name, spec.Aliases) { Description = spec.Description, HelpName = spec.ValueName, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false }
                : new Option<bool>(spec.Name, spec.Aliases) { Description = spec.Description, Arity = ArgumentArity.Zero };
            options.Add((spec, option));
            command.Add(option);
        }
        int depth = fullName.Split(' ').Length;
        command.SetAction(result => run(definition, ToArguments(result, fullName, positionals, options, current.Skip(depth).ToList())));
        return command;
    }

    static Arguments ToArguments(ParseResult result, string fullName, List<Argument<string>> positionals,
        List<(OptionSpec Spec, Option Option)> options, IReadOnlyList<string> raw)
    {
        var values = new Dictionary<string, string>();
        var flags = new HashSet<string>();
        foreach (var (spec, option) in options)
        {
            var r = result.GetResult(option);
            if (r is null || r.Implicit) continue;
            if (!spec.TakesValue) flags.Add(spec.Name);
            else if (result.GetValue((Option<string[]>)option) is { Length: > 0 } v) values[spec.Name] = v[^1];
        }
        var given = positionals.Select(p => result.GetValue(p)).OfType<string>().ToList();
        return new Arguments(fullName, given, values, flags, raw);
    }

    /// <summary>The first parse error as one line naming the command, or null when the parse succeeded.</summary>
    static string? Error(ParseResult result)
    {
        if (result.Errors.Count == 0) return null;
        var names = new List<string>();
        for (SymbolResult? s = result.CommandResult; s is CommandResult c; s = c.Parent)
            if (c.Command is not RootCommand) names.Insert(0, c.Command.Name);
        string command = string.Join(" ", names);
        string message = result.Errors[0].Message.TrimEnd('.');
        return command.Length > 0 ? $"{command}: {message} (restora {command} --help)" : $"{message} (restora --help)";
    }
}
