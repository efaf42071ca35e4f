using System.Globalization;
using System.Runtime.InteropServices;
using Restora.Imaging;
using Restora.Models;
using Restora.Models.Architectures;
using Restora.Training;

namespace Restora.Cli.Commands;

/// <summary>
/// restora train --task sr|denoise|deblock|deblur --arch NAME --data DIR -o MODEL.safetensors [--scale N]
/// [--patch PX] [--batch N] [--iters N] [--lr X] [--resume CKPT] [--json] and the options in Help below.
/// </summary>
public static class TrainCommand
{
    public const string Help = """
        usage: restora train --task sr|denoise|deblock|deblur --arch NAME --data DIR[:DIR...] -o MODEL.safetensors [options]
               restora train --resume MODEL.safetensors [--iters N]     (continue; --iters extends the run)
               restora train --benchmark N --arch NAME [--arch-options ...] [--patch PX] [--batch N]

        architectures: srcnn fsrcnn espcn vdsr srresnet edsr rcan rrdbnet dncnn ffdnet unet
          --arch-options k=v,...   e.g. depth=17,features=64 (dncnn); blocks=8 (edsr); unknown options are errors
          --channels 1|3           Y or RGB (default 3)
        data and degradation:
          --scale N                sr scale (default 4)
          --patch PX               target patch size (default 48; sr: max(48, 16 x scale))
          --batch N                (default 16)      --seed N   (default 0)     --prefetch N  (default 4)
          --sigma S | --sigma-range A,B           denoise noise sigma on 0..255 (default 25)
          --quality Q | --quality-range A,B       deblock JPEG quality (default 10)
          --blur S | --blur-range A,B             deblur Gaussian sigma in pixels (default 2)
          --deblur-noise S                        noise added after the blur (default 1)
        optimisation:
          --iters N (default 1000)   --lr X (default 2e-4, Adam)   --loss l1|mse|charbonnier (default l1)
          --schedule cosine|step|constant (default cosine)   --warmup N   --min-lr X (default 1e-7)
          --step-size N --gamma X (step schedule; default half the run, 0.5)   --clip NORM (gradient norm)
          --ema | --ema-decay D      ship the moving average of the weights (--ema: 0.999)
        bookkeeping:
          --val DIR  --val-every N   validation PSNR with eval's protocol (default every 500)
          --holdout N                keep N images of --data out of training and validate on them (no --val needed)
          --init MODEL.safetensors   start from a trained network where tensor names and shapes match (x2 → x4, fine-tuning)
          --checkpoint-every N       checkpoint + model file (default 500); Ctrl+C or SIGTERM checkpoints and stops
          --log FILE                 JSON lines (default MODEL.safetensors.log.jsonl)   --log-every N (default 10)
          --json                     one JSON object on stdout at the end
        """;


    static readonly string[] Valued =
    [
        "--task", "--arch", "--data", "--holdout", "-o", "--scale", "--patch", "--batch", "--iters", "--lr", "--resume", "--val", "--val-every",
        "--checkpoint-every", "--log", "--log-every", "--seed", "--sigma", "--sigma-range", "--quality", "--quality-range", "--blur",
        "--blur-range", "--deblur-noise", "--loss", "--schedule", "--warmup", "--min-lr", "--step-size", "--gamma", "--clip",
        "--ema-decay", "--channels", "--arch-options", "--benchmark", "--prefetch", "--init",
    ];

    /// <summary>Options a resumed run may change; everything else comes from the checkpoint.</summary>
    static readonly string[] ResumeOptions = ["--resume", "--iters", "--threads", "--max-pixels", "--val-every", "--checkpoint-every", "--log-every", "-o"];

    public static int Run(string[] argv)
    {
        var args = Arguments.Parse("train", argv, Valued, ["--ema"]);
        var common = CommonOptions.From(args);
        args.ExpectPositionals();
        try
        {
            if (args.IsSet("--benchmark")) return Benchmark(args, common);
            return args.IsSet("--resume") ? Resume(args, argv, common) : Fresh(args, argv, common);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                                      or TrainingDivergedException)
        {
            throw new UserError($"train: {e.Message}");
        }
    }

    static int Fresh(Arguments args, string[] argv, CommonOptions common)
    {
        var config = ConfigFrom(args, argv);
        if (!common.Overwrite)
        {
            if (File.Exists(config.Output)) throw new UserError($"{config.Output}: already exists (use --overwrite, or --resume {TrainingRun.StatePath(config.Output)})");
            if (File.Exists(TrainingRun.StatePath(config.Output)))
                throw new UserError($"{TrainingRun.StatePath(config.Output)}: a checkpoint of an earlier run is there (--resume it, or --overwrite)");
        }
        var run = new TrainingRun(config, null, common.Decode, Status(common));
        if (config.Init is string init) Console.Error.WriteLine($"train: {run.InitializeFrom(init)}");
        return Train(run, config, 0, common);
    }

    static int Resume(Arguments args, string[] argv, CommonOptions common)
    {
        foreach (var a in argv)
        {
            string name = a.Split('=')[0];
            if (name.StartsWith('-') && !ResumeOptions.Contains(name) && !Common.Flags.Contains(name))
                throw new UserError($"train: {name} cannot change on --resume (the run's settings come from the checkpoint; only {string.Join(", ", ResumeOptions.Skip(1))} can)");
        }
        string statePath = TrainingRun.ResolveCheckpoint(args.Require("--resume"));
        var state = TrainingState.Read(statePath);
        var config = state.Config with
        {
            Iterations = args.GetInt("--iters", state.Config.Iterations, 1),
            ValidateEvery = args.GetInt("--val-every", state.Config.ValidateEvery, 1),
            CheckpointEvery = args.GetInt("--checkpoint-every", state.Config.CheckpointEvery, 1),
            LogEvery = args.GetInt("--log-every", state.Config.LogEvery, 1),
        };
        if (args.Get("-o") is string o && Path.GetFullPath(o) != Path.GetFullPath(config.Output))
            throw new UserError($"train: this checkpoint writes {config.Output}; -o {o} does not match");
        if (state.Iteration >= config.Iterations)
            throw new UserError($"train: the checkpoint is already at iteration {state.Iteration} of {config.Iterations} (give a larger --iters to continue)");
        var run = new TrainingRun(config, null, common.Decode, Status(common));
        if (run.Resume(state, statePath) is string warning) Console.Error.WriteLine($"train: warning: {warning}");
        return Train(run, config, state.Iteration, common);
    }

    static Action<string>? Status(CommonOptions common) => m => Console.Error.WriteLine($"train: {m}");

    static int Train(TrainingRun run, TrainingConfig config, int start, CommonOptions common)
    {
        foreach (var s in run.Skipped) Console.Error.WriteLine($"train: skipped {s}");
        using var cancel = new CancellationTokenSource();
        // Ctrl+C or a plain kill stops at the end of the iteration with a checkpoint, so nothing is lost;
        // a second Ctrl+C ends the process at once.
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = !cancel.IsCancellationRequested;
            if (e.Cancel) Console.Error.WriteLine("\ntrain: stopping after this iteration (Ctrl+C again to quit now)");
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; cancel.Cancel(); });
        int reached;
        double lastRate = 0;
        bool interactive = !Console.IsErrorRedirected;
        using (var progress = new Progress(config.Iterations - start, $"train {config.Arch}"))
        {
            reached = run.Run(p =>
            {
                lastRate = p.IterationsPerSecond;
                if (!interactive && p.Iteration % config.LogEvery != 0 && p.Event is null) return;
                string val = p.ValidationPsnr is double v ? $" val {v:0.00} dB" : "";
                progress.Report(p.Iteration - start, $"it {p.Iteration} {p.IterationsPerSecond:0.00} it/s loss {p.Loss:0.00000}{val}");
            }, cancel.Token);
            progress.StopAt(reached - start);
        }
        Console.CancelKeyPress -= onCancel;
        bool finished = reached >= config.Iterations;
        if (!finished) Console.Error.WriteLine($"train: stopped at iteration {reached}; continue with --resume {TrainingRun.StatePath(config.Output)}");
        if (common.Json)
            Json.Write(w =>
            {
                w.WriteString("arch", config.Arch);
                w.WriteString("task", config.Task);
                w.WriteNumber("iterations", reached);
                w.WriteBoolean("finished", finished);
                w.WriteNumber("seconds", Math.Round(run.Seconds, 2));
                w.WriteNumber("it_per_s", Math.Round(lastRate, 4));
                if (run.LastValidationPsnr is double v) w.WriteMetric("val_psnr", v);
                if (run.BestValidationPsnr is double b) w.WriteMetric("best_val_psnr", b);
                w.WriteString("output", config.Output);
                w.WriteString("checkpoint", TrainingRun.StatePath(config.Output));
            });
        else
            Console.WriteLine($"{config.Output}: {config.Arch} {config.Task}, {reached} iterations in {run.Seconds:0.0} s" +
                              (run.LastValidationPsnr is double p ? $", validation PSNR {p:0.0000} dB" : ""));
        return 0;
    }

    static TrainingConfig ConfigFrom(Arguments args, string[] argv)
    {
        var task = TaskSettings.ParseTask(args.Require("--task"));
        bool sr = task == RestorationTask.SuperResolution;
        int scale = sr ? args.GetInt("--scale", 4, 2, 16) : 1;
        if (!sr && args.IsSet("--scale")) throw new UserError("train: --scale only applies to --task sr");
        string arch = ArchitectureRegistry.Get(args.Require("--arch")).Name;
        int iters = args.GetInt("--iters", 1000, 1);
        double ema = args.Has("--ema") ? 0.999 : 0;
        ema = args.GetDouble("--ema-decay", ema, 0, 0.999999);
        // Absolute paths, so a run resumed from another directory finds its data and writes the same files.
        string output = Path.GetFullPath(args.Require("-o"));
        return new TrainingConfig
        {
            Arch = arch,
            ArchOptions = ArchitectureOptions.Parse(args.Get("--arch-options")).Given(),
            Task = TaskSettings.TaskName(task),
            Scale = scale,
            NoiseSigma = RangeOption(args, "--sigma", "--sigma-range", "25", 0, 255),
            JpegQuality = RangeOption(args, "--quality", "--quality-range", "10", 1, 100),
            BlurSigma = RangeOption(args, "--blur", "--blur-range", "2", 0.01, 100),
            DeblurNoiseSigma = args.GetDouble("--deblur-noise", 1, 0, 255),
            Channels = args.GetInt("--channels", 3, 1, 3) is int c && c != 2 ? c : throw new UserError("train: --channels must be 1 or 3"),
            Data = string.Join(Path.PathSeparator, args.Require("--data").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFullPath)),
            Holdout = args.GetInt("--holdout", 0, 0),
            Init = args.Get("--init") is string init ? Path.GetFullPath(init) : null,
            Validation = args.Get("--val") is string val ? Path.GetFullPath(val) : null,
            Patch = args.GetInt("--patch", sr ? Math.Max(48, 16 * scale) : 48, 4, 4096),
            Batch = args.GetInt("--batch", 16, 1, 4096),
            Prefetch = args.GetInt("--prefetch", 4, 1, 64),
            Iterations = iters,
            LearningRate = args.GetDouble("--lr", 2e-4, 1e-12, 10),
            Schedule = args.Get("--schedule") ?? "cosine",
            Warmup = args.GetInt("--warmup", 0, 0),
            MinLearningRate = args.GetDouble("--min-lr", 1e-7, 0, 10),
            StepSize = args.GetInt("--step-size", 0, 0),
            StepGamma = args.GetDouble("--gamma", 0.5, 0, 1),
            ClipGradNorm = args.GetDouble("--clip", 0, 0),
            EmaDecay = ema,
            Loss = args.Get("--loss") ?? "l1",
            Seed = (ulong)args.GetInt("--seed", 0, 0),
            ValidateEvery = args.GetInt("--val-every", Math.Min(500, iters), 1),
            CheckpointEvery = args.GetInt("--checkpoint-every", Math.Min(500, iters), 1),
            LogEvery = args.GetInt("--log-every", 10, 1),
            Output = output,
            Log = Path.GetFullPath(args.Get("--log") ?? output + ".log.jsonl"),
            Command = "restora train " + string.Join(" ", argv.Select(Quote)),
        };
    }

    static string RangeOption(Arguments args, string single, string range, string fallback, double min, double max)
    {
        if (args.IsSet(single) && args.IsSet(range)) throw new UserError($"train: give {single} or {range}, not both");
        string text = args.Get(range) ?? args.Get(single) ?? fallback;
        var r = StrengthRange.Parse(text, range);
        if (r.Min < min || r.Max > max) throw new UserError($"train: {range} must lie in {min}..{max}, got {text}");
        return r.ToString();
    }

    static string Quote(string a) => a.Length > 0 && a.All(ch => char.IsLetterOrDigit(ch) || "-_./,=:+".Contains(ch)) ? a : $"'{a.Replace("'", "'\\''")}'";

    /// <summary>--benchmark N: seconds per iteration on random data, for comparing with PyTorch; writes nothing.</summary>
    static int Benchmark(Arguments args, CommonOptions common)
    {
        int iterations = args.GetInt("--benchmark", 10, 1, 10000);
        var info = ArchitectureRegistry.Get(args.Require("--arch"));
        var options = ArchitectureOptions.Parse(args.Get("--arch-options"));
        int channels = args.GetInt("--channels", 3, 1, 3);
        options = options.With("channels", channels.ToString(CultureInfo.InvariantCulture));
        int scale = 1;
        if (info.ScaleMode == ScaleMode.Upsampling)
        {
            scale = args.GetInt("--scale", 4, 1, 16);
            options = options.With("scale", scale.ToString(CultureInfo.InvariantCulture));
        }
        int patch = args.GetInt("--patch", 48, 4, 4096);
        int batch = args.GetInt("--batch", 16, 1, 4096);
        string loss = args.Get("--loss") ?? "mse";
        var result = StepBenchmark.Measure(info.Name, options, batch, patch / scale, patch, loss, iterations);
        if (common.Json)
            Json.Write(w =>
            {
                w.WriteString("arch", info.Name);
                w.WriteNumber("batch", batch);
                w.WriteNumber("patch", patch);
                w.WriteNumber("threads", Restora.Core.Compute.Threads);
                w.WriteNumber("seconds_per_iteration", Math.Round(result.MedianSeconds, 4));
                w.WriteNumber("min_seconds", Math.Round(result.MinSeconds, 4));
            });
        else
            Console.WriteLine($"{info.Name} batch {batch} patch {patch}: {result.MedianSeconds:0.000} s/iteration median " +
                              $"({1 / result.MedianSeconds:0.00} it/s; min {result.MinSeconds:0.000} s) on {Restora.Core.Compute.Threads} threads");
        return 0;
    }
}
