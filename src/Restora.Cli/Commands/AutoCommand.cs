using System.Collections.Concurrent;
using System.Diagnostics;
using Restora.Models;
using Restora.Models.Toolchain;

namespace Restora.Cli.Commands;

/// <summary>
/// restora auto INPUT -o OUT [--agent NAME|FILE] [--tile PX] [--json]: restores mixed, unknown damage (blur, noise,
/// JPEG) with RL-Restore's toolchain: the agent picks the next tool or stops, up to three tools per image.
/// </summary>
public sealed class AutoCommand : CliCommand
{
    /// <inheritdoc/>
    public override string Name => "auto";
    /// <inheritdoc/>
    public override string Description => "restore mixed, unknown damage (blur, noise, JPEG): an agent chains small expert networks, or stops (RL-Restore)";
    /// <inheritdoc/>
    public override IReadOnlyList<PositionalSpec> Positionals => [CommonOptions.Input];
    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> Options =>
    [
        CommonOptions.Output,
        new("--agent", $"an agent from restora models list, or a file from restora train-agent (default {Restorers.AutoModel})", "NAME|FILE"),
        CommonOptions.TileOption,
    ];
    /// <inheritdoc/>
    public override bool WritesImages => true;

    /// <inheritdoc/>
    public override int Run(Arguments args)
    {
        var common = CommonOptions.From(args);
        string input = args.Positionals[0];
        string output = args.Require("-o");
        var task = TaskRegistry.Get("mixed");
        var opened = ModelOpener.Open(Name, args.Get("--agent") ?? Restorers.AutoModel, task);
        if (opened is not IChainRestorer chainer) throw new UserError($"auto: {opened.Name} is not an agent (restora train-agent makes one)");
        opened.Tile = CommonOptions.Tile(args);
        var settings = new TaskSettings { Task = task };
        var chains = new ConcurrentDictionary<string, ChainReport>();
        var jobs = Batch.Plan(Name, input, output);
        var clock = Stopwatch.StartNew();
        var outcomes = Batch.Run(Name, jobs, common, (image, job) =>
        {
            var restored = chainer.Restore(image, settings, out var report);
            chains[job.Input] = report;
            Console.Error.WriteLine(FormattableString.Invariant(
                $"restora auto: {Path.GetFileName(job.Input)}: {(report.Chain.Count == 0 ? "no tool (the agent stopped at once)" : string.Join(" -> ", report.Chain))} ({report.Gflops:0.0} GFLOPs)"));
            return restored;
        });
        return Batch.Report(Name, outcomes, common.Json, w =>
        {
            w.WriteString("agent", opened.Name);
            w.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 3));
            // One image: its chain at the top as well (the contract's {"chain": [...], "gflops": x}).
            if (outcomes.Count == 1 && chains.TryGetValue(outcomes[0].Job.Input, out var only))
            {
                w.WriteStartArray("chain");
                foreach (var tool in only.Chain) w.WriteStringValue(tool);
                w.WriteEndArray();
                w.WriteNumber("gflops", Math.Round(only.Gflops, 3));
            }
        }, (w, o) =>
        {
            if (!chains.TryGetValue(o.Job.Input, out var report)) return;
            w.WriteStartArray("chain");
            foreach (var tool in report.Chain) w.WriteStringValue(tool);
            w.WriteEndArray();
            w.WriteNumber("gflops", Math.Round(report.Gflops, 3));
        });
    }
}
