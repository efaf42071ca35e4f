using System.Diagnostics;
using Restora.Imaging;
using Restora.Metrics;
using Restora.Models;

namespace Restora.Server;

/// <summary>
/// Runs one job as <c>restora upscale</c> / <c>restora denoise</c> run one file: the same model opened by name, the
/// same library batch runner (<see cref="ImageBatch"/>: metadata carried over, written to a temporary file and
/// renamed, an existing file never replaced), so the result's bytes are the command's. Then scores it with NIQE
/// and makes its preview.
/// </summary>
internal sealed class Restorer(ServerOptions options, ModelDirectory models, Uploads uploads, ImageCache cache)
{
    /// <summary>NIQE is scored up to this size; beyond it the score would take longer than the restore of a small image.</summary>
    const long NiqePixelLimit = 16_000_000;

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
        job.Finish(outcome.Job.Output, outcome.Width, outcome.Height, seconds, Niqe(input), Niqe(result));
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
        if (image is null || image.PixelCount > NiqePixelLimit) return null;
        try { return MetricRegistry.Get("niqe").Compute(null, image, new MetricOptions()); }
        catch (ArgumentException) { return null; } // too small to score
    }

    /// <summary>Reports on the restoring thread, in order (<see cref="Progress{T}"/> would post them to the pool).</summary>
    sealed class DirectProgress(Action<TileProgress> report) : IProgress<TileProgress>
    {
        public void Report(TileProgress value) => report(value);
    }
}
