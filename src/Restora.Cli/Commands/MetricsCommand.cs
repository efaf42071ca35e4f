using Restora.Imaging;
using Restora.Metrics;

namespace Restora.Cli.Commands;

/// <summary>
/// restora metrics REF TEST [--y] [--shave N] [--metrics psnr,ssim] [--json]. With two folders, files are
/// paired by name and the means are reported beside each image's scores.
/// </summary>
public static class MetricsCommand
{
    public static int Run(string[] argv)
    {
        var args = Arguments.Parse("metrics", argv, ["--shave", "--metrics"], ["--y"]);
        var common = CommonOptions.From(args);
        var paths = args.ExpectPositionals("REF", "TEST");
        var options = new MetricOptions { OnY = args.Has("--y"), Shave = args.GetInt("--shave", 0, 0, 1 << 16) };
        var names = (args.Get("--metrics") ?? "psnr,ssim").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new UserError("metrics: --metrics needs at least one name (psnr, ssim, ms-ssim, psnr-b)");

        var pairs = Pair(paths[0], paths[1]);
        var rows = new List<(string Name, IReadOnlyDictionary<string, double> Scores)>();
        using (var progress = new Progress(pairs.Count, "metrics"))
        {
            for (int i = 0; i < pairs.Count; i++)
            {
                var (reference, test) = pairs[i];
                progress.Report(i, Path.GetFileName(test));
                var a = ImageFile.Load(reference, common.Decode);
                var b = ImageFile.Load(test, common.Decode);
                try { rows.Add((Path.GetFileName(test), FullReference.Compute(a, b, names, options))); }
                catch (ArgumentException e) { throw new UserError($"{test}: {e.Message}"); }
            }
        }
        var means = names.ToDictionary(n => n, n => rows.Average(r => r.Scores[n]));
        if (common.Json)
        {
            Json.Write(w =>
            {
                foreach (var n in names) w.WriteMetric(JsonName(n), means[n]);
                if (pairs.Count > 1)
                {
                    w.WriteStartArray("images");
                    foreach (var (name, scores) in rows)
                    {
                        w.WriteStartObject();
                        w.WriteString("name", name);
                        foreach (var n in names) w.WriteMetric(JsonName(n), scores[n]);
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
                    Console.WriteLine($"{name}: {string.Join("  ", names.Select(n => $"{n} {Format(scores[n])}"))}");
            Console.WriteLine((pairs.Count > 1 ? "mean: " : "") + string.Join("  ", names.Select(n => $"{n} {Format(means[n])}")));
        }
        return 0;
    }

    /// <summary>psnr-b and ms-ssim are written psnr_b and ms_ssim in JSON so that scripts can use them as identifiers.</summary>
    static string JsonName(string metric) => metric.ToLowerInvariant().Replace('-', '_');

    static string Format(double v) => double.IsPositiveInfinity(v) ? "inf" : v.ToString(v > 2 ? "0.0000" : "0.000000");

    static List<(string Reference, string Test)> Pair(string reference, string test)
    {
        bool refDir = Directory.Exists(reference), testDir = Directory.Exists(test);
        if (refDir != testDir) throw new UserError($"metrics: {reference} and {test} must both be files or both folders");
        if (!refDir)
        {
            foreach (var p in new[] { reference, test })
                if (!File.Exists(p)) throw new UserError($"{p}: no such file or folder");
            return [(reference, test)];
        }
        var pairs = new List<(string, string)>();
        foreach (var file in Directory.EnumerateFiles(test).Order(StringComparer.Ordinal))
        {
            if (!ImageFile.HasImageExtension(file))
            {
                Console.Error.WriteLine($"restora metrics: skipping {file}: not an image file");
                continue;
            }
            var match = Path.Combine(reference, Path.GetFileName(file));
            if (!File.Exists(match)) throw new UserError($"{file}: no file of the same name in {reference}");
            pairs.Add((match, file));
        }
        if (pairs.Count == 0) throw new UserError($"{test}: no images in this folder");
        return pairs;
    }
}
