using System.Globalization;
using System.Runtime.InteropServices;
using Restora.Imaging;
using Restora.Models;
using Restora.Models.Architectures;
using Restora.Training;
using Restora.Training.Adversarial;

namespace Restora.Cli.Commands;

/// <summary>
/// restora train --task NAME --arch NAME --data DIR -o MODEL.safetensors [options], --resume MODEL [--iters N], or
/// --benchmark N: trains a network on clean images degraded on the fly, checkpointing as it goes.
/// </summary>
public sealed class TrainCommand : CliCommand
{
    /// <summary>Defaults come from the library's config, so the CLI and library can never disagree.</summary>
    static readonly TrainingConfig Defaults = new() { Arch = "", Task = "", Data = "", Output = "" };

    /// <inheritdoc/>
    public override string Name => "train";
    /// <inheritdoc/>
    public override string Description => "train a network on a folder of clean images (degraded on the fly); --resume continues bit-identically";
    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> Options =>
    [
        new("--task", $"one of {string.Join(", ", TaskRegistry.Tasks.Names)}", "NAME"),
        new("--arch", $"one of {string.Join(", ", ArchitectureRegistry.All.Select(a => a.Name))}", "NAME"),
        new("--arch-options", "k=v,... e.g. depth=17,features=64 (dncnn); blocks=8 (edsr); unknown options are errors", "K=V,..."),
        new("--channels", "1 (Y) or 3 (RGB, the default)", "C"),
        new("--data", "clean training images: a folder, or several joined with ':'", "DIR"),
        new("-o", "the model file to write (checkpoint and log beside it)", "MODEL", "--output"),
        new("--resume", "continue the run whose model (or checkpoint) this is; only --iters and the intervals may change", "MODEL"),
        new("--benchmark", "time N steps on random data and print seconds per step; writes nothing", "N"),
        new("--profile", "with --benchmark: then N more steps timed op by op (forward and backward ms per step)"),
        .. TaskOptions.Specs(training: true),
        new("--patch", $"target patch side (default {TrainingConfig.DefaultPatch(1)}; sr: max(48, 16 x scale))", "PX"),
        new("--batch", $"patches per step (default {Defaults.Batch})", "N"),
        new("--seed", $"seed of the initialisation and every sample (default {Defaults.Seed})", "N"),
        new("--prefetch", $"batches prepared ahead (default {Defaults.Prefetch})", "N"),
        new("--iters", $"iterations of the whole run (default {Defaults.Iterations}); with --resume, extends the run", "N"),
        new("--lr", $"Adam's peak learning rate (default {Defaults.LearningRate:0.#####e0})", "X"),
        new("--loss", $"one of {string.Join(", ", Losses.Registry.All.Select(l => $"{l.Name} ({l.Description})"))}; default {Defaults.Loss}", "NAME"),
        new("--schedule", $"cosine, step or constant (default {Defaults.Schedule})", "NAME"),
        new("--warmup", "iterations of linear warmup (default 0)", "N"),
        new("--min-lr", $"where the cosine ends (default {Defaults.MinLearningRate:0.#e0})", "X"),
        new("--step-size", "step schedule: iterations between decays (default half the run)", "N"),
        new("--gamma", $"step schedule: decay factor (default {Defaults.StepGamma})", "X"),
        new("--clip", "clip the gradient norm to this (default: no clipping)", "NORM"),
        new("--ema", $"ship the moving average of the weights (decay {TrainingConfig.DefaultEmaDecay})"),
        new("--ema-decay", "ship the moving average with this decay", "D"),
        new("--val", "validation folder (training-style images, never a test set)", "DIR"),
        new("--holdout", "keep N images of --data out of training and validate on them", "N"),
        new("--val-every", $"validate every N iterations (default {Defaults.ValidateEvery}, and at the end)", "N"),
        new("--init", "start from a trained network where tensor names and shapes match (x2 to x4, fine-tuning)", "MODEL"),
        new("--checkpoint-every", $"checkpoint + model file every N iterations (default {Defaults.CheckpointEvery}); Ctrl+C or SIGTERM checkpoints and stops", "N"),
        new("--log", "JSON-lines log (default MODEL.log.jsonl)", "FILE"),
        new("--log-every", $"log every N iterations (default {Defaults.LogEvery})", "N"),
        // Adversarial and perceptual training (ESRGAN, pix2pix, NoGAN): --gan or --disc turns it on.
        new("--gan", $"adversarial training with this GAN loss: {string.Join(", ", GanLosses.Registry.All.Select(g => $"{g.Name} ({g.Description})"))}", "LOSS"),
        new("--disc", $"the discriminator: {string.Join(", ", Discriminators.Registry.All.Select(d => $"{d.Name} ({d.Description})"))}; default {AdversarialDefaults.Discriminator}", "NAME"),
        new("--disc-options", "k=v,... for the discriminator, e.g. features=32 (patchgan: layers=3; multiscale: scales=3)", "K=V,..."),
        new("--gan-weight", $"weight of the GAN loss (default {AdversarialDefaults.Weight})", "X"),
        new("--pixel-weight", $"weight of the pixel loss when adversarial (default {AdversarialDefaults.PixelWeight})", "X"),
        new("--fm-weight", "weight of feature matching on the discriminator's layers (pix2pixHD: 10; default 0)", "X"),
        new("--disc-lr", "the discriminator's learning rate (TTUR; default: --lr)", "X"),
        new("--betas", $"Adam's beta1,beta2 for both networks when adversarial (default {AdversarialDefaults.Beta1},{AdversarialDefaults.Beta2}; pix2pix 0.5,0.999)", "B1,B2"),
        new("--pretrain-iters", "NoGAN: the first N iterations train the generator alone on the pixel loss (default 0)", "N"),
        new("--critic-iters", "NoGAN: then N iterations train the discriminator alone (default 0)", "N"),
        new("--conditional", "the discriminator also sees the network's input (pix2pix; same-size tasks)"),
        new("--vgg", "torchvision vgg19 weights (.pth or .safetensors) for --perceptual-weight and --style-weight", "FILE"),
        new("--perceptual-weight", "weight of the VGG feature (perceptual) loss (ESRGAN: 1; default 0)", "X"),
        new("--style-weight", "weight of the Gram-matrix (style, texture) loss (default 0)", "X"),
        new("--perceptual-layers", $"VGG layers and weights, e.g. conv5_4 or conv3_4:0.5,conv5_4:1 (default {AdversarialDefaults.PerceptualLayers})", "LIST"),
    ];

    static readonly AdversarialConfig AdversarialDefaults = new();

    /// <summary>The adversarial settings, or null when none of --gan, --disc, --vgg is given.</summary>
    static AdversarialConfig? AdversarialFrom(Arguments args, RestorationTask task)
    {
        if (!args.IsSet("--gan") && !args.IsSet("--disc") && !args.IsSet("--vgg")) return null;
        double beta1 = AdversarialDefaults.Beta1, beta2 = AdversarialDefaults.Beta2;
        if (args.Get("--betas") is string betas)
        {
            var parts = betas.Split(',');
            if (parts.Length != 2 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out beta1)
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out beta2))
                throw new UserError($"train: --betas takes B1,B2, got '{betas}'");
        }
        bool gan = args.IsSet("--gan") || args.IsSet("--disc");
        return new AdversarialConfig
        {
            Loss = args.Get("--gan") ?? AdversarialDefaults.Loss,
            Discriminator = args.Get("--disc") ?? AdversarialDefaults.Discriminator,
            DiscriminatorOptions = ArchitectureOptions.Parse(args.Get("--disc-options")).Given(),
            // Perceptual losses alone (--vgg without --gan) leave the GAN term out.
            Weight = gan ? args.GetDouble("--gan-weight", AdversarialDefaults.Weight, 0, 1e6) : 0,
            PixelWeight = args.GetDouble("--pixel-weight", AdversarialDefaults.PixelWeight, 0, 1e6),
            FeatureMatchingWeight = args.GetDouble("--fm-weight", 0, 0, 1e6),
            DiscriminatorLearningRate = args.GetDouble("--disc-lr", 0, 0, 10),
            Beta1 = beta1,
            Beta2 = beta2,
            PretrainIterations = args.GetInt("--pretrain-iters", 0, 0),
            CriticIterations = args.GetInt("--critic-iters", 0, 0),
            Conditional = args.Has("--conditional"),
            Vgg = args.Get("--vgg") is string vgg ? Path.GetFullPath(vgg) : null,
            PerceptualWeight = args.GetDouble("--perceptual-weight", 0, 0, 1e6),
            StyleWeight = args.GetDouble("--style-weight", 0, 0, 1e6),
            PerceptualLayers = args.Get("--perceptual-layers") ?? AdversarialDefaults.PerceptualLayers,
        };
    }

    /// <summary>Options a resumed run may change; everything else comes from the checkpoint.</summary>
    static readonly string[] ResumeOptions = ["--resume", "--iters", "--threads", "--max-pixels", "--val-every", "--checkpoint-every", "--log-every", "-o", "--output"];

    /// <inheritdoc/>
    public override int Run(Arguments args)
    {
        var common = CommonOptions.From(args);
        try
        {
            if (args.IsSet("--benchmark")) return Benchmark(args, common);
            return args.IsSet("--resume") ? Resume(args, common) : Fresh(args, common);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                                      or TrainingDivergedException)
        {
            throw new UserError($"train: {e.Message}");
        }
    }

    static int Fresh(Arguments args, CommonOptions common)
    {
        var config = ConfigFrom(args);
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

    static int Resume(Arguments args, CommonOptions common)
    {
        foreach (var a in args.Raw)
        {
            string name = a.Split('=')[0];
            if (name.StartsWith('-') && !double.TryParse(name, out _) && !ResumeOptions.Contains(name) && !CommonOptions.Shared.Any(o => o.Name == name))
                throw new UserError($"train: {name} cannot change on --resume (the run's settings come from the checkpoint; only {string.Join(", ", ResumeOptions.Skip(1))} can)");
        }
        string statePath = TrainingRun.ResolveCheckpoint(args.Require("--resume"));
        var state = TrainingState.Read(statePath);
        int iterations = args.GetInt("--iters", state.Config.Iterations, 1);
        var config = state.Config with
        {
            Iterations = iterations,
            // The model's recipe says how it was really made: every change of the run's length, and where.
            Command = iterations == state.Config.Iterations ? state.Config.Command
                : $"{state.Config.Command}; restora train --resume {Path.GetFileName(state.Config.Output)} --iters {iterations} (resumed at iteration {state.Iteration})",
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
        using var stop = new GracefulStop("train", "iteration");
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
            }, stop.Token);
            progress.StopAt(reached - start);
        }
        stop.Dispose();
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

    static TrainingConfig ConfigFrom(Arguments args)
    {
        var task = TaskRegistry.Get(args.Require("--task"));
        var given = TaskOptions.Read(args, task, training: true);
        int scale = task.Enlarges ? (int)(given.Has("scale") ? given["scale"].Min : task.Complete(given, training: true).Value("scale")) : 1;
        string arch = ArchitectureRegistry.Get(args.Require("--arch")).Name;
        int iters = args.GetInt("--iters", Defaults.Iterations, 1);
        double ema = args.Has("--ema") ? TrainingConfig.DefaultEmaDecay : Defaults.EmaDecay;
        ema = args.GetDouble("--ema-decay", ema, 0, 0.999999);
        // Absolute paths, so a run resumed from another directory finds its data and writes the same files.
        string output = Path.GetFullPath(args.Require("-o"));
        return new TrainingConfig
        {
            Arch = arch,
            ArchOptions = ArchitectureOptions.Parse(args.Get("--arch-options")).Given(),
            Task = task.Name,
            Scale = scale,
            TaskParameters = given.All.Where(kv => kv.Key != "scale").ToDictionary(kv => kv.Key, kv => kv.Value.ToString()),
            Channels = args.GetInt("--channels", Defaults.Channels, 1, 3) is int c && c != 2 ? c : throw new UserError("train: --channels must be 1 or 3"),
            Data = string.Join(Path.PathSeparator, args.Require("--data").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFullPath)),
            Holdout = args.GetInt("--holdout", Defaults.Holdout, 0),
            Init = args.Get("--init") is string init ? Path.GetFullPath(init) : null,
            Validation = args.Get("--val") is string val ? Path.GetFullPath(val) : null,
            Patch = args.GetInt("--patch", TrainingConfig.DefaultPatch(scale), 4, 4096),
            Batch = args.GetInt("--batch", Defaults.Batch, 1, 4096),
            Prefetch = args.GetInt("--prefetch", Defaults.Prefetch, 1, 64),
            Iterations = iters,
            LearningRate = args.GetDouble("--lr", Defaults.LearningRate, 1e-12, 10),
            Schedule = args.Get("--schedule") ?? Defaults.Schedule,
            Warmup = args.GetInt("--warmup", Defaults.Warmup, 0),
            MinLearningRate = args.GetDouble("--min-lr", Defaults.MinLearningRate, 0, 10),
            StepSize = args.GetInt("--step-size", Defaults.StepSize, 0),
            StepGamma = args.GetDouble("--gamma", Defaults.StepGamma, 0, 1),
            ClipGradNorm = args.GetDouble("--clip", Defaults.ClipGradNorm, 0),
            EmaDecay = ema,
            Loss = args.Get("--loss") ?? Defaults.Loss,
            Adversarial = AdversarialFrom(args, task),
            Seed = (ulong)args.GetInt("--seed", (int)Defaults.Seed, 0),
            ValidateEvery = args.GetInt("--val-every", Defaults.ValidateEvery, 1),
            CheckpointEvery = args.GetInt("--checkpoint-every", Defaults.CheckpointEvery, 1),
            LogEvery = args.GetInt("--log-every", Defaults.LogEvery, 1),
            Output = output,
            Log = Path.GetFullPath(args.Get("--log") ?? output + ".log.jsonl"),
            Command = "restora train " + string.Join(" ", args.Raw.Select(Quote)),
        };
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
        int patch = args.GetInt("--patch", TrainingConfig.DefaultPatch(1), 4, 4096);
        int batch = args.GetInt("--batch", Defaults.Batch, 1, 4096);
        string loss = args.Get("--loss") ?? "mse";
        bool profile = args.Has("--profile");
        var result = StepBenchmark.Measure(info.Name, options, batch, patch / scale, patch, loss, iterations, profile: profile);
        if (common.Json)
            Json.Write(w =>
            {
                w.WriteString("arch", info.Name);
                w.WriteNumber("batch", batch);
                w.WriteNumber("patch", patch);
                w.WriteNumber("threads", Restora.Core.Compute.Threads);
                w.WriteNumber("seconds_per_iteration", Math.Round(result.MedianSeconds, 4));
                w.WriteNumber("min_seconds", Math.Round(result.MinSeconds, 4));
                if (result.Profile is { } ops)
                {
                    w.WriteStartArray("profile");
                    foreach (var op in ops)
                    {
                        w.WriteStartObject();
                        w.WriteString("op", op.Name);
                        w.WriteNumber("forward_ms", Math.Round(op.Forward * 1000, 3));
                        w.WriteNumber("backward_ms", Math.Round(op.Backward * 1000, 3));
                        w.WriteNumber("count", op.Count);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
            });
        else
        {
            Console.WriteLine($"{info.Name} batch {batch} patch {patch}: {result.MedianSeconds:0.000} s/iteration median " +
                              $"({1 / result.MedianSeconds:0.00} it/s; min {result.MinSeconds:0.000} s) on {Restora.Core.Compute.Threads} threads");
            if (result.Profile is { } ops)
            {
                Console.WriteLine($"{"op",-24} {"forward ms",11} {"backward ms",12} {"per step",9}");
                foreach (var op in ops)
                    Console.WriteLine($"{op.Name,-24} {op.Forward * 1000,11:0.00} {op.Backward * 1000,12:0.00} {op.Count,9}");
            }
        }
        return 0;
    }
}
