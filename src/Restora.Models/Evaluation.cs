using System.Diagnostics;
using Restora.Imaging;
using Restora.Metrics;

namespace Restora.Models;

public sealed record ImageScore(string Name, double Psnr, double Ssim, double InputPsnr);

public sealed record EvaluationResult(
    string Task, string Method, double Psnr, double Ssim, double InputPsnr, double Seconds, IReadOnlyList<ImageScore> Images);

/// <summary>
/// Degrades every clean image as the task says, restores it, and scores it by the literature's protocol:
/// SR on MATLAB Y with the border shaved by the scale; the other tasks on RGB with no shave. Restored images
/// are clamped and rounded to the clean image's bit depth first, as a saved output would be.
/// </summary>
public static class Evaluator
{
    public static MetricOptions ScoringFor(TaskSettings s) => s.Task == RestorationTask.SuperResolution
        ? new MetricOptions { OnY = true, Shave = s.Scale }
        : new MetricOptions();

    public static ImageScore ScoreOne(string name, Image clean, IRestorer method, TaskSettings settings, out double restoreSeconds)
    {
        var target = settings.PrepareTarget(clean);
        var degraded = settings.Degrade(target, name);
        var clock = Stopwatch.StartNew();
        // Blind: the method is told the noise level it would be told in use, the image's own estimate.
        var told = settings.Blind && settings.Task == RestorationTask.Denoise
            ? settings with { NoiseSigma = NoiseEstimate.Sigma(degraded) }
            : settings;
        var restored = method.Restore(degraded, told);
        restoreSeconds = clock.Elapsed.TotalSeconds;
        if (restored.Width != target.Width || restored.Height != target.Height)
            throw new InvalidOperationException(
                $"{method.Name} returned {restored.Width}x{restored.Height} for a {target.Width}x{target.Height} target");
        restored.BitDepth = target.BitDepth;
        restored.Quantize();
        var options = ScoringFor(settings);
        // The degraded input's own PSNR (upscaled by bicubic for SR) shows what the method gained.
        var baseline = settings.Task == RestorationTask.SuperResolution
            ? new BicubicRestorer().Restore(degraded, settings)
            : degraded.Clone();
        baseline.BitDepth = target.BitDepth;
        baseline.Quantize();
        return new ImageScore(name,
            FullReference.Psnr(target, restored, options),
            FullReference.Ssim(target, restored, options),
            FullReference.Psnr(target, baseline, options));
    }

    /// <summary>Scores every file; <paramref name="progress"/> is told each file's name before it starts.</summary>
    public static EvaluationResult Run(IReadOnlyList<string> files, IRestorer method, TaskSettings settings,
        Func<string, Image> load, Action<int, string>? progress = null)
    {
        settings.Validate();
        var scores = new List<ImageScore>();
        double seconds = 0;
        for (int i = 0; i < files.Count; i++)
        {
            string name = Path.GetFileName(files[i]);
            progress?.Invoke(i, name);
            scores.Add(ScoreOne(name, load(files[i]), method, settings, out double s));
            seconds += s;
        }
        if (scores.Count == 0) throw new ArgumentException("no images to evaluate");
        return new EvaluationResult(TaskSettings.TaskName(settings.Task), method.Name,
            scores.Average(s => s.Psnr), scores.Average(s => s.Ssim), scores.Average(s => s.InputPsnr), seconds, scores);
    }
}
