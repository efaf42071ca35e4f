using System.Diagnostics;
using Restora.Models;
using Restora.Models.Upscaling;
using Restora.Models.Zoo;

namespace Restora.Cli.Commands;

/// <summary>restora upscale INPUT -o OUT [--model NAME] [--scale N] [--tile PX] [--threads N] [--json]</summary>
public static class UpscaleCommand
{
    /// <summary>The model used when only a scale is given: the best of the packages at that scale.</summary>
    public static string DefaultModel(int scale) => $"esrgan-thick-x{scale}";

    public static int Run(string[] argv)
    {
        var args = Arguments.Parse("upscale", argv, ["-o", "--output", "--model", "--scale", "--tile"], Common.ImageOutputFlags);
        var common = CommonOptions.From(args);
        string input = args.ExpectPositionals("INPUT")[0];
        string output = args.Get("-o") ?? args.Require("--output");
        int tile = Common.Tile(args);
        int? scale = args.IsSet("--scale") ? args.GetInt("--scale", 4, 2, 8) : null;
        string name = args.Get("--model") ?? DefaultModel(scale ?? 4);
        var info = ModelCatalog.Find(name);
        if (info is null)
        {
            if (TrainedModels.Locate(name) is { } file) return RunTrained(file, scale, tile, input, output, common);
            throw new UserError($"upscale: unknown model '{name}' (see restora models list)");
        }
        if (scale is int s && s != info.Scale)
            throw new UserError($"upscale: {info.Name} enlarges x{info.Scale}, not x{s}; pick a model of that scale (restora models list)");

        var jobs = Batch.Plan("upscale", input, output);
        var network = ModelsCommand.Guard(() => PretrainedNetwork.Open(info.Name, log: m => Console.Error.WriteLine($"restora: {m}")));
        var clock = Stopwatch.StartNew();
        var outcomes = Batch.Run("upscale", jobs, common, (image, job) =>
        {
            using var tiles = new Progress(int.MaxValue, $"upscale {Path.GetFileName(job.Input)}");
            return TiledUpscaler.Upscale(image, network, tile, (done, total) => tiles.Report(done, total, "tiles"));
        });
        return Report(outcomes, info.Name, info.Scale, clock, common.Json);
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

    /// <summary>A network Restora trained (shipped by name, or a restora train output), tiled the same way.</summary>
    static int RunTrained(string file, int? scale, int tile, string input, string output, CommonOptions common)
    {
        NetworkRestorer network;
        try { network = TrainedModels.Open(file); }
        catch (InvalidDataException e) { throw new UserError(e.Message); }
        if (network.Task != RestorationTask.SuperResolution)
            throw new UserError($"upscale: {file} is a {TaskSettings.TaskName(network.Task)} model");
        int modelScale = network.Metadata?.Scale ?? 0;
        if (scale is int s && s != modelScale)
            throw new UserError($"upscale: {network.Name} enlarges x{modelScale}, not x{s}; pick a model of that scale (restora models list)");
        network.Tile = tile;

        var jobs = Batch.Plan("upscale", input, output);
        var clock = Stopwatch.StartNew();
        var outcomes = Batch.Run("upscale", jobs, common,
            (image, job) => RestoreCommand.WithAlphaOf(image, network.Restore(image, new TaskSettings { Task = RestorationTask.SuperResolution, Scale = modelScale })));
        return Report(outcomes, network.Name, modelScale, clock, common.Json);
    }
}
