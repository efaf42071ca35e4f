using Restora.Imaging;

namespace Restora.Cli;

public sealed record ImageJob(string Input, string Output);

public sealed record JobOutcome(ImageJob Job, string Status, string? Error = null, int Width = 0, int Height = 0, double Seconds = 0);

/// <summary>
/// Runs one image transform over a file or a folder: plans input → output pairs, refuses to overwrite,
/// keeps going past a bad file in a folder, and reports what happened to every file. Every result is saved with
/// its input's metadata (EXIF, XMP, ICC, IPTC), so a command gets that by going through <see cref="Run"/>.
/// </summary>
public static class Batch
{
    /// <summary>
    /// The images <paramref name="input"/> names: itself when it is a file, else the folder's images in name order
    /// (other files skipped with a warning). A missing path or a folder without images is a <see cref="UserError"/>.
    /// </summary>
    public static List<string> ListImages(string command, string input)
    {
        if (!Directory.Exists(input))
            return File.Exists(input) ? [input] : throw new UserError($"{input}: no such file or folder");
        var files = new List<string>();
        foreach (var file in Directory.EnumerateFiles(input).Order(StringComparer.Ordinal))
        {
            if (ImageFile.HasImageExtension(file)) files.Add(file);
            else Console.Error.WriteLine($"restora {command}: skipping {file}: not an image file ({ImageFile.Extensions})");
        }
        if (files.Count == 0) throw new UserError($"{input}: no images in this folder");
        return files;
    }

    /// <summary>Pairs each input image with its output path. Non-image files in a folder are skipped with a warning.</summary>
    public static List<ImageJob> Plan(string command, string input, string output)
    {
        if (Directory.Exists(input))
        {
            if (File.Exists(output)) throw new UserError($"{output}: is a file; a folder input needs an output folder");
            return ListImages(command, input).Select(file => new ImageJob(file, Path.Combine(output, Path.GetFileName(file)))).ToList();
        }
        if (!File.Exists(input)) throw new UserError($"{input}: no such file or folder");
        string target = Directory.Exists(output) ? Path.Combine(output, Path.GetFileName(input)) : output;
        ImageFile.FormatFromExtension(target); // the output's format must be known before any work
        return [new ImageJob(input, target)];
    }

    /// <summary>
    /// Loads, transforms and saves every job. A single-file run throws on failure (exit 1); a folder run records
    /// the failure and goes on. Existing outputs are an error for a single file; in a folder a complete one is
    /// skipped (so a rerun after a kill continues where it stopped) and a damaged one is done again.
    /// </summary>
    public static List<JobOutcome> Run(string command, List<ImageJob> jobs, CommonOptions common,
        Func<Image, ImageJob, Image> transform, EncodeOptions? encode = null)
    {
        bool single = jobs.Count == 1;
        var outcomes = new List<JobOutcome>();
        using var progress = new Progress(jobs.Count, command);
        for (int i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            progress.Report(i, Path.GetFileName(job.Input));
            if (SamePath(job.Input, job.Output))
                throw new UserError($"{job.Output}: output would replace its input; choose another output");
            bool replace = common.Overwrite;
            if (File.Exists(job.Output) && !common.Overwrite)
            {
                if (single) throw new UserError($"{job.Output}: exists (use --overwrite)");
                if (Damage(job.Output) is not string damage)
                {
                    outcomes.Add(new JobOutcome(job, "skipped", "output exists (use --overwrite)"));
                    continue;
                }
                // Ours are written atomically, so this is another tool's leftover: not a result worth keeping.
                Console.Error.WriteLine($"restora {command}: {job.Output}: doing again, the existing file is damaged ({damage})");
                replace = true;
            }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                var image = ImageFile.Load(job.Input, common.Decode);
                var result = transform(image, job);
                result.Metadata = common.StripMetadata ? null : result.Metadata ?? image.Metadata;
                var dir = Path.GetDirectoryName(Path.GetFullPath(job.Output));
                if (dir is not null) Directory.CreateDirectory(dir);
                ImageFile.Save(result, job.Output, encode, replace);
                outcomes.Add(new JobOutcome(job, "done", null, result.Width, result.Height, clock.Elapsed.TotalSeconds));
            }
            catch (Exception e) when (!single && e is ImageFileException or ImageFormatException or UserError or ArgumentException)
            {
                Console.Error.WriteLine($"restora {command}: {OneLine(e, job.Input)}");
                outcomes.Add(new JobOutcome(job, "failed", OneLine(e, job.Input)));
            }
            catch (Exception e) when (e is ImageFormatException or ArgumentException)
            {
                throw new UserError(OneLine(e, job.Input));
            }
        }
        return outcomes;
    }

    /// <summary>
    /// Why an existing output is not a finished result, or null when it is whole (header and container end
    /// intact). Not a full decode: an upscaled output can be hundreds of megapixels, and a rerun checks them all.
    /// </summary>
    static string? Damage(string output)
    {
        try
        {
            ImageFile.CheckComplete(output);
            return null;
        }
        catch (ImageFileException e)
        {
            return e.Message.StartsWith(output + ": ", StringComparison.Ordinal) ? e.Message[(output.Length + 2)..] : e.Message;
        }
    }

    static string OneLine(Exception e, string path) => e is ImageFileException or UserError ? e.Message : $"{path}: {e.Message}";

    static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);

    /// <summary>Prints the outcome: JSON on stdout, or a line per written file and a summary.</summary>
    /// <param name="extra">Command-specific fields for the JSON object (e.g. the model used).</param>
    public static int Report(string command, List<JobOutcome> outcomes, bool json, Action<System.Text.Json.Utf8JsonWriter>? extra = null)
    {
        int done = outcomes.Count(o => o.Status == "done");
        int skipped = outcomes.Count(o => o.Status == "skipped");
        int failed = outcomes.Count(o => o.Status == "failed");
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
                    w.WriteString("status", o.Status);
                    if (o.Error is not null) w.WriteString("error", o.Error);
                    if (o.Status == "done")
                    {
                        w.WriteNumber("width", o.Width);
                        w.WriteNumber("height", o.Height);
                        w.WriteNumber("seconds", Math.Round(o.Seconds, 3));
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        }
        else
        {
            foreach (var o in outcomes.Where(o => o.Status == "done"))
                Console.WriteLine($"{o.Job.Output} ({o.Width}x{o.Height})");
        }
        // On stderr in both modes: it is for the person watching, and stdout may be JSON.
        if (outcomes.Count > 1) Console.Error.WriteLine(Summary(command, outcomes));
        return failed > 0 ? 1 : 0;
    }

    /// <summary>One line: the counts, then every failure with its reason, so a log shows what to look at.</summary>
    public static string Summary(string command, List<JobOutcome> outcomes)
    {
        int done = outcomes.Count(o => o.Status == "done");
        int skipped = outcomes.Count(o => o.Status == "skipped");
        var failures = outcomes.Where(o => o.Status == "failed").ToList();
        string line = $"restora {command}: {done} processed, {skipped} skipped, {failures.Count} failed";
        return failures.Count == 0 ? line : line + ": " + string.Join("; ", failures.Select(o => o.Error ?? o.Job.Input));
    }
}
