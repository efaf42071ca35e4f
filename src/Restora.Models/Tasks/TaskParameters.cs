using System.Globalization;

namespace Restora.Models;

/// <summary>A closed range [Min, Max] to draw a degradation strength from; Min == Max is a fixed value.</summary>
public readonly record struct StrengthRange(double Min, double Max)
{
    /// <summary>The range holding only <paramref name="v"/>.</summary>
    public static StrengthRange Fixed(double v) => new(v, v);

    /// <summary>Whether the range holds one value.</summary>
    public bool IsFixed => Min == Max;

    /// <summary>The middle of the range (the value itself when fixed).</summary>
    public double Mid => (Min + Max) / 2;

    /// <summary>A value drawn uniformly from the range; a fixed range draws nothing from <paramref name="rng"/>.</summary>
    public double Draw(Imaging.SeededRandom rng) => Min == Max ? Min : Min + (Max - Min) * rng.NextDouble();

    /// <summary>"a,b" or a single number.</summary>
    public static StrengthRange Parse(string text, string what)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length is < 1 or > 2 || !parts.All(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && double.IsFinite(d)))
            throw new ArgumentException($"{what} needs a number or a range 'a,b', got '{text}'");
        double a = double.Parse(parts[0], CultureInfo.InvariantCulture), b = parts.Length == 2 ? double.Parse(parts[1], CultureInfo.InvariantCulture) : a;
        if (!(a <= b)) throw new ArgumentException($"{what} range '{text}' must be low,high");
        return new StrengthRange(a, b);
    }

    /// <summary>"a,b", or "a" when fixed: the form <see cref="Parse"/> reads.</summary>
    public override string ToString() => Min == Max
        ? Min.ToString("R", CultureInfo.InvariantCulture)
        : $"{Min.ToString("R", CultureInfo.InvariantCulture)},{Max.ToString("R", CultureInfo.InvariantCulture)}";
}

/// <summary>
/// One setting of a task (the noise sigma of denoise, the JPEG quality of deblock), declared once by the task and
/// used from the command line to the trainer: the CLI option <c>--NAME</c> (and <c>--NAME-range A,B</c> for training
/// where ranges are allowed), its bounds, its default, and the key it is stored under in checkpoints and model files.
/// </summary>
/// <param name="Name">Option name without dashes ("sigma").</param>
/// <param name="Key">Key in training state and model metadata ("noise_sigma").</param>
/// <param name="Description">One line for help.</param>
/// <param name="Default">The evaluation protocol's value, and the training default unless <see cref="TrainingDefault"/> says otherwise.</param>
/// <param name="Min">Smallest allowed value (a range may start here).</param>
/// <param name="Max">Largest allowed value.</param>
public sealed record TaskParameter(string Name, string Key, string Description, double Default, double Min, double Max)
{
    /// <summary>The parameter as JSON lists it (<c>restora list --json</c>, <c>restora serve</c>'s /api/tasks): one object.</summary>
    public void WriteJson(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("name", Name);
        w.WriteString("option", Option);
        w.WriteString("description", Description);
        w.WriteNumber("default", Default);
        w.WriteNumber("min", Min);
        w.WriteNumber("max", Max);
        if (Choices is { } names)
        {
            w.WriteStartArray("choices");
            foreach (var n in names) w.WriteStringValue(n);
            w.WriteEndArray();
        }
        w.WriteEndObject();
    }

    /// <summary>Whole numbers only (JPEG quality, scale); drawn values are rounded.</summary>
    public bool Integer { get; init; }

    /// <summary>Whether training may draw it from a range (<c>--NAME-range A,B</c>).</summary>
    public bool RangeAllowed { get; init; } = true;

    /// <summary>Whether a fixed value must exceed <see cref="Min"/> (a noise sigma of 0 is no task; a range may still start at 0).</summary>
    public bool FixedAboveMin { get; init; }

    /// <summary>Where training's default differs from the evaluation protocol's (deblur trains with a little noise).</summary>
    public double? TrainingDefault { get; init; }

    /// <summary>Names for the whole values 0, 1, 2… (mixed's <c>--level mild</c> is 1); null for a plain number.</summary>
    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>The value an option's text gives: a choice's name, a number, or a range "a,b".</summary>
    public StrengthRange Parse(string text, string option)
    {
        if (Choices is { } names)
        {
            int i = names.ToList().FindIndex(n => string.Equals(n, text.Trim(), StringComparison.OrdinalIgnoreCase));
            if (i >= 0) return StrengthRange.Fixed(i);
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                throw new ArgumentException($"{option} takes one of {string.Join(", ", names)}, got '{text}'");
        }
        return StrengthRange.Parse(text, option);
    }

    /// <summary>The name of a choice value (or the number itself).</summary>
    public string Format(double value) =>
        Choices is { } names && value == Math.Round(value) && value >= 0 && value < names.Count ? names[(int)value] : Format0(value);

    /// <summary>Other option spellings that set it (eval's <c>--sigma</c> sets deblur's noise).</summary>
    public IReadOnlyList<string> OptionAliases { get; init; } = [];

    /// <summary>"--sigma".</summary>
    public string Option => "--" + Name;

    /// <summary>"--sigma-range".</summary>
    public string RangeOption => "--" + Name + "-range";

    /// <summary>Checks <paramref name="value"/> against the bounds; the message names the option.</summary>
    public void Validate(StrengthRange value)
    {
        string bounds = $"{Format0(Min)}..{Format0(Max)}";
        if (!value.IsFixed && !RangeAllowed) throw new ArgumentException($"{Option} takes one value, not a range ({value})");
        if (value.Min < Min || value.Max > Max) throw new ArgumentException($"{Option} must lie in {bounds}, got {value}");
        if (FixedAboveMin && value.IsFixed && !(value.Min > Min)) throw new ArgumentException($"{Option} must be above {Format0(Min)}, got {value}");
        if (Integer && value.IsFixed && value.Min != Math.Round(value.Min)) throw new ArgumentException($"{Option} needs a whole number, got {value}");
    }

    static string Format0(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// A task's parameter values by name: fixed values for evaluation and restoring, ranges for training. The one type
/// every layer passes (CLI, evaluation, trainer, checkpoints); <see cref="RestorationTask.Parameters"/> says which
/// names a task has and checks them.
/// </summary>
public sealed class TaskParameters
{
    readonly Dictionary<string, StrengthRange> values;

    /// <summary>Values by parameter name.</summary>
    public TaskParameters(IReadOnlyDictionary<string, StrengthRange> values) =>
        this.values = new Dictionary<string, StrengthRange>(values, StringComparer.Ordinal);

    /// <summary>No values (every parameter at its default when completed by a task).</summary>
    public static TaskParameters Empty { get; } = new(new Dictionary<string, StrengthRange>());

    /// <summary>The value of <paramref name="name"/>; an <see cref="ArgumentException"/> if the task has no such parameter.</summary>
    public StrengthRange this[string name] =>
        values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"no task parameter '{name}' here (have: {string.Join(", ", values.Keys)})");

    /// <summary>Whether <paramref name="name"/> has a value.</summary>
    public bool Has(string name) => values.ContainsKey(name);

    /// <summary>The fixed value of <paramref name="name"/> (the middle of a range).</summary>
    public double Value(string name) => this[name].Mid;

    /// <summary>Every value, by name.</summary>
    public IReadOnlyDictionary<string, StrengthRange> All => values;

    /// <summary>A copy with <paramref name="name"/> set to <paramref name="value"/>.</summary>
    public TaskParameters With(string name, StrengthRange value) => new(new Dictionary<string, StrengthRange>(values) { [name] = value });

    /// <summary>A copy with <paramref name="name"/> fixed at <paramref name="value"/>.</summary>
    public TaskParameters With(string name, double value) => With(name, StrengthRange.Fixed(value));

    /// <summary>"sigma=25 quality=10".</summary>
    public override string ToString() => string.Join(" ", values.Select(kv => $"{kv.Key}={kv.Value}"));
}
