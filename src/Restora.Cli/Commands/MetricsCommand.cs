using Restora.Imaging;
using Restora.Metrics;

namespace Restora.Cli.Commands;

/// <summary>
/// restora metrics REF TEST [--y] [--shave N] [--metrics psnr,ssim] [--json], or restora metrics IMG --metrics niqe
/// (no-reference metrics score one image). With folders, files are paired by name and the means are reported beside
/// each image's scores.
/// </summary>
public sealed class MetricsCommand : CliCommand
{
    /// <inheritdoc/>
    public override string Name => "metrics";
    /// <inheritdoc/>
    public override string Description => "score a result against its reference (or one image, with no-reference metrics)";
    /// <inheritdoc/>
    public override IReadOnlyList<PositionalSpec> Positionals =>
    [
        new("REF", "the reference image or folder (with no-reference metrics: the image to score)"),
        new("TEST", "the image or folder to score against REF", Optional: true),
    ];
    /// <inheritdoc/>
    public override IReadOnlyList<OptionSpec> Options =>
    [
        new("--metrics", $"comma-separated: {string.Join(", ", MetricRegistry.Metrics.All.Select(m => m.Kind == MetricKind.NoReference ? m.Name + " (no reference)" : m.Name))} (default psnr,ssim; one image: every no-reference metric)", "LIST"),
        new("--y", "score MATLAB rgb2ycbcr's Y channel, as SR papers do"),
        new("--shave", "pixels cut from every border before scoring", "N"),
    ];

    /// <inheritdoc/>
    public override int Run(Arguments args)
    {
        var common = CommonOptions.From(args);
        var paths = args.Positionals;
        bool single = paths.Count == 1;
        var options = new MetricOptions { OnY = args.Has("--y"), Shave = args.GetInt("--shave", 0, 0, 1 << 16) };
        IReadOnlyList<IMetric> metrics;
        try
        {
            metrics = args.Get("--metrics") is string list ? MetricRegistry.Parse(list)
                : single ? MetricRegistry.Metrics.All.Where(m => m.Kind == MetricKind.NoReference).ToList()
                : MetricRegistry.Parse("psnr,ssim");
        }
        catch (ArgumentException e) { throw new UserError($"metrics: {e.Message}"); }
        if (single && metrics.FirstOrDefault(m => m.Kind == MetricKind.FullReference) is { } full)
            throw new UserError($"metrics: {full.Name} compares two images: give REF and TEST (one image takes only no-reference metrics: {string.Join(", ", MetricRegistry.Metrics.All.Where(m => m.Kind == MetricKind.NoReference).Select(m => m.Name))})");

        var pairs = single ? Batch.ListImages("metrics", paths[0]).Select(f => ((string?)null, f)).ToList() : Pair(paths[0], paths[1]);
        var rows = new List<(string Name, Dictionary<IMetric, double> Scores)>();
        using (var progress = new Progress(pairs.Count, "metrics"))
        {
            for (int i = 0; i < pairs.Count; i++)
            {
                var (reference, test) = pairs[i];
                progress.Report(i, Path.GetFileName(test));
                var a = reference is null ? null : ImageFile.Load(reference, common.Decode);
                var b = ImageFile.Load(test, common.Decode);
                try { rows.Add((Path.GetFileName(test), metrics.ToDictionary(m => m, m => m.Compute(a, b, options)))); }
                catch (ArgumentException e) { throw new UserError($"{test}: {e.Message}"); }
            }
        }
        var means = metrics.ToDictionary(m => m, m => rows.Average(r => r.Scores[m]));
        if (common.Json)
        {
            Json.Write(w =>
            {
                foreach (var m in metrics) w.WriteMetric(m.JsonName, means[m]);
                if (pairs.Count > 1)
                {
                    w.WriteStartArray("images");
                    foreach (var (name, scores) in rows)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", name);
                        foreach (var m in metrics) w.WriteMetric(m.JsonName, scores[m]);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
            });
        }
        else
        {
            if (pairs.Count > 1)
                foreach (var (name, scores) in rows)
                    Console.WriteLine($"{name}: {string.Join("  ", metrics.Select(m => $"{m.Name} {Format(scores[m])}"))}");
            Console.WriteLine((pairs.Count > 1 ? "mean: " : "") + string.Join("  ", metrics.Select(m => $"{m.Name} {Format(means[m])}")));
        }
        return 0;
    }

    static string Format(double v) => double.IsPositiveInfinity(v) ? "inf" : v.ToString(v > 2 ? "0.0000" : "0.000000");

    static List<(string? Reference, string Test)> Pair(string reference, string test)
    {
        bool refDir = Directory.Exists(reference), testDir = Directory.Exists(test);
        if (refDir != testDir) throw new UserError($"metrics: {reference} and {test} must both be files or both folders");
        if (!refDir)
        {
            foreach (var p in new[] { reference, test })
                if (!File.Exists(p)) throw new UserError($"{p}: no such file or folder");
            return [(reference, test)];
        }
        var pairs = new List<(string?, string)>();
        foreach (var file in Batch.ListImages("metrics", test))
        {
            var match = Path.Combine(reference, Path.GetFileName(file));
            if (!File.Exists(match)) throw new UserError($"{file}: no file of the same name in {reference}");
            pairs.Add((match, file));
        }
        return pairs;
    }
}
