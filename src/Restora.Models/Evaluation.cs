using System.Diagnostics;
using Restora.Imaging;
using Restora.Metrics;

namespace Restora.Models;

/// <summary>One image's scores: PSNR and SSIM always (the protocol's), and every metric asked for by name.</summary>
public sealed record ImageScore(string Name, double Psnr, double Ssim, double InputPsnr)
{
    /// <summary>Every metric asked for, by canonical name (psnr and ssim included).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>The networks run on the image, in order (a toolchain's chain; one network's name), when known.</summary>
    public IReadOnlyList<string>? Chain { get; init; }

    /// <summary>GFLOPs spent restoring it, when the method can say (a toolchain, a same-size network, identity).</summary>
    public double? Gflops { get; init; }
}

/// <summary>Mean scores over a test set, and each image's.</summary>
public sealed record EvaluationResult(
    string Task, string Method, double Psnr, double Ssim, double InputPsnr, double Seconds, IReadOnlyList<ImageScore> Images)
{
    /// <summary>The mean of every metric asked for, by canonical name, in the order asked.</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    /// <summary>Mean networks run per image, when every image's chain is known.</summary>
    public double? MeanSteps => Images.All(i => i.Chain is not null) ? Images.Average(i => i.Chain!.Count) : null;

    /// <summary>Mean GFLOPs per image, when every image's cost is known.</summary>
    public double? MeanGflops => Images.All(i => i.Gflops is not null) ? Images.Average(i => i.Gflops!.Value) : null;
}

/// <summary>
/// Degrades every clean image as the task says, restores it, and scores it by the literature's protocol:
/// SR on MATLAB Y with the border shaved by the scale; the other tasks on RGB with no shave. Restored images
/// are clamped and rounded to the clean image's bit depth first, as a saved output would be.
/// </summary>
public static class Evaluator
{
    /// <summary>The task's scoring protocol.</summary>
    public static MetricOptions ScoringFor(TaskSettings s) => s.Task.Scoring(s.Parameters);

    /// <summary>Degrades, restores and scores one clean image; <paramref name="metrics"/> adds to PSNR and SSIM.</summary>
    public static ImageScore ScoreOne(string name, Image clean, IRestorer method, TaskSettings settings, out double restoreSeconds,
        IReadOnlyList<IMetric>? metrics = null)
    {
        var target = settings.PrepareTarget(clean);
        var degraded = settings.Degrade(target, name);
        var clock = Stopwatch.StartNew();
        // Blind: the method is told the noise level it would be told in use, the image's own estimate.
        // A denoiser on damage with no sigma of its own (mixed) is told the estimate too, as `restora denoise` would.
        bool estimate = settings.Task.NoiseSigma(settings.Parameters) > 0 ? settings.Blind : method is NetworkRestorer { TakesNoiseLevel: true };
        var told = estimate ? settings with { ToldNoiseSigma = NoiseEstimate.Sigma(degraded) } : settings;
        IReadOnlyList<string>? chain = null;
        double? gflops = null;
        Image restored;
        if (method is Toolchain.IChainRestorer chainer)
        {
            restored = chainer.Restore(degraded, told, out var report);
            (chain, gflops) = (report.Chain, report.Gflops);
        }
        else
        {
            restored = method.Restore(degraded, told);
            if (method is IdentityRestorer) (chain, gflops) = ([], 0.0);
            else if (method is NetworkRestorer { MacsPerPixel: long macs } n)
                (chain, gflops) = ([n.Name], 2.0 * macs * degraded.Width * degraded.Height / 1e9);
        }
        restoreSeconds = clock.Elapsed.TotalSeconds;
        if (restored.Width != target.Width || restored.Height != target.Height)
            throw new InvalidOperationException(
                $"{method.Name} returned {restored.Width}x{restored.Height} for a {target.Width}x{target.Height} target");
        restored.BitDepth = target.BitDepth;
        restored.Quantize();
        var options = ScoringFor(settings);
        // The degraded input's own PSNR (upscaled by bicubic for SR) shows what the method gained.
        var baseline = settings.Task.Baseline(degraded, settings.Parameters);
        baseline.BitDepth = target.BitDepth;
        baseline.Quantize();
        double psnr = FullReference.Psnr(target, restored, options), ssim = FullReference.Ssim(target, restored, options);
        var scores = new Dictionary<string, double>();
        foreach (var m in metrics ?? [])
            // A no-reference metric scores the whole restored image as a user would see it: the task's shave and Y
            // are the full-reference protocol's (NIQE's blocks would move with a shave).
            scores[m.Name] = m.Name switch
            {
                "psnr" => psnr,
                "ssim" => ssim,
                _ => m.Kind == MetricKind.NoReference ? m.Compute(null, restored, new MetricOptions()) : m.Compute(target, restored, options),
            };
        return new ImageScore(name, psnr, ssim, FullReference.Psnr(target, baseline, options)) { Metrics = scores, Chain = chain, Gflops = gflops };
    }

    /// <summary>Scores every file; <paramref name="progress"/> is told each file's name before it starts.</summary>
    public static EvaluationResult Run(IReadOnlyList<string> files, IRestorer method, TaskSettings settings,
        Func<string, Image> load, Action<int, string>? progress = null, IReadOnlyList<IMetric>? metrics = null)
    {
        settings.Validate();
        var scores = new List<ImageScore>();
        double seconds = 0;
        for (int i = 0; i < files.Count; i++)
        {
            string name = Path.GetFileName(files[i]);
            progress?.Invoke(i, name);
            scores.Add(ScoreOne(name, load(files[i]), method, settings, out double s, metrics));
            seconds += s;
        }
        if (scores.Count == 0) throw new ArgumentException("no images to evaluate");
        return new EvaluationResult(settings.Task.Name, method.Name,
            scores.Average(s => s.Psnr), scores.Average(s => s.Ssim), scores.Average(s => s.InputPsnr), seconds, scores)
        {
            Metrics = (metrics ?? []).ToDictionary(m => m.Name, m => scores.Average(s => s.Metrics[m.Name])),
        };
    }
}
