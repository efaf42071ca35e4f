using Restora.Imaging;
using Restora.Models;

namespace Restora.Cli.Commands;

/// <summary>
/// restora eval --data DIR --task sr|denoise|deblock|deblur --method NAME [--scale N] [--sigma S]
/// [--quality Q] [--blur SIGMA] [--seed N] [--blind] [--json]; --blind tells a denoiser the image's estimated sigma
/// </summary>
public static class EvalCommand
{
    public static int Run(string[] argv)
    {
        var args = Arguments.Parse("eval", argv, ["--data", "--task", "--method", "--scale", "--sigma", "--quality", "--blur", "--seed"], ["--blind"]);
        var common = CommonOptions.From(args);
        args.ExpectPositionals();
        string data = args.Require("--data");
        RestorationTask task;
        try { task = TaskSettings.ParseTask(args.Require("--task")); }
        catch (ArgumentException e) { throw new UserError($"eval: {e.Message}"); }
        var settings = new TaskSettings
        {
            Task = task,
            Scale = args.GetInt("--scale", 4, 2, 16),
            NoiseSigma = args.GetDouble("--sigma", task == RestorationTask.Denoise ? 25 : 0, 0, 255),
            Quality = args.GetInt("--quality", 10, 1, 100),
            BlurSigma = args.GetDouble("--blur", 2.0, 0.01, 100),
            Seed = (ulong)args.GetInt("--seed", 0, 0),
            Blind = args.Has("--blind"),
        };
        IRestorer method;
        try
        {
            settings.Validate();
            method = Restorers.Get(args.Get("--method") ?? DefaultMethod(task), task);
        }
        catch (ArgumentException e) { throw new UserError($"eval: {e.Message}"); }

        if (!Directory.Exists(data)) throw new UserError($"{data}: no such folder");
        var files = Directory.EnumerateFiles(data).Where(ImageFile.HasImageExtension).Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) throw new UserError($"{data}: no images in this folder");

        EvaluationResult result;
        using (var progress = new Progress(files.Count, $"eval {method.Name}"))
        {
            try
            {
                result = Evaluator.Run(files, method, settings, f => ImageFile.Load(f, common.Decode), progress.Report);
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
                w.WriteNumber("seconds", Math.Round(result.Seconds, 4));
                w.WriteStartArray("images");
                foreach (var s in result.Images)
                {
                    w.WriteStartObject();
                    w.WriteString("name", s.Name);
                    w.WriteMetric("psnr", s.Psnr);
                    w.WriteMetric("ssim", s.Ssim);
                    w.WriteMetric("input_psnr", s.InputPsnr);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }
        else
        {
            foreach (var s in result.Images) Console.WriteLine($"{s.Name,-24} PSNR {s.Psnr,8:0.0000}  SSIM {s.Ssim:0.0000}");
            Console.WriteLine($"{"mean",-24} PSNR {result.Psnr,8:0.0000}  SSIM {result.Ssim:0.0000}  " +
                              $"({result.Images.Count} images, {result.Seconds:0.00} s restoring, input PSNR {result.InputPsnr:0.0000})");
        }
        return 0;
    }

    static string DefaultMethod(RestorationTask task) => task == RestorationTask.SuperResolution ? "bicubic" : "identity";
}
