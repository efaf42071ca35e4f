using Restora.Core;

namespace Restora.Cli;

/// <summary>One option of a command: its names, whether it takes a value, and its help line.</summary>
/// <param name="Name">The canonical spelling ("--scale", "-o"); values are read back by it.</param>
/// <param name="Description">One line for help.</param>
/// <param name="ValueName">What the value is ("PX", "NAME"); null for a flag that takes no value.</param>
/// <param name="Aliases">Other spellings ("--output" for "-o").</param>
public sealed record OptionSpec(string Name, string Description, string? ValueName = null, params string[] Aliases)
{
    /// <summary>Whether the option takes a value.</summary>
    public bool TakesValue => ValueName is not null;
}

/// <summary>A positional argument: its name in usage (INPUT), its help line, and whether it may be left out.</summary>
public sealed record PositionalSpec(string Name, string Description, bool Optional = false);

/// <summary>
/// A `restora` command: its name, description, positionals and options, and what it runs. Each command is one file
/// deriving from this and one line in <see cref="Program.Commands"/>; parsing, <c>--help</c>, suggestions and the
/// README's command list all come from these definitions. A command with <see cref="Subcommands"/> (models list,
/// bench conv) only groups them.
/// </summary>
public abstract class CliCommand : IRegistered
{
    /// <inheritdoc/>
    public abstract string Name { get; }
    /// <inheritdoc/>
    public virtual IReadOnlyList<string> Aliases => [];
    /// <inheritdoc/>
    public abstract string Description { get; }

    /// <summary>Positionals, in order.</summary>
    public virtual IReadOnlyList<PositionalSpec> Positionals => [];

    /// <summary>The command's own options (the shared ones are added by <see cref="CommonOptions"/>).</summary>
    public virtual IReadOnlyList<OptionSpec> Options => [];

    /// <summary>Whether the command writes images (it then takes <c>--strip-metadata</c>).</summary>
    public virtual bool WritesImages => false;

    /// <summary>Commands grouped under this one (models list|pull|info); empty for a command that runs.</summary>
    public virtual IReadOnlyList<CliCommand> Subcommands => [];

    /// <summary>Runs the command; returns the exit code. Errors the user can fix are <see cref="UserError"/>s.</summary>
    public virtual int Run(Arguments args) => throw new UserError($"{Name}: name one of {string.Join(", ", Subcommands.Select(c => c.Name))} (restora {Name} --help)");

    /// <summary>Every option the command accepts: its own, then the shared ones.</summary>
    public IReadOnlyList<OptionSpec> AllOptions => [.. Options, .. CommonOptions.Shared, .. WritesImages ? CommonOptions.ImageOutput : []];
}
