using System.Diagnostics;
using Restora.Imaging;
using Restora.Models;

namespace Restora.Cli.Commands;

/// <summary>
/// restora denoise|deblock|deblur INPUT -o OUT [--model NAME|FILE] [--sigma S] [--quality Q] [--tile PX] [--json]:
/// a trained network (a shipped one by name, or any `restora train` output by path) over files or folders.
/// </summary>
public static class RestoreCommand
{
    public static int Run(RestorationTask task, string[] argv)
    {
        string command = TaskSettings.TaskName(task);
        var valued = new List<string> { "-o", "--output", "--model", "--tile" };
        if (task == RestorationTask.Denoise) valued.Add("--sigma");
        if (task == RestorationTask.Deblock) valued.Add("--quality");
        var args = Arguments.Parse(command, argv, valued, Common.ImageOutputFlags);
        var common = CommonOptions.From(args);
        string input = args.ExpectPositionals("INPUT")[0];
        string output = args.Get("-o") ?? args.Require("--output");
        int tile = Common.Tile(args);
        double? sigma = args.IsSet("--sigma") ? args.GetDouble("--sigma", 0, 0, 255) : null;
        int quality = args.GetInt("--quality", 10, 1, 100);

        string name = args.Get("--model") ?? $"restora-{command}";
        string file = TrainedModels.Locate(name) ?? throw new UserError(
            args.IsSet("--model")
                ? $"{command}: no model '{name}' (shipped: {Shipped()}; or give a .safetensors file from restora train)"
                : $"{command}: Restora ships no {command} model yet; train one (restora train --task {command} ...) and pass --model FILE");
        NetworkRestorer network;
        try { network = TrainedModels.Open(file); }
        catch (InvalidDataException e) { throw new UserError(e.Message); }
        if (network.Task != task)
            throw new UserError($"{command}: {file} is a {TaskSettings.TaskName(network.Task)} model");
        network.Tile = tile;

        var jobs = Batch.Plan(command, input, output);
        var clock = Stopwatch.StartNew();
        var outcomes = Batch.Run(command, jobs, common, (image, job) =>
        {
            var settings = new TaskSettings { Task = task, Quality = quality, NoiseSigma = sigma ?? EstimatedSigma(image, job, task) };
            var restored = network.Restore(image, settings);
            return WithAlphaOf(image, restored);
        });
        return Batch.Report(command, outcomes, common.Json, w =>
        {
            w.WriteString("model", network.Name);
            w.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 3));
        });
    }

    static string Shipped() => TrainedModels.Shipped.Count == 0 ? "none yet" : string.Join(", ", TrainedModels.Shipped);

    /// <summary>A denoiser that takes a noise level gets the image's own estimate when the user gives none.</summary>
    static double EstimatedSigma(Image image, ImageJob job, RestorationTask task)
    {
        if (task != RestorationTask.Denoise) return 0;
        double s = NoiseEstimate.Sigma(image);
        Console.Error.WriteLine($"restora denoise: {Path.GetFileName(job.Input)}: estimated noise sigma {s:0.0} (give --sigma to set it)");
        return s;
    }

    /// <summary>Networks restore color; alpha, which they never see, is carried over (enlarged with bicubic when
    /// the network enlarged the image, as the pretrained upscalers do).</summary>
    public static Image WithAlphaOf(Image source, Image restored)
    {
        restored.BitDepth = source.BitDepth;
        if (!source.HasAlpha) return restored;
        var result = new Image(restored.Width, restored.Height, source.Layout, source.BitDepth);
        restored.Data.AsSpan(0, restored.Data.Length).CopyTo(result.Data);
        var alpha = source.Plane(source.Channels - 1);
        if (restored.Width != source.Width)
            alpha = Resize.ByFactor(new Image(source.Width, source.Height, PixelLayout.Gray, source.BitDepth, alpha.ToArray()),
                restored.Width / source.Width, ResizeMethod.Bicubic).Plane(0);
        alpha.CopyTo(result.Plane(result.Channels - 1));
        return result;
    }
}
