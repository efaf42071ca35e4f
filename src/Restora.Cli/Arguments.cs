using System.Globalization;

namespace Restora.Cli;

/// <summary>
/// A command's arguments: positionals plus --name value / --name=value options and --flag switches.
/// Every option must be declared by the command, so a typo is an error instead of being ignored.
/// </summary>
public sealed class Arguments
{
    readonly Dictionary<string, string> values = new();
    readonly HashSet<string> flagsSet = new();
    public List<string> Positionals { get; } = new();
    public string Command { get; }

    Arguments(string command) => Command = command;

    /// <param name="valued">Options that take a value, e.g. "--scale", "-o".</param>
    /// <param name="flags">Options that take none, e.g. "--json".</param>
    public static Arguments Parse(string command, IReadOnlyList<string> args, IEnumerable<string> valued, IEnumerable<string> flags)
    {
        var takesValue = new HashSet<string>(valued.Concat(Common.Valued));
        var isFlag = new HashSet<string>(flags.Concat(Common.Flags));
        var result = new Arguments(command);
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a.Length > 1 && a[0] == '-' && !IsNumber(a))
            {
                string name = a;
                string? inline = null;
                int eq = a.IndexOf('=');
                if (eq > 0) { name = a[..eq]; inline = a[(eq + 1)..]; }
                if (isFlag.Contains(name))
                {
                    if (inline is not null) throw new UserError($"{command}: option {name} takes no value");
                    result.flagsSet.Add(name);
                }
                else if (takesValue.Contains(name))
                {
                    string? v = inline ?? (i + 1 < args.Count ? args[++i] : null);
                    if (v is null) throw new UserError($"{command}: option {name} needs a value");
                    result.values[name] = v;
                }
                else
                {
                    var known = takesValue.Concat(isFlag).Order();
                    throw new UserError($"{command}: unknown option {name} (known: {string.Join(" ", known)})");
                }
            }
            else result.Positionals.Add(a);
        }
        return result;
    }

    static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    public bool Has(string flag) => flagsSet.Contains(flag);
    public bool IsSet(string option) => values.ContainsKey(option);
    public string? Get(string option) => values.GetValueOrDefault(option);

    public string Require(string option) =>
        values.TryGetValue(option, out var v) ? v : throw new UserError($"{Command}: {option} is required");

    public int GetInt(string option, int fallback, int min = int.MinValue, int max = int.MaxValue)
    {
        if (!values.TryGetValue(option, out var v)) return fallback;
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n))
            throw new UserError($"{Command}: {option} needs a whole number, got '{v}'");
        if (n < min || n > max) throw new UserError($"{Command}: {option} must be {min}..{max}, got {n}");
        return n;
    }

    public double GetDouble(string option, double fallback, double min = double.MinValue, double max = double.MaxValue)
    {
        if (!values.TryGetValue(option, out var v)) return fallback;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
            throw new UserError($"{Command}: {option} needs a number, got '{v}'");
        if (d < min || d > max) throw new UserError($"{Command}: {option} must be {min}..{max}, got {v}");
        return d;
    }

    /// <summary>Exactly <paramref name="count"/> positionals, named in the error when they are not there.</summary>
    public IReadOnlyList<string> ExpectPositionals(params string[] names)
    {
        if (Positionals.Count != names.Length)
            throw new UserError($"{Command}: expected {string.Join(" ", names)}, got {Positionals.Count} argument(s)"
                + (Positionals.Count > names.Length ? $": '{Positionals[names.Length]}' is extra" : ""));
        return Positionals;
    }
}

/// <summary>Options every command accepts.</summary>
public static class Common
{
    public static readonly string[] Valued = ["--threads", "--max-pixels"];
    public static readonly string[] Flags = ["--json", "--overwrite", "--help", "-h"];

    /// <summary>Flags of the commands that write images (declare them with the command's own flags).</summary>
    public static readonly string[] ImageOutputFlags = ["--strip-metadata"];

    /// <summary>
    /// <c>--tile PX</c> as the restorers and the tiler take it: absent is 0 (they choose), <c>--tile 0</c> is the
    /// whole image at once (../shared/CLI.md), anything else the tile side.
    /// </summary>
    public static int Tile(Arguments args) =>
        !args.IsSet("--tile") ? 0 : args.GetInt("--tile", 0, 0, 1 << 16) is int t and > 0 ? t : Restora.Models.Upscaling.TiledUpscaler.WholeImage;
}
