using Restora.Imaging;

namespace Restora.Cli;

/// <summary>
/// The command line's face of <see cref="ImageBatch"/>, the library's batch runner: it prints what the library
/// reports (skipped files, the progress bar, redone and failed files) and turns its errors into <see cref="UserError"/>s.
/// </summary>
public static class Batch
{
    /// <summary>
    /// The images <paramref name="input"/> names: itself when it is a file, else the folder's images in name order
    /// (other files skipped with a warning). A missing path or a folder without images is a <see cref="UserError"/>.
    /// </summary>
    public static List<string> ListImages(string command, string input) =>
        Guard(() => ImageBatch.ListImages(input, SkipWarning(command)));

    /// <summary>Pairs each input image with its output path. Non-image files in a folder are skipped with a warning.</summary>
    public static List<ImageJob> Plan(string command, string input, string output) =>
        Guard(() => ImageBatch.Plan(input, output, SkipWarning(command)));

    /// <summary>
    /// Loads, transforms and saves every job of this process's shard (<c>--shard</c>, <c>--shards</c>). A single-file
    /// run throws on failure (exit 1); a folder run records the failure and goes on. Existing outputs are an error for
    /// a single file; in a folder a complete one is skipped (so a rerun after a kill continues where it stopped) and a
    /// damaged one is done again.
    /// </summary>
    public static List<JobOutcome> Run(string command, List<ImageJob> jobs, CommonOptions common,
        Func<Image, ImageJob, Image> transform, EncodeOptions? encode = null)
    {
        // Made at the first job, once the shard's share is known: a shard with no files shows no bar.
        Progress? progress = null, frames = null;
        try
        {
            return Guard(() => ImageBatch.Run(jobs, (image, job, _) => transform(image, job), new BatchOptions
            {
                Overwrite = common.Overwrite,
                Decode = common.Decode,
                Encode = encode,
                StripMetadata = common.StripMetadata,
                Shard = common.Shard,
                OverwriteHint = "use --overwrite",
                Starting = (i, count, job) => (progress ??= new Progress(count, command)).Report(i, Path.GetFileName(job.Input)),
                Redoing = (job, damage) => Console.Error.WriteLine($"restora {command}: {job.Output}: doing again, the existing file is damaged ({damage})"),
                Finished = o => { if (o.Status == JobStatus.Failed) Console.Error.WriteLine($"restora {command}: {o.Error}"); },
                // An animation's frames get a bar of their own, in frames with an ETA.
                FrameDone = (job, done, total) =>
                {
                    frames ??= new Progress(total ?? int.MaxValue, $"{command} {Path.GetFileName(job.Input)}");
                    if (done != total) frames.Report(done, total ?? int.MaxValue, "frames");
                    else { frames.Dispose(); frames = null; }
                },
            }));
        }
        finally
        {
            frames?.Dispose();
            progress?.Dispose();
        }
    }

    static Action<string> SkipWarning(string command) =>
        file => Console.Error.WriteLine($"restora {command}: skipping {file}: not an image file ({ImageFile.Extensions})");

    /// <summary>The library's one-line errors as the command's.</summary>
    static T Guard<T>(Func<T> action)
    {
        try { return action(); }
        catch (RestoraException e) when (e is not UserError) { throw new UserError(e.Message); }
    }

    /// <summary>Prints the outcome: JSON on stdout, or a line per written file and a summary.</summary>
    /// <param name="extra">Command-specific fields for the JSON object (e.g. the model used).</param>
    /// <param name="perFile">Command-specific fields for one done file's JSON object (e.g. the chain `auto` ran).</param>
    public static int Report(string command, List<JobOutcome> outcomes, bool json, Action<System.Text.Json.Utf8JsonWriter>? extra = null,
        Action<System.Text.Json.Utf8JsonWriter, JobOutcome>? perFile = null)
    {
        int done = outcomes.Count(o => o.Status == JobStatus.Done);
        int skipped = outcomes.Count(o => o.Status == JobStatus.Skipped);
        int failed = outcomes.Count(o => o.Status == JobStatus.Failed);
        if (json)
        {
            Json.Write(w =>
            {
                w.WriteNumber("processed", done);
                w.WriteNumber("skipped", skipped);
                w.WriteNumber("failed", failed);
                extra?.Invoke(w);
                w.WriteStartArray("files");
                foreach (var o in outcomes)
                {
                    w.WriteStartObject();
                    w.WriteString("input", o.Job.Input);
                    w.WriteString("output", o.Job.Output);
                    w.WriteString("status", o.Status.ToString().ToLowerInvariant());
                    if (o.Error is not null) w.WriteString("error", o.Error);
                    if (o.Status == JobStatus.Done)
                    {
                        w.WriteNumber("width", o.Width);
                        w.WriteNumber("height", o.Height);
                        w.WriteNumber("seconds", Math.Round(o.Seconds, 3));
                        perFile?.Invoke(w, o);
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }
        else
        {
            foreach (var o in outcomes.Where(o => o.Status == JobStatus.Done))
                Console.WriteLine($"{o.Job.Output} ({o.Width}x{o.Height})");
        }
        // On stderr in both modes: it is for the person watching, and stdout may be JSON.
        if (outcomes.Count > 1) Console.Error.WriteLine(Summary(command, outcomes));
        return failed > 0 ? 1 : 0;
    }

    /// <summary>One line: the counts, then every failure with its reason, so a log shows what to look at.</summary>
    public static string Summary(string command, List<JobOutcome> outcomes)
    {
        int done = outcomes.Count(o => o.Status == JobStatus.Done);
        int skipped = outcomes.Count(o => o.Status == JobStatus.Skipped);
        var failures = outcomes.Where(o => o.Status == JobStatus.Failed).ToList();
        string line = $"restora {command}: {done} processed, {skipped} skipped, {failures.Count} failed";
        return failures.Count == 0 ? line : line + ": " + string.Join("; ", failures.Select(o => o.Error ?? o.Job.Input));
    }
}
