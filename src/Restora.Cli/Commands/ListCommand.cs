using Restora.Core;
using Restora.Metrics;
using Restora.Models;
using Restora.Models.Architectures;
using Restora.Training;

namespace Restora.Cli.Commands;

/// <summary>restora list [KIND] [--json]: what each registry holds, with descriptions (commands, tasks, metrics, losses, architectures).</summary>
public sealed class ListCommand : CliCommand
{
    /// <summary>Every registry the command lists, by the plural name it is asked for.</summary>
    public static IReadOnlyList<(string Kind, Func<IEnumerable<IRegistered>> Entries)> Registries { get; } =
    [
        ("commands", () => Program.Commands.All),
        ("tasks", () => TaskRegistry.Tasks.All),
        ("metrics", () => MetricRegistry.Metrics.All),
        ("losses", () => Losses.Registry.All),
        ("architectures", () => ArchitectureRegistry.All),
        ("gan-losses", () => Restora.Training.Adversarial.GanLosses.Registry.All),
        ("discriminators", () => Restora.Training.Adversarial.Discriminators.Registry.All),
    ];

    /// <inheritdoc/>
    public override string Name => "list";
    /// <inheritdoc/>
    public override string Description => $"what Restora knows by name: {string.Join(", ", Registries.Select(r => r.Kind))} (all by default)";
    /// <inheritdoc/>
    public override IReadOnlyList<PositionalSpec> Positionals =>
        [new("KIND", $"one of {string.Join(", ", Registries.Select(r => r.Kind))}", Optional: true)];

    /// <inheritdoc/>
    public override int Run(Arguments args)
    {
        var common = CommonOptions.From(args);
        var kinds = args.Positionals.Count == 0 ? Registries
            : Registries.Where(r => r.Kind == args.Positionals[0].ToLowerInvariant()).ToList() is { Count: > 0 } one ? one
            : throw new UserError($"list: unknown kind '{args.Positionals[0]}' (known: {string.Join(", ", Registries.Select(r => r.Kind))})");
        if (common.Json)
        {
            Json.Write(w =>
            {
                foreach (var (kind, entries) in kinds)
                {
                    w.WriteStartArray(kind);
                    foreach (var e in entries())
                    {
                        w.WriteStartObject();
                        w.WriteString("name", e.Name);
                        w.WriteString("description", e.Description);
                        if (e.Aliases.Count > 0)
                        {
                            w.WriteStartArray("aliases");
                            foreach (var a in e.Aliases) w.WriteStringValue(a);
                            w.WriteEndArray();
                        }
                        WriteDetails(w, e);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
            });
            return 0;
        }
        foreach (var (kind, entries) in kinds)
        {
            Console.WriteLine($"{kind}:");
            foreach (var e in entries()) Console.WriteLine($"  {e.Name,-16} {e.Description}");
        }
        return 0;
    }

    /// <summary>What a script needs beyond the name: a task's parameters, a metric's kind.</summary>
    static void WriteDetails(System.Text.Json.Utf8JsonWriter w, IRegistered entry)
    {
        switch (entry)
        {
            case RestorationTask task:
                w.WriteString("baseline", task.BaselineMethod);
                if (task.DefaultModel is string model) w.WriteString("default_model", model);
                w.WriteStartArray("parameters");
                foreach (var p in task.Parameters) p.WriteJson(w);
                w.WriteEndArray();
                break;
            case IMetric metric:
                w.WriteString("kind", metric.Kind == MetricKind.FullReference ? "full-reference" : "no-reference");
                w.WriteString("json_name", metric.JsonName);
                w.WriteBoolean("higher_is_better", metric.HigherIsBetter);
                break;
        }
    }
}
