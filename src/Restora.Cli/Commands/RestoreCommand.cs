using System.Diagnostics;
using Restora.Imaging;
using Restora.Models;

namespace Restora.Cli.Commands;

/// <summary>
/// restora denoise|deblock|deblur INPUT -o OUT [--model NAME|FILE] [the task's options] [--tile PX] [--json]:
/// a trained network (a shipped one by name, or any `restora train` output by path) over files or folders.
/// One class serves every task that has a default model; each is registered with its task.
/// </summary>
public sealed class RestoreCommand(RestorationTask task, string? name = null) : CliCommand
{
    /// <inheritdoc/>
    public override string Name => name ?? task.Name;
    /// <inheritdoc/>
    public override string Description => task.DefaultModel is null
        ? $"run a trained {task.Name} network ({task.Description.Split(',')[0]}) over images: --model FILE"
        : $"restore {task.Description.Split(',')[0]} with a trained network (default {task.DefaultModel})";
    /// <inheritdoc/>
    public override IReadOnlyList<PositionalSpec> Positionals => [CommonOptions.Input];
    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> Options =>
    [
        CommonOptions.Output,
        new("--model", task.DefaultModel is null ? "a model file (restora train --task " + task.Name + ")"
            : $"a model from restora models list, or a model file (default {task.DefaultModel})", "NAME|FILE"),
        CommonOptions.TileOption,
        .. task.Parameters.Select(p => new OptionSpec(p.Option, p.Name == "sigma"
            ? $"{p.Description} the network is told (default: estimated from each image)"
            : $"{p.Description} (default {p.Default.ToString(System.Globalization.CultureInfo.InvariantCulture)})", "X")),
        .. VideoRun.Options,
    ];
    /// <inheritdoc/>
    public override bool WritesImages => true;

    /// <inheritdoc/>
    public override int Run(Arguments args)
    {
        string command = Name;
        var common = CommonOptions.From(args);
        string input = args.Positionals[0];
        string output = args.Require("-o");
        int tile = CommonOptions.Tile(args);
        var given = new TaskParameters(task.Parameters.Where(p => args.IsSet(p.Option))
            .ToDictionary(p => p.Name, p => StrengthRange.Fixed(args.GetDouble(p.Option, 0, p.Min, p.Max))));
        bool estimate = task.Parameters.Any(p => p.Name == "sigma") && !given.Has("sigma");
        TaskSettings settings;
        try
        {
            settings = new TaskSettings { Task = task, Parameters = given };
            settings.Validate();
        }
        catch (ArgumentException e) { throw new UserError($"{command}: {e.Message}"); }

        var network = ModelOpener.Open(command, args.Get("--model"), task);
        network.Tile = tile;
        if (VideoRun.IsVideo(input)) return RunVideo(input, output, args, common, network, settings, estimate);

        var jobs = Batch.Plan(command, input, output);
        var clock = Stopwatch.StartNew();
        var outcomes = Batch.Run(command, jobs, common, (image, job) =>
        {
            var told = estimate ? settings with { ToldNoiseSigma = EstimatedSigma(image, job) } : settings;
            return network.Restore(image, told);
        });
        return Batch.Report(command, outcomes, common.Json, w =>
        {
            w.WriteString("model", network.Name);
            w.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 3));
        });
    }

    /// <summary>
    /// A video: the noise level, when not given, is estimated once from the first frame and told for every frame, so
    /// the strength does not flicker from frame to frame.
    /// </summary>
    int RunVideo(string input, string output, Arguments args, CommonOptions common, Restora.Models.Formats.IRestorationModel network, TaskSettings settings, bool estimate)
    {
        TaskSettings? told = estimate ? null : settings;
        string fingerprint = $"{task.Name} {network.Name} " + string.Join(' ', task.Parameters.Where(p => args.IsSet(p.Option)).Select(p => $"{p.Option}={args.Get(p.Option)}"));
        return VideoRun.Run(task.Name, input, output, args, common, fingerprint, frame =>
        {
            told ??= settings with { ToldNoiseSigma = EstimatedSigma(frame, new ImageJob(input, output)) };
            return network.Restore(frame, told);
        }, w => w.WriteString("model", network.Name));
    }

    /// <summary>A denoiser that takes a noise level gets the image's own estimate when the user gives none.</summary>
    static double EstimatedSigma(Image image, ImageJob job)
    {
        double s = NoiseEstimate.Sigma(image);
        Console.Error.WriteLine($"restora denoise: {Path.GetFileName(job.Input)}: estimated noise sigma {s:0.0} (give --sigma to set it)");
        return s;
    }
}
