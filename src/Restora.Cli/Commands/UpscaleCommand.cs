using System.Diagnostics;
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
        int tile = args.GetInt("--tile", 0, 0, 1 << 16);
        int? scale = args.IsSet("--scale") ? args.GetInt("--scale", 4, 2, 8) : null;
        string name = args.Get("--model") ?? DefaultModel(scale ?? 4);
        var info = ModelCatalog.Find(name) ?? throw new UserError($"upscale: unknown model '{name}' (see restora models list)");
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
        long peakMb = Process.GetCurrentProcess().PeakWorkingSet64 >> 20;
        if (!common.Json)
            Console.Error.WriteLine($"restora upscale: {info.Name}, {clock.Elapsed.TotalSeconds:0.0} s, peak memory {peakMb} MB");
        return Batch.Report("upscale", outcomes, common.Json, w =>
        {
            w.WriteString("model", info.Name);
            w.WriteNumber("scale", info.Scale);
            w.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 3));
            w.WriteNumber("peak_memory_mb", peakMb);
        });
    }
}
