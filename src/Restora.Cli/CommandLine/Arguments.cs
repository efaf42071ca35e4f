using System.Globalization;

namespace Restora.Cli;

/// <summary>
/// A command's parsed arguments: positionals, option values and flags, read back with typed accessors whose errors
/// name the option (<see cref="UserError"/>s). Made by <see cref="CommandLineParser"/> from the command's definitions.
/// </summary>
public sealed class Arguments
{
    readonly IReadOnlyDictionary<string, string> values;
    readonly IReadOnlySet<string> flags;

    /// <param name="command">The command's full name ("models pull"), for messages.</param>
    /// <param name="positionals">Positionals in order.</param>
    /// <param name="values">Option values by canonical name.</param>
    /// <param name="flags">Flags given, by canonical name.</param>
    /// <param name="raw">The arguments as typed.</param>
    public Arguments(string command, IReadOnlyList<string> positionals, IReadOnlyDictionary<string, string> values, IReadOnlySet<string> flags,
        IReadOnlyList<string> raw)
    {
        Command = command;
        Positionals = positionals;
        this.values = values;
        this.flags = flags;
        Raw = raw;
    }

    /// <summary>The command's full name, for messages.</summary>
    public string Command { get; }

    /// <summary>Positionals in order.</summary>
    public IReadOnlyList<string> Positionals { get; }

    /// <summary>The command's arguments as typed (after the command name).</summary>
    public IReadOnlyList<string> Raw { get; }

    /// <summary>Whether the flag was given.</summary>
    public bool Has(string flag) => flags.Contains(flag);

    /// <summary>Whether the option was given a value.</summary>
    public bool IsSet(string option) => values.ContainsKey(option);

    /// <summary>The option's value, or null.</summary>
    public string? Get(string option) => values.GetValueOrDefault(option);

    /// <summary>The option's value; a <see cref="UserError"/> naming it when absent.</summary>
    public string Require(string option) =>
        values.TryGetValue(option, out var v) ? v : throw new UserError($"{Command}: {option} is required");

    /// <summary>A whole number in [min, max], or <paramref name="fallback"/> when absent.</summary>
    public int GetInt(string option, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!values.TryGetValue(option, out var v)) return fallback;
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n))
            throw new UserError($"{Command}: {option} needs a whole number, got '{v}'");
        if (n < min || n > max) throw new UserError($"{Command}: {option} must be {min}..{max}, got {n}");
        return n;
    }

    /// <summary>A finite number in [min, max], or <paramref name="fallback"/> when absent.</summary>
    public double GetDouble(string option, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!values.TryGetValue(option, out var v)) return fallback;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
            throw new UserError($"{Command}: {option} needs a number, got '{v}'");
        if (d < min || d > max) throw new UserError($"{Command}: {option} must be {min}..{max}, got {v}");
        return d;
    }

    /// <summary>Exactly these positionals, named in the error when they are not there.</summary>
    public IReadOnlyList<string> ExpectPositionals(params string[] names)
    {
        if (Positionals.Count != names.Length)
            throw new UserError($"{Command}: expected {string.Join(" ", names)}, got {Positionals.Count} argument(s)"
                + (Positionals.Count > names.Length ? $": '{Positionals[names.Length]}' is extra" : ""));
        return Positionals;
    }
}
