using System.Diagnostics;
using Restora.Models;
using Restora.Models.Upscaling;
using Restora.Models.Zoo;

namespace Restora.Cli.Commands;

/// <summary>restora upscale INPUT -o OUT [--model NAME] [--scale N] [--tile PX] [--threads N] [--json]</summary>
public sealed class UpscaleCommand : CliCommand
{
    /// <summary>The model used when only a scale is given: the best of the packages at that scale.</summary>
    public static string DefaultModel(int scale) => $"esrgan-thick-x{scale}";

    /// <inheritdoc/>
    public override string Name => "upscale";
    /// <inheritdoc/>
    public override string Description => "enlarge images with a pretrained or Restora-trained super-resolution network";
    /// <inheritdoc/>
    public override IReadOnlyList<PositionalSpec> Positionals => [CommonOptions.Input];
    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> Options =>
    [
        CommonOptions.Output,
        new("--model", "a model from restora models list, or a model file (.safetensors, model.json…; default esrgan-thick-x4)", "NAME|FILE"),
        new("--scale", "2, 3, 4 or 8: picks esrgan-thick-xN, or checks the model's scale", "N"),
        CommonOptions.TileOption,
        .. VideoRun.Options,
    ];
    /// <inheritdoc/>
    public override bool WritesImages => true;

    /// <inheritdoc/>
    public override int Run(Arguments args)
    {
        var common = CommonOptions.From(args);
        string input = args.Positionals[0];
        string output = args.Require("-o");
        int tile = CommonOptions.Tile(args);
        int? scale = args.IsSet("--scale") ? args.GetInt("--scale", 4, 2, 8) : null;
        string name = args.Get("--model") ?? DefaultModel(scale ?? 4);
        var model = ModelOpener.Open("upscale", name, RestorationTask.SuperResolution);
        if (scale is int s && s != model.Scale)
            throw new UserError($"upscale: {model.Name} enlarges x{model.Scale}, not x{s}; pick a model of that scale (restora models list)");
        model.Tile = tile;

        var settings = new TaskSettings { Task = RestorationTask.SuperResolution, Parameters = TaskParameters.Empty.With("scale", model.Scale) };
        if (VideoRun.IsVideo(input))
            return VideoRun.Run("upscale", input, output, args, common, $"upscale {model.Name} x{model.Scale}", frame => model.Restore(frame, settings),
                w => { w.WriteString("model", model.Name); w.WriteNumber("scale", model.Scale); });
        var jobs = Batch.Plan("upscale", input, output);
        var clock = Stopwatch.StartNew();
        var outcomes = Batch.Run("upscale", jobs, common, (image, job) =>
        {
            using var tiles = new Progress(int.MaxValue, $"upscale {Path.GetFileName(job.Input)}");
            model.TileProgress = (done, total) => tiles.Report(done, total, "tiles");
            return model.Restore(image, settings);
        });
        return Report(outcomes, model.Name, model.Scale, clock, common.Json);
    }

    static int Report(List<JobOutcome> outcomes, string model, int scale, Stopwatch clock, bool json)
    {
        long peakMb = Process.GetCurrentProcess().PeakWorkingSet64 >> 20;
        if (!json)
            Console.Error.WriteLine($"restora upscale: {model}, {clock.Elapsed.TotalSeconds:0.0} s, peak memory {peakMb} MB");
        return Batch.Report("upscale", outcomes, json, w =>
        {
            w.WriteString("model", model);
            w.WriteNumber("scale", scale);
            w.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 3));
            w.WriteNumber("peak_memory_mb", peakMb);
        });
    }
}
