using Restora.Metrics;
using Restora.Models;

namespace Restora.Cli.Commands;

/// <summary>
/// restora eval --data DIR --task NAME --method NAME [task options] [--seed N] [--blind] [--metrics LIST] [--json]:
/// degrades every clean image as the task says, restores it and scores it by the task's protocol.
/// </summary>
public sealed class EvalCommand : CliCommand
{
    /// <inheritdoc/>
    public override string Name => "eval";
    /// <inheritdoc/>
    public override string Description => "degrade a test set as a task says, restore it with a method and score it by the literature's protocol";
    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> Options =>
    [
        new("--data", "folder of clean test images (paired task: INPUTS_DIR:TARGETS_DIR)", "DIR"),
        new("--task", $"one of {string.Join(", ", TaskRegistry.Tasks.Names)}", "NAME"),
        new("--method", "a model name or file, or the task's baseline (bicubic for sr, identity otherwise; the default)", "NAME"),
        .. TaskOptions.Specs(training: false),
        new("--seed", "noise seed (each image also mixes in its name)", "N"),
        new("--blind", "tell a denoiser each image's estimated noise level instead of the true one"),
        new("--gray", "score on gray: each colour image becomes the 8-bit Y of MATLAB's rgb2ycbcr before it is degraded (the DnCNN paper's LIVE1 JPEG protocol)"),
        new("--metrics", $"metrics to report besides psnr and ssim: {string.Join(", ", MetricRegistry.Metrics.Names)}", "LIST"),
    ];

    /// <inheritdoc/>
    public override int Run(Arguments args)
    {
        var common = CommonOptions.From(args);
        string data = args.Require("--data");
        IRestorer method;
        TaskSettings settings;
        IReadOnlyList<IMetric>? metrics;
        try
        {
            var task = TaskRegistry.Get(args.Require("--task"));
            settings = new TaskSettings
            {
                Task = task,
                Parameters = TaskOptions.Read(args, task, training: false),
                Seed = (ulong)args.GetInt("--seed", 0, 0),
                Blind = args.Has("--blind"),
            };
            settings.Validate();
            method = ModelOpener.Guard("eval", () => Restorers.Get(args.Get("--method") ?? task.BaselineMethod, task, ModelOpener.Log));
            metrics = args.Get("--metrics") is string list ? MetricRegistry.Parse(list) : null;
        }
        catch (ArgumentException e) { throw new UserError($"eval: {e.Message}"); }

        IReadOnlyList<string> files;
        if (settings.Task.UsesPairs)
        {
            // Paired: the targets are scored, each restored from its input of the same name.
            try
            {
                var pairs = PairedFolders.Pairs(data);
                var inputOf = pairs.ToDictionary(p => Path.GetFileName(p.Target), p => p.Input);
                // The target is already decoded by the evaluator: only the input is read here.
                settings = settings with { PairedInput = (name, target) => PairedFolders.LoadInput(inputOf[name], target, name, common.Decode) };
                files = pairs.Select(p => p.Target).ToList();
            }
            catch (Exception e) when (e is ArgumentException or DirectoryNotFoundException) { throw new UserError($"eval: {e.Message}"); }
        }
        else
        {
            if (!Directory.Exists(data)) throw new UserError($"{data}: no such folder");
            files = Batch.ListImages("eval", data);
        }

        EvaluationResult result;
        using (var progress = new Progress(files.Count, $"eval {method.Name}"))
        {
            try
            {
                bool gray = args.Has("--gray");
                result = Evaluator.Run(files, method, settings,
                    f => gray ? GrayY(Restora.Imaging.ImageFile.Load(f, common.Decode)) : Restora.Imaging.ImageFile.Load(f, common.Decode), progress.Report, metrics);
            }
            catch (ArgumentException e) { throw new UserError($"eval: {e.Message}"); }
        }
        if (common.Json)
        {
            Json.Write(w =>
            {
                w.WriteString("task", result.Task);
                w.WriteString("method", result.Method);
                w.WriteMetric("psnr", result.Psnr);
                w.WriteMetric("ssim", result.Ssim);
                w.WriteMetric("input_psnr", result.InputPsnr);
                WriteMetrics(w, result.Metrics);
                if (result.MeanSteps is double steps) w.WriteNumber("mean_steps", Math.Round(steps, 4));
                if (result.MeanGflops is double gflops) w.WriteNumber("mean_gflops", Math.Round(gflops, 4));
                w.WriteNumber("seconds", Math.Round(result.Seconds, 4));
                w.WriteStartArray("images");
                foreach (var s in result.Images)
                {
                    w.WriteStartObject();
                    w.WriteString("name", s.Name);
                    w.WriteMetric("psnr", s.Psnr);
                    w.WriteMetric("ssim", s.Ssim);
                    w.WriteMetric("input_psnr", s.InputPsnr);
                    WriteMetrics(w, s.Metrics);
                    if (s.Chain is { } chain)
                    {
                        w.WriteStartArray("chain");
                        foreach (var tool in chain) w.WriteStringValue(tool);
                        w.WriteEndArray();
                    }
                    if (s.Gflops is double g) w.WriteNumber("gflops", Math.Round(g, 4));
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }
        else
        {
            string Extra(IReadOnlyDictionary<string, double> m) =>
                string.Concat(m.Where(kv => kv.Key is not ("psnr" or "ssim")).Select(kv => $"  {kv.Key} {kv.Value:0.0000}"));
            foreach (var s in result.Images) Console.WriteLine($"{s.Name,-24} PSNR {s.Psnr,8:0.0000}  SSIM {s.Ssim:0.0000}{Extra(s.Metrics)}");
            string cost = result.MeanSteps is double st && result.MeanGflops is double gf ? $", {st:0.00} networks and {gf:0.0} GFLOPs per image" : "";
            Console.WriteLine($"{"mean",-24} PSNR {result.Psnr,8:0.0000}  SSIM {result.Ssim:0.0000}{Extra(result.Metrics)}  " +
                              $"({result.Images.Count} images, {result.Seconds:0.00} s restoring, input PSNR {result.InputPsnr:0.0000}{cost})");
        }
        return 0;
    }

    /// <summary>"metrics": {"psnr": …, "niqe": …}, the names as JSON identifiers (ms_ssim), when any were asked for.</summary>
    static void WriteMetrics(System.Text.Json.Utf8JsonWriter w, IReadOnlyDictionary<string, double> metrics)
    {
        if (metrics.Count == 0) return;
        w.WriteStartObject("metrics");
        foreach (var (name, value) in metrics) w.WriteMetric(MetricRegistry.Get(name).JsonName, value);
        w.WriteEndObject();
    }

    /// <summary>The 8-bit Y plane of MATLAB's rgb2ycbcr (16..235), rounded, as a gray image; a gray image as it is.</summary>
    static Restora.Imaging.Image GrayY(Restora.Imaging.Image image)
    {
        if (image.IsGray) return image.WithoutAlpha();
        var y = Restora.Imaging.Color.Luma(image);
        var gray = new Restora.Imaging.Image(image.Width, image.Height, Restora.Imaging.PixelLayout.Gray);
        var plane = gray.Plane(0);
        for (int i = 0; i < y.Length; i++) plane[i] = (float)(Math.Round(y[i] * 255, MidpointRounding.AwayFromZero) / 255);
        return gray;
    }
}
