using System.Diagnostics;
using Restora.Imaging;

namespace Restora;

/// <summary>One input image and the file its result goes to.</summary>
/// <param name="Input">The image to read.</param>
/// <param name="Output">The file to write.</param>
public sealed record ImageJob(string Input, string Output)
{
    /// <summary>The input's path relative to the input folder ('/'-separated): what <see cref="Shard"/> hashes.</summary>
    public string RelativePath { get; init; } = Path.GetFileName(Input);
}

/// <summary>What happened to one <see cref="ImageJob"/>.</summary>
public enum JobStatus
{
    /// <summary>Restored and written.</summary>
    Done,
    /// <summary>Left alone: a complete output was already there (a rerun continuing where an earlier one stopped).</summary>
    Skipped,
    /// <summary>Could not be done; <see cref="JobOutcome.Error"/> says why in one line.</summary>
    Failed,
}

/// <summary>The outcome of one job.</summary>
/// <param name="Job">The job.</param>
/// <param name="Status">Done, skipped or failed.</param>
/// <param name="Error">Why it was skipped or failed (one line naming the file), else null.</param>
/// <param name="Width">The output's width when done.</param>
/// <param name="Height">The output's height when done.</param>
/// <param name="Seconds">Time spent on it when done (load, transform, save).</param>
public sealed record JobOutcome(ImageJob Job, JobStatus Status, string? Error = null, int Width = 0, int Height = 0, double Seconds = 0);

/// <summary>How <see cref="ImageBatch.Run"/> treats existing outputs, metadata and shards, and what it tells the caller.</summary>
public sealed record BatchOptions
{
    /// <summary>Replace existing outputs; otherwise a complete one is skipped (and for a single image is an error).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Limits for decoding the inputs (default: 100 megapixels).</summary>
    public DecodeOptions? Decode { get; init; }

    /// <summary>Encoder settings for the outputs.</summary>
    public EncodeOptions? Encode { get; init; }

    /// <summary>Write outputs without the input's EXIF, XMP, IPTC and ICC profile (by default they are carried over).</summary>
    public bool StripMetadata { get; init; }

    /// <summary>Do only this shard's part of the jobs (<see cref="Shard.Owns"/>); the default does them all.</summary>
    public Shard Shard { get; init; } = Shard.All;

    /// <summary>
    /// Whether the run is about one image, so that a failure throws rather than being recorded and an existing output
    /// is an error rather than skipped. Null: when there is exactly one job (before sharding).
    /// </summary>
    public bool? SingleImage { get; init; }

    /// <summary>How messages say to replace outputs ("use --overwrite" in the command line).</summary>
    public string OverwriteHint { get; init; } = "set Overwrite";

    /// <summary>Told (jobs started before it, jobs in this shard, the job) as each job starts.</summary>
    public Action<int, int, ImageJob>? Starting { get; init; }

    /// <summary>Told (the job, why) when an existing output is damaged and so is done again.</summary>
    public Action<ImageJob, string>? Redoing { get; init; }

    /// <summary>Told each outcome as it is decided.</summary>
    public Action<JobOutcome>? Finished { get; init; }

    /// <summary>Told (the job, frames done, frames in all when known) after each frame of an animated input.</summary>
    public Action<ImageJob, int, int?>? FrameDone { get; init; }
}

/// <summary>
/// Runs one image transform over a file or a folder, as the <c>restora</c> commands do: plans input → output pairs,
/// refuses to overwrite, skips outputs a killed earlier run already finished, writes through a temporary file renamed
/// into place, keeps going past a bad file in a folder, carries every input's metadata to its output, and reports
/// what happened to every file through callbacks (it never writes to the console).
/// </summary>
public static class ImageBatch
{
    /// <summary>
    /// The images <paramref name="input"/> names: itself when it is a file, else the folder's images in ordinal name
    /// order. A missing path or a folder without images is a <see cref="RestoraException"/>.
    /// </summary>
    /// <param name="input">A file or a folder.</param>
    /// <param name="skipped">Told each file of the folder that is not an image (by extension) and so is left out.</param>
    public static List<string> ListImages(string input, Action<string>? skipped = null)
    {
        if (!Directory.Exists(input))
            return File.Exists(input) ? [input] : throw new RestoraException($"{input}: no such file or folder");
        var files = new List<string>();
        foreach (var file in Directory.EnumerateFiles(input).Order(StringComparer.Ordinal))
        {
            if (ImageFile.HasImageExtension(file)) files.Add(file);
            else skipped?.Invoke(file);
        }
        if (files.Count == 0) throw new RestoraException($"{input}: no images in this folder");
        return files;
    }

    /// <summary>
    /// Pairs each input image with its output path: a folder's images go to the same names in the output folder; a file
    /// goes to <paramref name="output"/>, or into it when it is a folder. The output's format must follow from its
    /// extension, checked before any work.
    /// </summary>
    /// <param name="input">A file or a folder.</param>
    /// <param name="output">A file, or the output folder.</param>
    /// <param name="skipped">Told each non-image file of an input folder.</param>
    public static List<ImageJob> Plan(string input, string output, Action<string>? skipped = null)
    {
        if (Directory.Exists(input))
        {
            if (File.Exists(output)) throw new RestoraException($"{output}: is a file; a folder input needs an output folder");
            return ListImages(input, skipped).Select(file => new ImageJob(file, Path.Combine(output, Path.GetFileName(file)))).ToList();
        }
        if (!File.Exists(input)) throw new RestoraException($"{input}: no such file or folder");
        string target = Directory.Exists(output) ? Path.Combine(output, Path.GetFileName(input)) : output;
        ImageFile.FormatFromExtension(target); // the output's format must be known before any work
        return [new ImageJob(input, target)];
    }

    /// <summary>
    /// Loads, transforms and saves every job of <see cref="BatchOptions.Shard"/>. For a single image a failure throws
    /// (<see cref="RestoraException"/> or <see cref="ImageFileException"/>, one line naming the file); in a folder it is
    /// recorded and the run goes on. An existing complete output is skipped, so a rerun after a kill continues where it
    /// stopped; a damaged one (another tool's leftover) is done again. Cancellation is checked between images (and the
    /// transform is given the token to check within one).
    /// </summary>
    /// <param name="jobs">The jobs, usually from <see cref="Plan"/>.</param>
    /// <param name="transform">Makes the output image from the input image; its result is saved with the input's metadata.</param>
    /// <param name="options">Overwriting, metadata, shard and callbacks; null for the defaults.</param>
    /// <param name="cancellationToken">Stops the run between images with an <see cref="OperationCanceledException"/>.</param>
    public static List<JobOutcome> Run(IReadOnlyList<ImageJob> jobs, Func<Image, ImageJob, CancellationToken, Image> transform,
        BatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(transform);
        options ??= new BatchOptions();
        bool single = options.SingleImage ?? jobs.Count == 1;
        var mine = jobs.Where(j => options.Shard.Owns(j.RelativePath)).ToList();
        var outcomes = new List<JobOutcome>();
        void Record(JobOutcome o) { outcomes.Add(o); options.Finished?.Invoke(o); }
        if (single || mine.Count < 2)
        {
            for (int i = 0; i < mine.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                options.Starting?.Invoke(i, mine.Count, mine[i]);
                var work = Prepare(mine[i], i, options, single);
                if (work.Outcome is null)
                {
                    Transform(work, transform, options, single, cancellationToken);
                    Save(work, options, single);
                }
                Record(work.Outcome!);
            }
            return outcomes;
        }
        RunOverlapped(mine, transform, options, Record, cancellationToken);
        return outcomes;
    }

    /// <summary>One job on its way through the stages: what was decoded and made, and its outcome once known.</summary>
    sealed class Work(ImageJob job, int index, bool replace)
    {
        public ImageJob Job => job;
        public int Index => index;
        public bool Replace => replace;
        public Image? Input, Result;
        /// <summary>An animated input: read, restored frame by frame and written in the transform stage.</summary>
        public bool Animated;
        public JobOutcome? Outcome;
        public Stopwatch Clock = new();
    }

    /// <summary>
    /// Decoding the next image and encoding the last one overlap the restore of the current one: three stages joined
    /// by queues of one image each (so at most a handful of images are in memory), outcomes reported in job order. A
    /// folder of small images with a fast network was otherwise mostly codec time.
    /// </summary>
    static void RunOverlapped(List<ImageJob> jobs, Func<Image, ImageJob, CancellationToken, Image> transform, BatchOptions options,
        Action<JobOutcome> record, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var decoded = System.Threading.Channels.Channel.CreateBounded<Work>(1);
        var restored = System.Threading.Channels.Channel.CreateBounded<Work>(1);
        var decoder = Task.Run(async () =>
        {
            try
            {
                for (int i = 0; i < jobs.Count; i++)
                {
                    var work = Prepare(jobs[i], i, options, single: false);
                    if (work.Outcome is null) Load(work, options, single: false);
                    await decoded.Writer.WriteAsync(work, stop.Token);
                }
            }
            finally { decoded.Writer.TryComplete(); }
        });
        var encoder = Task.Run(async () =>
        {
            await foreach (var work in restored.Reader.ReadAllAsync(stop.Token))
            {
                if (work.Outcome is null) Save(work, options, single: false);
                record(work.Outcome!);
            }
        });
        try
        {
            foreach (var work in decoded.Reader.ReadAllAsync(stop.Token).ToBlockingEnumerable(stop.Token))
            {
                options.Starting?.Invoke(work.Index, jobs.Count, work.Job);
                if (work.Outcome is null) Transform(work, transform, options, single: false, stop.Token);
                restored.Writer.WriteAsync(work, stop.Token).AsTask().GetAwaiter().GetResult();
            }
            restored.Writer.TryComplete();
        }
        catch
        {
            stop.Cancel();
            restored.Writer.TryComplete();
            try { Task.WaitAll(decoder, encoder); } catch (AggregateException) { }
            throw;
        }
        // A stage's own failure (an output onto its input, a cancelled run) surfaces as it was thrown, not wrapped.
        foreach (var stage in new[] { decoder, encoder })
        {
            try { stage.Wait(); }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
    }

    /// <summary>The checks before any work: output onto input, an existing whole output (skipped), a damaged one (redone).</summary>
    static Work Prepare(ImageJob job, int index, BatchOptions options, bool single)
    {
        if (SamePath(job.Input, job.Output))
            throw new RestoraException($"{job.Output}: output would replace its input; choose another output");
        bool replace = options.Overwrite;
        if (File.Exists(job.Output) && !options.Overwrite)
        {
            if (single) throw new RestoraException($"{job.Output}: exists ({options.OverwriteHint})");
            if (Damage(job.Output) is not string damage)
                return new Work(job, index, replace) { Outcome = new JobOutcome(job, JobStatus.Skipped, $"output exists ({options.OverwriteHint})") };
            // Ours are written atomically, so this is another tool's leftover: not a result worth keeping.
            options.Redoing?.Invoke(job, damage);
            replace = true;
        }
        return new Work(job, index, replace);
    }

    static void Load(Work work, BatchOptions options, bool single) =>
        Guard(work, single, () =>
        {
            work.Clock.Start();
            if (Animation.IsAnimatedFile(work.Job.Input)) work.Animated = true;
            else work.Input = ImageFile.Load(work.Job.Input, options.Decode);
            work.Clock.Stop();
        });

    static void Transform(Work work, Func<Image, ImageJob, CancellationToken, Image> transform, BatchOptions options, bool single,
        CancellationToken cancellationToken)
    {
        if (work.Input is null && !work.Animated) Load(work, options, single);
        if (work.Outcome is not null) return;
        if (work.Animated)
        {
            TransformAnimation(work, transform, options, single, cancellationToken);
            return;
        }
        Guard(work, single, () =>
        {
            work.Clock.Start();
            var result = transform(work.Input!, work.Job, cancellationToken);
            result.Metadata = options.StripMetadata ? null : result.Metadata ?? work.Input!.Metadata;
            work.Result = result;
            work.Input = null;
            work.Clock.Stop();
        });
    }

    /// <summary>Every frame through the transform, with the delays and loop count kept (<see cref="Animation.TransformFile"/>).</summary>
    static void TransformAnimation(Work work, Func<Image, ImageJob, CancellationToken, Image> transform, BatchOptions options, bool single,
        CancellationToken cancellationToken) =>
        Guard(work, single, () =>
        {
            work.Clock.Start();
            var dir = Path.GetDirectoryName(Path.GetFullPath(work.Job.Output));
            if (dir is not null) Directory.CreateDirectory(dir);
            var (width, height) = Animation.TransformFile(work.Job.Input, work.Job.Output, frame => transform(frame, work.Job, cancellationToken),
                work.Replace, options.Decode, options.Encode, (done, total) => options.FrameDone?.Invoke(work.Job, done, total), cancellationToken);
            work.Outcome = new JobOutcome(work.Job, JobStatus.Done, null, width, height, work.Clock.Elapsed.TotalSeconds);
        });

    static void Save(Work work, BatchOptions options, bool single)
    {
        if (work.Outcome is not null) return;
        Guard(work, single, () =>
        {
            work.Clock.Start();
            var result = work.Result!;
            var dir = Path.GetDirectoryName(Path.GetFullPath(work.Job.Output));
            if (dir is not null) Directory.CreateDirectory(dir);
            ImageFile.Save(result, work.Job.Output, options.Encode, work.Replace);
            work.Result = null;
            work.Outcome = new JobOutcome(work.Job, JobStatus.Done, null, result.Width, result.Height, work.Clock.Elapsed.TotalSeconds);
        });
    }

    /// <summary>A file's failure: recorded in a folder run (the others go on), thrown for a single image.</summary>
    static void Guard(Work work, bool single, Action action)
    {
        try { action(); }
        catch (Exception e) when (!single && e is ImageFileException or ImageFormatException or RestoraException or ArgumentException)
        {
            work.Input = work.Result = null;
            work.Outcome = new JobOutcome(work.Job, JobStatus.Failed, OneLine(e, work.Job.Input));
        }
        catch (Exception e) when (e is ImageFormatException or ArgumentException)
        {
            throw new RestoraException(OneLine(e, work.Job.Input), e);
        }
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

    static string OneLine(Exception e, string path) => e is ImageFileException or RestoraException ? e.Message : $"{path}: {e.Message}";

    static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);
}
