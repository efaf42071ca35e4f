using System.Diagnostics;
using Restora.Imaging;
using Restora.Metrics;
using Restora.Models;

namespace Restora.Server;

/// <summary>
/// Runs one job as <c>restora upscale</c> / <c>restora denoise</c> run one file: the same model opened by name, the
/// same library batch runner (<see cref="ImageBatch"/>: metadata carried over, written to a temporary file and
/// renamed, an existing file never replaced), so the result's bytes are the command's. Then scores it (NIQE; PSNR and
/// SSIM against the input when the sizes match) and makes its preview.
/// </summary>
internal sealed class Restorer(ServerOptions options, ModelDirectory models, Uploads uploads, ImageCache cache)
{
    /// <summary>Scores are computed up to this size; beyond it NIQE would take longer than the restore of a small image.</summary>
    const long ScorePixelLimit = 16_000_000;

    /// <summary>Restores <paramref name="job"/>; a failure the user can fix fails it with one line, anything else throws.</summary>
    public void Run(Job job, CancellationToken cancellationToken)
    {
        var request = job.Request;
        var entry = models.Find(request.Model);
        if (entry is null) { job.Fail($"unknown model '{request.Model}' (see GET /api/models)"); return; }
        if (!models.IsInstalled(entry)) { job.Fail($"{entry.Name} is not installed: pull it first (restora models pull {entry.Name})"); return; }
        RestorationModel model;
        try { model = models.Open(entry); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or Restora.Models.Zoo.ModelStoreException)
        {
            job.Fail(e.Message.ReplaceLineEndings(" "));
            return;
        }
        if (model.Task != request.Task.Name) { job.Fail($"{entry.Name} is a {model.Task} model, not a {request.Task.Name} one"); return; }
        if (request.Scale is int s && s != model.Scale) { job.Fail($"{entry.Name} enlarges x{model.Scale}, not x{s}; pick a model of that scale"); return; }

        var upload = job.Upload;
        job.Start(model.Name, model.Scale);
        Image? input = null, result = null;
        var restoreOptions = new RestoreOptions
        {
            Parameters = request.Parameters,
            Progress = new DirectProgress(p => job.Report(p.Done, p.Total)),
        };
        var clock = Stopwatch.StartNew();
        List<JobOutcome> outcomes;
        try
        {
            outcomes = ImageBatch.Run([new ImageJob(upload.Path, NextOutput(upload, model))], (image, _, token) =>
            {
                input = image;
                return result = model.Restore(image, restoreOptions, token);
            }, new BatchOptions { SingleImage = true, Decode = new DecodeOptions { MaxPixels = options.MaxPixels } }, cancellationToken);
        }
        catch (Exception e) when (e is RestoraException or ImageFileException or ArgumentException)
        {
            job.Fail(upload.Tell(e.Message.ReplaceLineEndings(" ")));
            return;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var outcome = outcomes[0];
        if (outcome.Status != JobStatus.Done || result is null) { job.Fail(upload.Tell(outcome.Error ?? "not restored")); return; }

        uploads.WritePreview(job.Id, "result", result);
        cache.Put(Uploads.CacheKey(job.Id, "result"), result);
        var (psnr, ssim) = Change(input, outcome.Job.Output);
        job.Finish(outcome.Job.Output, outcome.Width, outcome.Height, seconds, new JobScores(Niqe(input), Niqe(result), psnr, ssim));
    }

    /// <summary>A new name in the output folder: the input's cleaned name, the task and scale, and a number if taken.</summary>
    string NextOutput(StoredUpload upload, RestorationModel model)
    {
        Directory.CreateDirectory(options.OutputFolder);
        string stem = $"{Uploads.SafeStem(upload.DisplayName)}-{model.Task}{(model.Scale > 1 ? $"-x{model.Scale}" : "")}";
        string extension = Uploads.Extension(upload.Format);
        for (int n = 0; ; n++)
        {
            string path = Path.Combine(options.OutputFolder, n == 0 ? stem + extension : $"{stem}-{n}{extension}");
            if (!File.Exists(path)) return path;
        }
    }

    static double? Niqe(Image? image)
    {
        if (image is null || image.PixelCount > ScorePixelLimit) return null;
        try { return MetricRegistry.Get("niqe").Compute(null, image, new MetricOptions()); }
        catch (ArgumentException) { return null; } // too small to score
    }

    /// <summary>
    /// PSNR and SSIM (RGB, no shave, as <c>restora metrics</c> scores two files) of the result as written, read back
    /// from <paramref name="resultPath"/> (a JPEG result differs from the network's output: the file is what the user
    /// keeps), against the input as decoded. Null when the sizes differ (super-resolution: nothing to compare pixel
    /// for pixel) or the image is too large to score; SSIM alone null under its 11x11 window. A gray side of a
    /// gray/colour pair (colorize) is compared as R = G = B.
    /// </summary>
    static (double? Psnr, double? Ssim) Change(Image? input, string resultPath)
    {
        if (input is null || input.PixelCount > ScorePixelLimit) return (null, null);
        Image result;
        try { result = ImageFile.Load(resultPath); }
        catch (Exception e) when (e is ImageFileException or IOException) { return (null, null); } // moved away meanwhile
        if (result.Width != input.Width || result.Height != input.Height) return (null, null);
        var reference = input;
        if (reference.IsGray && !result.IsGray) reference = reference.ToRgb();
        else if (result.IsGray && !reference.IsGray) result = result.ToRgb();
        var options = new MetricOptions();
        double psnr = FullReference.Psnr(reference, result, options);
        double? ssim;
        try { ssim = FullReference.Ssim(reference, result, options); }
        catch (ArgumentException) { ssim = null; } // smaller than SSIM's window
        return (psnr, ssim);
    }

    /// <summary>Reports on the restoring thread, in order (<see cref="Progress{T}"/> would post them to the pool).</summary>
    sealed class DirectProgress(Action<TileProgress> report) : IProgress<TileProgress>
    {
        public void Report(TileProgress value) => report(value);
    }
}
