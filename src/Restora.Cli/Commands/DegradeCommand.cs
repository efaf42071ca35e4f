using Restora.Imaging;
using Restora.Models;

namespace Restora.Cli.Commands;

/// <summary>restora degrade INPUT -o OUT [--downscale N] [--blur SIGMA] [--noise SIGMA] [--jpeg Q] [--seed N]</summary>
public sealed class DegradeCommand : CliCommand
{
    /// <inheritdoc/>
    public override string Name => "degrade";
    /// <inheritdoc/>
    public override string Description => "make test or training inputs: blur, then downscale, then noise, then a real JPEG round trip (seeded)";
    /// <inheritdoc/>
    public override IReadOnlyList<PositionalSpec> Positionals => [CommonOptions.Input];
    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> Options =>
    [
        CommonOptions.Output,
        new("--blur", "Gaussian blur sigma in pixels", "SIGMA"),
        new("--downscale", "MATLAB bicubic downscaling factor", "N"),
        new("--noise", "Gaussian noise sigma on 0..255 (clipped and rounded)", "SIGMA"),
        new("--jpeg", "JPEG quality 1..100 of a real round trip", "Q"),
        new("--mixed", "RL-Restore's mixed damage instead: mild, moderate or severe (blur, then noise, then JPEG, strengths drawn per file; see eval --task mixed)", "LEVEL"),
        new("--seed", "noise seed (each file also mixes in its name)", "N"),
    ];
    /// <inheritdoc/>
    public override bool WritesImages => true;

    /// <inheritdoc/>
    public override int Run(Arguments args)
    {
        var common = CommonOptions.From(args);
        string input = args.Positionals[0];
        string output = args.Require("-o");
        ulong seed = (ulong)args.GetInt("--seed", 0, 0);
        if (args.IsSet("--mixed")) return RunMixed(args, common, input, output, seed);
        var degradation = new Degradation
        {
            BlurSigma = args.GetDouble("--blur", 0, 0, 100),
            Downscale = args.GetInt("--downscale", 1, 1, 64),
            NoiseSigma = args.GetDouble("--noise", 0, 0, 255),
            JpegQuality = args.IsSet("--jpeg") ? args.GetInt("--jpeg", 0, 1, 100) : null,
            Seed = seed,
        };
        var jobs = Batch.Plan("degrade", input, output);
        // Each file draws noise from its own stream, keyed by its name, so a rerun or a partial rerun of a
        // folder gives every file the same noise.
        var outcomes = Batch.Run("degrade", jobs, common, (image, job) =>
            Degrade.Apply(image, degradation with { Seed = degradation.Seed ^ SeededRandom.StableHash(Path.GetFileName(job.Input)) }));
        return Batch.Report("degrade", outcomes, common.Json);
    }

    /// <summary>--mixed LEVEL: the mixed task's own degradation, so `degrade --mixed moderate` makes exactly the inputs
    /// `eval --task mixed --level moderate` scores (the same per-file seed).</summary>
    static int RunMixed(Arguments args, CommonOptions common, string input, string output, ulong seed)
    {
        foreach (var other in new[] { "--blur", "--downscale", "--noise", "--jpeg" })
            if (args.IsSet(other)) throw new UserError($"degrade: {other} cannot be combined with --mixed (it draws its own strengths)");
        var task = TaskRegistry.Get("mixed");
        var level = task.Parameters.First(p => p.Name == "level");
        TaskParameters parameters;
        try
        {
            string text = args.Get("--mixed")!;
            if (!MixedTask.LevelNames.Skip(1).Contains(text, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"--mixed takes mild, moderate or severe, got '{text}'");
            var value = level.Parse(text, "--mixed");
            parameters = task.Complete(new TaskParameters(new Dictionary<string, StrengthRange> { ["level"] = value }));
        }
        catch (ArgumentException e) { throw new UserError($"degrade: {e.Message}"); }
        var settings = new TaskSettings { Task = task, Parameters = parameters, Seed = seed };
        var jobs = Batch.Plan("degrade", input, output);
        var outcomes = Batch.Run("degrade", jobs, common, (image, job) => settings.Degrade(image, Path.GetFileName(job.Input)));
        return Batch.Report("degrade", outcomes, common.Json);
    }
}
