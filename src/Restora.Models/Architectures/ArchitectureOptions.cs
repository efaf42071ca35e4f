using System.Globalization;

namespace Restora.Models.Architectures;

/// <summary>
/// Options for building a network ("scale", "features", "blocks", …) as text, the way they arrive from the
/// command line and from a checkpoint's metadata. Every value a factory reads, defaulted or given, is recorded
/// in <see cref="Resolved"/>, so a saved model names its full configuration and rebuilds without guessing.
/// </summary>
public sealed class ArchitectureOptions
{
    readonly Dictionary<string, string> given;
    readonly SortedDictionary<string, string> resolved = new(StringComparer.Ordinal);
    readonly HashSet<string> read = new(StringComparer.Ordinal);

    public ArchitectureOptions(IReadOnlyDictionary<string, string>? values = null) =>
        given = values is null ? new(StringComparer.Ordinal) : new(values, StringComparer.Ordinal);

    /// <summary>Every option the factory read, with the value it used.</summary>
    public IReadOnlyDictionary<string, string> Resolved => resolved;

    /// <summary>Parses "scale=4,features=32" (the CLI's --arch-options).</summary>
    public static ArchitectureOptions Parse(string? text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!string.IsNullOrWhiteSpace(text))
            foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int eq = part.IndexOf('=');
                if (eq <= 0) throw new ArgumentException($"architecture option '{part}' is not NAME=VALUE");
                values[part[..eq].Trim()] = part[(eq + 1)..].Trim();
            }
        return new ArchitectureOptions(values);
    }

    public ArchitectureOptions With(string name, string value)
    {
        var copy = new Dictionary<string, string>(given, StringComparer.Ordinal) { [name] = value };
        return new ArchitectureOptions(copy);
    }

    /// <summary>The options as given (before defaults), e.g. to store and rebuild later.</summary>
    public Dictionary<string, string> Given() => new(given, StringComparer.Ordinal);

    public int Int(string name, int fallback, int min = 1, int max = 4096)
    {
        int value = fallback;
        if (given.TryGetValue(name, out var text) &&
            !int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value))
            throw new ArgumentException($"architecture option {name} needs a whole number, got '{text}'");
        if (value < min || value > max) throw new ArgumentException($"architecture option {name} must be {min}..{max}, got {value}");
        Record(name, value.ToString(CultureInfo.InvariantCulture));
        return value;
    }

    public double Double(string name, double fallback)
    {
        double value = fallback;
        if (given.TryGetValue(name, out var text) &&
            !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            throw new ArgumentException($"architecture option {name} needs a number, got '{text}'");
        Record(name, value.ToString("R", CultureInfo.InvariantCulture));
        return value;
    }

    public bool Bool(string name, bool fallback)
    {
        bool value = fallback;
        if (given.TryGetValue(name, out var text))
            value = text.ToLowerInvariant() switch
            {
                "true" or "1" or "yes" => true,
                "false" or "0" or "no" => false,
                _ => throw new ArgumentException($"architecture option {name} needs true or false, got '{text}'"),
            };
        Record(name, value ? "true" : "false");
        return value;
    }

    /// <summary>One of <paramref name="allowed"/> (compared ignoring case, recorded as listed).</summary>
    public string Choice(string name, string fallback, params string[] allowed)
    {
        string value = fallback;
        if (given.TryGetValue(name, out var text))
            value = allowed.FirstOrDefault(a => string.Equals(a, text, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"architecture option {name} must be one of {string.Join(", ", allowed)}, got '{text}'");
        Record(name, value);
        return value;
    }

    void Record(string name, string value)
    {
        read.Add(name);
        resolved[name] = value;
    }

    /// <summary>Given options the factory never read are typos or options of another architecture.</summary>
    public void RejectUnused(string architecture)
    {
        var unused = given.Keys.Where(k => !read.Contains(k)).Order(StringComparer.Ordinal).ToList();
        if (unused.Count > 0)
            throw new ArgumentException($"{architecture} has no option {string.Join(", ", unused)} (it reads: {string.Join(", ", read.Order(StringComparer.Ordinal))})");
    }
}
