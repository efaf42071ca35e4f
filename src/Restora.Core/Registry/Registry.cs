namespace Restora.Core;

/// <summary>Something found by name in a <see cref="Registry{T}"/>: an architecture, a task, a metric, a loss, a command.</summary>
public interface IRegistered
{
    /// <summary>The canonical name, as the command line and files spell it.</summary>
    string Name { get; }

    /// <summary>Other spellings accepted on input (never written out).</summary>
    IReadOnlyList<string> Aliases => [];

    /// <summary>One line for help texts and listings.</summary>
    string Description { get; }
}

/// <summary>
/// Entries of one kind found by name, in the manner of BasicSR's registries: each entry is one file, registered by
/// one line, and every help text, listing and "unknown X" message reads the same list, so none can drift.
/// Names are matched without regard to case; the order of registration is the order of listings.
/// </summary>
public sealed class Registry<T> where T : IRegistered
{
    readonly List<T> entries = [];
    readonly Dictionary<string, T> byName = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="kind">What the entries are, in the singular ("metric"), for messages.</param>
    public Registry(string kind, IEnumerable<T> entries)
    {
        Kind = kind;
        foreach (var e in entries) Add(e);
    }

    /// <summary>What the entries are, in the singular ("metric").</summary>
    public string Kind { get; }

    /// <summary>Every entry, in registration order.</summary>
    public IReadOnlyList<T> All => entries;

    /// <summary>The canonical names, in registration order.</summary>
    public IEnumerable<string> Names => entries.Select(e => e.Name);

    void Add(T entry)
    {
        if (string.IsNullOrWhiteSpace(entry.Description))
            throw new InvalidOperationException($"{Kind} '{entry.Name}' has no description");
        foreach (var name in entry.Aliases.Prepend(entry.Name))
            if (!byName.TryAdd(name, entry))
                throw new InvalidOperationException($"{Kind} name '{name}' is registered twice");
        entries.Add(entry);
    }

    /// <summary>The entry called <paramref name="name"/> (or one of its aliases), or null.</summary>
    public T? Find(string name) => byName.GetValueOrDefault(name.Trim());

    /// <summary>The entry called <paramref name="name"/>; otherwise an <see cref="ArgumentException"/> that lists the known names.</summary>
    public T Get(string name) => Find(name) ?? throw new ArgumentException(Unknown(name));

    /// <summary>"unknown metric 'x' (known: a, b, c)", optionally for the subset <paramref name="among"/>.</summary>
    public string Unknown(string name, IEnumerable<T>? among = null) =>
        $"unknown {Kind} '{name}' (known: {string.Join(", ", (among ?? entries).Select(e => e.Name))})";
}
