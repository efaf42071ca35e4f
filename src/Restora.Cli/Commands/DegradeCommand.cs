using Restora.Imaging;

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
        var degradation = new Degradation
        {
            BlurSigma = args.GetDouble("--blur", 0, 0, 100),
            Downscale = args.GetInt("--downscale", 1, 1, 64),
            NoiseSigma = args.GetDouble("--noise", 0, 0, 255),
            JpegQuality = args.IsSet("--jpeg") ? args.GetInt("--jpeg", 0, 1, 100) : null,
            Seed = (ulong)args.GetInt("--seed", 0, 0),
        };
        var jobs = Batch.Plan("degrade", input, output);
        // Each file draws noise from its own stream, keyed by its name, so a rerun or a partial rerun of a
        // folder gives every file the same noise.
        var outcomes = Batch.Run("degrade", jobs, common, (image, job) =>
            Degrade.Apply(image, degradation with { Seed = degradation.Seed ^ SeededRandom.StableHash(Path.GetFileName(job.Input)) }));
        return Batch.Report("degrade", outcomes, common.Json);
    }
}
