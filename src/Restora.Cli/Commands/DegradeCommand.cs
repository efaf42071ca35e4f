using Restora.Imaging;

namespace Restora.Cli.Commands;

/// <summary>restora degrade INPUT -o OUT [--downscale N] [--blur SIGMA] [--noise SIGMA] [--jpeg Q] [--seed N]</summary>
public static class DegradeCommand
{
    public static int Run(string[] argv)
    {
        var args = Arguments.Parse("degrade", argv, ["-o", "--output", "--downscale", "--blur", "--noise", "--jpeg", "--seed"], Common.ImageOutputFlags);
        var common = CommonOptions.From(args);
        string input = args.ExpectPositionals("INPUT")[0];
        string output = args.Get("-o") ?? args.Require("--output");
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
